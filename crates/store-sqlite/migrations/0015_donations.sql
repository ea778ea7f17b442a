-- Donors and donations: donor identities (one exact spelling of a donor) mapped to the
-- person they resolved to (a row of `people`), contributions appended by source and
-- receipt id (refunds and chargebacks are rows of their own; updates and deletes are
-- refused), and the organization's compliance rules per committee and cycle.
CREATE TABLE donor_identities (
    key TEXT PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    address TEXT NOT NULL,
    city TEXT NOT NULL,
    state TEXT NOT NULL,
    zip TEXT NOT NULL,
    country TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL
);
CREATE INDEX donor_identities_by_person ON donor_identities (person_id);

CREATE TABLE donations (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    receipt_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('gift', 'refund', 'chargeback')),
    refers_to TEXT NOT NULL,
    committee_id TEXT NOT NULL,
    election_kind TEXT NOT NULL CHECK (election_kind IN ('primary', 'general', 'other')),
    election_year INTEGER NOT NULL,
    received_on TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    recurring INTEGER NOT NULL,
    memo INTEGER NOT NULL,
    entity_type TEXT NOT NULL,
    identity_key TEXT NOT NULL REFERENCES donor_identities(key),
    employer TEXT NOT NULL,
    occupation TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    UNIQUE (source, receipt_id)
);
CREATE INDEX donations_by_identity ON donations (identity_key);
CREATE INDEX donations_by_year ON donations (election_year, received_on);

CREATE TRIGGER donations_append_only_update BEFORE UPDATE ON donations
BEGIN
    SELECT RAISE(ABORT, 'contributions are append-only: a refund is a record of its own');
END;
CREATE TRIGGER donations_append_only_delete BEFORE DELETE ON donations
BEGIN
    SELECT RAISE(ABORT, 'contributions are append-only: a refund is a record of its own');
END;

CREATE TABLE donation_rules (
    committee_id TEXT NOT NULL,
    cycle INTEGER NOT NULL,
    per_election_limit_cents INTEGER NOT NULL CHECK (per_election_limit_cents > 0),
    itemize_over_cents INTEGER NOT NULL CHECK (itemize_over_cents >= 0),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (committee_id, cycle)
);

-- The universe index reads gifts of donors linked to voters: a new voter link of a
-- person changes it (migration 0014's person_links triggers move the data version; an
-- import of contributions bumps it itself, once).
