-- Exchange between organizations and the do-not-contact list: the organization's
-- suppression list, its copies of exchange agreements, the append-only outbox of what it
-- publishes (written by triggers in the same transaction as the publishing write) and the
-- cursors of what it has applied from each publisher.

-- Do-not-contact entries: a voter id, a phone (E.164) and/or an email; (source,
-- source_key) is unique so the same opt-out recorded twice is one entry. Removal (admins
-- only) keeps the row with who removed it and when.
CREATE TABLE suppressions (
    id INTEGER PRIMARY KEY,
    state_voter_id TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL,
    reason TEXT NOT NULL,
    source TEXT NOT NULL,
    source_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    removed_at TEXT,
    removed_by TEXT,
    UNIQUE (source, source_key)
);
CREATE INDEX suppressions_voter ON suppressions (state_voter_id);
CREATE INDEX suppressions_phone ON suppressions (phone);

-- This organization's copy of each agreement it is a side of.
CREATE TABLE exchange_agreements (
    id TEXT PRIMARY KEY,
    publisher TEXT NOT NULL,
    subscriber TEXT NOT NULL,
    terms TEXT NOT NULL,          -- JSON (datasets, fields, match, direction, window)
    hash_key TEXT NOT NULL,
    proposed_by_org TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_at TEXT NOT NULL,
    publisher_approved_by TEXT,
    publisher_approved_at TEXT,
    subscriber_approved_by TEXT,
    subscriber_approved_at TEXT,
    ended_by TEXT,
    ended_at TEXT,
    ended_by_org TEXT
);

-- What this organization publishes, in commit order (SQLite has one writer at a time).
CREATE TABLE exchange_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset TEXT NOT NULL,
    state_voter_id TEXT NOT NULL,
    payload TEXT NOT NULL,        -- JSON
    recorded_at TEXT NOT NULL
);
CREATE TRIGGER exchange_outbox_no_update BEFORE UPDATE ON exchange_outbox
BEGIN SELECT RAISE(ABORT, 'the exchange outbox is append-only'); END;
CREATE TRIGGER exchange_outbox_no_delete BEFORE DELETE ON exchange_outbox
BEGIN SELECT RAISE(ABORT, 'the exchange outbox is append-only'); END;

-- Contact outcomes that say something about the voter, unless they came over an
-- exchange themselves (nothing is passed on).
CREATE TRIGGER contact_events_outbox AFTER INSERT ON contact_events
WHEN NOT EXISTS (SELECT 1 FROM archive_restoring)
 AND NEW.source NOT LIKE 'exchange:%'
 AND NEW.result IN ('reached', 'refused', 'moved', 'wrong_number', 'deceased', 'inaccessible')
BEGIN
    INSERT INTO exchange_outbox (dataset, state_voter_id, payload, recorded_at)
    VALUES ('contact_outcomes', NEW.state_voter_id,
            json_object('channel', NEW.channel, 'result', NEW.result,
                        'contacted_at', NEW.contacted_at),
            strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER survey_answers_outbox AFTER INSERT ON survey_answers
WHEN NOT EXISTS (SELECT 1 FROM archive_restoring)
 AND (SELECT source FROM contact_events WHERE event_id = NEW.event_id) NOT LIKE 'exchange:%'
BEGIN
    INSERT INTO exchange_outbox (dataset, state_voter_id, payload, recorded_at)
    SELECT 'survey_answers', NEW.state_voter_id,
           json_object('channel', e.channel, 'contacted_at', e.contacted_at,
                       'question', NEW.question_key, 'answer', NEW.answer, 'value', NEW.value),
           strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    FROM contact_events e WHERE e.event_id = NEW.event_id;
END;

-- Opt-outs of a voter (entries with a voter id), unless received over an exchange.
CREATE TRIGGER suppressions_outbox AFTER INSERT ON suppressions
WHEN NOT EXISTS (SELECT 1 FROM archive_restoring)
 AND NEW.source NOT LIKE 'exchange:%' AND NEW.state_voter_id <> ''
BEGIN
    INSERT INTO exchange_outbox (dataset, state_voter_id, payload, recorded_at)
    VALUES ('opt_outs', NEW.state_voter_id,
            json_object('channel', NEW.channel, 'reason', NEW.reason, 'source', NEW.source,
                        'recorded_at', NEW.created_at),
            strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

-- A texting STOP, an `optedOut` status or a do-not-call result suppresses the voter.
CREATE TRIGGER contact_events_opt_out AFTER INSERT ON contact_events
WHEN NOT EXISTS (SELECT 1 FROM archive_restoring)
 AND NEW.result = 'opted_out' AND NEW.source NOT LIKE 'exchange:%'
BEGIN
    INSERT INTO suppressions (state_voter_id, channel, reason, source, source_key, created_at, created_by)
    VALUES (NEW.state_voter_id, CASE NEW.channel WHEN 'text' THEN 'text' WHEN 'phone' THEN 'phone' ELSE 'all' END,
            'opted out (' || NEW.channel || ' contact of ' || substr(NEW.contacted_at, 1, 10) || ')',
            CASE NEW.channel WHEN 'text' THEN 'text_stop' WHEN 'phone' THEN 'do_not_call' ELSE 'opted_out' END,
            NEW.source || ':' || NEW.source_event_id,
            strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'contact import')
    ON CONFLICT (source, source_key) DO NOTHING;
END;

-- A volunteer who unsubscribes from email is suppressed on email (with their voter
-- link when there is one).
CREATE TRIGGER people_unsubscribe_suppression AFTER UPDATE OF unsubscribed ON people
WHEN NEW.unsubscribed = 1 AND OLD.unsubscribed = 0
BEGIN
    INSERT INTO suppressions (state_voter_id, email, channel, reason, source, source_key, created_at, created_by)
    SELECT COALESCE((SELECT l.state_voter_id FROM person_links l
                      WHERE l.person_id = NEW.id AND l.status IN ('linked', 'confirmed')
                      ORDER BY l.status = 'confirmed' DESC, l.state_voter_id LIMIT 1), ''),
           e.email, 'email', 'unsubscribed from volunteer email', 'email_unsubscribe',
           'person:' || NEW.external_id || ':' || e.email,
           strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'volunteer unsubscribe'
    FROM person_emails e WHERE e.person_id = NEW.id
    ON CONFLICT (source, source_key) DO NOTHING;
END;

-- Per agreement and publisher: the last outbox seq applied here, and what was applied.
CREATE TABLE exchange_cursors (
    agreement_id TEXT NOT NULL,
    publisher TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    publisher_head INTEGER NOT NULL,
    applied INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (agreement_id, publisher)
);

-- Universes drop suppressed voters: a change moves the data version.
CREATE TRIGGER suppressions_insert_version AFTER INSERT ON suppressions
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER suppressions_update_version AFTER UPDATE ON suppressions
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
