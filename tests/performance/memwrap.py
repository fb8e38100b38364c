"""Python interpreter wrapper for the benchmark: runs the module (AnsiballZ) in a child
process and appends that child's peak resident memory (ru_maxrss, KiB on Linux) and its
command to the file named by M365_BENCH_MEMLOG.

The wrapper's own start is added to every module's wall time, so it stays small: it is run
with ``python -S`` (no site packages), imports nothing beyond what the interpreter has loaded
anyway, and starts the child with posix_spawn and reaps it with wait4, which also returns the
child's resource usage (no subprocess module).
"""
import os
import sys
import time


def main():
    started = time.monotonic()
    python = os.environ.get("M365_BENCH_PYTHON", sys.executable)
    pid = os.posix_spawn(python, [python] + sys.argv[1:], os.environ)
    _pid, status, usage = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    log = os.environ.get("M365_BENCH_MEMLOG")
    if log:
        script = os.path.basename(sys.argv[1]) if len(sys.argv) > 1 else ""
        # JSON written by hand: the json module is not imported for one line.
        line = '{"module": "%s", "maxrss_kib": %d, "cpu_s": %.3f, "wall_s": %.3f, "rc": %d}\n' % (
            script.replace("\\", "\\\\").replace('"', '\\"'), usage.ru_maxrss, usage.ru_utime + usage.ru_stime,
            time.monotonic() - started, code)
        with open(log, "a") as handle:
            handle.write(line)
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
