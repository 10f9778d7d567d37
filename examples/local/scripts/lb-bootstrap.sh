#!/bin/sh
# nginx on this host's address, port 8080, in front of the web group (DOPS_WEB_HOSTS: this group depends on web)
set -e
mkdir -p /etc/dops /tmp/nginx
: > /etc/dops/upstreams.conf
for a in $DOPS_WEB_HOSTS; do echo "server $a:8000;" >> /etc/dops/upstreams.conf; done
cat > /etc/dops/nginx.conf <<CONF
worker_processes 1;
pid /tmp/nginx/nginx.pid;
error_log /tmp/nginx/error.log;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path /tmp/nginx/body; proxy_temp_path /tmp/nginx/proxy;
  fastcgi_temp_path /tmp/nginx/fcgi; uwsgi_temp_path /tmp/nginx/uwsgi; scgi_temp_path /tmp/nginx/scgi;
  upstream web { include /etc/dops/upstreams.conf; }
  server {
    listen $DOPS_HOST_ADDRESS:8080;
    location / { proxy_pass http://web; proxy_next_upstream error timeout http_502; proxy_connect_timeout 1s; }
  }
}
CONF
nginx -c /etc/dops/nginx.conf
