//! The application layer: the use cases both front ends (the `votebase` CLI and the
//! HTTP server) call, one module per feature. A use case is a plain function or service
//! over the `Store` traits and the pure engines ("import a ballot file", "save a list",
//! "take an incident", "issue chair codes", "build the results feed"). No axum, no clap,
//! no askama here: front ends parse their input, call `app`, and render what it returns.

pub mod accounts;
pub mod auth;
pub mod ballots;
pub mod cluster;
pub mod contacts;
pub mod disinfo;
pub mod donations;
pub mod incidents;
pub mod lists;
pub mod lookup;
pub mod orgs;
pub mod people;
pub mod purges;
pub mod results;
pub mod scores;
pub mod universes;
pub mod voters;
