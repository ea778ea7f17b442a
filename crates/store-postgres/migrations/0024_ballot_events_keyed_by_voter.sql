-- Schema version 24 of both backends: ballot events are keyed by voter. The primary key
-- `(state_voter_id, election_date, event_key)` replaces the event-key primary key and the
-- voter index `(state_voter_id, election_date, rank)` of version 23: the event key is a
-- hash of the event's fields, the voter id and election date among them, so the wider key
-- is unique exactly when the event key is, and one B-tree now serves both the import's
-- "already known?" check and every read by voter (the timeline, the purge report's count
-- since a date, the per-election best rank, which `INCLUDE (rank)` answers from the index
-- alone). Each imported event paid a random insert into the second B-tree: at one million
-- new events into a ten-million-voter store that was about a third of the import (issue
-- 20, `votebase bench ballots`). The import inserts in key order, so a first load appends.
ALTER TABLE ballot_events DROP CONSTRAINT ballot_events_pkey;
DROP INDEX ballot_events_voter;
ALTER TABLE ballot_events ADD CONSTRAINT ballot_events_pkey
    PRIMARY KEY (state_voter_id, election_date, event_key) INCLUDE (rank);
