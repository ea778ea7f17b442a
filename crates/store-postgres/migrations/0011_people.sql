-- People who are not (only) voters: the skills taxonomy, person records with emails and
-- phones, volunteer profiles and skills, projects and their skills, candidate links to
-- voter records, double opt-in matches and the email outbox.
CREATE TABLE skills (
    name TEXT PRIMARY KEY,
    label TEXT NOT NULL
);

CREATE TABLE people (
    id BIGSERIAL PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    address TEXT NOT NULL,
    zip TEXT NOT NULL,
    consent_email BOOLEAN NOT NULL,
    consent_text BOOLEAN NOT NULL,
    consent_at TIMESTAMPTZ,
    consent_wording TEXT NOT NULL,
    unsubscribed BOOLEAN NOT NULL DEFAULT false,
    fingerprint TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE person_emails (
    person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    email TEXT NOT NULL,
    PRIMARY KEY (person_id, position)
);
CREATE INDEX person_emails_by_email ON person_emails (email);

CREATE TABLE person_phones (
    person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    phone TEXT NOT NULL,
    PRIMARY KEY (person_id, position)
);

CREATE TABLE volunteer_profiles (
    person_id BIGINT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    home_state TEXT NOT NULL,
    home_town TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    hours_per_week BIGINT,
    remote BOOLEAN NOT NULL,
    issues TEXT NOT NULL,
    languages TEXT NOT NULL
);

CREATE TABLE volunteer_skills (
    person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    skill TEXT NOT NULL REFERENCES skills(name),
    level SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 3),
    PRIMARY KEY (person_id, skill)
);
CREATE INDEX volunteer_skills_by_skill ON volunteer_skills (skill, level);

CREATE TABLE projects (
    id BIGSERIAL PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    organization TEXT NOT NULL,
    title TEXT NOT NULL,
    role TEXT NOT NULL,
    state TEXT NOT NULL,
    zip TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    remote BOOLEAN NOT NULL,
    hours_per_week BIGINT,
    seats BIGINT NOT NULL,
    starts_on DATE,
    deadline DATE,
    issues TEXT NOT NULL,
    languages TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE project_skills (
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    skill TEXT NOT NULL REFERENCES skills(name),
    min_level SMALLINT NOT NULL CHECK (min_level BETWEEN 1 AND 3),
    required BOOLEAN NOT NULL,
    PRIMARY KEY (project_id, skill)
);

CREATE TABLE person_links (
    person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    state_voter_id TEXT NOT NULL,
    probability DOUBLE PRECISION NOT NULL,
    explanation TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('linked', 'review', 'confirmed', 'rejected')),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (person_id, state_voter_id)
);
CREATE INDEX person_links_by_status ON person_links (status);

CREATE TABLE project_matches (
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('invited', 'volunteer_yes', 'volunteer_no', 'accepted', 'declined')),
    score DOUBLE PRECISION NOT NULL,
    explanation TEXT NOT NULL,
    invited_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, person_id)
);
CREATE INDEX project_matches_by_person ON project_matches (person_id);

CREATE TABLE email_outbox (
    id BIGSERIAL PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ
);
CREATE INDEX email_outbox_pending ON email_outbox (id) WHERE sent_at IS NULL;
