-- Several servers over one organization's schema: every committed timeline entry of an
-- incident is announced on the channel '<schema>:incidents' with the payload
-- '<entry id> <incident id>'. PostgreSQL delivers notifications at commit, in commit
-- order, to every server listening (the live incident queue's fan-out); a server that
-- was not listening catches up by reading incident_events from the last id it saw.
CREATE FUNCTION incident_events_announce() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify(TG_TABLE_SCHEMA || ':incidents', NEW.id::text || ' ' || NEW.incident_id::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER incident_events_announce AFTER INSERT ON incident_events
    FOR EACH ROW EXECUTE FUNCTION incident_events_announce();
