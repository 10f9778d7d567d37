#!/bin/sh
# What the sandbox example needs on Debian (as root): sshd for the sandbox hosts, nginx for the load balancer,
# python3 and curl for the app, node_exporter for monitoring. Installed without starting the packages' services: a system sshd on port 22 would
# answer on the loopback addresses the sandbox hosts listen on, and nginx would take port 80.
set -e
need=
[ -x /usr/sbin/sshd ] || need="$need openssh-server"
[ -x /usr/sbin/nginx ] || need="$need nginx-light"
[ -x /usr/bin/python3 ] || need="$need python3"
command -v curl >/dev/null 2>&1 || need="$need curl"
[ -x /usr/bin/prometheus-node-exporter ] || need="$need prometheus-node-exporter"
if [ -n "$need" ]; then
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
# an sshd already listening on every address takes port 22 of the sandbox hosts' addresses too
if command -v ss >/dev/null 2>&1 && ss -Hltn 2>/dev/null | awk '{print $4}' | grep -qxE '(0\.0\.0\.0|\*|\[::\]):22'; then
  echo "warning: a service listens on port 22 of every address (a system sshd?): sandbox hosts listen on 127.0.x.y:22 and cannot start beside it" >&2
fi
echo "ready: $(/usr/sbin/sshd -V 2>&1 | head -n 1 | cut -d, -f1), $(/usr/sbin/nginx -v 2>&1 | sed "s/nginx version: //"), $(/usr/bin/python3 --version)"
