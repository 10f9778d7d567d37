#!/bin/sh
# Bootstrap of a new web host (examples/full): install Node.js when asked (--with-node MAJOR).
set -eu
if [ "${1:-}" = "--with-node" ]; then
  major="${2:?--with-node needs a major version}"
  if ! command -v node >/dev/null 2>&1; then
    curl -fsSL "https://deb.nodesource.com/setup_${major}.x" | bash -
    apt-get install -y nodejs
  fi
fi
