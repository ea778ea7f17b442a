#!/bin/sh
# HAProxy external check: succeeds only when the node answers and is not in recovery,
# i.e. it is the writable primary. HAProxy calls it with
# <proxy address> <proxy port> <server address> <server port>.
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
r=$("$PGBIN/psql" -X -qtA -h "$3" -p "$4" -U postgres -d postgres \
     -c "SELECT pg_is_in_recovery()" 2>/dev/null) || exit 1
[ "$r" = "f" ]
