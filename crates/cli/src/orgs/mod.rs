//! `votebase org`: organizations as a whole (their archives).

pub mod archive;
