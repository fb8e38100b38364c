# -*- coding: utf-8 -*-
# Copyright: (c) 2026, m365.admin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file is private to the m365.admin collection: its contents may change without notice.

"""Exchange cmdlets over PowerShell remoting (``exchange_transport: psrp``), with pypsrp.

One runspace pool per module run. On a Windows management host (session configuration
``Microsoft.PowerShell``) the pool first runs ``Connect-ExchangeOnline -AppId
-CertificateThumbprint -Organization -ShowBanner:$false``; on an on-premises Exchange server
(``Microsoft.Exchange``) the cmdlets are there at once.

``PsrpExchangeClient`` has the interface of the REST ``ExchangeClient`` (``invoke``,
``invoke_many``, results as ``CmdletResult`` with a ``CmdletError``), so modules do not know
which transport runs their cmdlets.

* Commands and parameters travel as PSRP command objects (AddCommand/AddParameter), never
  as script text, so no value can be read as PowerShell.
* Errors come through two channels: a terminating error fails the pipeline (pypsrp's
  ``had_errors``, the record in ``streams.error``); a non-terminating one (an unknown
  identity) leaves the pipeline completed with the record in ``streams.error``, or in the
  output when the error stream is merged into it. Both fail the command they belong to.
* ``invoke_many`` runs up to ``STATEMENTS_PER_PIPELINE`` commands as statements of one
  pipeline, each with its error and warning streams merged into the output (``2>&1 3>&1``)
  and followed by a marker statement (``Select-Object -InputObject <marker>``), so every
  object, error and warning is attributed to its command. Statements after a terminating
  error are sent again in the next pipeline.
"""

from __future__ import annotations

import asyncio
import datetime
import re
import uuid
from xml.etree import ElementTree

from ansible_collections.m365.admin.plugins.module_utils._errors import (
    AuthenticationError,
    ConfigurationError,
    OutcomeUnknownError,
    ServiceError,
    TransportError,
)
from ansible_collections.m365.admin.plugins.module_utils._exchange import CmdletError, CmdletResult
from ansible_collections.m365.admin.plugins.module_utils._http import retry_after_seconds

PYPSRP_IMPORT_ERROR = None
try:
    from pypsrp.exceptions import AuthenticationError as PsrpAuthenticationError
    from pypsrp.exceptions import WinRMError, WinRMTransportError
    from pypsrp.powershell import PowerShell, RunspacePool
    from pypsrp.serializer import Serializer
    from pypsrp.wsman import WSMan
except ImportError as exc:  # pragma: no cover - reported by the module
    PYPSRP_IMPORT_ERROR = exc
    PowerShell = RunspacePool = Serializer = WSMan = None

    class WinRMError(Exception):
        """Stands in for pypsrp's exceptions when it is missing (nothing raises them then)."""

    class PsrpAuthenticationError(WinRMError):
        """Stand-in."""

    class WinRMTransportError(WinRMError):
        """Stand-in."""

try:
    from requests.exceptions import RequestException
except ImportError:  # pragma: no cover - requests comes with pypsrp

    class RequestException(IOError):
        """Stands in for requests' base exception when it is missing."""

STATEMENTS_PER_PIPELINE = 50
MAX_ATTEMPTS = 4
MANAGEMENT_HOST = "microsoft.powershell"
CMDLET_RE = re.compile(r"^[A-Za-z]+-[A-Za-z0-9]+$")
PARAMETER_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
MARKER_PREFIX = "m365.admin:end-of-command:"

STATUS_BY_EXCEPTION = {
    "ManagementObjectNotFoundException": 404,
    "UnauthorizedAccessException": 403,
    "AccessDeniedException": 403,
    "CmdletAccessDeniedException": 403,
    # A cmdlet outside the account's Exchange roles is not even visible in the session.
    "CommandNotFoundException": 403,
    "ThrottlingException": 429,
    "ADTransientException": 503,
    "TransientException": 503,
    "ServerBusyException": 503,
}
# Exchange Online (ExchangeOnlineManagement v3) writes its errors through the module's own
# Write-ErrorMessage: the exception's message is "<error id>|<exception type>|<text>", the
# CategoryInfo's reason the short exception type, the FullyQualifiedErrorId
# "[Server=...,RequestId=...,TimeStamp=...] [FailureCategory=Cmdlet-<type>] <id>,...". An
# on-premises server sends the typed exception with the bare text, and an id such as
# "8288830C,Microsoft.Exchange.Management.RecipientTasks.SetCASMailbox". Both are read.
EXO_MESSAGE_RE = re.compile(r"^([A-Za-z0-9]+)\|([A-Za-z_][A-Za-z0-9_.`+]*)\|(.*)$", re.S)
FQID_BRACKETS_RE = re.compile(r"\[[^\]]*\]")
FAILURE_CATEGORY_RE = re.compile(r"\[FailureCategory=[A-Za-z]+-([A-Za-z0-9_.]+)\]")
GENERIC_EXCEPTIONS = ("System.Object", "System.Exception", "System.SystemException", "RuntimeException",
                      "RemoteException")

# The initial (.onmicrosoft) domain of a tenant per Exchange Online environment, the only form of
# Connect-ExchangeOnline -Organization that Microsoft's app-only sign-in article accepts
# everywhere. Microsoft documents contoso.onmicrosoft.com for the worldwide service and
# *.partner.onmschina.cn for 21Vianet; for GCC High and DoD it documents *.onmicrosoft.us but
# tenants with an *.onmicrosoft.com initial domain exist, so both are taken as initial there.
INITIAL_DOMAIN_RES = {
    None: (re.compile(r"^[A-Za-z0-9-]+\.onmicrosoft\.com$", re.I),),
    "O365USGovGCCHigh": (re.compile(r"^[A-Za-z0-9-]+\.onmicrosoft\.(us|com)$", re.I),),
    "O365USGovDoD": (re.compile(r"^[A-Za-z0-9-]+\.onmicrosoft\.(us|com)$", re.I),),
    "O365China": (re.compile(r"^[A-Za-z0-9-]+(\.partner)?\.onmschina\.cn$", re.I),),
}
ORGANIZATION_PERMISSION = "Organization.Read.All (or Directory.Read.All)"


def is_initial_domain(organization, environment):
    patterns = INITIAL_DOMAIN_RES.get(environment, INITIAL_DOMAIN_RES[None])
    return any(pattern.match(organization or "") for pattern in patterns)


def marshal(cmdlet, parameters):
    """Check a cmdlet and its parameters and return them as (name, value) pairs for AddParameter.

    Names must be plain identifiers (the cmdlet a Verb-Noun), values JSON-like scalars or lists
    of them: each travels as a typed PSRP value, bound by the remote parameter binder, never
    parsed as PowerShell.
    """
    if not isinstance(cmdlet, str) or not CMDLET_RE.match(cmdlet):
        raise ValueError("%r is not a cmdlet name" % (cmdlet,))
    pairs = []
    for name, value in (parameters or {}).items():
        if not isinstance(name, str) or not PARAMETER_RE.match(name):
            raise ValueError("%r is not a parameter name" % (name,))
        pairs.append((name, _marshal_value(name, value)))
    return pairs


def _marshal_value(name, value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_marshal_value(name, item) for item in value]
    raise ValueError("parameter %s: a %s cannot be passed to a cmdlet" % (name, type(value).__name__))


def to_plain(value):
    """A deserialized PowerShell value as JSON-like Python, the shape the REST endpoint returns."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, dict):
        return dict((str(k), to_plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    properties = _properties(value)
    if properties:
        return dict((k, to_plain(v)) for k, v in properties.items())
    for attribute in ("list", "stack", "queue"):
        items = getattr(value, attribute, None)
        if isinstance(items, list) and items:
            return [to_plain(v) for v in items]
    # An object of a type pypsrp does not know whose value is a collection, such as an Exchange
    # MultiValuedProperty from an on-premises server: the collection is its one "property set".
    sets = getattr(value, "property_sets", None)
    if isinstance(sets, list) and len(sets) == 1:
        collection = _collection(sets[0])
        if collection is not None:
            return collection
    text = getattr(value, "to_string", None)
    return text if text is not None else str(value)


def _collection(value):
    """A collection kept as it came: a Python list or dict, or (pypsrp keeps the <LST> element of
    an object of a type it does not know as its XML text) the items of that element."""
    if isinstance(value, (list, tuple, dict)):
        return to_plain(value)
    if isinstance(value, str) and value.startswith(("<LST", "<IE", "<QUE", "<STK")) and Serializer is not None:
        try:
            element = ElementTree.fromstring(value)
            return [to_plain(Serializer().deserialize(child)) for child in element]
        except Exception:  # pylint: disable=broad-except
            return None  # not a collection after all: the object's text stands for it
    return None


def _properties(value):
    merged = {}
    for attribute in ("adapted_properties", "extended_properties"):
        found = getattr(value, attribute, None)
        if isinstance(found, dict):
            merged.update(found)
    return merged


def _types(value):
    return [t.replace("Deserialized.", "") for t in (getattr(value, "types", None) or [])]


def is_error_record(value):
    return hasattr(value, "fq_error") or "System.Management.Automation.ErrorRecord" in _types(value)


def is_warning_record(value):
    return type(value).__name__ == "WarningRecord" or "System.Management.Automation.WarningRecord" in _types(value)


def error_from_record(record):
    """A CmdletError from a PowerShell ErrorRecord: the exception's type and the cmdlet's own text.

    Reads both shapes: Exchange Online's ("<id>|<type>|<text>" in the message, the type again in
    the reason and in the FullyQualifiedErrorId's FailureCategory) and on-premises Exchange's
    (a typed exception with the bare text).
    """
    exception = getattr(record, "exception", None)
    text = ""
    if exception is not None:
        text = _properties(exception).get("Message") or getattr(exception, "to_string", None) or ""
    text = str(text or getattr(record, "to_string", None) or getattr(record, "message", None) or record)
    fq_error = str(getattr(record, "fq_error", None) or "")
    error_id = None
    exception_type = ""
    match = EXO_MESSAGE_RE.match(text.strip())
    if match:
        error_id, exception_type, text = match.group(1), match.group(2).rsplit(".", 1)[-1], match.group(3).strip()
    if not exception_type:
        for name in _types(exception):
            short = name.rsplit(".", 1)[-1]
            if name not in GENERIC_EXCEPTIONS and short not in GENERIC_EXCEPTIONS:
                exception_type = short
                break
    reason = str(getattr(record, "reason", None) or "")
    if not exception_type:
        category = FAILURE_CATEGORY_RE.search(fq_error)
        exception_type = category.group(1).rsplit(".", 1)[-1] if category else reason
    if error_id is None:
        # What is left of the FullyQualifiedErrorId once its [...] groups are gone: "<id>,<origin>".
        head = FQID_BRACKETS_RE.sub("", fq_error).strip().split(",", 1)
        if fq_error.startswith("[") and len(head) == 2 and re.match(r"^[A-Za-z0-9]+$", head[0]):
            error_id = head[0]
    status = STATUS_BY_EXCEPTION.get(exception_type, STATUS_BY_EXCEPTION.get(reason, 400))
    return CmdletError(status, exception_type, exception_type, text, error_id)


def retryable(result, safe):
    """Whether a command's result calls for sending it again (the same rule as on REST)."""
    return result.error is not None and result.error.may_send_again(safe)


def warning_text(record):
    message = getattr(record, "message", None)
    if message is None:
        message = _properties(record).get("InformationalRecord_Message")
    return str(message) if message is not None else str(record)


class PsrpSettings(object):
    """Validated psrp_* options (see _connection.psrp_settings)."""

    def __init__(self, server, port, username, password, auth, ssl, cert_validation, configuration_name,
                 organization, app_id, certificate_thumbprint, timeout, certificate_path=None,
                 certificate_key_path=None, path="wsman", exchange_environment=None):
        self.server = server
        self.port = port
        self.username = username
        self.password = password
        self.auth = auth
        self.ssl = ssl
        self.cert_validation = cert_validation
        self.configuration_name = configuration_name
        self.organization = organization
        self.app_id = app_id
        self.certificate_thumbprint = certificate_thumbprint
        self.timeout = timeout
        self.certificate_path = certificate_path
        self.certificate_key_path = certificate_key_path
        self.path = path
        self.exchange_environment = exchange_environment  # -ExchangeEnvironmentName; None: O365Default
        self.organization_resolved = False

    @property
    def management_host(self):
        return self.configuration_name.lower() == MANAGEMENT_HOST

    @property
    def needs_initial_domain(self):
        """Whether -Organization must first be turned into the tenant's initial domain (through Graph)."""
        return bool(self.management_host and self.app_id and self.organization and not self.organization_resolved
                    and not is_initial_domain(self.organization, self.exchange_environment))

    def connect_parameters(self):
        """Connect-ExchangeOnline's parameters (name, value) for app-only sign-in with the certificate."""
        pairs = [("AppId", self.app_id), ("CertificateThumbprint", self.certificate_thumbprint),
                 ("Organization", self.organization)]
        if self.exchange_environment:
            pairs.append(("ExchangeEnvironmentName", self.exchange_environment))
        pairs.append(("ShowBanner", False))
        return pairs

    def wsman_kwargs(self):
        kwargs = dict(port=self.port, username=self.username, password=self.password, ssl=self.ssl,
                      auth=self.auth, cert_validation=self.cert_validation, path=self.path,
                      connection_timeout=self.timeout, read_timeout=self.timeout + 30,
                      operation_timeout=min(self.timeout, 60))
        if self.auth == "certificate":
            kwargs.update(certificate_pem=self.certificate_path, certificate_key_pem=self.certificate_key_path)
        if not self.ssl and self.auth in ("basic", "certificate"):
            # pypsrp encrypts WinRM messages only with negotiate, kerberos, ntlm and credssp.
            kwargs["encryption"] = "never"
        return kwargs


async def resolve_organization(settings, graph):
    """Turn a management host's organization into the tenant's initial domain, in place.

    Connect-ExchangeOnline -Organization takes the tenant's primary (initial) .onmicrosoft
    domain. A tenant GUID or another verified (vanity) domain is looked up in
    ``GET /organization?$select=id,verifiedDomains`` (Organization.Read.All or
    Directory.Read.All) of the connection's tenant, and refused when it is not that tenant's.
    Runs before any Exchange cmdlet, so nothing is written with an organization that cannot work.
    """
    if not settings.needs_initial_domain:
        return settings.organization
    given = settings.organization
    operation = "Find the initial domain of exchange_organization %s for Connect-ExchangeOnline" % given
    body = await graph.get("/organization", params={"$select": "id,verifiedDomains"}, operation=operation,
                           permission=ORGANIZATION_PERMISSION)
    organizations = (body or {}).get("value") or []
    org = organizations[0] if organizations else {}
    domains = [d for d in org.get("verifiedDomains") or [] if isinstance(d, dict) and d.get("name")]
    names = [str(d["name"]).lower() for d in domains]
    if given.lower() != str(org.get("id") or "").lower() and given.lower() not in names:
        raise ConfigurationError(
            "exchange_organization %s is neither the ID nor a verified domain of the tenant the connection signs in "
            "to (%s): give that tenant's initial domain, such as contoso.onmicrosoft.com" % (given, org.get("id")),
            option="exchange_organization")
    initial = [str(d["name"]) for d in domains if d.get("isInitial") is True]
    if not initial:
        raise ConfigurationError(
            "Microsoft Graph lists no initial domain for tenant %s: set exchange_organization to its "
            ".onmicrosoft domain" % org.get("id"), option="exchange_organization")
    settings.organization = initial[0]
    settings.organization_resolved = True
    return settings.organization


class PsrpExchangeClient(object):
    """Exchange cmdlets in one remote runspace for one module run; same interface as ExchangeClient."""

    def __init__(self, settings, wsman_factory=None, pool_factory=None):
        self.settings = settings
        self._wsman_factory = wsman_factory or (lambda s: WSMan(s.server, **s.wsman_kwargs()))
        self._pool_factory = pool_factory or (lambda wsman, name: RunspacePool(wsman, configuration_name=name))
        self._pool = None
        self._lock = asyncio.Lock()

    # -- runspace ----------------------------------------------------------------------------
    def _open(self):
        if self._pool is not None:
            return self._pool
        settings = self.settings
        if settings.needs_initial_domain:
            # resolve_organization did not run: a GUID or vanity domain is never sent as -Organization.
            raise ConfigurationError("exchange_organization %r is not the tenant's initial domain; it must be "
                                     "resolved first (resolve_organization)" % settings.organization,
                                     option="exchange_organization")
        target = "%s:%s (%s)" % (settings.server, settings.port, settings.configuration_name)
        try:
            pool = self._pool_factory(self._wsman_factory(settings), settings.configuration_name)
            pool.open()
        except PsrpAuthenticationError as exc:
            raise AuthenticationError("PowerShell remoting refused the credentials of psrp_username (%s)" % exc,
                                      operation="Open runspace", target=target)
        except WinRMTransportError as exc:
            if getattr(exc, "code", None) == 401:
                raise AuthenticationError("PowerShell remoting refused the credentials of psrp_username (HTTP 401)",
                                          operation="Open runspace", target=target, status=401)
            raise TransportError("PowerShell remoting failed: %s" % exc, operation="Open runspace", target=target)
        except WinRMError as exc:  # WSManFaultError among others
            raise ServiceError("PowerShell remoting refused the runspace: %s" % exc, operation="Open runspace",
                               target=target)
        except (RequestException, OSError) as exc:
            raise TransportError("cannot reach the PowerShell remoting endpoint: %s" % exc,
                                 operation="Open runspace", target=target)
        self._pool = pool
        if settings.management_host and settings.app_id:
            result = self._run([("Connect-ExchangeOnline", settings.connect_parameters())])[0]
            if result.error is not None:
                # Without a connection no Exchange cmdlet exists in the runspace: do not keep it.
                self._close()
                raise AuthenticationError("the management host could not sign in to Exchange Online as app %s: %s"
                                          % (settings.app_id, result.error.describe()),
                                          operation="Connect-ExchangeOnline", target=settings.organization,
                                          code=result.error.exception or None, service_message=result.error.text)
        return pool

    def _close(self):
        if self._pool is not None:
            try:
                self._pool.close()
            except Exception:  # pylint: disable=broad-except
                pass  # the module's result is already decided; the server ends an idle runspace itself
            self._pool = None

    async def close(self):
        async with self._lock:
            await asyncio.to_thread(self._close)

    async def _call(self, writes, function, *args):
        async with self._lock:
            return await asyncio.to_thread(self._guarded, writes, function, *args)

    def _guarded(self, writes, function, *args):
        self._open()
        try:
            return function(*args)
        except (WinRMError, RequestException, OSError) as exc:
            # The runspace may be gone with the connection: the next call opens a new one.
            self._close()
            if writes:
                raise OutcomeUnknownError(
                    "PowerShell remoting failed while changes were being made (%s); some may have been applied: "
                    "run the task again (it only changes what still differs)" % exc, operation="Run cmdlets",
                    target=self.settings.server)
            raise TransportError("PowerShell remoting failed: %s" % exc, operation="Run cmdlets",
                                 target=self.settings.server)

    # -- one cmdlet --------------------------------------------------------------------------
    async def invoke(self, cmdlet, parameters=None, select=None, target=None, safe=None):
        """Run one cmdlet (its output trimmed to ``select`` by Select-Object). Raises the typed error."""
        pairs = marshal(cmdlet, parameters)
        if safe is None:
            safe = cmdlet.startswith("Get-")
        attempt = 0
        while True:
            result = await self._call(not cmdlet.startswith("Get-"), self._invoke_one, cmdlet, pairs,
                                      list(select or []))
            attempt += 1
            if not (retryable(result, safe) and attempt < MAX_ATTEMPTS):
                break
            await asyncio.sleep(retry_after_seconds(None, attempt))
        if result.error is not None:
            result.error.raise_error(cmdlet, target or (parameters or {}).get("Identity"))
        return result

    def _invoke_one(self, cmdlet, pairs, select):
        ps = PowerShell(self._pool)
        ps.add_cmdlet(cmdlet)
        for name, value in pairs:
            ps.add_parameter(name, value)
        if select:
            ps.add_cmdlet("Select-Object").add_parameter("Property", select)
        output = ps.invoke()
        values, warnings, errors = [], [warning_text(w) for w in ps.streams.warning], []
        for item in output:
            self._sort(item, values, warnings, errors)
        errors.extend(error_from_record(record) for record in ps.streams.error)
        return CmdletResult(values, warnings, errors[0] if errors else None)

    @staticmethod
    def _sort(item, values, warnings, errors):
        if is_error_record(item):
            errors.append(error_from_record(item))
        elif is_warning_record(item):
            warnings.append(warning_text(item))
        else:
            values.append(to_plain(item))

    # -- many cmdlets --------------------------------------------------------------------------
    async def invoke_many(self, commands, operation="Exchange batch", idempotent=False):
        """Run (cmdlet, parameters) pairs, many per pipeline; one CmdletResult per command, in order.

        Failures are returned, not raised. A throttled command is run again after a back-off;
        another transient failure only for Get- cmdlets or when ``idempotent`` (the commands set
        absolute values). ``operation`` is accepted for the REST client's interface.
        """
        prepared = [(cmdlet, marshal(cmdlet, parameters)) for cmdlet, parameters in commands]
        results = [None] * len(prepared)
        attempts = [0] * len(prepared)
        pending = list(range(len(prepared)))
        while pending:
            again = []
            while pending:
                chunk = pending[:STATEMENTS_PER_PIPELINE]
                writes = any(not prepared[index][0].startswith("Get-") for index in chunk)
                try:
                    done = await self._call(writes, self._run_chunk, prepared, chunk, results)
                except OutcomeUnknownError as exc:
                    # Lost while writing: these commands are not run again blindly; the caller
                    # verifies them by reading back (status 0 is an unknown outcome, as on REST).
                    for index in chunk:
                        results[index] = CmdletResult(error=CmdletError(0, "outcomeUnknown", "", exc.message, None))
                    pending = pending[len(chunk):]
                    continue
                for index in chunk[:done]:
                    attempts[index] += 1
                    safe = idempotent or prepared[index][0].startswith("Get-")
                    if retryable(results[index], safe) and attempts[index] < MAX_ATTEMPTS:
                        again.append(index)
                pending = chunk[done:] + pending[len(chunk):]
            if again:
                # Throttled or transient answers: once more after a back-off, in one pipeline.
                await asyncio.sleep(retry_after_seconds(None, max(attempts[index] for index in again)))
            pending = again
        return results

    def _run_chunk(self, prepared, chunk, results):
        """Run ``chunk`` (indices) as one pipeline; fill ``results``; return how many statements ran."""
        answers = self._run([prepared[index] for index in chunk])
        for index, answer in zip(chunk, answers):
            results[index] = answer
        return len(answers)

    def _run(self, commands):
        """Statements with merged streams and markers; the results of those that ran (at least one)."""
        run_id = uuid.uuid4().hex
        ps = PowerShell(self._pool)
        for position, (cmdlet, pairs) in enumerate(commands):
            ps.add_cmdlet(cmdlet)
            for name, value in pairs:
                ps.add_parameter(name, value)
            ps.merge_error("output")
            ps.merge_warning("output")
            ps.add_statement()
            ps.add_cmdlet("Select-Object").add_parameter("InputObject", "%s%s:%d" % (MARKER_PREFIX, run_id, position))
            ps.add_statement()
        output = ps.invoke()
        markers = dict(("%s%s:%d" % (MARKER_PREFIX, run_id, position), position) for position in range(len(commands)))
        results = []
        values, warnings, errors = [], [], []
        for item in output:
            if isinstance(item, str) and item in markers:
                results.append(CmdletResult(values, warnings, errors[0] if errors else None))
                values, warnings, errors = [], [], []
                continue
            self._sort(item, values, warnings, errors)
        stream_errors = [error_from_record(record) for record in ps.streams.error]
        if len(results) < len(commands):
            # A terminating error ended the pipeline in this statement; later ones did not run.
            errors.extend(stream_errors)
            if not errors:
                errors.append(CmdletError(500, "PipelineStopped", "PipelineStopped",
                                          "the pipeline ended before this command completed", None))
            results.append(CmdletResult(values, warnings, errors[0]))
        elif stream_errors:
            # An error that reached the error stream unmerged cannot be placed: rerun the commands
            # with no output one by one so that each gets its own answer.
            for position, result in enumerate(results):
                if result.ok and not result.values and not result.warnings:
                    results[position] = self._invoke_one(commands[position][0], commands[position][1], [])
        return results
