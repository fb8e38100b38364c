"""Floor computation and result formatting of the benchmark (cheap and deterministic).

Run: python -m pytest tests/performance
"""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import floor  # noqa: E402
import report  # noqa: E402

LIMITS = floor.Limits(concurrency=4, graph_batch=20, graph_page=999, exchange_batch=10, exchange_page=1000)
RU_BY_SIZE = {"S": 3500, "M": 5000, "L": 8000}


def size_class(users):
    return "S" if users < 50 else "M" if users <= 500 else "L"


def buckets(users=10000, **config):
    return floor.model_buckets(config, users, RU_BY_SIZE, size_class)


def test_buckets_follow_the_model_by_tenant_size_and_config():
    assert buckets(10000)["graph_ru"].capacity == 8000
    assert buckets(10000)["graph_ru"].rate == 800
    assert buckets(300)["graph_ru"].capacity == 5000
    assert buckets(20)["graph_ru"].capacity == 3500
    assert buckets(10000, graph_ru_per_10s=1000)["graph_ru"].rate == 100
    writes = buckets()["graph_writes"]
    assert (writes.capacity, writes.rate) == (3000, 20)
    exchange = buckets(exchange_rate_per_s=5, exchange_burst=20)["exchange"]
    assert (exchange.capacity, exchange.rate) == (20, 5)


def test_batched_phase_round_trips():
    phase = floor.Phase("reads", 9400, 20, 4)
    assert phase.envelopes == 470
    assert phase.round_trips == 118
    assert floor.Phase("pages", 11, sequential=True).round_trips == 11


def test_audit_of_10000_is_bound_by_latency():
    phases = floor.mfa_task(LIMITS, listed_users=10000, members=9400)
    seconds, detail = floor.task_floor(phases, buckets(), 0.05)
    # 2 sign-in + 11 pages + 118 batch rounds, each one latency.
    assert seconds == pytest.approx((2 + 11 + 118) * 0.05)
    assert detail["bound_by"] == "latency"
    assert detail["http_requests"] == 2 + 11 + 470
    assert detail["drawn"] == {"graph_ru": 11 + 9400}


def test_audit_of_50000_is_bound_by_resource_units():
    phases = floor.mfa_task(LIMITS, listed_users=50000, members=47000)
    seconds, detail = floor.task_floor(phases, buckets(50000), 0.05)
    # Sign-in and the 51 pages one after the other, then the reads wait for resource units:
    # 8,000 in the full bucket, the rest at 800 per second.
    assert seconds == pytest.approx(2 * 0.05 + 51 * 0.05 + (47000 - 8000) / 800.0 + 0.05)
    assert detail["bound_by"] == "graph_ru"
    assert detail["phases"][2]["bound_by"] == "graph_ru"


def test_exchange_writes_are_bound_by_the_per_app_rate():
    phases = floor.mailbox_task(LIMITS, mailboxes=8297, writes=829)
    seconds, detail = floor.task_floor(phases, buckets(), 0.05)
    # The 9 pages leave 10 - 9 + 10 x 0.45 = 5.5 requests in the bucket for the writes.
    assert seconds == pytest.approx(2 * 0.05 + 9 * 0.05 + (829 - 5.5) / 10.0 + 0.05)
    assert detail["bound_by"] == "exchange"


def test_graph_writes_beyond_the_write_quota_are_paced_at_20_per_second():
    phases = floor.mfa_task(LIMITS, listed_users=100000, members=94000, writes=9400)
    seconds, detail = floor.task_floor(phases, buckets(100000), 0.05)
    reads = (94000 - 8000) / 800.0 + 0.05
    writes = (9400 - 3000) / 20.0 + 0.05
    # Every state is read before the first write (the reconcile engine plans first).
    assert seconds == pytest.approx(2 * 0.05 + 101 * 0.05 + reads + writes)
    assert detail["bound_by"] == "graph_writes"
    assert [p["bound_by"] for p in detail["phases"]] == ["latency", "latency", "graph_ru", "graph_writes"]


def test_run_floor_adds_its_tasks():
    tasks = [("a", [floor.Phase("x", 3, sequential=True)]), ("b", [floor.Phase("y", 2, sequential=True)])]
    seconds, detail = floor.run_floor(tasks, buckets(), 0.1)
    assert seconds == pytest.approx(0.5)
    assert [d["task"] for d in detail] == ["a", "b"]


def test_tasks_of_a_play_share_the_buckets():
    # Two tasks of 10,000 Graph reads each: the second starts with what the first left, not
    # with a full bucket (the limits are per app and tenant; the benchmark resets them per play).
    tasks = [(name, [floor.Phase("reads", 10000, 20, 4, draws={"graph_ru": 10000})]) for name in ("a", "b")]
    seconds, detail = floor.run_floor(tasks, buckets(), 0.05)
    # a: 125 round trips (6.25 s) refill 5,000 of the 10,000 drawn: 3,000 left.
    # b: needs 7,000 more than those 3,000 at 800 per second: 8.75 s + one latency.
    assert detail[0]["floor_s"] == pytest.approx(6.25)
    assert detail[1]["floor_s"] == pytest.approx(8.8)
    assert detail[1]["bound_by"] == "graph_ru"
    assert seconds == pytest.approx(6.25 + 8.8)


def result(wall, floor_s, rc=0, writes=0, rss=80.0):
    return {"wall_s": wall, "floor_s": floor_s, "ratio": round(wall / floor_s, 2), "rc": rc, "http_requests": 500,
            "floor_http_requests": 490, "batch_items": 9400, "throttled_429": 3, "writes": writes,
            "peak_module_rss_mb": rss, "simulator_cpu_ms_per_request": 0.2}


def results():
    return {
        "started": "2026-01-01T00:00:00Z", "finished": "2026-01-01T00:10:00Z", "latency_ms": 50, "drift_percent": 10,
        "machine": {"platform": "Linux", "cpus": 2, "python": "3.11", "ansible_core": "2.19"},
        "sizes": {
            "1000": {"users": 1000, "runs": {"audit": result(3.0, 1.0)},
                     "naive": {"loop": {"users": 20, "wall_s": 40.0, "per_user_s": 2.0},
                               "fixed_cost": {"tasks": 5, "empty_play_s": 1.0, "ping_per_task_s": 0.5, "module_per_task_s": 0.9,
                                              "module_requests_per_task": 4.0, "excess_over_ping_s": 0.4,
                                              "imports": {"user_mfa_info": {"exchange_client": False}}}}},
            "10000": {"users": 10000, "runs": {"audit": result(8.0, 7.0),
                                               "enforce": result(100.0, 90.0, writes=1700),
                                               "enforce_again": result(9.0, 7.0)}},
            "50000": {"users": 50000, "runs": {"audit": result(60.0, 53.0, rss=250.0)}},
        },
    }


def test_targets_are_judged_from_the_measurements():
    found = report.targets(results())
    assert found["audit_10000_ratio"]["met"] and found["audit_10000_ratio"]["measured"] == 1.14
    assert found["naive_loop_factor"]["measured"] == 2500.0 and found["naive_loop_factor"]["met"]
    assert found["enforce_ratio"]["measured"] == 1.29 and found["enforce_ratio"]["met"]
    assert found["nothing_to_change_no_writes"]["met"]
    assert found["memory_50000_mb"]["measured"] == 250.0 and found["memory_50000_mb"]["met"]
    assert found["fixed_cost_over_ping_s"]["met"] and found["fixed_cost_over_ping_s"]["measured"] == 0.4
    assert found["unused_imports_not_loaded"]["met"]


def test_targets_not_met_or_not_measured_say_so():
    data = results()
    data["sizes"]["10000"]["runs"]["enforce_again"]["writes"] = 2
    data["sizes"]["10000"]["runs"]["enforce"]["rc"] = 2
    del data["sizes"]["50000"]
    found = report.targets(data)
    assert not found["nothing_to_change_no_writes"]["met"]
    assert found["enforce_no_failures"]["measured"] == ["10000/enforce"]
    assert found["memory_50000_mb"] == {"met": False, "measured": None, "target": "< 300 MB"}


def test_enforce_ratio_is_judged_from_10000_users():
    data = results()
    # At 1,000 users the floor is less than starting ansible-playbook: shown, not judged.
    data["sizes"]["1000"]["runs"]["enforce"] = result(4.0, 1.0, writes=170)
    found = report.targets(data)
    assert found["enforce_ratio"]["measured"] == 1.29 and found["enforce_ratio"]["met"]
    assert "10,000 users and more" in found["enforce_ratio"]["target"]
    data["sizes"]["50000"]["runs"]["enforce"] = result(700.0, 500.0, writes=9000)
    assert report.targets(data)["enforce_ratio"] == {"met": False, "measured": 1.4,
                                                     "target": "<= 1.3 (10,000 users and more)"}


def test_markdown_table_and_doc_update(tmp_path):
    data = results()
    data["targets"] = report.targets(data)
    table = report.markdown(data)
    assert "| 10,000 | audit (enforce play, check mode) | 8.0 | 7.0 | 1.14 | - | - | 500 (490) |" in table
    report.add_fixed_overhead(data)
    assert data["sizes"]["10000"]["runs"]["audit"]["fixed_overhead_s"] == 2.8
    assert data["sizes"]["10000"]["runs"]["audit"]["ratio_less_fixed"] == 0.74
    assert "| 10,000 | audit (enforce play, check mode) | 8.0 | 7.0 | 1.14 | - | 0.74 | 500 (490) |" in report.markdown(data)
    assert "Per-user loop (`loop:` over 20 users" in table
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nIntro.\n")
    report.update_doc(str(doc), table)
    report.update_doc(str(doc), table)
    text = doc.read_text()
    assert text.startswith("# Performance\n\nIntro.\n")
    assert text.count(report.BEGIN) == 1 and text.count("| 10,000 | audit") == 1


def test_least_here_adds_the_fixed_cost_and_what_each_latency_bound_round_trip_takes_here():
    data = results()
    ideal = {"sequential_extra_s": 0.004, "batched_round_trip_extra_s": 0.003}
    for users, members, mailboxes in ((10000, 9400, 8300), (50000, 47000, 41500)):
        tasks = [("user_mfa", floor.mfa_task(LIMITS, users, members)),
                 ("mailbox_protocols", floor.mailbox_task(LIMITS, mailboxes))]
        seconds, detail = floor.run_floor(tasks, buckets(users), 0.05)
        audit = data["sizes"][str(users)]["runs"]["audit"]
        audit.update(floor_s=seconds, floor_detail=detail)
        data["sizes"][str(users)]["ideal"] = ideal
    report.add_fixed_overhead(data)
    audit = data["sizes"]["10000"]["runs"]["audit"]
    # Sequential: 2 sign-in + 11 pages, 2 sign-in + 9 pages; batched: 118 round trips.
    extra = 24 * 0.004 + 118 * 0.003
    assert audit["least_here_s"] == pytest.approx(round(2.8 + audit["floor_s"] + extra, 2))
    assert audit["least_here_ratio"] == pytest.approx(round(audit["least_here_s"] / audit["floor_s"], 2), abs=0.01)
    # At 50,000 users the state reads are bound by the resource units, and the 42 pages of
    # mailboxes by the Exchange rate: their round trips add nothing, whatever they cost here.
    big = data["sizes"]["50000"]["runs"]["audit"]
    assert [phase["bound_by"] for task in big["floor_detail"] for phase in task["phases"]] == [
        "latency", "latency", "graph_ru", "latency", "exchange"]
    assert big["least_here_s"] == pytest.approx(round(2.8 + big["floor_s"] + (2 + 51 + 2) * 0.004, 2))
    table = report.markdown(data)
    assert "| 10,000 | audit (enforce play, check mode) | 8.0 | %.1f | %.2f | %.2f |" % (
        audit["floor_s"], audit["ratio"], audit["least_here_ratio"]) in table
    assert "10,000 users: 4.0 ms a page, 3.0 ms a round trip of" in table
    # No probe (or a failed one): no least.
    data["sizes"]["10000"]["ideal"] = {"error": "refused"}
    del audit["least_here_s"]
    report.add_fixed_overhead(data)
    assert "least_here_s" not in audit
