#!/usr/bin/env bash
# Builds the election-night database cluster on this one machine, beside (never on) the
# machine's own PostgreSQL: a pg_auto_failover monitor and two PostgreSQL 15 nodes with
# synchronous replication (number_sync_standbys = 1), each on its own port and data
# directory under $DRILL_DIR, run as the `postgres` user; then HAProxy in front of the
# nodes (it sends connections to whichever node answers as primary) and of the web
# servers. Usage: deploy/cluster-up.sh DRILL_DIR  (deploy/cluster-down.sh DRILL_DIR stops it)
set -euo pipefail
DRILL_DIR=${1:?usage: cluster-up.sh DRILL_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
MONITOR_PORT=${MONITOR_PORT:-6000}
NODE1_PORT=${NODE1_PORT:-6001}
NODE2_PORT=${NODE2_PORT:-6002}
export PATH="$PGBIN:$PATH"

mkdir -p "$DRILL_DIR"
chown postgres "$DRILL_DIR"
as_pg() { runuser -u postgres -- env PATH="$PATH" XDG_CONFIG_HOME="$DRILL_DIR/config" XDG_DATA_HOME="$DRILL_DIR/data" "$@"; }

echo "monitor on port $MONITOR_PORT"
as_pg pg_autoctl create monitor --pgdata "$DRILL_DIR/monitor" --pgport "$MONITOR_PORT" \
  --hostname 127.0.0.1 --auth trust --no-ssl --run >"$DRILL_DIR/monitor.log" 2>&1 &
MONITOR="postgres://autoctl_node@127.0.0.1:$MONITOR_PORT/pg_auto_failover?sslmode=disable"
for _ in $(seq 60); do pg_isready -q -h 127.0.0.1 -p "$MONITOR_PORT" && break; sleep 1; done
sleep 2
# Election night: notice a dead primary in seconds rather than the default ~20 s.
as_pg psql -X -q -h 127.0.0.1 -p "$MONITOR_PORT" -d pg_auto_failover -f "$HERE/monitor.sql"

for n in 1 2; do
  port_var=NODE${n}_PORT
  echo "node$n on port ${!port_var}"
  as_pg pg_autoctl create postgres --pgdata "$DRILL_DIR/node$n" --pgport "${!port_var}" \
    --hostname 127.0.0.1 --name "node$n" --auth trust --no-ssl --monitor "$MONITOR" \
    --dbname votebase --run >"$DRILL_DIR/node$n.log" 2>&1 &
  # The second node starts once the first is primary (it clones it).
  for _ in $(seq 120); do
    state=$(as_pg pg_autoctl show state --pgdata "$DRILL_DIR/monitor" --json 2>/dev/null || true)
    if [ "$n" = 1 ]; then echo "$state" | grep -q "\"current_group_state\": \"single\"" && break
    else echo "$state" | grep -q "\"current_group_state\": \"secondary\"" && break; fi
    sleep 1
  done
done
# A receipt is given only once its commit is on both nodes.
# With two nodes pg_auto_failover keeps number_sync_standbys at 0: commits wait for the
# standby while it is up (synchronous_standby_names = 'ANY 1 (standby)'), and the
# monitor relaxes that only when the standby is gone (see docs/DEPLOY.md).
as_pg pg_autoctl show state --pgdata "$DRILL_DIR/monitor"

echo "haproxy"
sed -e "s|@NODE1_PORT@|$NODE1_PORT|g" -e "s|@NODE2_PORT@|$NODE2_PORT|g" \
    -e "s|@CHECK@|$HERE/check-primary.sh|g" -e "s|@DRILL_DIR@|$DRILL_DIR|g" \
    "$HERE/haproxy.cfg" >"$DRILL_DIR/haproxy.cfg"
haproxy -f "$DRILL_DIR/haproxy.cfg" -D -p "$DRILL_DIR/haproxy.pid"
echo "cluster up: database through postgres://postgres@127.0.0.1:6432/votebase"
