#!/usr/bin/env bash
# One command on a fresh machine: install everything, start the bundled tenant simulator with
# a seeded tenant, and run the collection's main playbook against it.
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
start_simulator "$SIM_DIR" --users "$USERS" --seed "$SEED"
simulator_vars "$SIM_DIR" "$DEMO/simulator_vars.yml"
"$PY" - "$DEMO/simulator_vars.yml" "$DEMO/inventory.yml" <<'PYEOF'
import sys, yaml
v = yaml.safe_load(open(sys.argv[1]))
host = {key: v[key] for key in ("m365_tenant_id", "m365_client_id", "m365_client_secret", "m365_cloud",
                                 "m365_graph_url", "m365_exchange_url", "m365_authority_url", "m365_ca_path")}
yaml.safe_dump({"m365_tenants": {"hosts": {"contoso_simulated": host}}}, open(sys.argv[2], "w"))
PYEOF

log "Running m365.admin.tenant_facts against the simulated tenant"
ANSIBLE_STDOUT_CALLBACK=${ANSIBLE_STDOUT_CALLBACK:-default} \
    ansible-playbook -i "$DEMO/inventory.yml" "$COLLECTION/playbooks/tenant_facts.yml"

if [ "$KEEP" = 1 ]; then
    log "The simulator keeps running: $(python3 -c "import json;print(json.load(open('$SIM_DIR/server.json'))['url'])")"
    echo "Inventory: $DEMO/inventory.yml; stop it with: PYTHONPATH=tests/simulator $PY -m m365sim stop --state-dir $SIM_DIR"
fi
