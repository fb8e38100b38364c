"""Regenerate m365sim/schema_data.json from the reference OpenAPI subsets.

The simulator needs to know, for the Graph types it serves, which structural properties
exist, whether they are collections, nullable, enums or complex values. That information
comes from Microsoft's CSDL (via the OpenAPI subsets in ../reference). Loading the 1 MB
YAML at server start-up would cost more than a second, so the relevant facts are
extracted once into a compact JSON file that ships with the package.

Usage: python tests/simulator/tools/gen_schema_data.py
"""
import json
import os
import re

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "..", "reference")
OUT = os.path.join(HERE, "..", "m365sim", "schema_data.json")

ROOTS_V1 = [
    "microsoft.graph.user",
    "microsoft.graph.group",
    "microsoft.graph.organization",
    "microsoft.graph.device",
    "microsoft.graph.signIn",
    "microsoft.graph.conditionalAccessPolicy",
    "microsoft.graph.identitySecurityDefaultsEnforcementPolicy",
    "microsoft.graph.authenticationStrengthPolicy",
]
ROOTS_BETA = ["microsoft.graph.user", "microsoft.graph.strongAuthenticationRequirements"]


def load(name):
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(os.path.join(REF, name)) as fh:
        return yaml.load(fh, Loader=loader)


def ref_name(ref):
    return ref.split("/")[-1]


FILTER_RE = re.compile(r"Supports \$filter \(([^)]*)\)")


def capabilities(description):
    """Query capabilities stated in the CSDL description text (e.g. 'Supports $filter (eq, ne,
    not, ge, le, in, startsWith, and eq on null values), $orderby, and $search.')."""
    out = {}
    m = FILTER_RE.search(description)
    if m:
        text = m.group(1).lower()
        ops = set()
        for word in ("eq", "ne", "not", "ge", "le", "in", "startswith", "endswith"):
            if re.search(r"\b%s\b" % word, text):
                ops.add(word)
        if "null" in text:
            ops.add("null")
        if "/$count" in text:
            ops.add("count")
        out["filter"] = sorted(ops)
    if "$orderby" in description:
        out["orderby"] = True
    if "$search" in description:
        out["search"] = True
    if "returned by default" in description.lower():
        out["default"] = True
    return out


class Extractor:
    def __init__(self, spec):
        self.schemas = spec["components"]["schemas"]
        self.types = {}
        self.enums = {}
        self.derived = {}
        for name, schema in self.schemas.items():
            for part in schema.get("allOf", []):
                if "$ref" in part:
                    self.derived.setdefault(ref_name(part["$ref"]), []).append(name)

    def all_derived(self, name):
        out = []
        for child in self.derived.get(name, []):
            out.append(child)
            out.extend(self.all_derived(child))
        return out

    def prop_spec(self, node, pending):
        nullable = bool(node.get("nullable"))
        if "anyOf" in node:
            refs = [p for p in node["anyOf"] if "$ref" in p]
            nullable = nullable or any(p.get("enum") == [None] for p in node["anyOf"])
            inner = self.prop_spec(refs[0], pending) if refs else {"kind": "any"}
            inner["nullable"] = nullable
            return inner
        if "$ref" in node:
            name = ref_name(node["$ref"])
            target = self.schemas[name]
            if "enum" in target:
                self.enums[name] = {
                    "values": target["enum"],
                    "flags": bool(target.get("x-ms-enum-flags", {}).get("isFlags")),
                }
                return {"kind": "enum", "enum": name, "nullable": nullable}
            if target.get("type") in ("string", "number", "integer", "boolean") and "properties" not in target:
                return {"kind": "prim", "type": target["type"], "nullable": nullable}
            pending.append(name)
            return {"kind": "complex", "type": name, "nullable": nullable}
        if node.get("type") == "array":
            return {"kind": "array", "items": self.prop_spec(node.get("items", {}), pending)}
        if "oneOf" in node:
            return {"kind": "prim", "type": "number", "nullable": nullable}
        if not node:
            return {"kind": "any", "nullable": True}
        spec = {"kind": "prim", "type": node.get("type", "any"), "nullable": nullable}
        if node.get("format"):
            spec["format"] = node["format"]
        return spec

    def flatten(self, name):
        schema = self.schemas[name]
        props = {}
        parts = schema.get("allOf", [schema])
        for part in parts:
            if "$ref" in part:
                props.update(self.flatten(ref_name(part["$ref"])))
            else:
                for pname, pnode in part.get("properties", {}).items():
                    props[pname] = pnode
        return props

    def add(self, name):
        pending = [name]
        while pending:
            current = pending.pop()
            if current in self.types:
                continue
            raw = self.flatten(current)
            props = {}
            for pname, pnode in raw.items():
                if pname == "@odata.type":
                    continue
                if pnode.get("x-ms-navigationProperty"):
                    props[pname] = {"kind": "nav"}
                    continue
                props[pname] = self.prop_spec(pnode, pending)
                props[pname].update(capabilities(pnode.get("description", "")))
            self.types[current] = {"props": props, "derived": self.all_derived(current)}
            for child in self.derived.get(current, []):
                pending.append(child)


def main():
    result = {}
    for key, fname, roots in (
        ("v1.0", "graph-openapi-v1.0-subset.yaml", ROOTS_V1),
        ("beta", "graph-openapi-beta-subset.yaml", ROOTS_BETA),
    ):
        ext = Extractor(load(fname))
        for root in roots:
            ext.add(root)
        # The nav target is returned inline for CA grant controls; keep its own closure.
        result[key] = {"types": ext.types, "enums": ext.enums}
    with open(OUT, "w") as fh:
        json.dump(result, fh, separators=(",", ":"), sort_keys=True)
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
