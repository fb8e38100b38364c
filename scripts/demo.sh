#!/usr/bin/env bash
# One command on a fresh machine: install everything, start the bundled tenant simulator with
# a seeded tenant, and run the tenant baseline against it three times: an audit in check mode
# (the report shows drift), the enforcing run, and the audit again (the report shows compliance).
#   ./scripts/demo.sh [--users N] [--seed S] [--keep]
# --keep leaves the simulator running afterwards (its state persists in build/demo/simulator).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

USERS=500 SEED=1 KEEP=0
while [ $# -gt 0 ]; do
    case $1 in
    --users) USERS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: $0 [--users N] [--seed S] [--keep]" >&2; exit 2 ;;
    esac
done

ensure_venv
stage_collection
DEMO=$ROOT/build/demo
SIM_DIR=$DEMO/simulator
mkdir -p "$DEMO"
stop_simulator "$SIM_DIR"
[ "$KEEP" = 1 ] || trap 'stop_simulator "$SIM_DIR"' EXIT

log "Starting the tenant simulator ($USERS users, seed $SEED; state in $SIM_DIR)"
start_simulator "$SIM_DIR" --users "$USERS" --seed "$SEED" --reset
simulator_vars "$SIM_DIR" "$DEMO/simulator_vars.yml"
"$PY" - "$DEMO/simulator_vars.yml" "$DEMO/inventory.yml" <<'PYEOF'
import sys, yaml
v = yaml.safe_load(open(sys.argv[1]))
host = {key: v[key] for key in ("m365_tenant_id", "m365_client_id", "m365_client_secret", "m365_cloud",
                                 "m365_graph_url", "m365_exchange_url", "m365_authority_url", "m365_ca_path")}
yaml.safe_dump({"m365_tenants": {"hosts": {"contoso_simulated": host}}}, open(sys.argv[2], "w"))
PYEOF

PLAYBOOK=$COLLECTION/playbooks/tenant_baseline.yml
BASELINE=$COLLECTION/playbooks/vars/baseline.example.yml
REPORTS=$DEMO/reports
export ANSIBLE_STDOUT_CALLBACK=${ANSIBLE_STDOUT_CALLBACK:-default}
run_baseline() {
    ansible-playbook -i "$DEMO/inventory.yml" "$PLAYBOOK" -e @"$BASELINE" \
        -e tenant_baseline_report_dir="$REPORTS/$1/contoso_simulated" "${@:2}"
}
summary() {
    "$PY" -c "import json,sys; s=json.load(open(sys.argv[1]))['summary']; c=s['controls']; print('    %d controls: %d compliant, %d drift, %d remediated, %d error, %d skipped; %d changes' % (c['total'], c['compliant'], c['drift'], c['remediated'], c['error'], c['skipped'], s['changes']))" \
        "$REPORTS/$1/contoso_simulated/report.json"
}

log "1/3 Audit (check mode): what would the baseline change? (playbooks/vars/baseline.example.yml)"
run_baseline 1-audit --check
log "2/3 Enforce"
run_baseline 2-enforce
log "3/3 Audit again: nothing should drift"
run_baseline 3-audit --check

log "Reports (JSON, JUnit, Markdown, HTML) in $REPORTS"
for step in 1-audit 2-enforce 3-audit; do
    echo "  $step: $REPORTS/$step/contoso_simulated/report.html"
    summary "$step"
done

if [ "$KEEP" = 1 ]; then
    log "The simulator keeps running: $(python3 -c "import json;print(json.load(open('$SIM_DIR/server.json'))['url'])")"
    echo "Inventory: $DEMO/inventory.yml; stop it with: PYTHONPATH=tests/simulator $PY -m m365sim stop --state-dir $SIM_DIR"
fi
