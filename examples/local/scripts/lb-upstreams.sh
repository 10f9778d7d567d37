#!/bin/sh
# hostsJoined / hostsLeft of the web group: DOPS_HOSTS is its membership now; rewrite the upstreams and reload
set -e
: > /etc/dops/upstreams.conf.new
for a in $DOPS_HOSTS; do echo "server $a:8000;" >> /etc/dops/upstreams.conf.new; done
mv /etc/dops/upstreams.conf.new /etc/dops/upstreams.conf
if [ -f /tmp/nginx/nginx.pid ]; then nginx -c /etc/dops/nginx.conf -s reload; fi
