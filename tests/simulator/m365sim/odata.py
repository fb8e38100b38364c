"""OData query handling for the Graph directory collections.

* ``parse_options``: the system query options of a request (duplicates, unknown ``$``
  options, ``$top`` bounds, ``$skip`` refusal, ``$count``/ConsistencyLevel rules).
* ``parse_filter`` / ``check_filter`` / ``evaluate``: a recursive-descent ``$filter``
  parser (``eq ne gt ge lt le``, ``and or not``, ``in``, ``startswith/endswith``, lambda
  ``any``/``all``, parentheses, ``'..''..'`` string escaping, unquoted GUID/date-time
  literals) and a checker that enforces the per-property capabilities stated in the CSDL
  (which operators are allowed, and which need advanced query mode).
* ``parse_select`` / ``parse_orderby`` and opaque ``$skiptoken`` encoding.
"""
import hashlib
import json
import re
from urllib.parse import unquote

from .util import b64url_decode, b64url_encode, parse_iso


class QueryError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


KNOWN = ("$select", "$filter", "$top", "$skip", "$count", "$orderby", "$search", "$expand", "$skiptoken", "$format")


def parse_options(pairs, version="v1.0"):
    opts = {}
    for name, value in pairs:
        key = name.strip()
        low = key.lower()
        if not low.startswith("$"):
            if version == "beta" and ("$" + low) in KNOWN:
                low = "$" + low  # the '$' prefix is optional on beta
            else:
                continue
        if low not in KNOWN:
            raise QueryError(400, "BadRequest", "Query option '%s' is not supported." % key)
        if low in opts:
            raise QueryError(
                400, "BadRequest",
                "Query option '%s' was specified more than once, but it must be specified at most once." % key,
            )
        opts[low] = value
    return opts


def parse_top(opts, max_top=999):
    if "$top" not in opts:
        return None
    raw = opts["$top"].strip()
    try:
        top = int(raw)
    except ValueError:
        raise QueryError(400, "BadRequest",
                         "Invalid value '%s' for $top query option found. The $top query option requires a "
                         "non-negative integer value." % raw) from None
    if top < 1 or top > max_top:
        raise QueryError(400, "Request_UnsupportedQuery",
                         "Invalid page size specified: '%d'. Must be between 1 and %d inclusive." % (top, max_top))
    return top


def parse_count(opts):
    if "$count" not in opts:
        return False
    v = opts["$count"].strip().lower()
    if v not in ("true", "false"):
        raise QueryError(400, "BadRequest",
                         "'%s' is not a valid count option." % opts["$count"])
    return v == "true"


def parse_select(opts, valid_props, type_name, not_on_collection=(), collection=True):
    if "$select" not in opts or opts["$select"].strip() == "":
        return None
    out = []
    for raw in opts["$select"].split(","):
        name = raw.strip()
        if not name:
            continue
        if name == "*":
            return [p for p in valid_props if not (collection and p in not_on_collection)]
        match = next((p for p in valid_props if p.lower() == name.lower()), None)
        if match is None:
            raise QueryError(400, "BadRequest",
                             "Could not find a property named '%s' on type 'microsoft.graph.%s'." % (name, type_name))
        if collection and match in not_on_collection:
            raise QueryError(501, "NotImplemented",
                             "The '%s' property isn't supported when listing %ss; read it from a single %s instead."
                             % (match, type_name, type_name))
        if match not in out:
            out.append(match)
    return out


# ---------------------------------------------------------------------------------------
# $filter
# ---------------------------------------------------------------------------------------
TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<str>'(?:[^']|'')*')
  | (?P<dt>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)(?![\w-])
  | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_$][A-Za-z0-9_.$]*(?:/[A-Za-z_$][A-Za-z0-9_.$]*)*)
  | (?P<punct>[(),:])
    """,
    re.VERBOSE,
)
COMPARISON = ("eq", "ne", "gt", "ge", "lt", "le")
FUNCTIONS = ("startswith", "endswith", "contains")


def tokenize(text):
    pos, out = 0, []
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if not m:
            raise QueryError(400, "BadRequest",
                             "Invalid filter clause: Syntax error at position %d in '%s'." % (pos, text))
        kind = m.lastgroup
        value = m.group(kind)
        if kind != "ws":
            if kind == "str":
                out.append(("lit", value[1:-1].replace("''", "'")))
            elif kind == "dt":
                out.append(("lit", value))
            elif kind == "guid":
                out.append(("lit", value))
            elif kind == "num":
                out.append(("lit", float(value) if "." in value else int(value)))
            elif kind == "ident":
                low = value.lower()
                if low in ("true", "false"):
                    out.append(("lit", low == "true"))
                elif low == "null":
                    out.append(("lit", None))
                else:
                    out.append(("ident", value))
            else:
                out.append(("punct", value))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    def error(self, msg=None):
        raise QueryError(400, "BadRequest", msg or "Invalid filter clause: Syntax error at position %d in '%s'."
                         % (self.i, self.text))

    def peek(self, k=0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else (None, None)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def kw(self, word):
        kind, value = self.peek()
        if kind == "ident" and value.lower() == word:
            self.i += 1
            return True
        return False

    def expect(self, punct):
        kind, value = self.take()
        if kind != "punct" or value != punct:
            self.error()

    def parse(self):
        if not self.toks:
            self.error("Invalid filter clause: the filter expression is empty.")
        node = self.or_expr()
        if self.i != len(self.toks):
            self.error()
        return node

    def or_expr(self):
        node = self.and_expr()
        while self.kw("or"):
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self):
        node = self.unary()
        while self.kw("and"):
            node = ("and", node, self.unary())
        return node

    def unary(self):
        if self.kw("not"):
            return ("not", self.unary())
        return self.primary()

    def primary(self):
        kind, value = self.peek()
        if kind == "punct" and value == "(":
            self.take()
            node = self.or_expr()
            self.expect(")")
            return node
        if kind == "ident" and value.lower() in FUNCTIONS and self.peek(1) == ("punct", "("):
            self.take()
            self.take()
            arg1 = self.operand()
            self.expect(",")
            arg2 = self.operand()
            self.expect(")")
            node = ("func", value.lower(), arg1, arg2)
            return self.maybe_compare(node)
        left = self.operand()
        if isinstance(left, tuple) and left[0] == "lambda":
            return left
        return self.maybe_compare(left, required=True)

    def maybe_compare(self, left, required=False):
        kind, value = self.peek()
        if kind == "ident" and value.lower() in COMPARISON:
            self.take()
            right = self.operand()
            return ("cmp", value.lower(), left, right)
        if kind == "ident" and value.lower() == "in":
            self.take()
            self.expect("(")
            items = [self.operand()]
            while self.peek() == ("punct", ","):
                self.take()
                items.append(self.operand())
            self.expect(")")
            return ("in", left, items)
        if required:
            if isinstance(left, tuple) and left[0] == "path":
                return ("bool", left)
            self.error()
        if left[0] == "func":
            return ("cmp", "eq", left, ("lit", True))
        return left

    def operand(self):
        kind, value = self.take()
        if kind == "lit":
            return ("lit", value)
        if kind == "ident":
            parts = value.split("/")
            if parts[-1].lower() in ("any", "all") and self.peek() == ("punct", "("):
                self.take()
                if self.peek() == ("punct", ")"):
                    self.take()
                    return ("lambda", parts[-1].lower(), ("path", parts[:-1]), None, None)
                k2, var = self.take()
                if k2 != "ident":
                    self.error()
                self.expect(":")
                body = self.or_expr()
                self.expect(")")
                return ("lambda", parts[-1].lower(), ("path", parts[:-1]), var, body)
            if value.lower() in FUNCTIONS and self.peek() == ("punct", "("):
                self.i -= 1
                return self.primary()
            return ("path", parts)
        self.error()


def parse_filter(text):
    return _Parser(text).parse()


def _ops_used(node, var=None, out=None, lambda_root=None):
    """Yield (property-path, operation) pairs used by the expression."""
    if out is None:
        out = []
    kind = node[0]
    if kind in ("and", "or"):
        _ops_used(node[1], var, out, lambda_root)
        _ops_used(node[2], var, out, lambda_root)
    elif kind == "not":
        sub = []
        _ops_used(node[1], var, sub, lambda_root)
        out.extend(sub)
        for prop, _op in sub:
            out.append((prop, "not"))
    elif kind == "cmp":
        op = node[1]
        left, right = node[2], node[3]
        if left[0] == "func":
            out.append((_prop_of(left[2], var, lambda_root), left[1]))
            return out
        prop = _prop_of(left, var, lambda_root)
        if prop and prop.lower().endswith("/$count"):
            out.append((prop[: -len("/$count")], "count"))
            return out
        if right[0] == "lit" and right[1] is None:
            out.append((prop, "null" if op == "eq" else "ne"))
        else:
            out.append((prop, op))
    elif kind == "func":
        out.append((_prop_of(node[2], var, lambda_root), node[1]))
    elif kind == "in":
        out.append((_prop_of(node[1], var, lambda_root), "in"))
    elif kind == "bool":
        out.append((_prop_of(node[1], var, lambda_root), "eq"))
    elif kind == "lambda":
        root = "/".join(node[2][1])
        if node[4] is None:
            out.append((root, "any"))
        else:
            sub = []
            _ops_used(node[4], node[3], sub, root)
            for prop, op in sub:
                out.append((prop, op))
            if node[1] == "all":
                out.append((root, "all"))
    return out


def _prop_of(operand, var, lambda_root):
    if operand[0] != "path":
        return None
    parts = operand[1]
    if var is not None and parts and parts[0] == var:
        return lambda_root
    return "/".join(parts)


NOT_OP_NAMES = {"ne": "NotEqualsMatch", "not": "NotMatch"}


def check_filter(node, props, type_name, advanced, extra_ops=None):
    """Enforce CSDL capabilities. ``props``: schema props (with 'filter' lists); extra_ops:
    manual additions {prop: [ops]}. Raises QueryError."""
    extra_ops = extra_ops or {}
    for prop, op in _ops_used(node):
        if prop is None:
            raise QueryError(400, "BadRequest", "Invalid filter clause: a property is expected on the left side.")
        root = prop.split("/")[0]
        spec = next((v for k, v in props.items() if k.lower() == root.lower()), None)
        allowed = set(extra_ops.get(root, ()))
        if spec is None and root not in extra_ops:
            raise QueryError(400, "BadRequest",
                             "Could not find a property named '%s' on type 'microsoft.graph.%s'." % (root, type_name))
        if spec is not None:
            allowed |= set(spec.get("filter", ()))
        if op in ("gt", "lt") and ({"ge", "le"} & allowed):
            allowed |= {"gt", "lt"}
        if op == "any" or op == "all":
            if spec is not None and spec.get("kind") == "array" and allowed:
                continue
        if not allowed:
            raise QueryError(400, "Request_UnsupportedQuery",
                             "Unsupported or invalid query filter clause specified for property '%s' of resource '%s'."
                             % (root, type_name[0].upper() + type_name[1:]))
        if op not in allowed:
            if op in NOT_OP_NAMES:
                raise QueryError(400, "Request_UnsupportedQuery",
                                 "Unsupported property filter clause operator '%s'." % NOT_OP_NAMES[op])
            raise QueryError(400, "Request_UnsupportedQuery",
                             "Unsupported or invalid query filter clause specified for property '%s' of resource '%s'."
                             % (root, type_name[0].upper() + type_name[1:]))
        if op in ("ne", "not", "endswith", "null", "count") and not advanced:
            if op in NOT_OP_NAMES:
                raise QueryError(400, "Request_UnsupportedQuery",
                                 "Unsupported property filter clause operator '%s'." % NOT_OP_NAMES[op])
            raise QueryError(400, "Request_UnsupportedQuery", "Unsupported Query.")


# ---- evaluation ---------------------------------------------------------------------------
def _norm(value):
    if isinstance(value, str):
        dt = parse_iso(value) if len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-" else None
        if dt is not None:
            return dt
        return value.lower()
    return value


def _compare(op, a, b):
    if op == "eq":
        return _norm(a) == _norm(b)
    if op == "ne":
        return _norm(a) != _norm(b)
    if a is None or b is None:
        return False
    na, nb = _norm(a), _norm(b)
    try:
        if op == "gt":
            return na > nb
        if op == "ge":
            return na >= nb
        if op == "lt":
            return na < nb
        if op == "le":
            return na <= nb
    except TypeError:
        return False
    return False


def evaluate(node, obj, getter, env=None):
    env = env or {}
    kind = node[0]
    if kind == "or":
        return evaluate(node[1], obj, getter, env) or evaluate(node[2], obj, getter, env)
    if kind == "and":
        return evaluate(node[1], obj, getter, env) and evaluate(node[2], obj, getter, env)
    if kind == "not":
        return not evaluate(node[1], obj, getter, env)
    if kind == "cmp":
        a = _value(node[2], obj, getter, env)
        b = _value(node[3], obj, getter, env)
        if isinstance(a, list) and node[1] == "eq" and node[2][0] == "path":
            return any(_compare("eq", x, b) for x in a)
        return _compare(node[1], a, b)
    if kind == "func":
        return bool(_value(node, obj, getter, env))
    if kind == "in":
        a = _value(node[1], obj, getter, env)
        return any(_compare("eq", a, _value(x, obj, getter, env)) for x in node[2])
    if kind == "bool":
        return bool(_value(node[1], obj, getter, env))
    if kind == "lambda":
        coll = _value(node[2], obj, getter, env) or []
        if node[4] is None:
            return bool(coll)
        results = (evaluate(node[4], obj, getter, {**env, node[3]: item}) for item in coll)
        return any(results) if node[1] == "any" else all(results)
    return False


def _value(operand, obj, getter, env):
    kind = operand[0]
    if kind == "lit":
        return operand[1]
    if kind == "path":
        parts = operand[1]
        if parts and parts[0] in env:
            value = env[parts[0]]
            rest = parts[1:]
        else:
            value = getter(obj, parts[0])
            rest = parts[1:]
        for part in rest:
            if part == "$count":
                value = len(value) if isinstance(value, list) else 0
            elif isinstance(value, dict):
                value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
            else:
                return None
        return value
    if kind == "func":
        a = _value(operand[2], obj, getter, env)
        b = _value(operand[3], obj, getter, env)
        if a is None or b is None:
            return False
        values = a if isinstance(a, list) else [a]
        b = str(b).lower()
        name = operand[1]
        for v in values:
            s = str(v).lower()
            if (name == "startswith" and s.startswith(b)) or (name == "endswith" and s.endswith(b)) or (
                name == "contains" and b in s
            ):
                return True
        return False
    return None


# ---------------------------------------------------------------------------------------
# $orderby and $search
# ---------------------------------------------------------------------------------------
def parse_orderby(opts, props, type_name):
    if "$orderby" not in opts or not opts["$orderby"].strip():
        return []
    out = []
    for part in opts["$orderby"].split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise QueryError(400, "BadRequest", "Invalid $orderby clause '%s'." % part.strip())
        name = next((p for p in props if p.lower() == words[0].lower()), None)
        if name is None:
            raise QueryError(400, "BadRequest",
                             "Could not find a property named '%s' on type 'microsoft.graph.%s'." % (words[0], type_name))
        out.append((name, len(words) == 2 and words[1].lower() == "desc"))
    return out


SEARCH_TERM = re.compile(r'"([^"]+)"')


def parse_search(text):
    """``"displayName:foo" OR "mail:bar"`` -> ('or'|'and', [(prop, term), ...])."""
    text = text.strip()
    terms = SEARCH_TERM.findall(text)
    if not terms:
        raise QueryError(400, "Request_UnsupportedQuery",
                         "Syntax error: the $search value must be quoted, e.g. $search=\"displayName:foo\".")
    joined = SEARCH_TERM.sub("", text).strip().upper().split()
    mode = "and" if "AND" in joined else "or"
    out = []
    for t in terms:
        prop, sep, value = t.partition(":")
        if not sep:
            raise QueryError(400, "Request_UnsupportedQuery",
                             "Syntax error: '%s' is not a valid $search term; use \"property:value\"." % t)
        out.append((prop.strip(), value.strip().lower()))
    return mode, out


def search_match(obj, getter, mode, terms):
    def one(prop, value):
        v = getter(obj, prop)
        values = v if isinstance(v, list) else [v]
        for item in values:
            if item is None:
                continue
            words = re.split(r"[\s._@\-]+", str(item).lower())
            if str(item).lower().startswith(value) or any(w.startswith(value) for w in words):
                return True
        return False

    results = [one(p, v) for p, v in terms]
    return all(results) if mode == "and" else any(results)


# ---------------------------------------------------------------------------------------
# $skiptoken
# ---------------------------------------------------------------------------------------
def query_fingerprint(path, query_string):
    """Identifies the query a $skiptoken belongs to. Uses the decoded options so that a client
    that re-encodes the nextLink (e.g. ' -> %27) still matches."""
    from urllib.parse import parse_qsl

    kept = [(k, v) for k, v in parse_qsl(query_string, keep_blank_values=True) if k.lower() != "$skiptoken"]
    canon = json.dumps([unquote(path).lower(), kept], separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()[:16]


def encode_skiptoken(offset, fingerprint):
    payload = json.dumps({"o": offset, "f": fingerprint}, separators=(",", ":")).encode()
    return "RFNwdAIA" + b64url_encode(payload)


def decode_skiptoken(token, fingerprint):
    bad = QueryError(400, "Directory_ExpiredPageToken",
                     "The specified page token value has expired and can no longer be included in your request.")
    if not isinstance(token, str) or not token.startswith("RFNwdAIA"):
        raise bad
    try:
        data = json.loads(b64url_decode(token[len("RFNwdAIA"):]))
        offset = int(data["o"])
    except Exception:  # noqa: BLE001
        raise bad from None
    if data.get("f") != fingerprint or offset < 0:
        raise bad
    return offset


def next_link(origin, raw_path, query_string, token):
    kept = [p for p in query_string.split("&") if p and unquote(p.split("=", 1)[0]).lower() != "$skiptoken"]
    kept.append("$skiptoken=" + token)
    return origin + raw_path + "?" + "&".join(kept)
