#!/bin/sh
# Prometheus' node_exporter on this host's own address, port 9100 (monitoring.exporters.node in dops.yml). A sandbox
# host sees this machine's /usr/bin, where setup.sh installed it; on a real Debian host this would be
# `apt-get install -y prometheus-node-exporter` and its systemd unit.
set -e
exporter=$(command -v prometheus-node-exporter || command -v node_exporter || true)
[ -n "$exporter" ] || { echo "node_exporter is not installed (apt-get install prometheus-node-exporter)" >&2; exit 1; }
setsid -f "$exporter" --web.listen-address="$DOPS_HOST_ADDRESS:9100" </dev/null >/dev/null 2>&1
