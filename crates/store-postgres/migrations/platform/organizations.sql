-- The platform's registry of organizations (in the platform schema, `votebase_platform`
-- unless VOTEBASE_PLATFORM_SCHEMA says otherwise; each organization's data stays in its
-- schema vb_<name>). Run with search_path set to the platform schema. Idempotent.
CREATE TABLE IF NOT EXISTS organizations (
    name TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
