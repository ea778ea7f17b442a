-- Disinformation alerts by email, on election day and across servers. Alerts get a kind
-- ('spike': one per narrative and spike hour; 'election_day_county': one per narrative
-- and election day, `hour` the day's first instant) and the counties they name
-- ('|'-separated): one alert per narrative, kind and hour. Every recorded alert is
-- announced on the channel '<schema>:disinfo_alerts' with the payload
-- '<alert id> <narrative id>' (the /disinfo live page of every server; a server that was
-- not listening reads disinfo_alerts back from the last id it saw). Users subscribe to
-- alert emails (queued in the volunteers' email_outbox); the organization lists its
-- election days (a date and its local offset from UTC).
ALTER TABLE disinfo_alerts
    ADD COLUMN kind TEXT COLLATE "C" NOT NULL DEFAULT 'spike'
        CHECK (kind IN ('spike', 'election_day_county')),
    ADD COLUMN counties TEXT NOT NULL DEFAULT '';
ALTER TABLE disinfo_alerts DROP CONSTRAINT disinfo_alerts_narrative_id_hour_key;
ALTER TABLE disinfo_alerts ADD CONSTRAINT disinfo_alerts_once UNIQUE (narrative_id, kind, hour);

CREATE FUNCTION disinfo_alerts_announce() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify(TG_TABLE_SCHEMA || ':disinfo_alerts', NEW.id::text || ' ' || NEW.narrative_id::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER disinfo_alerts_announce AFTER INSERT ON disinfo_alerts
    FOR EACH ROW EXECUTE FUNCTION disinfo_alerts_announce();

CREATE TABLE disinfo_subscriptions (
    user_name TEXT COLLATE "C" PRIMARY KEY REFERENCES users (name),
    email TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE disinfo_election_days (
    date DATE PRIMARY KEY,
    utc_offset_minutes INTEGER NOT NULL CHECK (utc_offset_minutes BETWEEN -840 AND 840)
);
