#!/bin/sh
# serve /var/www/app on this host's address, port 8000; the server must not hold the hook's output
cd /var/www/app || exit 1
nohup python3 -m http.server 8000 --bind "$DOPS_HOST_ADDRESS" >/dev/null 2>&1 </dev/null &
echo $! > /tmp/app.pid
