"""PowerShell remoting (MS-PSRP) host behind the /wsman endpoint, serving the Exchange cmdlets.

Each WS-Management shell is a psrpcore ``ServerRunspacePool``; each Command is a
``ServerPipeline`` whose commands run here against the simulator's store, with the same
cmdlet table (exo_cmdlets.py) as the REST endpoint, so both transports see one tenant.

Two session configurations, as in production:

* ``Microsoft.PowerShell`` -- a Windows management host with the ExchangeOnlineManagement
  module: Exchange cmdlets exist only after ``Connect-ExchangeOnline -AppId
  -CertificateThumbprint -Organization`` names an app registration whose certificate is
  installed (one of the simulator's apps, by its certificate's SHA-1 thumbprint); before it,
  they are not recognized (CommandNotFoundException).
* ``Microsoft.Exchange`` -- an on-premises Exchange server's endpoint (no-language mode): the
  cmdlets are there at once, run as the WinRM account (an Exchange administrator).

PowerShell semantics modelled: parameter binding failures, unknown commands and scripts are
terminating (the pipeline fails with the error record, later statements do not run); cmdlet
failures such as an unknown identity are non-terminating error records (the statement goes on,
and so does the next one); ``2>&1`` / ``3>&1`` (MergeError / MergeWarning to Output) move those
records into the output stream in order; ``Select-Object`` picks properties of piped objects or
passes ``-InputObject`` through. Objects are sent as their Exchange type (deserialized on the
client), GUID properties as System.Guid.

The two hosts differ the way the real ones do:

* Errors. On the management host the ExchangeOnlineManagement v3 module writes a cmdlet's
  error itself (Write-ErrorMessage): the exception is a plain System.Exception whose message
  is ``<id>|<exception type>|<text>``, the CategoryInfo ``NotSpecified: (:) [<cmdlet>],
  <exception>``, the FullyQualifiedErrorId ``[Server=...,RequestId=...,TimeStamp=...]
  [FailureCategory=Cmdlet-<exception>] <id>,Write-ErrorMessage``. On-premises Exchange sends
  the typed exception with the bare text and an id ``<hex>,Microsoft.Exchange.Management.<ns>.<Task>``.
* Properties. The v3 module builds its objects from the REST answer (note properties, sent as
  extended properties); an on-premises server's objects are .NET objects (adapted
  properties). The ``psrp_properties`` knob (auto, adapted, extended) forces one form.
* Connect-ExchangeOnline checks -ExchangeEnvironmentName against the tenant's cloud (the
  ``exchange_environment`` knob, O365Default by default) and takes -Organization as the
  tenant's initial .onmicrosoft.com domain.
"""
import hashlib
import threading
import time
import uuid

from psrpcore import ServerPipeline, ServerRunspacePool
from psrpcore.types import (
    ErrorCategory,
    ErrorCategoryInfo,
    ErrorRecord,
    NETException,
    PSList,
    PSNoteProperty,
    PSObject,
    PipelineResultTypes,
    PSInvocationState,
    WarningRecord,
    add_note_property,
)
from psrpcore._payload import PSRPPayload, StreamType

from .apps import APPS, DEFAULT_DOMAIN, INITIAL_DOMAIN, MAIL_ROUTING_DOMAIN, ROLE_EXCHANGE_ADMIN, TENANT_ID
from .exo_cmdlets import CMDLETS
from .exo_objects import EXO_DC, CmdletError
from .wsman import ERROR_INVALID_SELECTORS, WSManFault

CONFIG_MANAGEMENT = "microsoft.powershell"
CONFIG_EXCHANGE = "microsoft.exchange"
GUID_PROPERTIES = ("Guid", "ExchangeGuid", "ArchiveGuid")
TYPE_NAMES = {
    "Get-Mailbox": "Microsoft.Exchange.Data.Directory.Management.Mailbox",
    "Get-CASMailbox": "Microsoft.Exchange.Data.Directory.Management.CASMailbox",
    "Get-EXOCasMailbox": "Microsoft.Exchange.Data.Directory.Management.CASMailbox",
    "Get-CASMailboxPlan": "Microsoft.Exchange.Data.Directory.Management.CASMailboxPlan",
    "Get-TransportConfig": "Microsoft.Exchange.Data.Directory.SystemConfiguration.TransportConfigContainer",
}
EXCEPTION_TYPES = {
    "ManagementObjectNotFoundException": "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
    "ManagementObjectAmbiguousException": "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException",
    "ParameterBindingException": "System.Management.Automation.ParameterBindingException",
    "CommandNotFoundException": "System.Management.Automation.CommandNotFoundException",
}
CATEGORIES = {
    "ManagementObjectNotFoundException": ErrorCategory.NotSpecified,
    "ParameterBindingException": ErrorCategory.InvalidArgument,
    "CommandNotFoundException": ErrorCategory.ObjectNotFound,
    "UnauthorizedAccessException": ErrorCategory.PermissionDenied,
}
# The .NET namespace of each cmdlet's task class (on-premises FullyQualifiedErrorId).
TASK_NAMESPACES = {
    "Get-TransportConfig": "Microsoft.Exchange.Management.SystemConfigurationTasks",
    "Set-TransportConfig": "Microsoft.Exchange.Management.SystemConfigurationTasks",
}
# Connect-ExchangeOnline -ExchangeEnvironmentName: the values of its ExchangeEnvironment enum.
EXCHANGE_ENVIRONMENTS = ("O365Default", "O365GermanyCloud", "O365China", "O365USGovGCCHigh", "O365USGovDoD")
EXO_SERVER = "NAMPR12MB0001"
MULTI_VALUED = ("Microsoft.Exchange.Data.MultiValuedProperty`1[[System.String, mscorlib, Version=4.0.0.0, "
                "Culture=neutral, PublicKeyToken=b77a5c561934e089]]")
NO_LANGUAGE = ("The syntax is not supported by this runspace. This can occur if the runspace is in no-language "
               "mode.")


class Terminating(Exception):
    """A terminating error: the pipeline fails with this record."""

    def __init__(self, record):
        super().__init__(str(record.Exception.Message))
        self.record = record


class Actor:
    """Who the cmdlets run as: an app (management host) or the WinRM account (on-premises)."""

    def __init__(self, name, wids):
        self.name = name
        self.wids = set(wids)


def _full_exception_type(exception):
    return EXCEPTION_TYPES.get(exception, "Microsoft.Exchange.Configuration.Tasks.%s" % exception)


def _server_prefix(exception):
    return "[Server=%s,RequestId=%s,TimeStamp=%s] [FailureCategory=Cmdlet-%s]" % (
        EXO_SERVER, uuid.uuid4(), time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()), exception)


def error_record(exception, text, error_id, cmdlet, target=None):
    """A PowerShell error record (parameter binding, unknown command, script, sign-in failures)."""
    exc = NETException(Message=text)
    exc.PSObject.type_names = [_full_exception_type(exception), "System.Exception", "System.Object"]
    category = CATEGORIES.get(exception, ErrorCategory.NotSpecified)
    fq_id = "%s,%s" % (error_id, cmdlet) if cmdlet else error_id
    return ErrorRecord(Exception=exc,
                       CategoryInfo=ErrorCategoryInfo(Category=category, Reason=exception,
                                                      TargetName=str(target) if target is not None else None,
                                                      Activity=cmdlet),
                       TargetObject=target, FullyQualifiedErrorId=fq_id)


def on_premises_error(exception, text, cmdlet, target=None):
    """A cmdlet's error as an on-premises Exchange server sends it: the typed exception, the bare
    text, and ``[Server=...] [FailureCategory=Cmdlet-<type>] <hex>,<task class>``."""
    exc = NETException(Message=text)
    exc.PSObject.type_names = [_full_exception_type(exception), "System.Exception", "System.Object"]
    namespace = TASK_NAMESPACES.get(cmdlet, "Microsoft.Exchange.Management.RecipientTasks")
    hex_id = hashlib.sha1(("%s|%s" % (exception, cmdlet)).encode()).hexdigest()[:8].upper()
    fq_id = "%s %s,%s.%s" % (_server_prefix(exception), hex_id, namespace, cmdlet.replace("-", ""))
    return ErrorRecord(Exception=exc,
                       CategoryInfo=ErrorCategoryInfo(Category=CATEGORIES.get(exception, ErrorCategory.NotSpecified),
                                                      Reason=exception,
                                                      TargetName=str(target) if target is not None else None,
                                                      Activity=cmdlet),
                       TargetObject=target, FullyQualifiedErrorId=fq_id)


def exchange_online_error(exception, text, error_id, cmdlet):
    """A cmdlet's error as the ExchangeOnlineManagement v3 module writes it (Write-ErrorMessage):
    a System.Exception with ``<id>|<full type>|<text>``, CategoryInfo ``NotSpecified: (:)
    [<cmdlet>], <type>``, FullyQualifiedErrorId ``[Server=...] [FailureCategory=Cmdlet-<type>]
    <id>,Write-ErrorMessage``."""
    exc = NETException(Message="%s|%s|%s" % (error_id, _full_exception_type(exception), text))
    exc.PSObject.type_names = ["System.Exception", "System.Object"]
    return ErrorRecord(Exception=exc,
                       CategoryInfo=ErrorCategoryInfo(Category=ErrorCategory.NotSpecified, Reason=exception,
                                                      TargetName="", Activity=cmdlet),
                       TargetObject=None,
                       FullyQualifiedErrorId="%s %s,Write-ErrorMessage" % (_server_prefix(exception), error_id))


def command_not_found(name):
    return error_record("CommandNotFoundException",
                        "The term '%s' is not recognized as a name of a cmdlet, function, script file, or executable "
                        "program. Check the spelling of the name, or if a path was included, verify that the path is "
                        "correct and try again." % name, "CommandNotFoundException", None, name)


def ps_value(value, name=None, adapted=False):
    """A JSON value of the simulator as the .NET value Exchange would serialize."""
    if isinstance(value, str) and name in GUID_PROPERTIES:
        try:
            return uuid.UUID(value)
        except ValueError:
            return value
    if isinstance(value, list):
        items = [ps_value(v, adapted=adapted) for v in value]
        if not adapted:
            return items
        # A .NET object's multi-valued property is Exchange's MultiValuedProperty, a list of a
        # type the client does not know.
        collection = PSList(items)
        collection.PSObject.type_names = [MULTI_VALUED, "Microsoft.Exchange.Data.MultiValuedPropertyBase",
                                          "System.Object"]
        return collection
    if isinstance(value, dict):
        return ps_object(value, ["System.Collections.Hashtable"], adapted)
    return value


def ps_object(values, type_names, adapted=False):
    """An object whose values are adapted properties (a .NET object's own, as on-premises Exchange
    sends them) or extended note properties (a PSCustomObject, as the v3 module builds them)."""
    obj = PSObject()
    obj.PSObject.type_names = list(type_names) + ["System.Object"]
    for key, value in values.items():
        if adapted:
            obj.PSObject.adapted_properties.append(PSNoteProperty(key, ps_value(value, key, adapted)))
        else:
            add_note_property(obj, key, ps_value(value, key, adapted))
    return obj


def object_values(obj):
    """The values of a PSObject, adapted and extended (extended wins, as in PowerShell)."""
    values = dict((p.name, p.get_value(obj)) for p in obj.PSObject.adapted_properties)
    values.update((p.name, p.get_value(obj)) for p in obj.PSObject.extended_properties)
    return values


def plain(value):
    """A deserialized PSRP value as plain Python (str/int/bool/None/list/dict)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return dict((str(k), plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return str(value)


class Shell:
    """One runspace pool: its session configuration, connection state and pipelines."""

    def __init__(self, host, shell_id, configuration):
        self.host = host
        self.id = shell_id
        self.configuration = configuration
        self.pool = ServerRunspacePool()
        self.lock = threading.Lock()
        self.actor = Actor("exchange-onprem-admin", [ROLE_EXCHANGE_ADMIN]) \
            if configuration == CONFIG_EXCHANGE else None
        self.pending = {}       # pipeline id (str upper) or None -> [bytes]
        self.finished = set()
        self.pipelines = {}

    # -- transport ---------------------------------------------------------------------------
    def feed(self, data, pipeline_id=None):
        self.pool.receive_data(PSRPPayload(data, StreamType.default, pipeline_id))
        while True:
            event = self.pool.next_event()
            if event is None:
                break
            name = type(event).__name__
            if name == "CreatePipelineEvent":
                self.run(self.pool.pipeline_table[event.pipeline_id])
        self.drain()

    def drain(self):
        while True:
            payload = self.pool.data_to_send()
            if payload is None:
                return
            key = str(payload.pipeline_id).upper() if payload.pipeline_id else None
            self.pending.setdefault(key, []).append(payload.data)

    def command(self, command_id, data):
        with self.lock:
            pipeline_id = uuid.UUID(command_id)
            self.pipelines[command_id.upper()] = ServerPipeline(self.pool, pipeline_id)
            self.feed(data, pipeline_id)

    def send(self, command_id, data):
        with self.lock:
            self.feed(data, uuid.UUID(command_id) if command_id else None)

    def receive(self, command_id):
        with self.lock:
            key = command_id.upper() if command_id else None
            chunks = self.pending.pop(key, [])
            done = key in self.finished
            return chunks, done

    def signal(self, command_id):
        with self.lock:
            if command_id:
                pipeline = self.pipelines.pop(command_id.upper(), None)
                if pipeline is not None and pipeline.state == PSInvocationState.Running:
                    pipeline.stop()
                    self.drain()
                self.pending.pop(command_id.upper(), None)
                self.finished.discard(command_id.upper())

    # -- execution -----------------------------------------------------------------------------
    def run(self, pipeline):
        pipeline.start()
        statements, current = [], []
        for command in pipeline.metadata.commands:
            current.append(command)
            if command.end_of_statement:
                statements.append(current)
                current = []
        if current:
            statements.append(current)
        try:
            for statement in statements:
                self.run_statement(pipeline, statement)
        except Terminating as exc:
            pipeline._change_state(PSInvocationState.Failed, error=exc.record)
        else:
            pipeline.complete()
        self.drain()
        self.finished.add(str(pipeline.pipeline_id).upper())

    def run_statement(self, pipeline, commands):
        objects = None
        for command in commands:
            objects = self.run_command(pipeline, command, objects)
        for obj in objects or []:
            pipeline.write_output(obj)

    def run_command(self, pipeline, command, piped):
        name = str(command.command_text)
        if command.is_script:
            raise Terminating(error_record("ParseException", NO_LANGUAGE, "ScriptsNotAllowed", None, name))
        parameters = {}
        for key, value in command.parameters:
            if key is None:
                raise Terminating(error_record(
                    "ParameterBindingException", "A positional parameter cannot be found that accepts argument "
                    "'%s'." % plain(value), "PositionalParameterNotFound", name))
            parameters[str(key)] = plain(value)
        merge_error = command.merge_error == PipelineResultTypes.Output or \
            command.merge_my == PipelineResultTypes.Error and command.merge_to == PipelineResultTypes.Output
        merge_warning = command.merge_warning == PipelineResultTypes.Output
        out = []

        def error(record):
            if merge_error:
                out.append(record)
            else:
                pipeline.write_error(record.Exception, record.CategoryInfo, record.TargetObject,
                                     record.FullyQualifiedErrorId)

        def warning(text):
            if merge_warning:
                # What PowerShell's serializer sends for a WarningRecord in the output stream.
                record = WarningRecord.ToPSObjectForRemoting(WarningRecord(Message=text))
                record.PSObject.type_names = ["System.Management.Automation.WarningRecord",
                                              "System.Management.Automation.InformationalRecord", "System.Object"]
                out.append(record)
            else:
                pipeline.write_warning(text)

        lowered = name.lower()
        if lowered == "select-object":
            out.extend(self.select_object(parameters, piped))
            return out
        if lowered == "connect-exchangeonline" and self.configuration == CONFIG_MANAGEMENT:
            self.connect(parameters, name)
            return out
        cmdlet = CMDLETS.get(lowered)
        if cmdlet is None or self.actor is None or not (self.actor.wids & cmdlet.roles):
            raise Terminating(command_not_found(name))
        if piped:
            raise Terminating(error_record("ParameterBindingException", "The input object cannot be bound to any "
                                           "parameters for the command.", "InputObjectNotBound", cmdlet.name))
        try:
            bound = cmdlet.bind(parameters)
        except CmdletError as exc:
            raise Terminating(error_record(exc.exception, exc.text, exc.error_id, cmdlet.name))
        target = parameters.get("Identity")
        sim = self.host.sim
        try:
            with sim.store.lock:
                result = cmdlet.run_fn(_Ctx(sim, self.actor), bound)
                rendered = result.page(0, len(result.objects))
        except CmdletError as exc:
            if self.configuration == CONFIG_MANAGEMENT:
                error(exchange_online_error(exc.exception, exc.text, exc.error_id, cmdlet.name))
            else:
                error(on_premises_error(exc.exception, exc.text, cmdlet.name, target))
            return out
        if cmdlet.write:
            sim.stats.note_write()
            if result.changed:
                sim.store.mark_dirty()
        type_name = TYPE_NAMES.get(cmdlet.name, "Microsoft.Exchange.Data.Directory.ADObject")
        adapted = self.adapted_properties()
        out.extend(ps_object(obj, [type_name], adapted) for obj in rendered)
        for text in result.warnings:
            warning(text)
        return out

    def adapted_properties(self):
        """Whether objects carry their values as adapted properties (see the module docstring)."""
        kind = self.host.sim.config.get("psrp_properties") or "auto"
        if kind == "auto":
            return self.configuration == CONFIG_EXCHANGE
        return kind == "adapted"

    def select_object(self, parameters, piped):
        lowered = dict((k.lower(), v) for k, v in parameters.items())
        inputs = list(piped or [])
        if "inputobject" in lowered:
            inputs.append(lowered["inputobject"])
        wanted = lowered.get("property")
        if wanted is None:
            return inputs
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        selected = []
        for obj in inputs:
            if not isinstance(obj, PSObject):
                continue
            values = object_values(obj)
            by_lower = dict((k.lower(), k) for k in values)
            picked = PSObject()
            type_name = obj.PSObject.type_names[0].replace("Deserialized.", "")
            picked.PSObject.type_names = ["Selected." + type_name, "System.Management.Automation.PSCustomObject",
                                          "System.Object"]
            for name in wanted:
                key = by_lower.get(str(name).lower())
                add_note_property(picked, key or str(name), values.get(key) if key else None)
            selected.append(picked)
        return selected

    def connect(self, parameters, name):
        lowered = dict((k.lower(), v) for k, v in parameters.items())
        app_id = str(lowered.get("appid") or "")
        thumbprint = str(lowered.get("certificatethumbprint") or "").upper()
        organization = str(lowered.get("organization") or "")
        if not (app_id and thumbprint and organization):
            raise Terminating(error_record(
                "ParameterBindingException", "Connect-ExchangeOnline needs -AppId, -CertificateThumbprint and "
                "-Organization for app-only sign-in with a certificate.", "MissingMandatoryParameter", name))
        environment = str(lowered.get("exchangeenvironmentname") or "O365Default")
        known = dict((e.lower(), e) for e in EXCHANGE_ENVIRONMENTS)
        if environment.lower() not in known:
            raise Terminating(error_record(
                "ParameterBindingException", "Cannot bind parameter 'ExchangeEnvironmentName'. Cannot convert value "
                "\"%s\" to type \"Microsoft.Exchange.Management.RestApiClient.ExchangeEnvironment\". Error: "
                "\"Unable to match the identifier name %s to a valid enumerator name. Specify one of the following "
                "enumerator names and try again: %s\"" % (environment, environment, ", ".join(EXCHANGE_ENVIRONMENTS)),
                "CannotConvertArgumentNoMessage", name))
        tenant_environment = self.host.sim.config.get("exchange_environment") or "O365Default"
        if known[environment.lower()] != tenant_environment:
            # The module signs in at that environment's identity platform, which has no such tenant.
            raise Terminating(error_record(
                "AuthenticationException", "AADSTS90002: Tenant '%s' not found. Check to make sure you have the "
                "correct tenant ID and are signing into the correct cloud." % organization, "AADSTS90002", name))
        if organization.lower() in (TENANT_ID, DEFAULT_DOMAIN.lower(), MAIL_ROUTING_DOMAIN.lower()):
            # Microsoft's app-only sign-in article: "use the primary .onmicrosoft.com domain for your
            # organization as the value of the Organization parameter". (The cmdlet's reference page
            # also lists the tenant ID in recent versions; the sources disagree, so the simulator
            # holds to the stricter one and answers with a clear failure of its own wording.)
            raise Terminating(error_record(
                "ArgumentException", "The Organization parameter must be the primary .onmicrosoft.com domain of the "
                "organization (%s), not '%s'." % (INITIAL_DOMAIN, organization), "InvalidOrganization", name))
        if organization.lower() != INITIAL_DOMAIN.lower():
            raise Terminating(error_record(
                "AuthenticationException", "AADSTS90002: Tenant '%s' not found. Check to make sure you have the "
                "correct tenant ID and are signing into the correct cloud." % organization, "AADSTS90002", name))
        keys = self.host.sim.keys
        for app_name, app in APPS.items():
            if app.client_id.lower() != app_id.lower():
                continue
            if keys.app_credentials[app_name].thumbprint_hex != thumbprint:
                raise Terminating(error_record(
                    "CryptographicException", "Cannot find certificate with this thumbprint %s in the "
                    "certificate store." % thumbprint, "CertificateNotFound", name))
            if "Exchange.ManageAsApp" not in app.roles:
                raise Terminating(error_record(
                    "UnauthorizedAccessException", "The role assigned to application %s isn't supported in this "
                    "scenario. Please check online documentation for assigning correct Directory Roles to Azure AD "
                    "Application for EXO App-Only Authentication." % app.client_id, "AppOnlyRoleNotSupported", name))
            self.actor = Actor(app.name, app.wids)
            self.host.sim.stats.note_request("Connect-ExchangeOnline", 200, app.name)
            return
        raise Terminating(error_record(
            "AuthenticationException", "AADSTS700016: Application with identifier '%s' was not found in the "
            "directory '%s'." % (app_id, organization), "AADSTS700016", name))


class _Ctx:
    def __init__(self, sim, actor):
        self.sim = sim
        self.store = sim.store
        self.app = actor


class PsrpHost:
    """The shells of the /wsman endpoint and the WinRM account allowed to open them."""

    def __init__(self, sim, secret):
        self.sim = sim
        self.username = "exchange-admin@%s" % INITIAL_DOMAIN
        self.password = "Psrp-" + hashlib.sha256(("psrp:" + secret).encode()).hexdigest()[:24]
        self.shells = {}
        self.lock = threading.Lock()

    def create(self, shell_id, configuration, data):
        lowered = configuration.lower()
        if lowered not in (CONFIG_MANAGEMENT, CONFIG_EXCHANGE):
            raise WSManFault(2150858752, "The WS-Management service cannot process the request. Cannot find the %s "
                             "session configuration in the WSMan: drive on the localhost computer." % configuration,
                             subcode="w:InvalidSelectors")
        shell = Shell(self, shell_id, lowered)
        with shell.lock:
            shell.feed(data)
        with self.lock:
            self.shells[shell_id.upper()] = shell

    def shell(self, shell_id):
        with self.lock:
            shell = self.shells.get((shell_id or "").upper())
        if shell is None:
            raise WSManFault(ERROR_INVALID_SELECTORS, "The request for the Windows Remote Shell with ShellId %s "
                             "failed because the shell was not found on the server. Possible causes are: the "
                             "specified ShellId is incorrect or the shell no longer exists on the server. Provide "
                             "the correct ShellId or create a new shell and retry the operation." % shell_id,
                             subcode="w:InvalidSelectors", status=400)
        return shell

    def delete(self, shell_id):
        with self.lock:
            self.shells.pop((shell_id or "").upper(), None)


__all__ = ["PsrpHost", "EXO_DC"]
