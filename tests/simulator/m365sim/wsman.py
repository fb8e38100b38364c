"""WS-Management (MS-WSMV) shell endpoint at ``/wsman``, carrying PowerShell remoting (MS-PSRP).

The SOAP actions a PowerShell remoting client uses on a runspace pool shell: Create (the
``creationXml`` carries the first PSRP fragments), Command (a pipeline; its first fragment is
the single ``Arguments``), Send (further fragments on ``stdin``/``pr``), Receive (``stdout``
of the pool or of one command), Signal (terminate, Ctrl+C) and Delete. Basic authentication
only (the account is in server.json under ``psrp``); the PSRP side is psrp_host.py.

Answers are SOAP 1.2 envelopes whose ``wsa:RelatesTo`` is the request's ``wsa:MessageID``;
errors are ``s:Fault`` with a ``wsmanfault:WSManFault`` detail and HTTP 500, as WinRM sends.
"""
import base64
import hmac
import uuid
import xml.etree.ElementTree as ET

from .wire import Response

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "wsman": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "wsmv": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "wst": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "wsmanfault": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
    "ps": "http://schemas.microsoft.com/powershell",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
RESOURCE_PREFIX = "http://schemas.microsoft.com/powershell/"
DONE = SHELL + "CommandState/Done"
RUNNING = SHELL + "CommandState/Running"
SOAP_XML = "application/soap+xml;charset=UTF-8"

# WinRM's fault codes (MS-WSMV 2.2.4.18 and the WinRM error table).
ERROR_INVALID_SELECTORS = 2150858843
ERROR_ACCESS_DENIED = 5
ERROR_UNSUPPORTED = 2150858770
ERROR_INVALID_RESOURCE_URI = 2150858811


# WinRM's listener (/wsman) hosts the Windows PowerShell configurations of a management host; an
# on-premises Exchange server publishes Microsoft.Exchange in IIS at /PowerShell instead.
CONFIGURATIONS_BY_PATH = {"/wsman": ("microsoft.powershell",), "/powershell": ("microsoft.exchange",)}


def is_wsman_path(path):
    return path.lower().rstrip("/") in CONFIGURATIONS_BY_PATH


class WSManFault(Exception):
    def __init__(self, code, message, subcode="w:InternalError", status=500):
        super().__init__(message)
        self.code = code
        self.message = message
        self.subcode = subcode
        self.status = status


def _q(prefix, name):
    return "{%s}%s" % (NS[prefix], name)


def _envelope(action, relates_to, body_children=()):
    env = ET.Element(_q("s", "Envelope"))
    header = ET.SubElement(env, _q("s", "Header"))
    ET.SubElement(header, _q("wsa", "Action")).text = action
    ET.SubElement(header, _q("wsa", "MessageID")).text = "uuid:%s" % str(uuid.uuid4()).upper()
    ET.SubElement(header, _q("wsa", "To")).text = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
    ET.SubElement(header, _q("wsa", "RelatesTo")).text = relates_to
    body = ET.SubElement(env, _q("s", "Body"))
    for child in body_children:
        body.append(child)
    return env


def _reply(env, status=200):
    payload = b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(env, encoding="utf-8")
    return Response(status, body=payload, content_type=SOAP_XML)


def fault_response(relates_to, fault):
    node = ET.Element(_q("s", "Fault"))
    code = ET.SubElement(node, _q("s", "Code"))
    ET.SubElement(code, _q("s", "Value")).text = "s:Receiver" if fault.status >= 500 else "s:Sender"
    sub = ET.SubElement(code, _q("s", "Subcode"))
    ET.SubElement(sub, _q("s", "Value")).text = fault.subcode
    reason = ET.SubElement(node, _q("s", "Reason"))
    text = ET.SubElement(reason, _q("s", "Text"))
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "en-US")
    text.text = fault.message
    detail = ET.SubElement(node, _q("s", "Detail"))
    wf = ET.SubElement(detail, _q("wsmanfault", "WSManFault"), Code=str(fault.code), Machine="localhost")
    ET.SubElement(wf, _q("wsmanfault", "Message")).text = fault.message
    return _reply(_envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relates_to, [node]), 500)


def check_basic(req, username, password):
    """True when the Authorization header carries the account's Basic credentials."""
    header = req.headers.get("Authorization") or ""
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _colon, secret = base64.b64decode(value.strip()).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return hmac.compare_digest(user.lower(), username.lower()) and hmac.compare_digest(secret, password)


def unauthorized():
    resp = Response(401, body=b"", content_type="text/plain")
    resp.headers["WWW-Authenticate"] = 'Basic realm="WSMAN"'
    return resp


def _selector(header, name):
    for sel in header.findall("wsman:SelectorSet/wsman:Selector", NS):
        if sel.get("Name", "").lower() == name.lower():
            return (sel.text or "").strip()
    return None


def handle(sim, req):
    """One WS-Management request: authenticate, parse the envelope, dispatch on wsa:Action."""
    endpoint = req.path.lower().rstrip("/")
    req.route = ("wsman", "POST %s" % endpoint)
    host = sim.psrp
    if req.method != "POST":
        return Response(405, body=b"", content_type="text/plain")
    if not check_basic(req, host.username, host.password):
        return unauthorized()
    try:
        env = ET.fromstring(req.body or b"")
    except ET.ParseError:
        return Response(400, body=b"", content_type="text/plain")
    header = env.find("s:Header", NS)
    body = env.find("s:Body", NS)
    if header is None or body is None:
        return Response(400, body=b"", content_type="text/plain")
    action = (header.findtext("wsa:Action", "", NS) or "").strip()
    message_id = (header.findtext("wsa:MessageID", "", NS) or "").strip()
    resource_uri = (header.findtext("wsman:ResourceURI", "", NS) or "").strip()
    req.route = ("wsman", "POST %s %s" % (endpoint, action.rsplit("/", 1)[-1]))
    try:
        if action == TRANSFER + "Create":
            children = _create(host, resource_uri, body, req, CONFIGURATIONS_BY_PATH[endpoint])
            return _reply(_envelope(TRANSFER + "CreateResponse", message_id, children))
        shell_id = _selector(header, "ShellId")
        shell = host.shell(shell_id)
        if action == TRANSFER + "Delete":
            host.delete(shell_id)
            return _reply(_envelope(TRANSFER + "DeleteResponse", message_id))
        if action == SHELL + "Command":
            line = body.find("rsp:CommandLine", NS)
            if line is None:
                raise WSManFault(ERROR_UNSUPPORTED, "The Command request has no CommandLine.")
            command_id = line.get("CommandId") or str(uuid.uuid4()).upper()
            data = base64.b64decode((line.findtext("rsp:Arguments", "", NS) or "").strip() or b"")
            shell.command(command_id, data)
            resp = ET.Element(_q("rsp", "CommandResponse"))
            ET.SubElement(resp, _q("rsp", "CommandId")).text = command_id
            return _reply(_envelope(SHELL + "CommandResponse", message_id, [resp]))
        if action == SHELL + "Send":
            for stream in body.findall("rsp:Send/rsp:Stream", NS):
                shell.send(stream.get("CommandId"), base64.b64decode((stream.text or "").strip()))
            return _reply(_envelope(SHELL + "SendResponse", message_id, [ET.Element(_q("rsp", "SendResponse"))]))
        if action == SHELL + "Receive":
            desired = body.find("rsp:Receive/rsp:DesiredStream", NS)
            command_id = desired.get("CommandId") if desired is not None else None
            chunks, done = shell.receive(command_id)
            resp = ET.Element(_q("rsp", "ReceiveResponse"))
            for chunk in chunks:
                stream = ET.SubElement(resp, _q("rsp", "Stream"), Name="stdout")
                if command_id:
                    stream.set("CommandId", command_id)
                stream.text = base64.b64encode(chunk).decode("ascii")
            if command_id:
                state = ET.SubElement(resp, _q("rsp", "CommandState"), CommandId=command_id,
                                      State=DONE if done else RUNNING)
                if done:
                    ET.SubElement(state, _q("rsp", "ExitCode")).text = "0"
            return _reply(_envelope(SHELL + "ReceiveResponse", message_id, [resp]))
        if action == SHELL + "Signal":
            signal = body.find("rsp:Signal", NS)
            shell.signal(signal.get("CommandId") if signal is not None else None)
            return _reply(_envelope(SHELL + "SignalResponse", message_id, [ET.Element(_q("rsp", "SignalResponse"))]))
        raise WSManFault(ERROR_UNSUPPORTED, "The WS-Management service does not support the request (%s)." % action,
                         subcode="w:ActionNotSupported")
    except WSManFault as fault:
        return fault_response(message_id, fault)


def _create(host, resource_uri, body, req, allowed):
    if not resource_uri.lower().startswith(RESOURCE_PREFIX) or \
            resource_uri[len(RESOURCE_PREFIX):].lower() not in allowed:
        raise WSManFault(ERROR_INVALID_RESOURCE_URI, "The WS-Management service cannot process the request. The "
                         "resource URI (%s) was not found in the WS-Management catalog." % resource_uri,
                         subcode="w:DestinationUnreachable")
    configuration = resource_uri[len(RESOURCE_PREFIX):]
    shell_node = body.find("rsp:Shell", NS)
    creation = shell_node.find("ps:creationXml", NS) if shell_node is not None else None
    if creation is None or not (creation.text or "").strip():
        raise WSManFault(ERROR_UNSUPPORTED, "The shell creation request has no PowerShell creationXml.")
    shell_id = (shell_node.get("ShellId") or str(uuid.uuid4())).upper()
    host.create(shell_id, configuration, base64.b64decode(creation.text.strip()))

    created = ET.Element(_q("wst", "ResourceCreated"))
    ET.SubElement(created, _q("wsa", "Address")).text = req.origin + req.path
    params = ET.SubElement(created, _q("wsa", "ReferenceParameters"))
    ET.SubElement(params, _q("wsman", "ResourceURI")).text = resource_uri
    selectors = ET.SubElement(params, _q("wsman", "SelectorSet"))
    ET.SubElement(selectors, _q("wsman", "Selector"), Name="ShellId").text = shell_id
    shell = ET.Element(_q("rsp", "Shell"))
    for name, value in (("ShellId", shell_id), ("Name", "WinRM1"), ("ResourceUri", resource_uri),
                        ("Owner", host.username), ("ClientIP", "127.0.0.1"), ("IdleTimeOut", "PT7200.000S"),
                        ("InputStreams", "stdin pr"), ("OutputStreams", "stdout"), ("ShellRunTime", "P0DT0H0M0S"),
                        ("ShellInactivity", "P0DT0H0M0S")):
        ET.SubElement(shell, _q("rsp", name)).text = value
    return [created, shell]
