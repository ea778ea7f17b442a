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

-- Ballot events of a voter, unless received over an exchange (the receiver records the
-- provenance row before the event).
CREATE FUNCTION ballot_events_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- An archive import restores what this trigger derived (`votebase org import`).
    IF current_setting('votebase.restoring', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF NEW.state_voter_id <> '' AND NOT EXISTS (
        SELECT 1 FROM exchange_received
        WHERE dataset = 'ballot_status' AND item_key = NEW.event_key) THEN
        PERFORM exchange_outbox_lock();
        INSERT INTO exchange_outbox (dataset, state_voter_id, payload)
        VALUES ('ballot_status', NEW.state_voter_id,
                json_build_object('event_key', NEW.event_key,
                                  'local_voter_id', NEW.local_voter_id,
                                  'county_name', NEW.county_name,
                                  'election_date', NEW.election_date,
                                  'method', NEW.method, 'delivery_type', NEW.delivery_type,
                                  'request_date', NEW.request_date,
                                  'send_date', NEW.send_date,
                                  'return_date', NEW.return_date,
                                  'return_status', NEW.return_status,
                                  'category', NEW.category, 'site_name', NEW.site_name,
                                  'same_day_registration', NEW.same_day_registration,
                                  'request_party', NEW.request_party)::text);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ballot_events_outbox AFTER INSERT ON ballot_events
    FOR EACH ROW EXECUTE FUNCTION ballot_events_outbox();

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
