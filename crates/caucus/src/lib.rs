//! `votebase-caucus`: the caucus-math engine of votebase. It computes county delegates
//! and state delegate equivalents by the Iowa Democratic Party's 2020 rules
//! ([`rules`]), validates a precinct result as a chair submits it and explains every
//! problem in words a precinct chair understands ([`validate`]), and recomputes the
//! party's published 2020 precinct results to list the precincts whose numbers break the
//! rules ([`iowa`]), and applies the rules to election-night entries and their log
//! ([`results`]: validation and projection over the domain's result types). Pure computation: no database, no network, no randomness (coin tosses
//! are returned as outcomes to record, never drawn).

pub mod error;
pub mod iowa;
pub mod results;
pub mod rules;
pub mod validate;

pub use error::CaucusError;
pub use iowa::{
    CandidateDelegates, FlaggedPrecinct, KindTotal, PublishedPrecinct, PublishedResults, Report,
    SkippedPrecinct, check_caucus_dir, check_published, read_precinct_sizes, read_results,
};
pub use rules::{
    Allocation, CoinToss, Note, Rules, SingleDelegateRule, TossEffect, allocate,
    state_delegate_equivalents, viability_threshold,
};
pub use validate::{
    Finding, FindingKind, GroupResult, Severity, Submission, Validation, describe_delegates,
    validate,
};
