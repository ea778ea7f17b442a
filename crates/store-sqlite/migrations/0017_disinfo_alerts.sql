-- Disinformation alerts by email and on election day. Alerts get a kind ('spike': one per
-- narrative and spike hour; 'election_day_county': one per narrative and election day,
-- `hour` the day's first instant) and the counties they name ('|'-separated), so the
-- table is rebuilt with one alert per narrative, kind and hour (its triggers with it).
-- Users subscribe to alert emails (queued in the volunteers' email_outbox); the
-- organization lists its election days (a date and its local offset from UTC).
CREATE TABLE disinfo_alerts_v2 (
    id INTEGER PRIMARY KEY,
    narrative_id INTEGER NOT NULL REFERENCES disinfo_narratives (id),
    kind TEXT NOT NULL CHECK (kind IN ('spike', 'election_day_county')),
    hour TEXT NOT NULL,
    count INTEGER NOT NULL,
    baseline REAL NOT NULL,
    p_value REAL NOT NULL,
    counties TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (narrative_id, kind, hour)
);
INSERT INTO disinfo_alerts_v2
    (id, narrative_id, kind, hour, count, baseline, p_value, counties, created_at)
SELECT id, narrative_id, 'spike', hour, count, baseline, p_value, '', created_at
FROM disinfo_alerts;
DROP TABLE disinfo_alerts;
ALTER TABLE disinfo_alerts_v2 RENAME TO disinfo_alerts;
CREATE TRIGGER disinfo_alerts_no_delete BEFORE DELETE ON disinfo_alerts
BEGIN SELECT RAISE(ABORT, 'alerts are never deleted'); END;
CREATE TRIGGER disinfo_alerts_no_update BEFORE UPDATE ON disinfo_alerts
BEGIN SELECT RAISE(ABORT, 'alerts are never changed'); END;

CREATE TABLE disinfo_subscriptions (
    user_name TEXT PRIMARY KEY REFERENCES users (name),
    email TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE disinfo_election_days (
    date TEXT PRIMARY KEY,
    utc_offset_minutes INTEGER NOT NULL CHECK (utc_offset_minutes BETWEEN -840 AND 840)
);
