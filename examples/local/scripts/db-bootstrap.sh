#!/bin/sh
# a stand-in database: a data directory and a marker the web hosts could check
mkdir -p /srv/db && echo "ready on $DOPS_HOST_ADDRESS" > /srv/db/status
