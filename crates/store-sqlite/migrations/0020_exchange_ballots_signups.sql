-- Exchange of ballot status and volunteer sign-ups: what a subscriber received with its
-- provenance, and the outbox triggers that publish ballot events and volunteers linked
-- to a voter.

-- What this organization received over exchange agreements that has no table of its own
-- here (volunteer sign-ups), or whose table keeps no provenance (ballot status: the event
-- also goes into ballot_events). (source, source_key) = ('exchange:ORG', 'AGREEMENT:SEQ')
-- is unique, so applying the same record twice is one row. `item_key` is the ballot
-- event's content key, or the publisher's volunteer id.
CREATE TABLE exchange_received (
    source TEXT NOT NULL,
    source_key TEXT NOT NULL,
    dataset TEXT NOT NULL,
    state_voter_id TEXT NOT NULL,
    item_key TEXT NOT NULL,
    summary TEXT NOT NULL,
    payload TEXT NOT NULL,        -- JSON, as published
    published_at TEXT NOT NULL,   -- the publisher's outbox time
    received_at TEXT NOT NULL,
    received_by TEXT NOT NULL,
    PRIMARY KEY (source, source_key)
);
CREATE INDEX exchange_received_voter ON exchange_received (state_voter_id);
CREATE INDEX exchange_received_item ON exchange_received (dataset, item_key);

-- The volunteer trigger looks for what it already published.
CREATE INDEX exchange_outbox_voter ON exchange_outbox (dataset, state_voter_id);

-- Ballot events are published only while an agreement that may carry them (ballot_status,
-- not ended) is on file: an organization that shares no ballot status pays nothing per
-- event on a million-row ballot import. When such an agreement is first recorded, the
-- events already held are published once (the backfill below), so the agreement's window
-- decides what crosses, as for the other datasets; received events are never published
-- again (the receiver records the provenance row before the event).
CREATE INDEX exchange_outbox_ballot_key ON exchange_outbox (json_extract(payload, '$.event_key'))
WHERE dataset = 'ballot_status';

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

-- A volunteer linked (or confirmed) as a voter signed up: published once per volunteer
-- and voter, without name or contact details (the skills, hours and when).
CREATE TRIGGER person_links_outbox AFTER INSERT ON person_links
WHEN NOT EXISTS (SELECT 1 FROM archive_restoring)
 AND NEW.status IN ('linked', 'confirmed')
 AND EXISTS (SELECT 1 FROM volunteer_profiles WHERE person_id = NEW.person_id)
 AND NOT EXISTS (SELECT 1 FROM exchange_outbox o
                 WHERE o.dataset = 'volunteer_signups' AND o.state_voter_id = NEW.state_voter_id
                   AND json_extract(o.payload, '$.volunteer')
                       = (SELECT external_id FROM people WHERE id = NEW.person_id))
BEGIN
    INSERT INTO exchange_outbox (dataset, state_voter_id, payload, recorded_at)
    SELECT 'volunteer_signups', NEW.state_voter_id,
           json_object('volunteer', p.external_id, 'source', p.source,
                       'signed_up_at', p.created_at,
                       'skills', COALESCE((SELECT group_concat(skill || ':' || level, ';')
                                           FROM (SELECT skill, level FROM volunteer_skills
                                                 WHERE person_id = p.id ORDER BY skill)), ''),
                       'hours_per_week', v.hours_per_week,
                       'remote', json(CASE WHEN v.remote THEN 'true' ELSE 'false' END)),
           strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    FROM people p JOIN volunteer_profiles v ON v.person_id = p.id
    WHERE p.id = NEW.person_id;
END;

CREATE TRIGGER person_links_outbox_confirmed AFTER UPDATE OF status ON person_links
WHEN NOT EXISTS (SELECT 1 FROM archive_restoring)
 AND NEW.status = 'confirmed' AND OLD.status NOT IN ('linked', 'confirmed')
 AND EXISTS (SELECT 1 FROM volunteer_profiles WHERE person_id = NEW.person_id)
 AND NOT EXISTS (SELECT 1 FROM exchange_outbox o
                 WHERE o.dataset = 'volunteer_signups' AND o.state_voter_id = NEW.state_voter_id
                   AND json_extract(o.payload, '$.volunteer')
                       = (SELECT external_id FROM people WHERE id = NEW.person_id))
BEGIN
    INSERT INTO exchange_outbox (dataset, state_voter_id, payload, recorded_at)
    SELECT 'volunteer_signups', NEW.state_voter_id,
           json_object('volunteer', p.external_id, 'source', p.source,
                       'signed_up_at', p.created_at,
                       'skills', COALESCE((SELECT group_concat(skill || ':' || level, ';')
                                           FROM (SELECT skill, level FROM volunteer_skills
                                                 WHERE person_id = p.id ORDER BY skill)), ''),
                       'hours_per_week', v.hours_per_week,
                       'remote', json(CASE WHEN v.remote THEN 'true' ELSE 'false' END)),
           strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    FROM people p JOIN volunteer_profiles v ON v.person_id = p.id
    WHERE p.id = NEW.person_id;
END;
