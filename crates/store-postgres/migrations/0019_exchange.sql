-- Exchange between organizations and the do-not-contact list: the organization's
-- suppression list, its copies of exchange agreements, the append-only outbox of what it
-- publishes (written by triggers in the same transaction as the publishing write) and the
-- cursors of what it has applied from each publisher.

-- Do-not-contact entries: a voter id, a phone (E.164) and/or an email; (source,
-- source_key) is unique so the same opt-out recorded twice is one entry. Removal (admins
-- only) keeps the row with who removed it and when.
CREATE TABLE suppressions (
    id BIGSERIAL PRIMARY KEY,
    state_voter_id TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL,
    reason TEXT NOT NULL,
    source TEXT NOT NULL,
    source_key TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    removed_at TIMESTAMPTZ,
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
    proposed_at TIMESTAMPTZ NOT NULL,
    publisher_approved_by TEXT,
    publisher_approved_at TIMESTAMPTZ,
    subscriber_approved_by TEXT,
    subscriber_approved_at TIMESTAMPTZ,
    ended_by TEXT,
    ended_at TIMESTAMPTZ,
    ended_by_org TEXT
);

-- What this organization publishes. Every writer takes one transaction-level advisory
-- lock (exchange_outbox_lock) before its first seq is drawn, so seqs are handed out in
-- commit order and a reader never sees seq n+1 committed before seq n.
CREATE TABLE exchange_outbox (
    seq BIGSERIAL PRIMARY KEY,
    dataset TEXT NOT NULL,
    state_voter_id TEXT NOT NULL,
    payload TEXT NOT NULL,        -- JSON
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE FUNCTION exchange_outbox_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the exchange outbox is append-only';
END $$;
CREATE TRIGGER exchange_outbox_no_change BEFORE UPDATE OR DELETE ON exchange_outbox
    FOR EACH ROW EXECUTE FUNCTION exchange_outbox_refuse_change();

-- Called by every outbox writer before its INSERT (a column default is drawn before a
-- BEFORE trigger would run, so the lock cannot live on the outbox itself); held until
-- the transaction ends, taken again at no cost.
CREATE FUNCTION exchange_outbox_lock() RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.exchange_outbox'));
$$;

-- Contact outcomes that say something about the voter, unless they came over an
-- exchange themselves (nothing is passed on).
CREATE FUNCTION contact_events_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- An archive import restores what this trigger derived (`votebase org import`).
    IF current_setting('votebase.restoring', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF NEW.source NOT LIKE 'exchange:%'
       AND NEW.result IN ('reached', 'refused', 'moved', 'wrong_number', 'deceased', 'inaccessible') THEN
        PERFORM exchange_outbox_lock();
        INSERT INTO exchange_outbox (dataset, state_voter_id, payload)
        VALUES ('contact_outcomes', NEW.state_voter_id,
                json_build_object('channel', NEW.channel, 'result', NEW.result,
                                  'contacted_at', to_char(NEW.contacted_at, 'YYYY-MM-DD"T"HH24:MI:SS'))::text);
    END IF;
    -- A texting STOP, an `optedOut` status or a do-not-call result suppresses the voter.
    IF NEW.result = 'opted_out' AND NEW.source NOT LIKE 'exchange:%' THEN
        INSERT INTO suppressions (state_voter_id, channel, reason, source, source_key, created_at, created_by)
        VALUES (NEW.state_voter_id,
                CASE NEW.channel WHEN 'text' THEN 'text' WHEN 'phone' THEN 'phone' ELSE 'all' END,
                'opted out (' || NEW.channel || ' contact of ' || to_char(NEW.contacted_at, 'YYYY-MM-DD') || ')',
                CASE NEW.channel WHEN 'text' THEN 'text_stop' WHEN 'phone' THEN 'do_not_call' ELSE 'opted_out' END,
                NEW.source || ':' || NEW.source_event_id, now(), 'contact import')
        ON CONFLICT (source, source_key) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER contact_events_outbox AFTER INSERT ON contact_events
    FOR EACH ROW EXECUTE FUNCTION contact_events_outbox();

CREATE FUNCTION survey_answers_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- An archive import restores what this trigger derived (`votebase org import`).
    IF current_setting('votebase.restoring', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM exchange_outbox_lock();
    INSERT INTO exchange_outbox (dataset, state_voter_id, payload)
    SELECT 'survey_answers', NEW.state_voter_id,
           json_build_object('channel', e.channel,
                             'contacted_at', to_char(e.contacted_at, 'YYYY-MM-DD"T"HH24:MI:SS'),
                             'question', NEW.question_key, 'answer', NEW.answer,
                             'value', NEW.value)::text
    FROM contact_events e
    WHERE e.event_id = NEW.event_id AND e.source NOT LIKE 'exchange:%';
    RETURN NULL;
END $$;
CREATE TRIGGER survey_answers_outbox AFTER INSERT ON survey_answers
    FOR EACH ROW EXECUTE FUNCTION survey_answers_outbox();

-- Opt-outs of a voter (entries with a voter id), unless received over an exchange.
CREATE FUNCTION suppressions_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- An archive import restores what this trigger derived (`votebase org import`).
    IF current_setting('votebase.restoring', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF NEW.source NOT LIKE 'exchange:%' AND NEW.state_voter_id <> '' THEN
        PERFORM exchange_outbox_lock();
        INSERT INTO exchange_outbox (dataset, state_voter_id, payload)
        VALUES ('opt_outs', NEW.state_voter_id,
                json_build_object('channel', NEW.channel, 'reason', NEW.reason,
                                  'source', NEW.source,
                                  'recorded_at', to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))::text);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER suppressions_outbox AFTER INSERT ON suppressions
    FOR EACH ROW EXECUTE FUNCTION suppressions_outbox();

-- A volunteer who unsubscribes from email is suppressed on email (with their voter
-- link when there is one).
CREATE FUNCTION people_unsubscribe_suppression() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.unsubscribed AND NOT OLD.unsubscribed THEN
        INSERT INTO suppressions (state_voter_id, email, channel, reason, source, source_key, created_at, created_by)
        SELECT COALESCE((SELECT l.state_voter_id FROM person_links l
                          WHERE l.person_id = NEW.id AND l.status IN ('linked', 'confirmed')
                          ORDER BY l.status = 'confirmed' DESC, l.state_voter_id LIMIT 1), ''),
               e.email, 'email', 'unsubscribed from volunteer email', 'email_unsubscribe',
               'person:' || NEW.external_id || ':' || e.email, now(), 'volunteer unsubscribe'
        FROM person_emails e WHERE e.person_id = NEW.id
        ON CONFLICT (source, source_key) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER people_unsubscribe_suppression AFTER UPDATE OF unsubscribed ON people
    FOR EACH ROW EXECUTE FUNCTION people_unsubscribe_suppression();

-- Per agreement and publisher: the last outbox seq applied here, and what was applied.
CREATE TABLE exchange_cursors (
    agreement_id TEXT NOT NULL,
    publisher TEXT NOT NULL,
    last_seq BIGINT NOT NULL,
    publisher_head BIGINT NOT NULL,
    applied BIGINT NOT NULL,
    skipped BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (agreement_id, publisher)
);

-- Universes drop suppressed voters: a change moves the data version.
CREATE TRIGGER suppressions_version AFTER INSERT OR UPDATE OR DELETE ON suppressions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
