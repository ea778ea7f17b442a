-- Voter-protection incidents: intake, triage, assignment, escalation and resolution, each change an entry on the incident's timeline.
-- Times are UTC text in one fixed format (YYYY-MM-DDTHH:MM:SS.ffffffZ) so they compare as text.
-- Nothing is ever deleted: triggers refuse deletes, and timeline entries are never updated.
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    observed_at TEXT NOT NULL,
    category TEXT NOT NULL,
    severity INTEGER NOT NULL,
    status TEXT NOT NULL,
    resolution TEXT,
    county TEXT NOT NULL,
    precinct TEXT NOT NULL,
    polling_place_id TEXT NOT NULL,
    polling_place TEXT NOT NULL,
    address TEXT NOT NULL,
    place_key TEXT NOT NULL,
    description TEXT NOT NULL,
    reporter_name TEXT NOT NULL,
    reporter_phone TEXT NOT NULL,
    reporter_relationship TEXT NOT NULL,
    reporter_voter_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    created_by TEXT NOT NULL,
    assigned_to TEXT,
    cluster_id INTEGER,
    duplicate_of INTEGER,
    first_action_at TEXT,
    last_touched_at TEXT NOT NULL,
    resolved_at TEXT,
    external_key TEXT UNIQUE
);
CREATE INDEX incidents_place ON incidents (place_key, observed_at);
CREATE INDEX incidents_queue ON incidents (status, severity, observed_at);
CREATE INDEX incidents_county ON incidents (county);

CREATE TABLE incident_events (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, id);

CREATE TABLE incident_coverage (
    user_name TEXT NOT NULL,
    county TEXT NOT NULL,
    lead INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_name, county)
);

CREATE TABLE incident_rules (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    rules_json TEXT NOT NULL
);

CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents
BEGIN SELECT RAISE(ABORT, 'incidents are never deleted'); END;
CREATE TRIGGER incident_events_no_delete BEFORE DELETE ON incident_events
BEGIN SELECT RAISE(ABORT, 'incident timeline entries are never deleted'); END;
CREATE TRIGGER incident_events_no_update BEFORE UPDATE ON incident_events
BEGIN SELECT RAISE(ABORT, 'incident timeline entries are never changed'); END;

-- Photos attached to incidents: one copy of the same bytes per incident, never deleted.
CREATE TABLE incident_attachments (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    n INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (incident_id, n),
    UNIQUE (incident_id, sha256)
);
CREATE TRIGGER incident_attachments_no_delete BEFORE DELETE ON incident_attachments
BEGIN SELECT RAISE(ABORT, 'incident attachments are never deleted'); END;
CREATE TRIGGER incident_attachments_no_update BEFORE UPDATE ON incident_attachments
BEGIN SELECT RAISE(ABORT, 'incident attachments are never changed'); END;
