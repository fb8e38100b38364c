"""Small helpers shared by the simulator modules."""
import base64
import datetime as _dt
import json
import os
import re
import tempfile
import time
import uuid

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_guid(value):
    return isinstance(value, str) and bool(GUID_RE.match(value))


def new_guid():
    return str(uuid.uuid4())


def guid_from_rng(rng):
    """A version-4 GUID drawn from a seeded ``random.Random`` (deterministic seeding)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def utcnow():
    return _dt.datetime.now(_dt.timezone.utc)


def iso(dt=None):
    """Graph style timestamp: ``2024-05-01T10:11:12Z``."""
    dt = dt or utcnow()
    return dt.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_from_epoch(seconds):
    return iso(_dt.datetime.fromtimestamp(seconds, _dt.timezone.utc))


def inner_error_date():
    """Graph innerError.date: UTC without zone suffix."""
    return utcnow().strftime("%Y-%m-%dT%H:%M:%S")


def entra_timestamp():
    return utcnow().strftime("%Y-%m-%d %H:%M:%SZ")


def parse_iso(value):
    """Parse an ISO-8601 timestamp (``Z`` or offset); returns aware datetime or None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    try:
        dt = _dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_dt.timezone.utc)
    return dt


def b64url_encode(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    if isinstance(text, bytes):
        text = text.decode("ascii")
    pad = "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text + pad)


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def atomic_write(path, data, mode=0o600):
    """Write bytes/str to ``path`` via a temporary file and rename (atomic on POSIX)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def monotonic():
    return time.monotonic()


def ci_get(mapping, key, default=None):
    """Case-insensitive dict lookup."""
    if key in mapping:
        return mapping[key]
    lower = key.lower()
    for k, v in mapping.items():
        if k.lower() == lower:
            return v
    return default
