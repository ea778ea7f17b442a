-- Schema version 24 of both backends: ballot events are keyed by voter. The primary key
-- `(state_voter_id, election_date, event_key)` replaces the event-key primary key and the
-- voter index `(state_voter_id, election_date, rank)` of version 23: the event key is a
-- hash of the event's fields, the voter id and election date among them, so the wider key
-- is unique exactly when the event key is, and the one B-tree of this WITHOUT ROWID table
-- now serves both the import's "already known?" check and every read by voter (the
-- timeline, the purge report's count since a date, the per-election best rank). Each
-- imported event paid a random insert into the second B-tree: at one million new events
-- into a ten-million-voter store that was 2 s of a 10.6 s import (issue 20, `votebase bench
-- ballots`). The import inserts in key order, so a first load appends.
--
-- SQLite cannot change a primary key in place: the table is rebuilt, and the triggers of
-- version 20 that name it (the outbox trigger on it, the backfill trigger on agreements)
-- are dropped first and created again unchanged.
DROP TRIGGER ballot_events_outbox;
DROP TRIGGER exchange_agreements_ballot_backfill;
CREATE TABLE ballot_events_by_voter (
    event_key TEXT NOT NULL,
    state_voter_id TEXT NOT NULL,
    local_voter_id TEXT NOT NULL,
    county_name TEXT NOT NULL,
    election_date TEXT NOT NULL,
    method TEXT NOT NULL,
    delivery_type TEXT NOT NULL,
    request_date TEXT,
    send_date TEXT,
    return_date TEXT,
    return_status TEXT NOT NULL,
    category TEXT NOT NULL,
    rank INTEGER NOT NULL,
    site_name TEXT NOT NULL,
    same_day_registration INTEGER NOT NULL,
    request_party TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (state_voter_id, election_date, event_key)
) WITHOUT ROWID;
INSERT INTO ballot_events_by_voter
SELECT event_key, state_voter_id, local_voter_id, county_name, election_date, method,
       delivery_type, request_date, send_date, return_date, return_status, category, rank,
       site_name, same_day_registration, request_party, first_seen
FROM ballot_events ORDER BY state_voter_id, election_date, event_key;
DROP TABLE ballot_events;
ALTER TABLE ballot_events_by_voter RENAME TO ballot_events;

CREATE TRIGGER ballot_events_outbox AFTER INSERT ON ballot_events
WHEN NOT EXISTS (SELECT 1 FROM archive_restoring)
 AND NEW.state_voter_id <> ''
 AND EXISTS (SELECT 1 FROM exchange_agreements
             WHERE ended_at IS NULL AND terms LIKE '%"ballot_status"%')
 AND NOT EXISTS (SELECT 1 FROM exchange_received
                 WHERE dataset = 'ballot_status' AND item_key = NEW.event_key)
BEGIN
    INSERT INTO exchange_outbox (dataset, state_voter_id, payload, recorded_at)
    VALUES ('ballot_status', NEW.state_voter_id,
            json_object('event_key', NEW.event_key, 'local_voter_id', NEW.local_voter_id,
                        'county_name', NEW.county_name, 'election_date', NEW.election_date,
                        'method', NEW.method, 'delivery_type', NEW.delivery_type,
                        'request_date', NEW.request_date, 'send_date', NEW.send_date,
                        'return_date', NEW.return_date, 'return_status', NEW.return_status,
                        'category', NEW.category, 'site_name', NEW.site_name,
                        'same_day_registration', json(CASE WHEN NEW.same_day_registration THEN 'true' ELSE 'false' END),
                        'request_party', NEW.request_party),
            strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER exchange_agreements_ballot_backfill AFTER INSERT ON exchange_agreements
WHEN NOT EXISTS (SELECT 1 FROM archive_restoring)
 AND NEW.ended_at IS NULL AND NEW.terms LIKE '%"ballot_status"%'
BEGIN
    INSERT INTO exchange_outbox (dataset, state_voter_id, payload, recorded_at)
    SELECT 'ballot_status', E.state_voter_id, json_object('event_key', E.event_key, 'local_voter_id', E.local_voter_id,
                        'county_name', E.county_name, 'election_date', E.election_date,
                        'method', E.method, 'delivery_type', E.delivery_type,
                        'request_date', E.request_date, 'send_date', E.send_date,
                        'return_date', E.return_date, 'return_status', E.return_status,
                        'category', E.category, 'site_name', E.site_name,
                        'same_day_registration', json(CASE WHEN E.same_day_registration THEN 'true' ELSE 'false' END),
                        'request_party', E.request_party), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    FROM ballot_events E
    WHERE E.state_voter_id <> ''
      AND NOT EXISTS (SELECT 1 FROM exchange_received r
                      WHERE r.dataset = 'ballot_status' AND r.item_key = E.event_key)
      AND NOT EXISTS (SELECT 1 FROM exchange_outbox o
                      WHERE o.dataset = 'ballot_status'
                        AND json_extract(o.payload, '$.event_key') = E.event_key)
    ORDER BY E.first_seen, E.event_key;
END;
