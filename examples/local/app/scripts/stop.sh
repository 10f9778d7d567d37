#!/bin/sh
[ -f /tmp/app.pid ] && kill "$(cat /tmp/app.pid)" 2>/dev/null
rm -f /tmp/app.pid
exit 0
