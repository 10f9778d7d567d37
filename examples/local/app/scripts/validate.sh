#!/bin/sh
# wait (bounded) until the server answers
i=0
while [ $i -lt 50 ]; do
  curl -fsS -o /dev/null "http://$DOPS_HOST_ADDRESS:8000/" && exit 0
  i=$((i + 1)); sleep 0.1
done
echo "the app did not answer on $DOPS_HOST_ADDRESS:8000" >&2
exit 1
