"""Tenant-scale benchmark of m365.admin: whole ansible-playbook runs against the simulator.

Run through ``scripts/benchmark.sh`` (which creates the venv and stages the collection), or
directly with ANSIBLE_COLLECTIONS_PATH pointing at a staged collection:

    python tests/performance/run.py [--sizes 1000,10000,50000] [--latency-ms 50]

For each size it seeds a simulator (throttling on) with N users and their mailboxes, of
which 10 % differ from the baseline, and times (a) an audit: the enforcing play in check
mode, (b) the enforce run, (c) a second enforce run, and, for information, (d) an inventory
of every user's and mailbox's settings with the _info modules. It also times a per-user
loop at a small N and the fixed cost of one task against ansible.builtin.ping. Results: tests/performance/results/*.json and the
table in docs/performance.md.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import ssl

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "simulator"))

import floor as floor_model  # noqa: E402
import report  # noqa: E402
from m365sim import throttling as sim_throttling  # noqa: E402
from m365sim.seed import Seeder  # noqa: E402

DRIFT = 10  # one user and one mailbox in DRIFT differs from the baseline
MFA_STATE = "enforced"
RUNS = ("audit", "enforce", "enforce_again", "inventory")


def collection_limits():
    """Batch and page sizes and concurrency of the collection's clients (the staged copy)."""
    from ansible_collections.m365.admin.plugins.module_utils import _exchange, _graph, _module
    import inspect
    concurrency = inspect.signature(_module.M365Module.run).parameters["concurrency"].default
    return floor_model.Limits(concurrency, _graph.BATCH_SIZE, _graph.PAGE_SIZE, _exchange.BATCH_SIZE,
                              _exchange.PAGE_SIZE)


def size_class(users):
    return "S" if users < 50 else "M" if users <= 500 else "L"


# -- the tenant -----------------------------------------------------------------------------
def build_state(users, seed):
    """Seeded tenant data with the baseline applied to all but every DRIFT-th user/mailbox."""
    data = Seeder(users, seed).build()
    members = [u for u in data["users"] if u.get("userType") != "Guest"]
    mfa_drift = 0
    for position, user in enumerate(members):
        if position % DRIFT == DRIFT - 1:
            user["_mfa"] = "disabled"
            mfa_drift += 1
        else:
            user["_mfa"] = MFA_STATE
    boxes = [m for m in data["mailboxes"] if m["RecipientTypeDetails"] == "UserMailbox"]
    box_drift = 0
    for position, box in enumerate(boxes):
        box.setdefault("cas", {})
        box["cas"]["PopEnabled"] = False
        box["cas"]["ImapEnabled"] = position % DRIFT == DRIFT - 1
        box_drift += position % DRIFT == DRIFT - 1
    counts = {"users": len(data["users"]), "members": len(members), "mailboxes": len(boxes),
              "mfa_drift": mfa_drift, "mailbox_drift": box_drift}
    return data, counts


class Simulator(object):
    def __init__(self, state_dir, python, latency_ms):
        self.state_dir = state_dir
        self.python = python
        self.latency_ms = latency_ms
        self.proc = None
        self.server = None

    def start(self):
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "tests", "simulator"))
        log = open(os.path.join(self.state_dir, "simulator.log"), "w")
        self.proc = subprocess.Popen([self.python, "-m", "m365sim", "serve", "--state-dir", self.state_dir,
                                      "--port", "0", "--throttling", "on", "--latency-ms", str(self.latency_ms),
                                      # Saving a large tenant's state serialises it under the store
                                      # lock and stalls requests: save only on stop.
                                      "--save-debounce", "86400"],
                                     env=env, stdout=log, stderr=subprocess.STDOUT)
        path = os.path.join(self.state_dir, "server.json")
        for _attempt in range(1200):
            if os.path.exists(path):
                try:
                    with open(path) as handle:
                        self.server = json.load(handle)
                    break
                except ValueError:
                    pass
            if self.proc.poll() is not None:
                raise RuntimeError("the simulator did not start; see %s/simulator.log" % self.state_dir)
            time.sleep(0.1)
        else:
            raise RuntimeError("the simulator did not start within 120 s")
        self._ctx = ssl.create_default_context(cafile=self.server["ca_path"])

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.server["url"] + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self._ctx, timeout=120) as answer:
            return json.loads(answer.read() or b"null")

    def cpu_seconds(self):
        """CPU time (user + system) the simulator process has used so far."""
        with open("/proc/%d/stat" % self.proc.pid) as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# -- playbooks ------------------------------------------------------------------------------
CONNECTION = """\
  module_defaults:
    group/m365.admin.m365:
      tenant_id: "{{ m365_tenant_id }}"
      client_id: "{{ m365_client_id }}"
      client_secret: "{{ m365_client_secret }}"
      cloud: custom
      graph_url: "{{ m365_graph_url }}"
      exchange_url: "{{ m365_exchange_url }}"
      authority_url: "{{ m365_authority_url }}"
      ca_path: "{{ m365_ca_path }}"
"""

PLAY = """\
- name: %(name)s
  hosts: localhost
  connection: local
  gather_facts: false
  vars_files:
    - simulator_vars.yml
""" + CONNECTION + """\
  tasks:
%(tasks)s
"""

# The inventory: every user's and mailbox's settings, returned by the _info modules. (The audit
# is ENFORCE_TASKS run with --check, as CI audits tenant_baseline.yml.)
INVENTORY_TASKS = """\
    - name: Per-user MFA of every user
      m365.admin.user_mfa_info:
        all_users: true
    - name: Mailbox protocols of every mailbox
      m365.admin.mailbox_protocols_info:
        all_mailboxes: true
"""

ENFORCE_TASKS = """\
    - name: Per-user MFA enforced for every user
      m365.admin.user_mfa:
        all_users: true
        state: %s
    - name: IMAP and POP off on every mailbox
      m365.admin.mailbox_protocols:
        all_mailboxes: true
        imap: false
        pop: false
""" % MFA_STATE

NAIVE_TASKS = """\
    - name: Per-user MFA, one task per user
      m365.admin.user_mfa:
        users: ["{{ item }}"]
        state: %s
      loop: "{{ naive_users }}"
    - name: Mailbox protocols, one task per user
      m365.admin.mailbox_protocols:
        mailboxes: ["{{ item }}"]
        imap: false
        pop: false
      loop: "{{ naive_users }}"
""" % MFA_STATE


def fixed_cost_tasks(module_task, count):
    return "".join(module_task % {"n": n} for n in range(count))


PING_TASK = """\
    - name: Ping %(n)d
      ansible.builtin.ping:
"""
MODULE_TASK = """\
    - name: One user's MFA state %(n)d
      m365.admin.user_mfa_info:
        users: ["{{ one_user }}"]
"""


class Runner(object):
    def __init__(self, work, python, sim, module_python=None):
        self.work = work
        self.python = python
        # The interpreter the modules run with: by default one whose environment holds only the
        # collection's requirements.txt, as an execution environment does (scripts/benchmark.sh
        # creates it), so that test tools in the controller's venv do not weigh on module start.
        self.module_python = module_python or python
        self.sim = sim
        self.memlog = os.path.join(work, "memory.jsonl")
        wrapper = os.path.join(work, "python-memwrap")
        with open(wrapper, "w") as handle:
            handle.write("#!/bin/sh\nexec %s -S %s \"$@\"\n" % (python, os.path.join(HERE, "memwrap.py")))
        os.chmod(wrapper, 0o755)
        with open(os.path.join(work, "inventory.yml"), "w") as handle:
            handle.write("all:\n  hosts:\n    localhost:\n      ansible_python_interpreter: %s\n" % wrapper)
        self.ansible_playbook = os.path.join(os.path.dirname(python), "ansible-playbook")

    def write_play(self, name, tasks, extra_vars=None):
        path = os.path.join(self.work, "%s.yml" % name.replace(" ", "_"))
        text = PLAY % {"name": name, "tasks": tasks}
        if extra_vars:
            text = text.replace("  tasks:\n", "  vars:\n%s  tasks:\n" % "".join(
                "    %s: %s\n" % (k, json.dumps(v)) for k, v in extra_vars.items()), 1)
        with open(path, "w") as handle:
            handle.write(text)
        return path

    def play(self, name, tasks, check=False, extra_vars=None, measure=True):
        """Run one playbook; returns wall time, memory, simulator counters and its output."""
        path = self.write_play(name, tasks, extra_vars)
        if measure:
            # Fresh throttling buckets (any config change resets them) and counters.
            self.sim.call("POST", "/_sim/config", {"throttling": True})
            self.sim.call("POST", "/_sim/stats/reset")
        if os.path.exists(self.memlog):
            os.unlink(self.memlog)
        env = dict(os.environ, M365_BENCH_MEMLOG=self.memlog, M365_BENCH_PYTHON=self.module_python,
                   ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_LOCALHOST_WARNING="false",
                   ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_RETRY_FILES_ENABLED="false")
        command = [self.ansible_playbook, "-i", os.path.join(self.work, "inventory.yml"), path]
        if check:
            command.append("--check")
        cpu_before = self.sim.cpu_seconds()
        started = time.monotonic()
        done = subprocess.run(command, cwd=self.work, env=env, capture_output=True, text=True, check=False)
        wall = time.monotonic() - started
        sim_cpu = self.sim.cpu_seconds() - cpu_before
        modules = []
        if os.path.exists(self.memlog):
            with open(self.memlog) as handle:
                modules = [json.loads(line) for line in handle if line.strip()]
        result = {"wall_s": round(wall, 2), "rc": done.returncode,
                  "peak_module_rss_mb": round(max([m["maxrss_kib"] for m in modules] or [0]) / 1024.0, 1),
                  "module_processes": len(modules), "simulator_cpu_s": round(sim_cpu, 2)}
        result["modules"] = [dict(module=m["module"].replace("AnsiballZ_", "").replace(".py", ""),
                                  wall_s=m["wall_s"], cpu_s=m["cpu_s"], rss_mb=round(m["maxrss_kib"] / 1024.0, 1),
                                  rc=m["rc"]) for m in modules]
        if done.returncode != 0:
            result["error"] = (done.stdout[-3000:] + done.stderr[-2000:])
        if measure:
            stats = self.sim.call("GET", "/_sim/stats")
            result["http_requests"] = stats["total"]
            result["batch_items"] = stats["batch"]["items"]
            result["throttled_429"] = stats["throttled_429"]
            result["throttled_by_reason"] = stats["throttled_by_reason"]
            result["writes"] = stats["writes"]
            result["by_route"] = stats["by_route"]
            result["simulator_cpu_ms_per_request"] = round(
                1000.0 * sim_cpu / max(1, stats["total"] + stats["batch"]["items"]), 2)
        return result


# -- the benchmark --------------------------------------------------------------------------
def floors_for(counts, limits, buckets, latency_s):
    # The audit (the enforce play in check mode) and the enforce run with nothing to change
    # make the same requests: every state is read, nothing is written.
    reads_only = [("user_mfa", floor_model.mfa_task(limits, counts["users"], counts["members"])),
                  ("mailbox_protocols", floor_model.mailbox_task(limits, counts["mailboxes"]))]
    inventory = [("user_mfa_info", floor_model.mfa_task(limits, counts["users"], counts["members"])),
                 ("mailbox_protocols_info", floor_model.mailbox_task(limits, counts["mailboxes"],
                                                                     transport_config=True))]
    enforce = [("user_mfa", floor_model.mfa_task(limits, counts["users"], counts["members"], counts["mfa_drift"])),
               ("mailbox_protocols", floor_model.mailbox_task(limits, counts["mailboxes"], counts["mailbox_drift"]))]
    reads_floor = floor_model.run_floor(reads_only, buckets, latency_s)
    return {"audit": reads_floor,
            "enforce": floor_model.run_floor(enforce, buckets, latency_s),
            "enforce_again": reads_floor,
            "inventory": floor_model.run_floor(inventory, buckets, latency_s)}


def bench_size(users, args, python, limits):
    work = tempfile.mkdtemp(prefix="m365-bench-%d-" % users)
    state_dir = os.path.join(work, "simulator")
    os.makedirs(state_dir)
    data, counts = build_state(users, args.seed)
    with open(os.path.join(state_dir, "state.json"), "w") as handle:
        json.dump(data, handle)
    del data
    sim = Simulator(state_dir, python, args.latency_ms)
    sim.start()
    try:
        write_vars(sim, work)
        config = sim.call("GET", "/_sim/config")
        buckets = floor_model.model_buckets(config, counts["users"], sim_throttling.RU_BY_SIZE, size_class)
        runner = Runner(work, python, sim, args.module_python)
        latency_s = args.latency_ms / 1000.0
        floors = floors_for(counts, limits, buckets, latency_s)
        out = {"users": users, "counts": counts, "buckets": [b.to_dict() for b in buckets.values()], "runs": {}}
        plays = {"audit": (ENFORCE_TASKS, True), "enforce": (ENFORCE_TASKS, False), "inventory": (INVENTORY_TASKS, False),
                 "enforce_again": (ENFORCE_TASKS, False)}
        for run in RUNS:
            if run not in args.runs:
                continue
            tasks, check = plays[run]
            if run == "enforce_again" and "enforce" not in args.runs:
                # Nothing is left to change only after an enforce run: run one first, unmeasured.
                print("  enforce, %d users (unmeasured, so that nothing is left to change) ..." % users, flush=True)
                setup = runner.play("enforce %d" % users, ENFORCE_TASKS, measure=False)
                if setup["rc"]:
                    raise RuntimeError("the enforce run before enforce_again failed:\n%s" % setup.get("error", ""))
            print("  %s, %d users ..." % (run, users), flush=True)
            result = runner.play("%s %d" % (run, users), tasks, check=check)
            floor, detail = floors[run]
            result["floor_s"] = round(floor, 2)
            result["floor_detail"] = detail
            result["floor_http_requests"] = sum(d["http_requests"] for d in detail)
            result["ratio"] = round(result["wall_s"] / floor, 2) if floor else None
            out["runs"][run] = result
            print("    " + report.one_line(run, result), flush=True)
            if result["rc"]:
                print(result.get("error", "")[-1500:], flush=True)
        out["ideal"] = ideal_client(sim, work, args, limits)
        if users == min(args.sizes) and args.naive:
            out["naive"] = naive_and_fixed(runner, sim, args, counts)
        return out
    finally:
        sim.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("  kept %s" % work)


def ideal_client(sim, work, args, limits):
    """What a round trip costs here above the latency for a client that only sends and reads
    (ideal.py, run with the modules' interpreter against this simulator, buckets reset)."""
    print("  ideal client ...", flush=True)
    sim.call("POST", "/_sim/config", {"throttling": True})
    done = subprocess.run([args.module_python or sys.executable, os.path.join(HERE, "ideal.py"),
                           os.path.join(work, "simulator_vars.yml"), str(args.latency_ms / 1000.0),
                           str(limits.concurrency), str(limits.graph_batch), str(limits.graph_page)],
                          capture_output=True, text=True, check=False)
    try:
        found = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        found = {"error": (done.stdout + done.stderr)[-1000:]}
    print("    %s" % json.dumps(found), flush=True)
    return found


def write_vars(sim, work):
    server = sim.server
    admin = server["apps"]["admin"]
    variables = {"m365_tenant_id": server["tenant_id"], "m365_client_id": admin["client_id"],
                 "m365_client_secret": admin["client_secret"], "m365_graph_url": server["url"],
                 "m365_exchange_url": server["url"], "m365_authority_url": server["url"],
                 "m365_ca_path": server["ca_path"]}
    with open(os.path.join(work, "simulator_vars.yml"), "w") as handle:
        json.dump(variables, handle)


def naive_and_fixed(runner, sim, args, counts):
    """The per-user loop at a small N, and the fixed cost of one task against ping."""
    state = sim.call("GET", "/_sim/state")
    upns = [m["UserPrincipalName"] for m in state["mailboxes"] if m["RecipientTypeDetails"] == "UserMailbox"]
    upns = upns[:args.naive_users]
    print("  naive per-user loop, %d users ..." % len(upns), flush=True)
    naive = runner.play("naive loop", NAIVE_TASKS, check=True, extra_vars={"naive_users": upns})
    naive["users"] = len(upns)
    naive["per_user_s"] = round(naive["wall_s"] / len(upns), 4)
    print("    " + report.one_line("naive", naive), flush=True)

    # Fixed cost: K tasks of ping vs K tasks of a minimal module call, latency off so that only
    # process start, imports, sign-in and the two requests remain.
    sim.call("POST", "/_sim/config", {"latency_ms": 0})
    count = args.fixed_tasks
    empty = runner.play("empty", "    - name: Nothing\n      ansible.builtin.meta: noop\n", measure=False)
    ping = runner.play("ping", fixed_cost_tasks(PING_TASK, count), measure=False)
    module = runner.play("one user", fixed_cost_tasks(MODULE_TASK, count), extra_vars={"one_user": upns[0]},
                         measure=True)
    sim.call("POST", "/_sim/config", {"latency_ms": args.latency_ms})
    fixed = {"tasks": count, "empty_play_s": empty["wall_s"],
             "ping_per_task_s": round((ping["wall_s"] - empty["wall_s"]) / count, 3),
             "module_per_task_s": round((module["wall_s"] - empty["wall_s"]) / count, 3),
             "module_requests_per_task": round(module["http_requests"] / float(count), 1),
             "module_rss_mb": module["peak_module_rss_mb"],
             "imports": import_report(runner.module_python)}
    fixed["excess_over_ping_s"] = round(fixed["module_per_task_s"] - fixed["ping_per_task_s"], 3)
    print("    fixed cost: ping %.3f s/task, user_mfa_info %.3f s/task" % (fixed["ping_per_task_s"],
                                                                           fixed["module_per_task_s"]), flush=True)
    return {"loop": naive, "fixed_cost": fixed}


IMPORT_PROBE = """
import json, sys, time
started = time.perf_counter()
import importlib
importlib.import_module(sys.argv[1])
elapsed = time.perf_counter() - started
names = sorted(sys.modules)
print(json.dumps({"seconds": round(elapsed, 3), "exchange_client": any(n.endswith("module_utils._exchange") for n in names),
                  "psrp_client": "pypsrp" in names or any(n.endswith("module_utils._psrp") for n in names),
                  "msgraph_core": "msgraph_core" in names, "azure_identity": "azure.identity" in names,
                  "httpx": "httpx" in names, "modules_loaded": len(names)}))
"""


def import_report(python):
    """What importing each module's code loads (and how long it takes), in a fresh interpreter of
    the modules' environment. A module finds ansible's module_utils in its AnsiballZ payload;
    here they come from the controller's ansible package, and nothing else of its venv."""
    import ansible
    found = {}
    shim = tempfile.mkdtemp(prefix="m365-imports-")
    os.symlink(os.path.dirname(ansible.__file__), os.path.join(shim, "ansible"))
    staged = [p for p in sys.path if p and os.path.isdir(os.path.join(p, "ansible_collections"))]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([shim] + staged))
    for module in ("user_mfa_info", "mailbox_protocols_info", "tenant_info"):
        name = "ansible_collections.m365.admin.plugins.modules." + module
        done = subprocess.run([python, "-c", IMPORT_PROBE, name], capture_output=True, text=True, check=False, env=env)
        try:
            found[module] = json.loads(done.stdout)
        except ValueError:
            found[module] = {"error": done.stderr[-500:]}
    shutil.rmtree(shim, ignore_errors=True)
    return found


def machine():
    info = {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}
    try:
        with open("/proc/meminfo") as handle:
            info["memory_gb"] = round(int(handle.readline().split()[1]) / 1024.0 / 1024.0, 1)
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    try:
        import ansible
        info["ansible_core"] = ansible.__version__ if hasattr(ansible, "__version__") else None
        from ansible.release import __version__ as ansible_version
        info["ansible_core"] = ansible_version
    except ImportError:
        pass
    return info


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", default=",".join(RUNS), help="comma-separated subset of %s" % ", ".join(RUNS))
    parser.add_argument("--naive-users", type=int, default=20, help="users in the per-user loop")
    parser.add_argument("--fixed-tasks", type=int, default=5, help="tasks in the fixed-cost comparison")
    parser.add_argument("--no-naive", dest="naive", action="store_false", help="skip the loop and fixed cost")
    parser.add_argument("--results", default=os.path.join(HERE, "results"))
    parser.add_argument("--docs", default=os.path.join(ROOT, "docs", "performance.md"),
                        help="Markdown file whose results section is rewritten ('' to leave it)")
    parser.add_argument("--keep", action="store_true", help="keep the work directories")
    parser.add_argument("--module-python", default=None,
                        help="interpreter the modules run with (default: this one; scripts/benchmark.sh passes one "
                             "whose environment holds only requirements.txt)")
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    python = sys.executable
    limits = collection_limits()
    results = {"started": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "machine": machine(), "latency_ms": args.latency_ms, "limits": limits.to_dict(),
               "drift_percent": 100 // DRIFT, "sizes": {}}
    for users in args.sizes:
        print("== %d users" % users, flush=True)
        results["sizes"][str(users)] = bench_size(users, args, python, limits)
    report.add_fixed_overhead(results)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["finished"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    results["targets"] = report.targets(results)
    os.makedirs(args.results, exist_ok=True)
    name = "benchmark-%s.json" % results["started"].replace(":", "").replace("-", "")
    with open(os.path.join(args.results, name), "w") as handle:
        json.dump(results, handle, indent=1, sort_keys=True)
    with open(os.path.join(args.results, "latest.json"), "w") as handle:
        json.dump(results, handle, indent=1, sort_keys=True)
    table = report.markdown(results)
    print(table)
    if args.docs:
        report.update_doc(args.docs, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
