//! The votebase HTTP server: a server-rendered web UI (askama templates, no front-end
//! build) and a JSON API under `/api/v1` described by an OpenAPI document, over any
//! [`Store`]. Every route resolves its caller and checks the role; every read of a
//! voter page is audited; the sign-in form is CSRF-protected and rate-limited.

pub mod admin_users;
pub mod api;
pub mod auth;
pub mod ballots;
pub mod contacts;
pub mod error;
pub mod incidents;
pub mod lookup;
pub mod pages;
pub mod registration;
pub mod results;
pub mod universes;

use axum::Router;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use votebase_store::Store;

pub use error::ApiError;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The organization's store.
    pub store: Arc<dyn Store>,
    /// Sign-in attempts per client address.
    pub login_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// Failed sign-ins per account name (5 per 15 minutes).
    pub login_throttle: Arc<votebase_app::auth::LoginThrottle>,
    /// The public polling-place lookup (`/vote`, `/api/v1/lookup`).
    pub lookup: Arc<lookup::LookupService>,
    /// The in-memory universe index, rebuilt in the background after imports.
    pub universes: Arc<universes::Universes>,
    /// Voter-protection incidents: the live queue's fan-out and the public form's limit.
    pub incidents: Arc<incidents::Hub>,
}

impl AppState {
    /// State over a store, with the default limits (10 sign-in attempts a minute per address).
    pub fn new(store: Arc<dyn Store>) -> Self {
        let per_minute = NonZeroU32::new(10).expect("non-zero");
        Self {
            store,
            login_limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            login_throttle: Arc::new(votebase_app::auth::LoginThrottle::standard()),
            lookup: lookup::LookupService::disabled(),
            universes: universes::Universes::new(),
            incidents: incidents::Hub::new(),
        }
    }
}

/// The whole application: pages and API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes())
        .merge(admin_users::routes())
        .merge(ballots::page_routes())
        .merge(lookup::routes())
        .merge(registration::routes())
        .merge(incidents::page_routes())
        .merge(universes::page_routes())
        .merge(results::page_routes())
        .merge(contacts::page_routes())
        .nest(
            "/api/v1",
            api::routes()
                .merge(ballots::api_routes())
                .merge(contacts::api_routes())
                .merge(universes::api_routes())
                .merge(incidents::api_routes())
                .merge(results::api_routes()),
        )
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1 << 20))
        .merge(incidents::attachment_routes())
        .layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                axum::http::HeaderValue::from_static("nosniff"),
            ),
        )
        .layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                axum::http::header::X_FRAME_OPTIONS,
                axum::http::HeaderValue::from_static("DENY"),
            ),
        )
        .with_state(state)
}

/// A server failure at start-up.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address cannot be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
    /// The server stopped with an error.
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

/// Binds `bind` and serves until the process is stopped.
pub async fn serve(
    store: Arc<dyn Store>,
    bind: &str,
    feeds: votebase_vip::store::FeedDir,
) -> Result<(), ServeError> {
    let lookup = lookup::LookupService::start(feeds, lookup::LookupConfig::from_env()).await;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| ServeError::Bind(bind.to_string(), e))?;
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| bind.to_string());
    eprintln!("votebase is serving http://{addr}/  (API: http://{addr}/api/v1/openapi.json)");
    let state = AppState::new(store).with_lookup(lookup);
    // Build the universe index now rather than on the first list page.
    state.universes.warm_up(state.store.clone());
    incidents::spawn_escalator(&state);
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .map_err(ServeError::Serve)
}
