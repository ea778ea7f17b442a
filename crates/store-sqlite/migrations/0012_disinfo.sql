-- Disinformation watch: items clustered into narratives, the claim catalogue, spike alerts
-- and the response workflow. Times are UTC text in one fixed format
-- (YYYY-MM-DDTHH:MM:SS.ffffffZ) so they compare as text; posted_hour is hours since the epoch.
-- Hotline incidents are linked by id (incident_id), their text is never copied.
-- Nothing is ever deleted: triggers refuse deletes, and timeline entries and alerts are never updated.
CREATE TABLE disinfo_claims (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    verdict TEXT NOT NULL CHECK (verdict IN ('false', 'misleading', 'true', 'unverified')),
    claim_en TEXT NOT NULL,
    claim_es TEXT NOT NULL,
    counter_en TEXT NOT NULL,
    counter_es TEXT NOT NULL,
    source TEXT NOT NULL
);

CREATE TABLE disinfo_narratives (
    id INTEGER PRIMARY KEY,
    items INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    first_item INTEGER,
    claim_id INTEGER REFERENCES disinfo_claims (id),
    claim_similarity REAL,
    status TEXT NOT NULL DEFAULT 'new',
    assigned_to TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX disinfo_narratives_seen ON disinfo_narratives (last_seen);

CREATE TABLE disinfo_items (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    text TEXT NOT NULL,
    url TEXT NOT NULL,
    platform TEXT NOT NULL,
    author TEXT NOT NULL,
    posted_at TEXT NOT NULL,
    posted_hour INTEGER NOT NULL,
    reach INTEGER,
    incident_id INTEGER UNIQUE REFERENCES incidents (id),
    lang TEXT NOT NULL,
    narrative_id INTEGER NOT NULL REFERENCES disinfo_narratives (id),
    representative INTEGER NOT NULL,
    signature BLOB NOT NULL,
    claim_id INTEGER REFERENCES disinfo_claims (id),
    claim_similarity REAL,
    places TEXT NOT NULL,
    screenshot_type TEXT,
    screenshot BLOB,
    created_at TEXT NOT NULL,
    UNIQUE (source, source_id)
);
CREATE INDEX disinfo_items_narrative ON disinfo_items (narrative_id, posted_hour);
CREATE INDEX disinfo_items_representative ON disinfo_items (representative) WHERE representative = 1;

CREATE TABLE disinfo_alerts (
    id INTEGER PRIMARY KEY,
    narrative_id INTEGER NOT NULL REFERENCES disinfo_narratives (id),
    hour TEXT NOT NULL,
    count INTEGER NOT NULL,
    baseline REAL NOT NULL,
    p_value REAL NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (narrative_id, hour)
);

CREATE TABLE disinfo_events (
    id INTEGER PRIMARY KEY,
    narrative_id INTEGER NOT NULL REFERENCES disinfo_narratives (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX disinfo_events_narrative ON disinfo_events (narrative_id, id);

CREATE TRIGGER disinfo_items_no_delete BEFORE DELETE ON disinfo_items
BEGIN SELECT RAISE(ABORT, 'disinformation items are never deleted'); END;
CREATE TRIGGER disinfo_narratives_no_delete BEFORE DELETE ON disinfo_narratives
BEGIN SELECT RAISE(ABORT, 'narratives are never deleted'); END;
CREATE TRIGGER disinfo_claims_no_delete BEFORE DELETE ON disinfo_claims
BEGIN SELECT RAISE(ABORT, 'claims are never deleted'); END;
CREATE TRIGGER disinfo_alerts_no_delete BEFORE DELETE ON disinfo_alerts
BEGIN SELECT RAISE(ABORT, 'alerts are never deleted'); END;
CREATE TRIGGER disinfo_alerts_no_update BEFORE UPDATE ON disinfo_alerts
BEGIN SELECT RAISE(ABORT, 'alerts are never changed'); END;
CREATE TRIGGER disinfo_events_no_delete BEFORE DELETE ON disinfo_events
BEGIN SELECT RAISE(ABORT, 'narrative timeline entries are never deleted'); END;
CREATE TRIGGER disinfo_events_no_update BEFORE UPDATE ON disinfo_events
BEGIN SELECT RAISE(ABORT, 'narrative timeline entries are never changed'); END;
