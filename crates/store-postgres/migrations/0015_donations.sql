-- Donors and donations: donor identities (one exact spelling of a donor) mapped to the
-- person they resolved to (a row of `people`), contributions appended by source and
-- receipt id (refunds and chargebacks are rows of their own; updates and deletes are
-- refused), and the organization's compliance rules per committee and cycle.
CREATE TABLE donor_identities (
    key TEXT PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
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
    id BIGSERIAL PRIMARY KEY,
    source TEXT NOT NULL,
    receipt_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('gift', 'refund', 'chargeback')),
    refers_to TEXT NOT NULL,
    committee_id TEXT NOT NULL,
    election_kind TEXT NOT NULL CHECK (election_kind IN ('primary', 'general', 'other')),
    election_year INTEGER NOT NULL,
    received_on DATE NOT NULL,
    amount_cents BIGINT NOT NULL,
    recurring BOOLEAN NOT NULL,
    memo BOOLEAN NOT NULL,
    entity_type TEXT NOT NULL,
    identity_key TEXT NOT NULL REFERENCES donor_identities(key),
    employer TEXT NOT NULL,
    occupation TEXT NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL,
    UNIQUE (source, receipt_id)
);
CREATE INDEX donations_by_identity ON donations (identity_key);
CREATE INDEX donations_by_year ON donations (election_year, received_on);

CREATE FUNCTION donations_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'contributions are append-only: a refund is a record of its own';
END;
$$;
CREATE TRIGGER donations_append_only BEFORE UPDATE OR DELETE ON donations
    FOR EACH ROW EXECUTE FUNCTION donations_append_only();

CREATE TABLE donation_rules (
    committee_id TEXT NOT NULL,
    cycle INTEGER NOT NULL,
    per_election_limit_cents BIGINT NOT NULL CHECK (per_election_limit_cents > 0),
    itemize_over_cents BIGINT NOT NULL CHECK (itemize_over_cents >= 0),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (committee_id, cycle)
);

-- The universe index reads gifts of donors linked to voters (a change of a voter link
-- moves the data version through migration 0014's person_links trigger).
CREATE TRIGGER donations_version AFTER INSERT ON donations
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
