"""Print the connection variables for the running tenant simulator, as YAML for Ansible.

Reads STATE_DIR/server.json (written by ``python -m m365sim serve``). Variables are named
m365_* and are what the integration targets and the demo inventory use.
"""

import json
import os
import sys

import yaml


def main():
    state_dir = sys.argv[1]
    with open(os.path.join(state_dir, "server.json")) as handle:
        server = json.load(handle)
    apps = server["apps"]
    admin, reader, noperm = apps["admin"], apps["reader"], apps["noperm"]
    data = {
        "m365_tenant_id": server["tenant_id"],
        "m365_tenant_domain": server["tenant_domain"],
        "m365_cloud": "custom",
        "m365_graph_url": server["url"],
        "m365_exchange_url": server["url"],
        "m365_authority_url": server["url"],
        "m365_ca_path": server["ca_path"],
        "m365_client_id": admin["client_id"],
        "m365_client_secret": admin["client_secret"],
        "m365_certificate_pem_path": admin["certificate_pem_path"],
        "m365_certificate_pfx_path": admin["certificate_pfx_path"],
        "m365_certificate_pfx_password": admin["certificate_pfx_password"],
        "m365_certificate_encrypted_pem_path": admin["certificate_encrypted_pem_path"],
        "m365_certificate_encrypted_pem_password": admin["certificate_encrypted_pem_password"],
        "m365_federated_token_path": admin["federated_token_path"],
        "m365_reader_client_id": reader["client_id"],
        "m365_reader_client_secret": reader["client_secret"],
        "m365_noperm_client_id": noperm["client_id"],
        "m365_noperm_client_secret": noperm["client_secret"],
        "m365_simulator_url": server["url"],
        # PowerShell remoting (exchange_transport: psrp) to the simulator's /wsman endpoint.
        "m365_psrp_server": server["psrp"]["server"],
        "m365_psrp_port": server["psrp"]["port"],
        "m365_psrp_username": server["psrp"]["username"],
        "m365_psrp_password": server["psrp"]["password"],
        "m365_certificate_thumbprint": admin["certificate_thumbprint"],
        "m365_reader_certificate_thumbprint": reader["certificate_thumbprint"],
        "m365_simulator_state_dir": os.path.abspath(state_dir),
    }
    yaml.safe_dump(data, sys.stdout, default_flow_style=False, sort_keys=True)


if __name__ == "__main__":
    main()
