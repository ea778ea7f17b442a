#!/usr/bin/env bash
# Builds the election-night database cluster on this one machine, beside (never on) the
# machine's own PostgreSQL: a pg_auto_failover monitor and three PostgreSQL 15 nodes with
# synchronous replication (number_sync_standbys = 1: a commit waits for one of the two
# standbys, and still does after a failover leaves two nodes), each on its own port and data
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
NODE3_PORT=${NODE3_PORT:-6003}
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

node_state() {
  psql -X -qtA -h 127.0.0.1 -p "$MONITOR_PORT" -U postgres -d pg_auto_failover \
    -c "SELECT reportedstate FROM pgautofailover.node WHERE nodename = 'node$1'" 2>/dev/null || true
}
for n in 1 2 3; do
  port_var=NODE${n}_PORT
  echo "node$n on port ${!port_var}"
  as_pg pg_autoctl create postgres --pgdata "$DRILL_DIR/node$n" --pgport "${!port_var}" \
    --hostname 127.0.0.1 --name "node$n" --auth trust --no-ssl --monitor "$MONITOR" \
    --dbname votebase --run >"$DRILL_DIR/node$n.log" 2>&1 &
  # Each next node starts once the one before is in place (the standbys clone the primary).
  for _ in $(seq 180); do
    state=$(node_state "$n")
    if [ "$n" = 1 ]; then [ "$state" = single ] && break
    else [ "$state" = secondary ] && break; fi
    sleep 1
  done
done
# A receipt is given only once its commit is on two nodes: with two standbys, one must
# confirm each commit (synchronous_standby_names = 'ANY 1 (…)'), and after the primary is
# lost the promoted node keeps the third as its synchronous standby.
# (The monitor's SQL function: Debian's `pg_autoctl set formation number-sync-standbys`
# refuses every value, pg_auto_failover issue #929.)
for _ in $(seq 60); do
  psql -X -qtA -h 127.0.0.1 -p "$MONITOR_PORT" -U postgres -d pg_auto_failover \
    -c "SELECT pgautofailover.set_formation_number_sync_standbys('default', 1)" >/dev/null 2>&1 && break
  sleep 1   # refused until the primary is in state "primary"
done
for _ in $(seq 60); do
  [ "$(node_state 1)" = primary ] && [ "$(node_state 2)" = secondary ] && [ "$(node_state 3)" = secondary ] && break
  sleep 1
done
as_pg pg_autoctl show state --pgdata "$DRILL_DIR/monitor"
as_pg pg_autoctl show settings --pgdata "$DRILL_DIR/monitor"

echo "haproxy"
sed -e "s|@NODE1_PORT@|$NODE1_PORT|g" -e "s|@NODE2_PORT@|$NODE2_PORT|g" -e "s|@NODE3_PORT@|$NODE3_PORT|g" \
    -e "s|@CHECK@|$HERE/check-primary.sh|g" -e "s|@DRILL_DIR@|$DRILL_DIR|g" \
    "$HERE/haproxy.cfg" >"$DRILL_DIR/haproxy.cfg"
haproxy -f "$DRILL_DIR/haproxy.cfg" -D -p "$DRILL_DIR/haproxy.pid"
echo "cluster up: database through postgres://postgres@127.0.0.1:6432/votebase"
