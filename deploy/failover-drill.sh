#!/usr/bin/env bash
# The election-night failover drill, on this one machine (run as root; needs the Debian
# packages postgresql-15-auto-failover and haproxy, and a built `votebase`):
#   1. deploy/cluster-up.sh: a pg_auto_failover monitor and three PostgreSQL 15 nodes
#      (number_sync_standbys = 1) on ports 6000-6003 (data under a temp dir, run as `postgres`), HAProxy on
#      6432 (the primary) and 8080 (the web servers). The machine's PostgreSQL on 5432
#      is not touched.
#   2. a demo organization through HAProxy, an admin token, two `votebase serve` on 8081
#      and 8082 over postgres://…:6432.
#   3. deploy/failover-load.py: incident intake + reads, precinct chairs reporting results,
#      public polling-place lookups, all through 8080, and live-queue clients on each
#      server; mid-run it kills (kill -9) the PostgreSQL primary node (its keeper and
#      postmaster) and web server 1.
#   4. the checks: every acknowledged incident stored once and on every live-queue
#      client; every receipt a chair holds in the results log, no precinct entered twice,
#      the projection rebuilt from the log identical to the live one; ends with
#      `lost N, duplicated M`.
# Usage: VOTEBASE=target/debug/votebase deploy/failover-drill.sh [SECONDS]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SECONDS_RUN=${1:-60}
VOTEBASE=${VOTEBASE:-$HERE/../target/release/votebase}
DRILL_DIR=${DRILL_DIR:-$(mktemp -d /tmp/votebase-drill.XXXXXX)}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DB=postgres://postgres@127.0.0.1:6432/votebase
ORG=drill

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "$HERE/cluster-down.sh" "$DRILL_DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$HERE/cluster-up.sh" "$DRILL_DIR"
# Our own copy: a rebuild elsewhere cannot change the binary mid-drill.
cp "$VOTEBASE" "$DRILL_DIR/votebase"
VB=("$DRILL_DIR/votebase" --database "$DB" --org "$ORG")
"${VB[@]}" demo --voters 2000 --no-serve >"$DRILL_DIR/demo.log" 2>&1
printf 'drill password 12345\n' | "${VB[@]}" user add drill-admin --role admin >/dev/null
TOKEN=$("${VB[@]}" token create drill-admin)
COUNTY=$("$PGBIN/psql" -X -qtA "$DB" -c "SELECT county_name FROM vb_$ORG.voters WHERE present LIMIT 1")

# Addresses of the demo's voters for the public lookups.
"$PGBIN/psql" -X -qtA "$DB" -c "SELECT address_raw || ', ' || city || ' ' || zip5 FROM vb_$ORG.voters
  WHERE present AND address_raw <> '' ORDER BY state_voter_id LIMIT 500" >"$DRILL_DIR/addresses.txt"

# Every client of the drill comes from 127.0.0.1 (through HAProxy), so the per-address
# limits of the public lookup and the chairs' sign-in, meant for one phone each, are off.
for n in 1 2; do
  VOTEBASE_LOOKUP_PER_MINUTE=0 VOTEBASE_RESULTS_SIGNIN_PER_MINUTE=0 \
  VOTEBASE_LOG=votebase_app::cluster=info,warn "${VB[@]}" serve --bind "127.0.0.1:808$n" \
    >"$DRILL_DIR/web$n.log" 2>&1 &
  pids+=($!)
  echo $! >"$DRILL_DIR/web$n.pid"
done
for _ in $(seq 60); do
  curl -fsS http://127.0.0.1:8080/api/v1/health >/dev/null 2>&1 && break; sleep 0.5
done

# The node now primary, found through HAProxy.
PORT=$("$PGBIN/psql" -X -qtA "$DB" -c "SELECT inet_server_port()")
NODE=node$((PORT - 6000))
echo "primary: $NODE (port $PORT)"

# kill -9 a process and everything under it (the pids are this drill's own).
kill_tree() {
  # The parent first (so that it cannot start a new child), then what it had started.
  local p=$1 c kids
  kids=$(pgrep -P "$p" || true)
  kill -9 "$p" 2>/dev/null || true
  for c in $kids; do kill_tree "$c"; done
}
cat >"$DRILL_DIR/kill.sh" <<KILL
#!/usr/bin/env bash
$(declare -f kill_tree)
kill_tree \$(head -1 /tmp/pg_autoctl$DRILL_DIR/$NODE/pg_autoctl.pid)
kill_tree \$(head -1 $DRILL_DIR/$NODE/postmaster.pid)
kill -9 \$(cat $DRILL_DIR/web1.pid)
echo "killed the primary $NODE (keeper and postmaster) and web server 1"
KILL
chmod +x "$DRILL_DIR/kill.sh"

python3 "$HERE/failover-load.py" --token "$TOKEN" --county "$COUNTY" \
  --seconds "$SECONDS_RUN" --kill-at 15 --kill-cmd "$DRILL_DIR/kill.sh" \
  --psql-url "$DB" --schema "vb_$ORG" --addresses "$DRILL_DIR/addresses.txt" \
  --rebuild-cmd "${VB[*]} results rebuild"
status=$?
"$PGBIN/psql" -X -qtA -h 127.0.0.1 -p 6000 -U postgres -d pg_auto_failover \
  -c "SELECT nodename, reportedstate FROM pgautofailover.node ORDER BY nodeid" || true
# After the failover a commit must still wait for a second copy: the new primary's
# standby (the third node) is synchronous.
echo "standbys of the new primary (sync_state):"
"$PGBIN/psql" -X -qtA "$DB" -c "SELECT application_name, sync_state FROM pg_stat_replication" || true
"$PGBIN/psql" -X -qtA "$DB" -c "SHOW synchronous_standby_names" || true
echo "leaders of the escalation job:"; grep -h "leading job" "$DRILL_DIR"/web*.log || true
exit $status
