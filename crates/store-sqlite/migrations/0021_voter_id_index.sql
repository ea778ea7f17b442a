-- A slim index on the voter id alone. `voters` is a WITHOUT ROWID table keyed by the id,
-- so its own B-tree holds whole rows (about 400 bytes each): probing it for a million
-- ballot-file ids reads most of the voter file. This index holds only the ids (about 20
-- bytes each), so the probes that only ask "is this voter in the file" read a few
-- percent of the pages (ballot-file matching uses it by name).
CREATE INDEX voters_id ON voters (state_voter_id);
