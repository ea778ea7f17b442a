-- The review queue of uncertain donor pairs: two donor identities the linkage engine
-- scored between the review and the acceptance thresholds, with the explanation, queued
-- once per pair (a decided pair is never queued again). Accepting moves the identities
-- of the first identity's person to the second's; the data version moves with it (the
-- universe index reads gifts through people).
CREATE TABLE donor_reviews (
    id BIGSERIAL PRIMARY KEY,
    identity_key TEXT NOT NULL REFERENCES donor_identities(key),
    other_key TEXT NOT NULL REFERENCES donor_identities(key),
    probability DOUBLE PRECISION NOT NULL,
    explanation TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    decided_by TEXT NOT NULL DEFAULT '',
    queued_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ,
    UNIQUE (identity_key, other_key)
);
CREATE INDEX donor_reviews_by_status ON donor_reviews (status);

CREATE TRIGGER donor_identities_version AFTER UPDATE ON donor_identities
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
