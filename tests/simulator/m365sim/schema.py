"""Graph type information (from schema_data.json, generated from the reference OpenAPI
subsets by tools/gen_schema_data.py) and schema-driven helpers:

* ``Catalog.props(type)``: structural properties of an entity type,
* ``default_value(spec)``: what Graph returns for an unset property ([] / null),
* ``Normalizer``: validates client input for complex values (conditional access) the
  way OData does and fills in server defaults (every array present, absent complex
  members null).
"""
import json
import os

_DATA = None

# Non-nullable primitives that Graph returns with fixed "empty" values.
SPECIAL_DEFAULTS = {
    "birthday": "0001-01-01T08:00:00Z",
    "hireDate": "0001-01-01T08:00:00Z",
    "deviceEnrollmentLimit": 5,
}


def _data():
    global _DATA
    if _DATA is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema_data.json")
        with open(path) as fh:
            _DATA = json.load(fh)
    return _DATA


class SchemaError(Exception):
    """Invalid client input; message follows OData's wording."""


class Catalog:
    def __init__(self, version):
        data = _data()
        self.version = version if version in data else "v1.0"
        self.types = data[self.version]["types"]
        self.enums = data[self.version]["enums"]
        # Types only present in v1.0 (CA etc.) are shared with beta handlers.
        if self.version != "v1.0":
            merged = dict(data["v1.0"]["types"])
            merged.update(self.types)
            self.types = merged
            enums = dict(data["v1.0"]["enums"])
            enums.update(self.enums)
            self.enums = enums

    def props(self, type_name):
        return self.types["microsoft.graph." + type_name]["props"]

    def structural(self, type_name):
        return [k for k, v in self.props(type_name).items() if v.get("kind") != "nav"]

    def has_type(self, type_name):
        return ("microsoft.graph." + type_name) in self.types


def default_value(name, spec):
    if spec.get("kind") == "array":
        return []
    if name in SPECIAL_DEFAULTS and not spec.get("nullable", True):
        return SPECIAL_DEFAULTS[name]
    return None


def edm_name(spec, type_full=None):
    kind = spec.get("kind")
    if kind == "prim":
        t = spec.get("type")
        fmt = spec.get("format")
        if fmt == "date-time":
            return "Edm.DateTimeOffset"
        if t == "boolean":
            return "Edm.Boolean"
        if t in ("number", "integer"):
            return "Edm.Int32" if fmt == "int32" else "Edm.Double"
        return "Edm.String"
    if kind == "enum":
        return spec["enum"]
    if kind == "complex":
        return spec["type"]
    if kind == "array":
        return "Collection(" + edm_name(spec["items"]) + ")"
    return "Edm.Untyped"


class Normalizer:
    """OData-style validation of a JSON value against a Graph complex/entity type."""

    def __init__(self, catalog, nav_handler=None, ignore=()):
        self.catalog = catalog
        self.nav_handler = nav_handler
        self.ignore = set(ignore)

    def normalize(self, type_full, value, path=""):
        if not isinstance(value, dict):
            raise SchemaError(
                "Cannot convert the literal '%s' to the expected type '%s'." % (_lit(value), type_full)
            )
        info = self.catalog.types.get(type_full)
        if info is None:
            raise SchemaError("Unknown type '%s'." % type_full)
        odata_type = value.get("@odata.type")
        if odata_type is not None:
            wanted = odata_type.lstrip("#")
            if wanted != type_full:
                if wanted not in info.get("derived", []) or wanted not in self.catalog.types:
                    raise SchemaError(
                        "A type named '%s' could not be resolved by the model. When a model is available, "
                        "each type name must resolve to a valid type." % wanted
                    )
                type_full = wanted
                info = self.catalog.types[wanted]
        props = info["props"]
        given = {}
        for key, raw in value.items():
            if key == "@odata.type" or "@" in key:
                continue
            if key in self.ignore and not path:
                continue
            spec = props.get(key)
            if spec is None:
                raise SchemaError(
                    "The property '%s' does not exist on type '%s'. Make sure to only use property names "
                    "that are defined by the type or mark the type as open type." % (key, type_full)
                )
            if spec.get("kind") == "nav":
                given[key] = self.nav_handler(type_full, key, raw) if self.nav_handler else raw
                continue
            given[key] = self.value(key, spec, raw)
        out = {}
        for key, spec in props.items():  # schema order, every member present
            if key in given:
                out[key] = given[key]
            elif spec.get("kind") != "nav":
                out[key] = default_value(key, spec)
        if info.get("derived") and odata_type is not None:
            out = {"@odata.type": "#" + type_full, **out}
        return out

    def value(self, name, spec, raw):
        kind = spec.get("kind")
        if raw is None:
            if kind == "array" or not spec.get("nullable", False):
                raise SchemaError(
                    "A null value was found for the property named '%s', which has the expected type '%s[Nullable=False]'. "
                    "The expected type '%s[Nullable=False]' does not allow null values."
                    % (name, edm_name(spec), edm_name(spec))
                )
            return None
        if kind == "array":
            if not isinstance(raw, list):
                raise SchemaError(
                    "An unexpected '%s' node was found when reading from the JSON reader. "
                    "A 'StartArray' node was expected." % _node(raw)
                )
            item_spec = dict(spec["items"])
            item_spec["nullable"] = False
            return [self.value(name, item_spec, item) for item in raw]
        if kind == "complex":
            return self.normalize(spec["type"], raw, name)
        if kind == "enum":
            enum = self.catalog.enums.get(spec["enum"], {"values": [], "flags": False})
            if not isinstance(raw, str):
                raise SchemaError("Cannot convert the literal '%s' to the expected type '%s'." % (_lit(raw), spec["enum"]))
            members = [m.strip() for m in raw.split(",")] if enum.get("flags") else [raw]
            for member in members:
                if member not in enum["values"]:
                    raise SchemaError(
                        "Cannot convert the literal '%s' to the expected type '%s'." % (raw, spec["enum"])
                    )
            return ",".join(members)
        if kind == "prim":
            t = spec.get("type")
            if t == "string":
                if not isinstance(raw, str):
                    raise SchemaError(
                        "Cannot convert the literal '%s' to the expected type 'Edm.String'." % _lit(raw)
                    )
                return raw
            if t == "boolean":
                if not isinstance(raw, bool):
                    raise SchemaError(
                        "Cannot convert the literal '%s' to the expected type 'Edm.Boolean'." % _lit(raw)
                    )
                return raw
            if t in ("number", "integer"):
                if isinstance(raw, bool) or not isinstance(raw, (int, float)):
                    raise SchemaError(
                        "Cannot convert the literal '%s' to the expected type '%s'." % (_lit(raw), edm_name(spec))
                    )
                return raw
        return raw


def _lit(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return json.dumps(value)[:80]
    return str(value)


def _node(value):
    if isinstance(value, dict):
        return "StartObject"
    return "PrimitiveValue"
