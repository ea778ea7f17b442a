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
    state_voter_id TEXT COLLATE "C" NOT NULL,
    item_key TEXT COLLATE "C" NOT NULL,
    summary TEXT NOT NULL,
    payload TEXT NOT NULL,        -- JSON, as published
    published_at TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    received_by TEXT NOT NULL,
    PRIMARY KEY (source, source_key)
);
CREATE INDEX exchange_received_voter ON exchange_received (state_voter_id);
CREATE INDEX exchange_received_item ON exchange_received (dataset, item_key);

-- The volunteer trigger looks for what it already published.
CREATE INDEX exchange_outbox_voter ON exchange_outbox (dataset, state_voter_id);

-- Ballot events are published only while an agreement that may carry them (ballot_status,
-- not ended) is on file: an organization that shares no ballot status pays nothing per
-- event on a million-row ballot import (one statement-level trigger, checked once per
-- statement). When such an agreement is first recorded, the events already held are
-- published once (the backfill below), so the agreement's window decides what crosses,
-- as for the other datasets; received events are never published again (the receiver
-- records the provenance row before the event).
CREATE INDEX exchange_outbox_ballot_key ON exchange_outbox (((payload::json) ->> 'event_key'))
WHERE dataset = 'ballot_status';

CREATE FUNCTION exchange_publishes_ballots() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM exchange_agreements
                   WHERE ended_at IS NULL AND terms LIKE '%"ballot_status"%');
$$;

CREATE FUNCTION ballot_events_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- An archive import restores what this trigger derived (`votebase org import`).
    IF current_setting('votebase.restoring', true) = 'on' OR NOT exchange_publishes_ballots() THEN
        RETURN NULL;
    END IF;
    PERFORM exchange_outbox_lock();
    INSERT INTO exchange_outbox (dataset, state_voter_id, payload)
    SELECT 'ballot_status', E.state_voter_id, json_build_object('event_key', E.event_key,
                                  'local_voter_id', E.local_voter_id,
                                  'county_name', E.county_name,
                                  'election_date', E.election_date,
                                  'method', E.method, 'delivery_type', E.delivery_type,
                                  'request_date', E.request_date,
                                  'send_date', E.send_date,
                                  'return_date', E.return_date,
                                  'return_status', E.return_status,
                                  'category', E.category, 'site_name', E.site_name,
                                  'same_day_registration', E.same_day_registration,
                                  'request_party', E.request_party)::text
    FROM new_events E
    WHERE E.state_voter_id <> ''
      AND NOT EXISTS (SELECT 1 FROM exchange_received r
                      WHERE r.dataset = 'ballot_status' AND r.item_key = E.event_key)
    ORDER BY E.event_key;
    RETURN NULL;
END $$;
CREATE TRIGGER ballot_events_outbox AFTER INSERT ON ballot_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION ballot_events_outbox();

CREATE FUNCTION exchange_agreements_ballot_backfill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('votebase.restoring', true) = 'on' OR NEW.ended_at IS NOT NULL
       OR NEW.terms NOT LIKE '%"ballot_status"%' THEN
        RETURN NULL;
    END IF;
    PERFORM exchange_outbox_lock();
    INSERT INTO exchange_outbox (dataset, state_voter_id, payload)
    SELECT 'ballot_status', E.state_voter_id, json_build_object('event_key', E.event_key,
                                  'local_voter_id', E.local_voter_id,
                                  'county_name', E.county_name,
                                  'election_date', E.election_date,
                                  'method', E.method, 'delivery_type', E.delivery_type,
                                  'request_date', E.request_date,
                                  'send_date', E.send_date,
                                  'return_date', E.return_date,
                                  'return_status', E.return_status,
                                  'category', E.category, 'site_name', E.site_name,
                                  'same_day_registration', E.same_day_registration,
                                  'request_party', E.request_party)::text
    FROM ballot_events E
    WHERE E.state_voter_id <> ''
      AND NOT EXISTS (SELECT 1 FROM exchange_received r
                      WHERE r.dataset = 'ballot_status' AND r.item_key = E.event_key)
      AND NOT EXISTS (SELECT 1 FROM exchange_outbox o
                      WHERE o.dataset = 'ballot_status'
                        AND ((o.payload::json) ->> 'event_key') = E.event_key)
    ORDER BY E.first_seen, E.event_key;
    RETURN NULL;
END $$;
CREATE TRIGGER exchange_agreements_ballot_backfill AFTER INSERT ON exchange_agreements
    FOR EACH ROW EXECUTE FUNCTION exchange_agreements_ballot_backfill();

-- A volunteer linked (or confirmed) as a voter signed up: published once per volunteer
-- and voter, without name or contact details (the skills, hours and when).
CREATE FUNCTION person_links_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    volunteer TEXT;
BEGIN
    IF current_setting('votebase.restoring', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF NOT (NEW.status = 'confirmed' OR (TG_OP = 'INSERT' AND NEW.status = 'linked')) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status IN ('linked', 'confirmed') THEN
        RETURN NULL;
    END IF;
    SELECT p.external_id INTO volunteer FROM people p
      JOIN volunteer_profiles v ON v.person_id = p.id WHERE p.id = NEW.person_id;
    IF volunteer IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM exchange_outbox_lock();
    IF EXISTS (SELECT 1 FROM exchange_outbox o
               WHERE o.dataset = 'volunteer_signups' AND o.state_voter_id = NEW.state_voter_id
                 AND (o.payload::json ->> 'volunteer') = volunteer) THEN
        RETURN NULL;
    END IF;
    INSERT INTO exchange_outbox (dataset, state_voter_id, payload)
    SELECT 'volunteer_signups', NEW.state_voter_id,
           json_build_object('volunteer', p.external_id, 'source', p.source,
                             'signed_up_at', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                             'skills', COALESCE((SELECT string_agg(s.skill || ':' || s.level, ';' ORDER BY s.skill)
                                                 FROM volunteer_skills s WHERE s.person_id = p.id), ''),
                             'hours_per_week', v.hours_per_week,
                             'remote', v.remote)::text
    FROM people p JOIN volunteer_profiles v ON v.person_id = p.id
    WHERE p.id = NEW.person_id;
    RETURN NULL;
END $$;
CREATE TRIGGER person_links_outbox AFTER INSERT OR UPDATE OF status ON person_links
    FOR EACH ROW EXECUTE FUNCTION person_links_outbox();
