"""Formatting of benchmark results: one line per run, the target checks, the Markdown table."""
from __future__ import annotations

import re

import floor as floor_model

BEGIN = "<!-- benchmark results: begin (written by tests/performance/run.py) -->"
END = "<!-- benchmark results: end -->"
RUN_TITLES = {"audit": "audit (enforce play, check mode)", "enforce": "enforce, 10 % differ",
              "enforce_again": "enforce, nothing to change", "inventory": "inventory (_info modules)"}

AUDIT_RATIO = 1.3
ENFORCE_RATIO = 1.3
NAIVE_FACTOR = 100
MEMORY_MB = 300
FIXED_COST_S = 1.0
# The enforce target is judged where the floor is larger than starting ansible-playbook and its
# module processes (at 1,000 users the floor is under a second, less than an empty play takes).
ENFORCE_MIN_USERS = 10000


def one_line(name, result):
    parts = ["%s: %.2f s" % (name, result["wall_s"])]
    if result.get("floor_s") is not None:
        parts.append("floor %.2f s (x%.2f)" % (result["floor_s"], result.get("ratio") or 0))
    if "http_requests" in result:
        parts.append("%d requests" % result["http_requests"])
        parts.append("%d x 429" % result["throttled_429"])
        parts.append("%d writes" % result["writes"])
    parts.append("peak module RSS %.1f MB" % result["peak_module_rss_mb"])
    if result.get("rc"):
        parts.append("FAILED rc=%d" % result["rc"])
    return ", ".join(parts)


def _verdict(ok, measured, limit):
    return {"met": bool(ok), "measured": measured, "target": limit}


def targets(results):
    """Each target of the benchmark: met or not, with the measured value (None: not measured)."""
    sizes = results.get("sizes", {})
    found = {}
    audit = (sizes.get("10000") or {}).get("runs", {}).get("audit")
    found["audit_10000_ratio"] = _verdict(audit is not None and audit["rc"] == 0 and audit["ratio"] <= AUDIT_RATIO,
                                          audit and audit["ratio"], "<= %.1f" % AUDIT_RATIO)
    naive = None
    for size in sizes.values():
        if size.get("naive"):
            naive = size["naive"]
    if naive and audit:
        per_user = audit["wall_s"] / float(sizes["10000"]["users"])
        factor = round(naive["loop"]["per_user_s"] / per_user, 1)
        found["naive_loop_factor"] = _verdict(factor >= NAIVE_FACTOR, factor, ">= %d" % NAIVE_FACTOR)
    else:
        found["naive_loop_factor"] = _verdict(False, None, ">= %d" % NAIVE_FACTOR)
    failures, ratios, enforced = [], [], 0
    for users, size in sorted(sizes.items(), key=lambda kv: int(kv[0])):
        for run in ("enforce", "enforce_again"):
            result = size.get("runs", {}).get(run)
            if result is None:
                continue
            enforced += 1
            if result["rc"] != 0:
                failures.append("%s/%s" % (users, run))
            if int(users) >= ENFORCE_MIN_USERS:
                ratios.append(result["ratio"])
    worst = max(ratios) if ratios else None
    found["enforce_ratio"] = _verdict(bool(ratios) and worst <= ENFORCE_RATIO, worst,
                                      "<= %.1f (%s users and more)" % (ENFORCE_RATIO, "{:,}".format(ENFORCE_MIN_USERS)))
    found["enforce_no_failures"] = _verdict(bool(enforced) and not failures, failures, "no failed run")
    writes = [size["runs"]["enforce_again"]["writes"] for size in sizes.values()
              if "enforce_again" in size.get("runs", {})]
    found["nothing_to_change_no_writes"] = _verdict(bool(writes) and not any(writes), writes, "0 writes")
    big = (sizes.get("50000") or {}).get("runs", {})
    peak = max([r["peak_module_rss_mb"] for r in big.values()] or [0]) or None
    found["memory_50000_mb"] = _verdict(peak is not None and peak < MEMORY_MB, peak, "< %d MB" % MEMORY_MB)
    fixed = naive and naive.get("fixed_cost")
    value = fixed and fixed["excess_over_ping_s"]
    found["fixed_cost_over_ping_s"] = _verdict(value is not None and value < FIXED_COST_S, value,
                                               "< %.1f s (task less ping task)" % FIXED_COST_S)
    imports = (fixed or {}).get("imports", {}).get("user_mfa_info") or {}
    found["unused_imports_not_loaded"] = _verdict(
        bool(imports) and not imports.get("exchange_client") and not imports.get("psrp_client"), imports or None,
        "user_mfa_info loads neither the Exchange client nor pypsrp")
    return found


def add_fixed_overhead(results, tasks_per_play=2):
    """For each run, its wall time less the fixed cost measured at latency 0 (an empty play, and
    one module task per task of the play), over the floor: what remains is the work the floor
    describes, plus CPU time of the client and the simulator.

    Where the size has an ideal-client probe, also the least wall time on this machine: the
    fixed cost, the floor, and what each of the floor's round trips takes here above the
    latency for a client that only sends and reads (floor.machine_extra)."""
    fixed = None
    for size in results["sizes"].values():
        if size.get("naive"):
            fixed = size["naive"]["fixed_cost"]
    if not fixed:
        return
    overhead = fixed["empty_play_s"] + tasks_per_play * fixed["module_per_task_s"]
    for size in results["sizes"].values():
        ideal = size.get("ideal")
        for result in size["runs"].values():
            result["fixed_overhead_s"] = round(overhead, 2)
            if result.get("floor_s"):
                result["ratio_less_fixed"] = round(max(0.0, result["wall_s"] - overhead) / result["floor_s"], 2)
                if ideal and not ideal.get("error") and result.get("floor_detail"):
                    least = overhead + result["floor_s"] + floor_model.machine_extra(result["floor_detail"], ideal)
                    result["least_here_s"] = round(least, 2)
                    result["least_here_ratio"] = round(least / result["floor_s"], 2)


def markdown(results):
    machine = results["machine"]
    lines = [
        "Measured %s to %s on %s (%s CPUs, %s, %s GB RAM), Python %s, ansible-core %s; load average %s at "
        "the start and %s at the end. Simulated latency %g ms per request, throttling model on, %d %% drift."
        % (results["started"], results.get("finished", "?"), machine.get("platform"), machine.get("cpus"),
           machine.get("cpu", "?"), machine.get("memory_gb", "?"), machine.get("python"),
           machine.get("ansible_core", "?"), machine.get("load_average_at_start"),
           machine.get("load_average_at_end"), results["latency_ms"], results["drift_percent"]),
        "",
        "| users | run | wall s | floor s | wall / floor | least here / floor | (wall - fixed) / floor "
        "| HTTP requests (floor) | batch items | 429s | writes | peak module RSS MB | simulator CPU ms/request |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for users, size in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        for run, result in size["runs"].items():
            less, least = result.get("ratio_less_fixed"), result.get("least_here_ratio")
            lines.append("| %s | %s%s | %.1f | %.1f | %.2f | %s | %s | %d (%d) | %d | %d | %d | %.0f | %.2f |" % (
                "{:,}".format(int(users)), RUN_TITLES.get(run, run), " **failed**" if result["rc"] else "",
                result["wall_s"], result["floor_s"], result["ratio"] or 0,
                "%.2f" % least if least is not None else "-", "%.2f" % less if less is not None else "-",
                result["http_requests"],
                result["floor_http_requests"], result["batch_items"], result["throttled_429"], result["writes"],
                result["peak_module_rss_mb"], result["simulator_cpu_ms_per_request"]))
    probes = [(int(users), size["ideal"]) for users, size in results["sizes"].items()
              if size.get("ideal") and not size["ideal"].get("error")]
    if probes:
        lines += ["", "A client that only sends and reads (`tests/performance/ideal.py`, same interpreter and "
                  "simulator) takes, above the latency: %s. Least here = the fixed cost below + the floor + "
                  "those times for each of the floor's round trips that the latency bounds." % "; ".join(
                      "%s users: %.1f ms a page, %.1f ms a round trip of %s envelopes" % (
                          "{:,}".format(users), 1000 * ideal["sequential_extra_s"],
                          1000 * ideal["batched_round_trip_extra_s"], results.get("limits", {}).get("concurrency", "?"))
                      for users, ideal in sorted(probes))]
    for users, size in results["sizes"].items():
        naive = size.get("naive")
        if not naive:
            continue
        loop, fixed = naive["loop"], naive["fixed_cost"]
        lines += ["", "Per-user loop (`loop:` over %d users, one task per user and module): %.1f s, %.3f s per user."
                  % (loop["users"], loop["wall_s"], loop["per_user_s"]),
                  "Fixed cost of one task (latency 0, %d tasks each): `ansible.builtin.ping` %.3f s, "
                  "`m365.admin.user_mfa_info` for one user %.3f s (%.1f requests; %.3f s more than ping); "
                  "an empty play %.2f s."
                  % (fixed["tasks"], fixed["ping_per_task_s"], fixed["module_per_task_s"],
                     fixed["module_requests_per_task"], fixed["excess_over_ping_s"], fixed.get("empty_play_s", 0))]
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    for name, verdict in results.get("targets", {}).items():
        measured = verdict["measured"]
        if isinstance(measured, dict):
            measured = ", ".join("%s=%s" % kv for kv in sorted(measured.items()))
        lines.append("| %s %s | %s | %s |" % (name, verdict["target"], measured, "yes" if verdict["met"] else "**no**"))
    return "\n".join(lines) + "\n"


def update_doc(path, table):
    """Replace the text between the result markers of ``path`` (append the markers if absent)."""
    try:
        with open(path) as handle:
            text = handle.read()
    except FileNotFoundError:
        text = "# Performance\n\n"
    block = "%s\n%s%s" % (BEGIN, table, END)
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda m: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w") as handle:
        handle.write(text)
