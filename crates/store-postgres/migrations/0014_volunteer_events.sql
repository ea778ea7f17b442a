-- The organization's key that signs the links in volunteers' emails (their matches page,
-- unsubscribe): one row, made once. Then events, shifts and attendance.
CREATE TABLE volunteer_link_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Events with shifts and capacity, and who registered, came, did not come or cancelled.
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    organization TEXT NOT NULL,
    location TEXT NOT NULL,
    zip TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE event_shifts (
    id BIGSERIAL PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    starts_at TIMESTAMPTZ NOT NULL,
    ends_at TIMESTAMPTZ,
    capacity INTEGER,
    UNIQUE (event_id, external_id)
);

CREATE TABLE event_attendance (
    shift_id BIGINT NOT NULL REFERENCES event_shifts(id) ON DELETE CASCADE,
    person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('registered', 'attended', 'no_show', 'cancelled')),
    source TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shift_id, person_id)
);
CREATE INDEX event_attendance_by_person ON event_attendance (person_id);

-- The universe index reads attendance, volunteers' skills and their voter links: a change
-- to any of them moves the data version it watches.
CREATE TRIGGER event_attendance_version AFTER INSERT OR UPDATE OR DELETE ON event_attendance
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER volunteer_skills_version AFTER INSERT OR UPDATE OR DELETE ON volunteer_skills
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER person_links_version AFTER INSERT OR UPDATE OR DELETE ON person_links
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
