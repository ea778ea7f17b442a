#!/usr/bin/env python3
"""Election-night load for the failover drill (standard library only).

Three kinds of traffic, all through the load balancer: hotline intake (below), precinct
chairs reporting results (a primary set up through the API, each chair signs in with its
code and submits once, retrying with the same client id until it holds a receipt), and
public polling-place lookups (addresses from --addresses; no account).

Through the load balancer it takes incidents (hotline intake: POST /api/v1/incidents,
each with a unique description, retried until acknowledged) and reads them back
(GET /api/v1/incidents/{id}); live-queue clients follow /incidents/events on each web
server and reconnect (through the load balancer, with Last-Event-ID) when theirs dies.
At --kill-at seconds it runs --kill-cmd (the drill kills the PostgreSQL primary and one
web server with kill -9). At the end it checks, in the database (--psql-url), that every
acknowledged incident is stored exactly once and that every live-queue client saw every
incident; it prints the time without a writable primary, failed and retried requests,
p50/p99 before/during/after, and ends with `lost N, duplicated M`.
"""
import argparse, http.client, json, subprocess, sys, threading, time, urllib.parse, uuid

p = argparse.ArgumentParser()
p.add_argument("--lb", default="127.0.0.1:8080")
p.add_argument("--servers", default="127.0.0.1:8081,127.0.0.1:8082")
p.add_argument("--token", required=True)
p.add_argument("--county", required=True)
p.add_argument("--seconds", type=float, default=60)
p.add_argument("--kill-at", type=float, default=15)
p.add_argument("--kill-cmd", required=True)
p.add_argument("--workers", type=int, default=8)
p.add_argument("--psql-url", required=True)
p.add_argument("--schema", required=True)
p.add_argument("--precincts", type=int, default=200, help="chairs reporting results")
p.add_argument("--addresses", help="file of addresses for public lookups, one a line")
p.add_argument("--lookup-workers", type=int, default=2)
p.add_argument("--rebuild-cmd", help="command that rebuilds the projection; the election slug is appended")
a = p.parse_args()

RUN = uuid.uuid4().hex[:8]
lock = threading.Lock()
acked = {}            # description -> incident id
lat = {"before": [], "during": [], "after": []}
failed_attempts = 0   # requests that failed and were retried
retried_ok = 0        # requests that succeeded after at least one failure
reads_ok = reads_failed = 0
t0 = time.time()
kill_time = None
first_write_after_kill = None
stop = threading.Event()


def phase(t):
    if kill_time is None or t < kill_time:
        return "before"
    if first_write_after_kill is None or t < first_write_after_kill + 5:
        return "during"
    return "after"


def request(host, method, path, body=None, timeout=10, token=None, headers=None):
    c = http.client.HTTPConnection(host, timeout=timeout)
    try:
        hdrs = {"Authorization": "Bearer " + (token or a.token)} if token != "" else {}
        hdrs.update(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=hdrs)
        r = c.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        c.close()


def writer(w):
    global failed_attempts, retried_ok, first_write_after_kill, reads_ok, reads_failed
    n = 0
    while not stop.is_set():
        n += 1
        desc = f"drill {RUN} w{w} #{n}"
        body = {"category": "long_lines", "county": a.county, "polling_place": f"Drill School {w}",
                "description": desc, "reporter_name": "Drill Caller",
                "reporter_phone": "919 555 0100", "reporter_relationship": "voter"}
        start = time.time()
        tries = 0
        while True:
            tries += 1
            try:
                # The same key on every retry: a report whose answer was lost is not
                # stored twice (the server answers 200 with the first one).
                status, text = request(a.lb, "POST", "/api/v1/incidents", body,
                                       headers={"Idempotency-Key": desc})
            except Exception:
                status, text = 0, ""
            if status in (200, 201):
                break
            with lock:
                failed_attempts += 1
            time.sleep(0.2)
        done = time.time()
        iid = json.loads(text)["incident"]["id"]
        with lock:
            acked[desc] = iid
            if tries > 1:
                retried_ok += 1
            if kill_time is not None and first_write_after_kill is None and start >= kill_time:
                first_write_after_kill = done
            lat[phase(start)].append(done - start)
        try:
            s, _ = request(a.lb, "GET", f"/api/v1/incidents/{iid}")
            with lock:
                if s == 200:
                    reads_ok += 1
                else:
                    reads_failed += 1
        except Exception:
            with lock:
                reads_failed += 1


class Watcher(threading.Thread):
    """A live-queue client; on a lost connection it resumes through the load balancer."""

    def __init__(self, host):
        super().__init__(daemon=True)
        self.host, self.seen, self.last_id, self.reconnects = host, set(), None, 0

    def run(self):
        host = self.host
        while not stop.is_set() or time.time() < end_grace:
            try:
                c = http.client.HTTPConnection(host, timeout=30)
                hdrs = {"Authorization": "Bearer " + a.token, "Accept": "text/event-stream"}
                if self.last_id is not None:
                    hdrs["Last-Event-ID"] = str(self.last_id)
                c.request("GET", "/incidents/events", headers=hdrs)
                r = c.getresponse()
                if r.status != 200:
                    raise IOError(r.status)
                while True:
                    line = r.readline()
                    if not line:
                        raise IOError("closed")
                    line = line.decode()
                    if line.startswith("id:"):
                        self.last_id = int(line[3:].strip())
                    elif line.startswith("data: ["):
                        for row in json.loads(line[6:]):
                            self.seen.add(row["id"])
            except Exception:
                self.reconnects += 1
                host = a.lb
                time.sleep(0.3)


# ---- results: a primary with one contest, codes for every precinct ----
ELECTION = f"drill-{RUN}"
CANDIDATES = ["Avery", "Blake", "Casey"]
PRECINCTS = [f"D{i + 1:04}" for i in range(a.precincts)]
election = {
    "slug": ELECTION, "name": "Failover drill primary", "date": "2026-11-03", "double_entry": False,
    "contests": [{"key": "governor", "office": "Governor", "district": "", "party": "DEM",
                  "kind": "votes", "candidates": CANDIDATES}],
    "precincts": [{"id": pid, "county": a.county, "name": f"Drill precinct {pid}"} for pid in PRECINCTS],
}
st, text = request(a.lb, "POST", "/api/v1/results/elections", election)
if st != 201:
    sys.exit(f"results setup refused: {st} {text}")
st, text = request(a.lb, "POST", f"/api/v1/results/{ELECTION}/codes", {})
if st != 200:
    sys.exit(f"issuing chair codes failed: {st} {text}")
CODES = {c["precinct"]: c["code"] for c in json.loads(text)}
receipts = {}         # client id -> receipt id a chair holds
chair_lat = {"before": [], "during": [], "after": []}
chair_failed_attempts = 0
lookups = {"ok": 0, "rate_limited": 0, "failed": 0}
lookup_lat = {"before": [], "during": [], "after": []}


def until_answered(call, ok=(200, 201)):
    """Calls until the answer is one of `ok` (or the run is over); counts failed tries."""
    global chair_failed_attempts
    while True:
        try:
            st, text = call()
        except Exception:
            st, text = 0, ""
        if st in ok:
            return st, text
        with lock:
            chair_failed_attempts += 1
        if stop.is_set() and time.time() > end_grace:
            return None, None
        time.sleep(0.2)


def chair(i):
    pid = PRECINCTS[i]
    client_id = f"chair-{RUN}-{pid}"
    # Chairs report spread over the run and 30 s past it, so some report before, some
    # while the primary is down and some after.
    time.sleep(2 + (a.seconds + 28) * i / max(1, len(PRECINCTS)))
    start = time.time()
    _, text = until_answered(lambda: request(
        a.lb, "POST", f"/api/v1/results/{ELECTION}/sign-in", {"code": CODES[pid]}, token=""), ok=(200,))
    if text is None:
        return
    token = json.loads(text)["token"]
    votes = [(i * 37 + k * 101) % 400 + 20 for k in range(len(CANDIDATES))]
    body = {"client_id": client_id, "election": ELECTION, "precinct": pid, "contest": "governor",
            "result": {"votes": {"ballots_cast": sum(votes), "counts": [
                {"candidate": c, "vote_type": "election_day", "votes": v}
                for c, v in zip(CANDIDATES, votes)]}}}
    _, text = until_answered(lambda: request(
        a.lb, "POST", "/api/v1/results/submissions", body, token=token))
    if text is None:
        return
    done = time.time()
    with lock:
        receipts[client_id] = json.loads(text)["receipt_id"]
        chair_lat[phase(start)].append(done - start)


ADDRESSES = []
if a.addresses:
    with open(a.addresses) as f:
        ADDRESSES = [line.strip() for line in f if line.strip()]


def looker(w):
    n = w
    while not stop.is_set() and ADDRESSES:
        n += a.lookup_workers
        q = urllib.parse.quote(ADDRESSES[n % len(ADDRESSES)])
        start = time.time()
        try:
            st, _ = request(a.lb, "GET", f"/api/v1/lookup?address={q}", token="")
        except Exception:
            st = 0
        with lock:
            if st == 200:
                lookups["ok"] += 1
                lookup_lat[phase(start)].append(time.time() - start)
            elif st == 429:
                lookups["rate_limited"] += 1
            else:
                lookups["failed"] += 1
        time.sleep(0.02)


end_grace = float("inf")
watchers = [Watcher(h) for h in a.servers.split(",") for _ in range(2)] + [Watcher(a.lb)]
for w in watchers:
    w.start()
time.sleep(1)
workers = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(a.workers)]
chairs = [threading.Thread(target=chair, args=(i,), daemon=True) for i in range(len(PRECINCTS))]
workers += chairs
workers += [threading.Thread(target=looker, args=(i,), daemon=True) for i in range(a.lookup_workers)]
for w in workers:
    w.start()
time.sleep(a.kill_at)
print(f"t+{time.time() - t0:.1f}s: {a.kill_cmd}", flush=True)
subprocess.run(a.kill_cmd, shell=True, check=False)
kill_time = time.time()  # from the moment the primary and the web server are dead
# Until --seconds, and at least 15 s of "after" once writes are acknowledged again.
while (time.time() - t0 < a.seconds or first_write_after_kill is None
       or time.time() < first_write_after_kill + 20 or any(c.is_alive() for c in chairs)):
    time.sleep(0.5)
    if time.time() - t0 > a.seconds + 180:
        break
stop.set()
for w in workers:
    w.join(timeout=30)
end_grace = time.time() + 20
deadline = end_grace
ids = set(acked.values())
while time.time() < deadline and not all(ids <= w.seen for w in watchers):
    time.sleep(0.5)

# The checks, in the database (through the load balancer: the new primary).
rows = subprocess.run(
    ["psql", "-X", "-qtA", a.psql_url, "-c",
     f"SELECT description, count(*) FROM {a.schema}.incidents "
     f"WHERE description LIKE 'drill {RUN} %' GROUP BY description"],
    capture_output=True, text=True, check=True).stdout.split("\n")
stored = {}
for r in rows:
    if "|" in r:
        d, n = r.rsplit("|", 1)
        stored[d] = int(n)
lost = sum(1 for d in acked if d not in stored)
duplicated = sum(n - 1 for n in stored.values() if n > 1)

# Results: every receipt a chair holds is the log's entry for its client id, and no
# precinct has two entries (each chair submitted one result).
rows = subprocess.run(
    ["psql", "-X", "-qtA", "-F", "\t", a.psql_url, "-c",
     f"SELECT client_id, precinct, receipt FROM {a.schema}.results_log "
     f"WHERE election = '{ELECTION}'"],
    capture_output=True, text=True, check=True).stdout.split("\n")
log_receipt, per_precinct = {}, {}
for r in rows:
    if "\t" in r:
        cid, pid, receipt = r.split("\t", 2)
        log_receipt[cid] = json.loads(receipt)["receipt_id"]
        per_precinct[pid] = per_precinct.get(pid, 0) + 1
results_lost = sum(1 for cid, rid in receipts.items() if log_receipt.get(cid) != rid)
results_duplicated = sum(n - 1 for n in per_precinct.values() if n > 1)
unreported = len(PRECINCTS) - len(receipts)
rebuilt_ok = None
if a.rebuild_cmd:
    out = subprocess.run(a.rebuild_cmd + " " + ELECTION, shell=True, capture_output=True, text=True)
    rebuilt_ok = out.returncode == 0 and "identical to the live projection" in out.stdout
    print(f"projection rebuilt from the log: {out.stdout.strip() or out.stderr.strip()}")
missing_live = [(w.host, len(ids - w.seen)) for w in watchers if not ids <= w.seen]


def pct(v, q):
    if not v:
        return float("nan")
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] * 1000


print(f"incidents acknowledged: {len(acked)}; stored: {sum(stored.values())}; "
      f"read back: {reads_ok} ok, {reads_failed} failed")
print(f"time without a writable primary (kill to first acknowledged write): "
      f"{(first_write_after_kill or float('nan')) - kill_time:.1f} s")
print(f"failed requests retried: {failed_attempts} attempts; {retried_ok} reports needed a retry")
for ph in ("before", "during", "after"):
    print(f"  {ph:6}: {len(lat[ph]):5} intakes, p50 {pct(lat[ph], .5):7.0f} ms, p99 {pct(lat[ph], .99):7.0f} ms")
print(f"live-queue clients: {len(watchers)}, reconnections {sum(w.reconnects for w in watchers)}, "
      f"every incident on every client: {'yes' if not missing_live else missing_live}")
print(f"results: {len(PRECINCTS)} chairs, {len(receipts)} hold a receipt, {unreported} never got one; "
      f"log entries {sum(per_precinct.values())}; receipts not in the log {results_lost}; "
      f"precincts entered twice {results_duplicated}; failed tries retried {chair_failed_attempts}")
for ph in ("before", "during", "after"):
    print(f"  {ph:6}: {len(chair_lat[ph]):5} chairs, sign-in + submit p50 {pct(chair_lat[ph], .5):7.0f} ms, "
          f"p99 {pct(chair_lat[ph], .99):7.0f} ms")
print(f"public lookups: {lookups['ok']} answered, {lookups['rate_limited']} rate-limited, "
      f"{lookups['failed']} failed")
for ph in ("before", "during", "after"):
    print(f"  {ph:6}: {len(lookup_lat[ph]):5} lookups, p50 {pct(lookup_lat[ph], .5):7.0f} ms, "
          f"p99 {pct(lookup_lat[ph], .99):7.0f} ms")
lost += results_lost + unreported
duplicated += results_duplicated
print(f"lost {lost}, duplicated {duplicated}")
sys.exit(0 if lost == 0 and duplicated == 0 and not missing_live and rebuilt_ok is not False else 1)
