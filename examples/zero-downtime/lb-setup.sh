#!/bin/sh
# Start nginx on the load-balancer host: listen on $1:8080, proxy to the web hosts given as the other arguments
# (port 8000). Its upstream list lives in /etc/dops/upstreams.conf, which the plan's traffic commands edit.
set -e
listen=$1; shift
mkdir -p /etc/dops /tmp/nginx
: > /etc/dops/upstreams.conf
for a in "$@"; do echo "server $a:8000 max_fails=0;" >> /etc/dops/upstreams.conf; done
cat > /etc/dops/nginx.conf <<CONF
worker_processes 1;
pid /tmp/nginx/nginx.pid;
error_log /tmp/nginx/error.log;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path /tmp/nginx/body; proxy_temp_path /tmp/nginx/proxy;
  fastcgi_temp_path /tmp/nginx/fcgi; uwsgi_temp_path /tmp/nginx/uwsgi; scgi_temp_path /tmp/nginx/scgi;
  upstream app { include /etc/dops/upstreams.conf; }
  server {
    listen $listen:8080;
    location / {
      proxy_pass http://app;
      proxy_connect_timeout 1s;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries 0;
    }
  }
}
CONF
if [ -f /tmp/nginx/nginx.pid ] && kill -0 "$(cat /tmp/nginx/nginx.pid)" 2>/dev/null; then nginx -c /etc/dops/nginx.conf -s reload
else nginx -c /etc/dops/nginx.conf; fi
