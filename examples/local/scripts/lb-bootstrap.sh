#!/bin/sh
# nginx on this host's address, port 8080, in front of the web group (DOPS_WEB_HOSTS: this group depends on web).
# The upstreams live in /etc/dops/upstreams.conf: lb-upstreams.sh rewrites them when web hosts join or leave, and
# /etc/dops/lb-traffic.sh (the app's traffic.block / traffic.allow) takes one out and puts it back during deploys.
set -e
mkdir -p /etc/dops /tmp/nginx
: > /etc/dops/upstreams.conf
# max_fails=0: nginx never marks a server unavailable on its own (dops says when a host is down), so a restart
# never leaves the balancer without a live upstream
for a in $DOPS_WEB_HOSTS; do echo "server $a:8000 max_fails=0;" >> /etc/dops/upstreams.conf; done
cat > /etc/dops/lb-traffic.sh <<'SCRIPT'
#!/bin/sh
# lb-traffic.sh block|allow ADDRESS: mark a web host down (or up again) and reload nginx; a graceful reload lets
# requests in flight finish, the short sleep lets the old workers stop taking new ones
set -e
case $1 in
  block) from="max_fails=0;" to="down;" ;;
  allow) from="down;" to="max_fails=0;" ;;
  *) echo "usage: lb-traffic.sh block|allow ADDRESS" >&2; exit 2 ;;
esac
sed -i "s/^server $2:8000 $from\$/server $2:8000 $to/" /etc/dops/upstreams.conf
nginx -c /etc/dops/nginx.conf -s reload
sleep 0.5
SCRIPT
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
    location / {
      proxy_pass http://web;
      proxy_connect_timeout 1s;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries 0;
    }
  }
}
CONF
nginx -c /etc/dops/nginx.conf
