-- The organization's key that signs the links in volunteers' emails (their matches page,
-- unsubscribe): one row, made once. Then events, shifts and attendance.
CREATE TABLE volunteer_link_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Events with shifts and capacity, and who registered, came, did not come or cancelled.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    organization TEXT NOT NULL,
    location TEXT NOT NULL,
    zip TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE event_shifts (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT,
    capacity INTEGER,
    UNIQUE (event_id, external_id)
);

CREATE TABLE event_attendance (
    shift_id INTEGER NOT NULL REFERENCES event_shifts(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('registered', 'attended', 'no_show', 'cancelled')),
    source TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (shift_id, person_id)
);
CREATE INDEX event_attendance_by_person ON event_attendance (person_id);

-- The universe index reads attendance, volunteers' skills and their voter links: a change
-- to any of them moves the data version it watches.
CREATE TRIGGER event_attendance_insert_version AFTER INSERT ON event_attendance
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER event_attendance_update_version AFTER UPDATE ON event_attendance
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER event_attendance_delete_version AFTER DELETE ON event_attendance
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER volunteer_skills_insert_version AFTER INSERT ON volunteer_skills
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER volunteer_skills_delete_version AFTER DELETE ON volunteer_skills
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER person_links_insert_version AFTER INSERT ON person_links
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER person_links_update_version AFTER UPDATE ON person_links
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER person_links_delete_version AFTER DELETE ON person_links
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
