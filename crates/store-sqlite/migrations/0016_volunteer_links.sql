-- The organization's key that signs the links in volunteers' emails (their matches page,
-- unsubscribe): one row, made once.
CREATE TABLE volunteer_link_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key TEXT NOT NULL,
    created_at TEXT NOT NULL
);
