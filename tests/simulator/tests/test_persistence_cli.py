"""CLI, server.json, persistence across restarts, deterministic seeding, scale, stats and
the change log."""
import json
import os

from conftest import SimClient, start_server, stop_server

from m365sim.seed import Seeder
from m365sim.state import Store

APP_FIELDS = {"client_id", "client_secret", "certificate_pem_path", "certificate_pfx_path",
              "certificate_pfx_password", "certificate_encrypted_pem_path", "certificate_encrypted_pem_password",
              "federated_token_path"}


def test_server_json_and_restart_persistence(tmp_path):
    state_dir = str(tmp_path / "state")
    proc, info = start_server(state_dir, users=60, seed=5)
    try:
        for key in ("url", "port", "pid", "ca_path", "tenant_id", "tenant_domain", "default_domain", "apps"):
            assert key in info
        assert info["url"] == "https://localhost:%d" % info["port"] and info["pid"] == proc.pid
        assert info["tenant_domain"] == "contoso.onmicrosoft.com" and info["default_domain"] == "contoso.com"
        assert set(info["apps"]) == {"admin", "reader", "noperm"}
        for app in info["apps"].values():
            assert APP_FIELDS <= set(app)
            for k in ("certificate_pem_path", "certificate_pfx_path", "certificate_encrypted_pem_path",
                      "federated_token_path"):
                assert os.path.isfile(app[k]) and os.path.dirname(app[k]) == state_dir
        assert os.path.isfile(os.path.join(state_dir, "ca.pem"))
        sim = SimClient(info)
        assert sim.sim("GET", "state?summary=1").json()["counts"]["users"] == 60
        user = sim.graph("GET", "users?$top=1&$filter=userType eq 'Member'").json()["value"][0]
        path = "users/%s/authentication/requirements" % user["id"]
        current = sim.graph("GET", path, version="beta").json()["perUserMfaState"]
        target = "disabled" if current == "enforced" else "enforced"
        assert sim.graph("PATCH", path, version="beta", json={"perUserMfaState": target}).status_code == 204
        assert sim.exo("Set-TransportConfig", {"SmtpClientAuthenticationDisabled": False}).status_code == 200
        cert_before = open(info["apps"]["admin"]["certificate_pem_path"]).read()
    finally:
        stop_server(state_dir, proc)
    assert not os.path.exists(os.path.join(state_dir, "server.json"))
    saved = json.load(open(os.path.join(state_dir, "state.json")))
    assert any(u["id"] == user["id"] and u["_mfa"] == target for u in saved["users"])

    proc, info2 = start_server(state_dir, users=60, seed=5)
    try:
        sim = SimClient(info2)
        assert info2["apps"]["admin"]["client_id"] == info["apps"]["admin"]["client_id"]
        assert open(info2["apps"]["admin"]["certificate_pem_path"]).read() == cert_before
        assert sim.graph("GET", path, version="beta").json()["perUserMfaState"] == target
        tc = sim.exo("Get-TransportConfig").json()["value"][0]
        assert tc["SmtpClientAuthenticationDisabled"] is False
        assert [c["kind"] for c in sim.sim("GET", "changes").json()["changes"]] == ["user.perUserMfaState",
                                                                                    "transportConfig"]
    finally:
        stop_server(state_dir, proc)

    proc, info3 = start_server(state_dir, "--reset", users=60, seed=5)
    try:
        sim = SimClient(info3)
        assert sim.graph("GET", path, version="beta").json()["perUserMfaState"] == current
        assert sim.sim("GET", "changes").json()["changes"] == []
    finally:
        stop_server(state_dir, proc)


def _strip(data):
    data = dict(data)
    data.pop("seeded_at")
    return data


def test_seeding_is_deterministic():
    a, b = Seeder(300, 9).build(), Seeder(300, 9).build()
    assert _strip(a) == _strip(b)
    c = Seeder(300, 10).build()
    assert [u["id"] for u in a["users"]] != [u["id"] for u in c["users"]]
    kinds = {u["_kind"] for u in a["users"]}
    assert {"admin", "breakglass1", "breakglass2", "member", "guest", "shared", "room", "equipment"} <= kinds
    rtd = {m["RecipientTypeDetails"] for m in a["mailboxes"]}
    assert rtd == {"UserMailbox", "SharedMailbox", "RoomMailbox", "EquipmentMailbox"}
    smtp = [m["cas"].get("SmtpClientAuthenticationDisabled", None) for m in a["mailboxes"]]
    assert smtp.count(None) > len(smtp) / 2 and True in smtp and False in smtp


def test_seeding_scale(tmp_path):
    # How fast seeding is belongs to the benchmark (tests/performance), not to a timed test that
    # fails on a busy machine: this checks that a 10,000-user tenant is seeded whole.
    store = Store(str(tmp_path / "big.json"))
    store.seed(10000, 1)
    assert len(store.data["users"]) == 10000 and len(store.users_by_upn) == 10000
    assert len(store.data["mailboxes"]) > 8000


def test_stats_and_changes(sim):
    sim.graph("GET", "users?$top=1")
    sim.graph("GET", "users?$top=1")
    sim.graph("GET", "organization", app="noperm")
    sim.graph("POST", "$batch", json={"requests": [{"id": "1", "method": "GET", "url": "/organization"}]})
    sim.exo("Set-TransportConfig", {"SmtpClientAuthenticationDisabled": False})
    stats = sim.sim("GET", "stats").json()
    assert stats["by_route"]["GET /users"] == 2
    assert stats["by_route"]["GET /organization"] == 1
    assert stats["by_route"]["POST /$batch"] == 1 and stats["by_route"]["POST /adminapi/InvokeCommand"] == 1
    assert stats["by_status"]["403"] == 1
    assert stats["batch"]["items"] == 1 and stats["batch"]["by_route"]["GET /organization"] == 1
    assert stats["writes"] == 1
    assert stats["total"] >= 5
    changes = sim.sim("GET", "changes").json()
    entry = changes["changes"][-1]
    assert entry["kind"] == "transportConfig" and entry["before"] == {"SmtpClientAuthenticationDisabled": True}
    assert entry["after"] == {"SmtpClientAuthenticationDisabled": False} and entry["actor"] == "admin"
    assert "time" in entry and entry["target"] == "Transport Settings"
    assert sim.sim("GET", "changes?since=%d" % changes["last_seq"]).json()["changes"] == []
    sim.sim("POST", "stats/reset")
    assert sim.sim("GET", "stats").json()["total"] == 0
    full = sim.sim("GET", "state").json()
    assert len(full["users"]) == 200 and full["transport_config"]["SmtpClientAuthenticationDisabled"] is False
    r = sim.sim("POST", "reset", json={"users": 80, "seed": 2})
    assert r.status_code == 200 and r.json()["counts"]["users"] == 80
    assert sim.sim("GET", "changes").json()["changes"] == []


def test_stop_without_server(tmp_path):
    import subprocess
    import sys

    from conftest import REPO, SIM_ROOT

    env = dict(os.environ, PYTHONPATH=SIM_ROOT)
    r = subprocess.run([sys.executable, "-m", "m365sim", "stop", "--state-dir", str(tmp_path)], env=env,
                       capture_output=True, cwd=REPO, check=False)
    assert r.returncode == 1 and b"no running simulator" in r.stderr
