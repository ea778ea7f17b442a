-- Schema version 23 of both backends: ballot events keep one index by voter instead of
-- two. `ballot_events_voter (election_date, state_voter_id, rank)` and
-- `ballot_events_by_voter (state_voter_id)` become one `(state_voter_id, election_date,
-- rank)`: it serves the per-voter timeline, the purge report's per-voter count since a
-- date and every per-election aggregate's join and grouping by voter, while the
-- per-election counts read the events of the election (in practice most of the table)
-- either way. Every imported event paid a random insert into each index: at one million
-- new events into a ten-million-voter store the second index cost about a third of the
-- import (issue 20, `votebase bench ballots`).
DROP INDEX ballot_events_voter;
DROP INDEX ballot_events_by_voter;
CREATE INDEX ballot_events_voter ON ballot_events (state_voter_id, election_date, rank);
