"""PowerShell-style parameter binding for the Exchange cmdlets: parameter names matched
case-insensitively, values converted per parameter type with PowerShell's error texts
(ParameterBindingException), mandatory parameters, multi-valued add/remove hashtables."""
import re

from .exo_objects import CmdletError
from .util import GUID_RE


class CmdletResult:
    """Cmdlet output. ``objects`` may be store records with a ``render`` function, so that
    only the requested page is materialised (large tenants page through 1000s of objects)."""

    def __init__(self, objects=None, warnings=None, changed=False, render=None):
        self.objects = objects or []
        self.warnings = warnings or []
        self.changed = changed
        self.render = render

    def page(self, offset, size):
        chunk = self.objects[offset: offset + size]
        return [self.render(o) for o in chunk] if self.render else chunk


def binding_error(text, error_id="Ex1F2F44"):
    return CmdletError(400, "ParameterBindingException", text, error_id)


BOOL_HINT = "Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0."


def _ps_repr(value):
    if isinstance(value, str):
        return "System.String"
    if isinstance(value, list):
        return "System.Object[]"
    if isinstance(value, dict):
        return "System.Collections.Hashtable"
    return str(value)


class P:
    """A cmdlet parameter: canonical name, kind and options."""

    def __init__(self, name, kind, mandatory=False, choices=None, nullable=False, minimum=None, maximum=None,
                 type_name=None):
        self.name = name
        self.kind = kind
        self.mandatory = mandatory
        self.choices = choices
        self.nullable = nullable
        self.minimum = minimum
        self.maximum = maximum
        self.type_name = type_name

    def convert(self, value):
        n = self.name
        k = self.kind
        if k in ("bool", "nbool"):
            if value is None:
                if k == "nbool":
                    return None
                raise binding_error("Cannot process argument transformation on parameter '%s'. Cannot convert value "
                                    "\"\" to type \"System.Boolean\". %s" % (n, BOOL_HINT))
            if isinstance(value, bool):
                return value
            if isinstance(value, (int, float)):
                return value != 0
            raise binding_error("Cannot process argument transformation on parameter '%s'. Cannot convert value "
                                "\"%s\" to type \"System.Boolean\". %s" % (n, _ps_repr(value), BOOL_HINT))
        if k == "switch":
            if value is None or value is True or (isinstance(value, str) and value.lower() in ("true", "$true")):
                return True
            if value is False or (isinstance(value, str) and value.lower() in ("false", "$false")):
                return False
            if isinstance(value, (int, float)):
                return value != 0
            raise binding_error("Cannot process argument transformation on parameter '%s'. Cannot convert value "
                                "\"%s\" to type \"System.Management.Automation.SwitchParameter\"." % (n, _ps_repr(value)))
        if k == "identity":
            if value is None:
                if self.mandatory:
                    raise CmdletError(400, "ParameterBindingException",
                                      "Cannot validate argument on parameter '%s'. The argument is null. Provide a valid "
                                      "value for the argument, and then try running the command again." % n, "Ex2A4C3D")
                return None
            if isinstance(value, (dict, list)):
                raise binding_error("Cannot process argument transformation on parameter '%s'. Cannot convert the "
                                    "\"%s\" value of type \"%s\" to type \"%s\"." % (
                                        n, _ps_repr(value), _ps_repr(value), self.type_name or "System.String"))
            if isinstance(value, str) and value.strip() == "":
                raise CmdletError(400, "ParameterBindingException",
                                  "Cannot validate argument on parameter '%s'. The argument is null or empty. Provide "
                                  "an argument that is not null or empty, and then try the command again." % n,
                                  "Ex2A4C3D")
            return str(value) if not isinstance(value, bool) else str(value)
        if k in ("string", "nstring", "policy"):
            if value is None:
                if k == "string" and not self.nullable:
                    raise CmdletError(400, "ParameterBindingException",
                                      "Cannot validate argument on parameter '%s'. The argument is null or empty. "
                                      "Provide an argument that is not null or empty, and then try the command again."
                                      % n, "Ex2A4C3D")
                return None
            if isinstance(value, (dict, list)):
                raise binding_error("Cannot process argument transformation on parameter '%s'. Cannot convert "
                                    "\"%s\" to the type \"System.String\"." % (n, _ps_repr(value)))
            return str(value) if not isinstance(value, bool) else ("True" if value else "False")
        if k == "smtp":
            if value is None:
                return None
            if not isinstance(value, str) or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
                raise binding_error("Cannot process argument transformation on parameter '%s'. Cannot convert value "
                                    "\"%s\" to type \"Microsoft.Exchange.Data.SmtpAddress\". Error: \"The email "
                                    "address \"%s\" isn't correct. Please use this format: user name, the @ sign, "
                                    "followed by the domain name. For example, tonysmith@contoso.com or "
                                    "tony.smith@contoso.com.\"" % (n, value, value))
            return value
        if k == "int":
            if isinstance(value, bool) or value is None:
                raise binding_error("Cannot process argument transformation on parameter '%s'. Cannot convert value "
                                    "\"%s\" to type \"System.Int32\". Error: \"Input string was not in a correct "
                                    "format.\"" % (n, value))
            try:
                iv = int(value) if not isinstance(value, float) or value.is_integer() else None
            except (TypeError, ValueError):
                iv = None
            if iv is None:
                raise binding_error("Cannot process argument transformation on parameter '%s'. Cannot convert value "
                                    "\"%s\" to type \"System.Int32\". Error: \"Input string was not in a correct "
                                    "format.\"" % (n, value))
            if (self.minimum is not None and iv < self.minimum) or (self.maximum is not None and iv > self.maximum):
                raise CmdletError(400, "ParameterBindingException",
                                  "Cannot validate argument on parameter '%s'. The %d argument is %s than the "
                                  "%s allowed range of %d. Supply an argument that is %s than or equal to %d and "
                                  "then try the command again." % (
                                      n, iv, "less" if self.minimum is not None and iv < self.minimum else "greater",
                                      "minimum" if self.minimum is not None and iv < self.minimum else "maximum",
                                      self.minimum if self.minimum is not None and iv < self.minimum else self.maximum,
                                      "greater" if self.minimum is not None and iv < self.minimum else "less",
                                      self.minimum if self.minimum is not None and iv < self.minimum else self.maximum),
                                  "Ex2A4C3D")
            return iv
        if k == "resultsize":
            if isinstance(value, str) and value.strip().lower() == "unlimited":
                return None
            if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
                raise binding_error("Cannot process argument transformation on parameter 'ResultSize'. Cannot convert "
                                    "value \"%s\" to type \"Microsoft.Exchange.Data.Unlimited`1[System.UInt32]\". "
                                    "Error: \"The value \"%s\" isn't valid. Valid values are \"Unlimited\" or a "
                                    "positive integer.\"" % (value, value))
            iv = int(value)
            if iv < 1:
                raise CmdletError(400, "ParameterBindingException",
                                  "Cannot validate argument on parameter 'ResultSize'. The argument \"%d\" is not in "
                                  "the valid range of 1 to Unlimited." % iv, "Ex2A4C3D")
            return iv
        if k in ("enum", "enumarray"):
            items = value
            if k == "enumarray":
                if isinstance(value, str):
                    items = [x.strip() for x in value.split(",") if x.strip()]
                elif not isinstance(value, list):
                    items = [value]
            else:
                items = [value]
            out = []
            for item in items:
                if isinstance(item, int) and not isinstance(item, bool) and self.kind == "enum" and \
                        self.type_name == "Microsoft.Exchange.Data.Storage.MimeTextFormat" and 0 <= item < len(self.choices):
                    out.append(self.choices[item])
                    continue
                match = next((c for c in self.choices if isinstance(item, str) and c.lower() == item.lower()), None)
                if match is None:
                    if item is None and self.nullable:
                        out.append(None)
                        continue
                    raise binding_error(
                        "Cannot process argument transformation on parameter '%s'. Cannot convert value \"%s\" to type "
                        "\"%s\". Error: \"Unable to match the identifier name %s to a valid enumerator name. Specify "
                        "one of the following enumerator names and try again:\n%s\"" % (
                            n, item, self.type_name or "System.Enum", item, ", ".join(self.choices)))
                out.append(match)
            return out if k == "enumarray" else out[0]
        if k == "strarray":
            if value is None:
                return []
            if isinstance(value, str):
                return [x.strip() for x in value.split(",") if x.strip()]
            if isinstance(value, list) and all(isinstance(x, str) for x in value):
                return list(value)
            raise binding_error("Cannot process argument transformation on parameter '%s'. Cannot convert value "
                                "to type \"System.String[]\"." % n)
        if k == "multi":
            if value is None:
                return ("replace", [])
            if isinstance(value, dict):
                unknown = [key for key in value if key.lower() not in ("add", "remove", "@odata.type")]
                if unknown:
                    raise binding_error("Cannot process argument transformation on parameter '%s'. The hashtable "
                                        "key '%s' is not valid; use 'Add' or 'Remove'." % (n, unknown[0]))
                add = next((v for key, v in value.items() if key.lower() == "add"), None) or []
                remove = next((v for key, v in value.items() if key.lower() == "remove"), None) or []
                add = [add] if isinstance(add, str) else list(add)
                remove = [remove] if isinstance(remove, str) else list(remove)
                return ("addremove", [str(x) for x in add], [str(x) for x in remove])
            if isinstance(value, str):
                return ("replace", [value])
            if isinstance(value, list):
                return ("replace", [str(x) for x in value])
            raise binding_error("Cannot process argument transformation on parameter '%s'. Cannot convert value "
                                "\"%s\" to type \"Microsoft.Exchange.Data.MultiValuedProperty`1[System.String]\"."
                                % (n, value))
        if k == "guid":
            if not isinstance(value, str) or not GUID_RE.match(value):
                raise binding_error("Cannot process argument transformation on parameter '%s'. Cannot convert value "
                                    "\"%s\" to type \"System.Guid\". Error: \"Guid should contain 32 digits with 4 "
                                    "dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).\"" % (n, value))
            return value.lower()
        if k == "timespan":
            if not isinstance(value, str) or not re.match(r"^(\d+\.)?\d{1,2}:\d{2}:\d{2}$", value):
                raise binding_error("Cannot process argument transformation on parameter '%s'. Cannot convert value "
                                    "\"%s\" to type \"Microsoft.Exchange.Data.EnhancedTimeSpan\"." % (n, value))
            return value
        if k == "unlimited_int":
            if isinstance(value, str) and value.lower() == "unlimited":
                return "Unlimited"
            if isinstance(value, bool) or not isinstance(value, int):
                raise binding_error("Cannot process argument transformation on parameter '%s'. Cannot convert value "
                                    "\"%s\" to type \"Microsoft.Exchange.Data.Unlimited`1[System.Int32]\"." % (n, value))
            if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
                raise CmdletError(400, "ValidationException",
                                  "The value %d for '%s' is out of range. Valid values are %d to %d or Unlimited." % (
                                      value, n, self.minimum, self.maximum), "Ex5B2C11")
            return value
        if k == "raw":
            return value
        return value


COMMON_SWITCHES = (P("Confirm", "switch"), P("WhatIf", "switch"))


class Cmdlet:
    def __init__(self, name, params, run, write=False, roles=None):
        self.name = name
        self.params = {p.name.lower(): p for p in params}
        self.run_fn = run
        self.write = write
        self.roles = roles

    def bind(self, raw):
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise binding_error("The 'Parameters' of a cmdlet must be a JSON object of parameter names and values.")
        bound = {}
        for key, value in raw.items():
            pname = key.lstrip("-")
            p = self.params.get(pname.lower())
            if p is None:
                raise binding_error("A parameter cannot be found that matches parameter name '%s'." % pname, "Ex4AEB7C")
            if p.name in bound:
                raise binding_error("Cannot bind parameter because parameter '%s' is specified more than once. To "
                                    "provide multiple values to parameters that can accept multiple values, use the "
                                    "array syntax." % p.name)
            bound[p.name] = p.convert(value)
        missing = [p.name for p in self.params.values() if p.mandatory and p.name not in bound]
        if missing:
            raise binding_error("Cannot process command because of one or more missing mandatory parameters: %s."
                                % " ".join(missing), "Ex9C1D2E")
        return bound
