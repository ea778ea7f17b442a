//! The votebase HTTP server: a server-rendered web UI (askama templates, no front-end
//! build) and a JSON API under `/api/v1` described by an OpenAPI document, over any
//! [`Store`]. Every route resolves its caller and checks the role; every read of a
//! voter page is audited. Cross-cutting protections are layered over every route in
//! [`router`]: the request context (client address behind trusted proxies, HTTPS,
//! request id; [`context`]), one CSRF rule ([`csrf`]), security headers ([`headers`]),
//! JSON errors for rejections and panics ([`error`]); per-client limits come from one
//! place ([`ratelimit`]).

pub mod admin_users;
pub mod api;
pub mod archive;
pub mod auth;
pub mod ballots;
pub mod cluster;
pub mod contacts;
pub mod context;
pub mod csrf;
pub mod disinfo;
pub mod donations;
pub mod error;
pub mod exchange;
pub mod floor;
pub mod headers;
pub mod incidents;
pub mod lookup;
pub mod orgs;
pub mod pages;
pub mod purges;
pub mod ratelimit;
pub mod registration;
pub mod results;
pub mod universes;
pub mod volunteers;

use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use votebase_store::Store;

pub use context::TrustedProxies;
pub use error::ApiError;
pub use ratelimit::RateLimits;

/// Shared state of every handler: one reference-counted [`SiteState`], so that the
/// clones axum makes for every layer and handler of every request cost one counter
/// increment (not one per field, plus the public URL's copy).
#[derive(Clone)]
pub struct AppState(Arc<SiteState>);

impl std::ops::Deref for AppState {
    type Target = SiteState;

    fn deref(&self) -> &SiteState {
        &self.0
    }
}

/// What [`AppState`] shares.
#[derive(Clone)]
pub struct SiteState {
    /// The organization's store.
    pub store: Arc<dyn Store>,
    /// Every per-client rate limiter (configured by [`RateLimits`]).
    pub limits: ratelimit::Limiters,
    /// The server's public URL (`--public-url`, `VOTEBASE_PUBLIC_URL`), e.g.
    /// `https://votebase.example.org`: its origin is the one the CSRF check accepts, https
    /// marks cookies `Secure`, and printed links (chair-code sheets) are built from it,
    /// never from a request's `Host` header.
    pub public_url: Option<String>,
    /// Proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Arc<TrustedProxies>,
    /// Failed sign-ins per account name (5 per 15 minutes).
    pub login_throttle: Arc<votebase_app::auth::LoginThrottle>,
    /// The public polling-place lookup (`/vote`, `/api/v1/lookup`).
    pub lookup: Arc<lookup::LookupService>,
    /// The in-memory universe index, rebuilt in the background after imports.
    pub universes: Arc<universes::Universes>,
    /// Voter-protection incidents: the live queue's fan-out and the public form's limit.
    pub incidents: Arc<incidents::Hub>,
    /// The disinformation watch: live alerts' fan-out, the one ingest lock.
    pub disinfo: Arc<disinfo::Hub>,
}

impl AppState {
    /// State over a store, with the default limits ([`RateLimits::default`]), no public
    /// URL and no trusted proxy.
    pub fn new(store: Arc<dyn Store>) -> Self {
        let limits = RateLimits::default().build();
        Self(Arc::new(SiteState {
            store,
            lookup: lookup::LookupService::disabled(limits.lookup.clone()),
            limits,
            public_url: None,
            trusted_proxies: Arc::new(TrustedProxies::default()),
            login_throttle: Arc::new(votebase_app::auth::LoginThrottle::standard()),
            universes: universes::Universes::new(),
            incidents: incidents::Hub::new(),
            disinfo: disinfo::Hub::new(),
        }))
    }

    /// The shared state to change while the server is being set up (copied if a clone of
    /// this state is already in use elsewhere).
    pub(crate) fn setup(&mut self) -> &mut SiteState {
        Arc::make_mut(&mut self.0)
    }

    /// This state with the options of `votebase serve` (call it before
    /// [`AppState::with_lookup`]: a lookup service started earlier keeps its limiter).
    pub fn with_options(mut self, options: &ServeOptions) -> Self {
        let site = self.setup();
        site.limits = options.limits.build();
        site.lookup = lookup::LookupService::disabled(site.limits.lookup.clone());
        // A blank public URL (an empty `VOTEBASE_PUBLIC_URL`) is no public URL.
        site.public_url = options
            .public_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string);
        site.trusted_proxies = Arc::new(options.trusted_proxies.clone());
        self
    }
}

/// The options of `votebase serve` that shape the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// The public URL (`--public-url` / `VOTEBASE_PUBLIC_URL`).
    pub public_url: Option<String>,
    /// Trusted proxies (`--trusted-proxy` / `VOTEBASE_TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// Per-client limits ([`RateLimits::from_env`]).
    pub limits: RateLimits,
    /// How often the escalation job runs (`VOTEBASE_ESCALATION_SECONDS`; unset: every
    /// [`cluster::DEFAULT_ESCALATION_EVERY`]).
    pub escalation_every: Option<std::time::Duration>,
}

impl ServeOptions {
    /// From the environment: `VOTEBASE_PUBLIC_URL`, `VOTEBASE_TRUSTED_PROXIES` and the
    /// rate-limit variables of [`RateLimits::from_env`].
    pub fn from_env() -> Result<Self, context::BadCidr> {
        Ok(Self {
            public_url: std::env::var("VOTEBASE_PUBLIC_URL")
                .ok()
                .map(|u| u.trim().to_string())
                .filter(|u| !u.is_empty()),
            trusted_proxies: TrustedProxies::from_env()?,
            limits: RateLimits::from_env(),
            escalation_every: cluster::escalation_every_from_env().unwrap_or_else(|e| {
                eprintln!("warning: {e}; using the default");
                None
            }),
        })
    }
}

/// The whole application: pages and API, behind the cross-cutting layers ([`protect`]).
pub fn router(state: AppState) -> Router {
    protect(routes(), &state).with_state(state)
}

/// Every feature's routes.
fn routes() -> Router<AppState> {
    Router::new()
        .merge(pages::routes())
        .merge(admin_users::routes())
        .merge(archive::page_routes())
        .merge(ballots::page_routes())
        .merge(lookup::routes())
        .merge(registration::routes())
        .merge(incidents::page_routes())
        .merge(universes::page_routes())
        .merge(results::page_routes())
        .merge(contacts::page_routes())
        .merge(purges::page_routes())
        .merge(disinfo::page_routes())
        .merge(volunteers::page_routes())
        .merge(donations::page_routes())
        .merge(exchange::page_routes())
        .nest(
            "/api/v1",
            api::routes()
                .merge(ballots::api_routes())
                .merge(contacts::api_routes())
                .merge(universes::api_routes())
                .merge(incidents::api_routes())
                .merge(results::api_routes())
                .merge(purges::api_routes())
                .merge(disinfo::api_routes())
                .merge(volunteers::api_routes())
                .merge(donations::api_routes())
                .merge(exchange::api_routes())
                .merge(archive::api_routes()),
        )
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1 << 20))
        .merge(incidents::attachment_routes())
        .merge(disinfo::tip_routes())
}

/// Puts `routes` behind the layers every route shares, outermost first: the request
/// context (request id, client address, HTTPS, the CSRF rule; JSON errors and security
/// headers on the way out), panics caught as JSON 500s; unknown paths answer a JSON 404.
pub fn protect(routes: Router<AppState>, state: &AppState) -> Router<AppState> {
    routes
        .fallback(error::not_found)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::panic_response,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            context::middleware,
        ))
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
    /// An option is unusable.
    #[error("{0}")]
    Config(String),
    /// An organization's store could not be opened (one created since the start).
    #[error(transparent)]
    Store(#[from] votebase_store::StoreError),
}

/// Binds `bind` and serves until the process is stopped, with the options of the
/// environment ([`ServeOptions::from_env`]).
pub async fn serve(
    store: Arc<dyn Store>,
    bind: &str,
    feeds: votebase_vip::store::FeedDir,
) -> Result<(), ServeError> {
    let options = ServeOptions::from_env().map_err(|e| ServeError::Config(e.to_string()))?;
    serve_with(store, bind, feeds, options).await
}

/// Binds `bind` and serves until the process is stopped, with `options`.
pub async fn serve_with(
    store: Arc<dyn Store>,
    bind: &str,
    feeds: votebase_vip::store::FeedDir,
    options: ServeOptions,
) -> Result<(), ServeError> {
    let site = start_site(store, feeds, &options).await?;
    let listener = bind_listener(bind).await?;
    serve_router(listener, site).await
}

/// One organization's whole application, started: its state over `store` with
/// `options`, its lookup service over `feeds`, the universe index warming up, the live
/// queue's relay and the periodic jobs (several servers over one PostgreSQL: the live
/// queue from the store's change feed, periodic jobs on the one leading them).
pub async fn start_site(
    store: Arc<dyn Store>,
    feeds: votebase_vip::store::FeedDir,
    options: &ServeOptions,
) -> Result<Router, ServeError> {
    let state = AppState::new(store).with_options(options);
    let lookup = lookup::LookupService::start(
        feeds,
        lookup::LookupConfig::from_env(),
        state.limits.lookup.clone(),
    )
    .await;
    let state = state.with_lookup(lookup);
    // Build the universe index now rather than on the first list page.
    state.universes.warm_up(state.store.clone());
    cluster::start(
        &state,
        options
            .escalation_every
            .unwrap_or(cluster::DEFAULT_ESCALATION_EVERY),
    )
    .await?;
    Ok(router(state))
}

/// Binds `bind` and announces the address on standard error.
async fn bind_listener(bind: &str) -> Result<tokio::net::TcpListener, ServeError> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| ServeError::Bind(bind.to_string(), e))?;
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| bind.to_string());
    eprintln!("votebase is serving http://{addr}/  (API: http://{addr}/api/v1/openapi.json)");
    Ok(listener)
}

/// Serves `app` on `listener` until the process is stopped.
async fn serve_router(listener: tokio::net::TcpListener, app: Router) -> Result<(), ServeError> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .map_err(ServeError::Serve)
}

#[cfg(test)]
mod tests;
