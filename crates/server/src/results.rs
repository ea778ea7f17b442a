//! Election-night results reporting over HTTP: setup, chair codes and sign-in, the
//! submission API for precinct chairs and hotline operators, the public live results
//! page and feeds, and the staff pages (readiness, reconciliation, printable code sheet).
//! The use cases themselves (codes, submissions, the feed, reconciliation) are
//! `votebase_app::results`; this module keeps the routes, extractors and templates.
//! The chair's page (`/results/{election}/chair`) is plain HTML with a little plain JS
//! that queues entries in `localStorage` while offline.
//!
//! # Submission API (stable; the load benchmark and the demo drive it)
//!
//! 1. **Chair sign-in**: `POST /api/v1/results/{election}/sign-in` with
//!    `{"code": "ABCD-EFGH-JKLM"}` (the one-time code printed on the precinct's sheet;
//!    case, spaces and dashes do not matter) → `200 {"token": "chair_…", "election",
//!    "precinct", "precinct_name", "county", "delegates", "contests": [...]}`. The token is a
//!    Bearer token for the chair's own precinct. Rate-limited per client address
//!    (`VOTEBASE_RESULTS_SIGNIN_PER_MINUTE`, default 60).
//! 2. **Submit**: `POST /api/v1/results/submissions` with `Authorization: Bearer <token>`
//!    (a chair token → channel `chair`; a user API token whose role may key results →
//!    channel `hotline`, or `check` with `?channel=check` for a third check by results
//!    staff) and the JSON body
//!    ```json
//!    {"client_id": "7f0c…", "election": "ia-2020", "precinct": "P0001", "contest": "president",
//!     "reason": null,
//!     "result": {"caucus": {"attendees": 34, "coin_toss_winners": [],
//!        "groups": [{"candidate": "Biden", "first": 7, "final": 7, "delegates": 2}, …]}}}
//!    ```
//!    or `"result": {"votes": {"ballots_cast": 120, "counts": [{"candidate": "A",
//!    "vote_type": "election_day", "votes": 50}, …]}}` for a primary/general contest
//!    (`vote_type`: `election_day`, `early`, `absentee`, `provisional`). `delegates` is
//!    optional (omitted: the rules' numbers). `client_id` (1–100 of `A-Za-z0-9-_.:`) is
//!    generated once per entry by the client and reused on every retry.
//! 3. **Receipt**: `201` for a new entry, `200` for a retry of a known `client_id` (the
//!    very same receipt, nothing written; header `x-votebase-replayed: true`):
//!    `{"receipt_id": "R42-9F3A", "client_id", "seq", "election", "precinct", "contest",
//!    "channel", "version", "received_at", "check": {"status": "accepted" |
//!    "needs_correction", "findings": [{"code", "severity", "candidate", "message"}],
//!    "delegates": [{"candidate", "delegates", "sde"}], "viability_threshold",
//!    "coin_toss"}}`. An entry that breaks the rules is kept (nothing is lost) but not
//!    published until a corrected version (a new `client_id`, with a `reason`) passes.
//!    Errors: `400 bad_request` for a precinct not in the roster, an unknown contest or
//!    candidate, or a `client_id` reused with different numbers; `401`/`403` without a
//!    valid token or for another precinct.
//! 4. Also: `POST /api/v1/results/preview` (same body, nothing stored → the `check`),
//!    `GET /api/v1/results/{election}/receipts` (a chair's receipts),
//!    `POST /api/v1/results/{election}/worksheet?client_id=…` (raw image body, chair
//!    token, or staff with `&precinct=`), the public feeds
//!    `GET /api/v1/results/{election}/results.json` and `/results.csv` (OpenElections
//!    columns), `GET /api/v1/results/{election}/precincts/{precinct}` (history), and for
//!    staff `POST /api/v1/results/elections` (setup), `POST /api/v1/results/{election}/codes`,
//!    `GET /api/v1/results/{election}/readiness` and `/reconciliation`.

mod api;
mod pages;

pub use api::{ChairSignIn, SignInRequest};

use crate::AppState;
use axum::Router;

/// Page routes (public results, chair page, staff pages).
pub fn page_routes() -> Router<AppState> {
    pages::routes()
}

/// API routes (under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    api::routes()
}

/// The OpenAPI paths and schemas of the results API, merged into the main document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    api::ResultsApi::openapi()
}
