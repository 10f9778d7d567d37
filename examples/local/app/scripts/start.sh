#!/bin/sh
# serve /var/www/app on this host's address, port 8000, saying which host answered
cd /var/www/app || exit 1
echo "<p>served by $(hostname), database: $(cat /etc/dops/app.conf 2>/dev/null)</p>" > host.html
cat index.html host.html > all.html && mv all.html index.html
nohup python3 -m http.server 8000 --bind "$DOPS_HOST_ADDRESS" >/dev/null 2>&1 </dev/null &
echo $! > /tmp/app.pid
