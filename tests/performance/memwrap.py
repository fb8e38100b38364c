"""Python interpreter wrapper for the benchmark: runs the module (AnsiballZ) in a child
process and appends that child's peak resident memory (ru_maxrss, KiB on Linux) and its
command to the file named by M365_BENCH_MEMLOG."""
import json
import os
import resource
import subprocess
import sys
import time


def main():
    started = time.monotonic()
    code = subprocess.call([os.environ.get("M365_BENCH_PYTHON", sys.executable)] + sys.argv[1:])
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    log = os.environ.get("M365_BENCH_MEMLOG")
    if log:
        script = os.path.basename(sys.argv[1]) if len(sys.argv) > 1 else ""
        with open(log, "a") as handle:
            handle.write(json.dumps({"module": script, "maxrss_kib": usage.ru_maxrss,
                                     "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
                                     "wall_s": round(time.monotonic() - started, 3), "rc": code}) + "\n")
    sys.exit(code)


if __name__ == "__main__":
    main()
