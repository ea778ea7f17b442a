#!/usr/bin/env bash
# Stops what deploy/cluster-up.sh started (HAProxy, the three nodes, the monitor) and
# removes DRILL_DIR. The machine's own PostgreSQL is not touched.
set -uo pipefail
DRILL_DIR=${1:?usage: cluster-down.sh DRILL_DIR}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
[ -f "$DRILL_DIR/haproxy.pid" ] && kill "$(cat "$DRILL_DIR/haproxy.pid")" 2>/dev/null
for d in node1 node2 node3 monitor; do
  [ -d "$DRILL_DIR/$d" ] && runuser -u postgres -- env PATH="$PGBIN:$PATH" \
    XDG_CONFIG_HOME="$DRILL_DIR/config" XDG_DATA_HOME="$DRILL_DIR/data" \
    pg_autoctl stop --pgdata "$DRILL_DIR/$d" --immediate 2>/dev/null
done
sleep 2
rm -rf "$DRILL_DIR"
