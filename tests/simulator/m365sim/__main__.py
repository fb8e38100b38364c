"""Command line: ``python -m m365sim serve|stop --state-dir DIR ...``."""
import argparse
import json
import os
import signal
import sys
import time


def _onoff(value):
    v = value.lower()
    if v in ("on", "true", "1", "yes"):
        return True
    if v in ("off", "false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError("expected on or off")


def _alive(pid):
    """True while the process exists and is not a zombie (an exited child not yet reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def main(argv=None):
    parser = argparse.ArgumentParser(prog="m365sim", description="Local Microsoft 365 tenant simulator")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run the simulator")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--users", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--reset", action="store_true", help="re-seed even if state.json exists")
    p.add_argument("--latency-ms", type=float, default=0)
    p.add_argument("--save-debounce", type=float, default=0.2, metavar="SECONDS",
                   help="wait at least this long after a write before saving state.json (it is always saved on "
                        "stop); benchmarks of large tenants set it high, since saving holds the store lock")
    p.add_argument("--token-lifetime", type=int, default=3599)
    p.add_argument("--throttling", type=_onoff, default=False, metavar="on|off")
    p.add_argument("--ca-throttling", type=_onoff, default=True, metavar="on|off",
                   help="Conditional Access 1 request/s pacing (default on)")
    p.add_argument("--verbose", action="store_true", help="log requests to stderr")
    s = sub.add_parser("stop", help="stop a running simulator")
    s.add_argument("--state-dir", required=True)
    s.add_argument("--timeout", type=float, default=15)
    args = parser.parse_args(argv)

    if args.command == "serve":
        from .server import serve

        if args.users < 1:
            parser.error("--users must be at least 1")
        return serve(args.state_dir, host=args.host, port=args.port, users=args.users, seed=args.seed,
                     reset=args.reset, latency_ms=args.latency_ms, token_lifetime=args.token_lifetime,
                     save_debounce=args.save_debounce,
                     throttling=args.throttling, ca_throttling=args.ca_throttling, verbose=args.verbose)

    path = os.path.join(args.state_dir, "server.json")
    try:
        with open(path) as fh:
            pid = json.load(fh)["pid"]
    except (OSError, ValueError, KeyError):
        sys.stderr.write("no running simulator found (%s missing)\n" % path)
        return 1
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        sys.stderr.write("process %d is not running; removing stale server.json\n" % pid)
        try:
            os.unlink(path)
        except OSError:
            pass
        return 1
    deadline = time.time() + args.timeout
    while time.time() < deadline:
        if not _alive(pid):
            sys.stdout.write("stopped %d\n" % pid)
            return 0
        time.sleep(0.1)
    sys.stderr.write("process %d did not exit within %.0fs\n" % (pid, args.timeout))
    return 2


if __name__ == "__main__":
    sys.exit(main())
