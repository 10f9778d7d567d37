#!/bin/sh
# hostsJoined / hostsLeft of the web group: DOPS_HOSTS is its membership now; rewrite the upstreams (a host that
# lb-traffic.sh took out of traffic stays down) and reload
set -e
: > /etc/dops/upstreams.conf.new
for a in $DOPS_HOSTS; do
  if grep -qx "server $a:8000 down;" /etc/dops/upstreams.conf 2>/dev/null; then echo "server $a:8000 down;"
  else echo "server $a:8000 max_fails=0;"; fi >> /etc/dops/upstreams.conf.new
done
mv /etc/dops/upstreams.conf.new /etc/dops/upstreams.conf
if [ -f /tmp/nginx/nginx.pid ]; then nginx -c /etc/dops/nginx.conf -s reload; fi
