-- Results of past elections imported from OpenElections CSV and Clarity XML, by precinct, with the published county totals they were checked against.
CREATE TABLE past_result_files (
    id BIGSERIAL PRIMARY KEY,
    file_sha256 TEXT NOT NULL UNIQUE,
    source_file TEXT NOT NULL,
    format TEXT NOT NULL,
    election_date DATE NOT NULL,
    election_name TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    totals_checked BIGINT NOT NULL,
    mismatches BIGINT NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE past_results (
    file_id BIGINT NOT NULL REFERENCES past_result_files (id),
    seq BIGINT NOT NULL,
    line BIGINT NOT NULL,
    county TEXT NOT NULL,
    precinct TEXT NOT NULL,
    office TEXT NOT NULL,
    district TEXT NOT NULL,
    party TEXT NOT NULL,
    candidate TEXT NOT NULL,
    votes BIGINT NOT NULL,
    vote_types TEXT NOT NULL,
    county_key TEXT NOT NULL,
    precinct_key TEXT NOT NULL,
    office_key TEXT NOT NULL,
    PRIMARY KEY (file_id, seq)
);
CREATE INDEX past_results_place ON past_results (precinct_key, office_key, county_key);

CREATE TABLE past_result_totals (
    file_id BIGINT NOT NULL REFERENCES past_result_files (id),
    seq BIGINT NOT NULL,
    county TEXT NOT NULL,
    office TEXT NOT NULL,
    district TEXT NOT NULL,
    candidate TEXT NOT NULL,
    vote_type TEXT NOT NULL,
    published BIGINT NOT NULL,
    precinct_sum BIGINT NOT NULL,
    PRIMARY KEY (file_id, seq)
);
