//! The lookup service: the feed in service (loaded at start, reloaded when the `current`
//! pointer changes, swapped atomically), the scheduling-delay probe and the admission
//! control of each lookup (per-client rate, in-flight bound, delay bound).

use super::Refusal;
use super::i18n::I18n;
use crate::AppState;
use axum::extract::FromRef;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use votebase_vip::Index;
use votebase_vip::store::FeedDir;

/// Limits of the public lookup (the per-client rate is `RateLimits::lookup`).
#[derive(Debug, Clone)]
pub struct LookupConfig {
    /// Lookups in flight at once before new ones are refused with 503.
    pub max_in_flight: usize,
    /// Scheduling delay of the runtime above which new lookups are refused with 503.
    pub max_lag: Duration,
    /// How often the `current` pointer is checked.
    pub poll: Duration,
}

impl Default for LookupConfig {
    fn default() -> Self {
        Self {
            max_in_flight: 512,
            max_lag: Duration::from_millis(500),
            poll: Duration::from_secs(2),
        }
    }
}

impl LookupConfig {
    /// The defaults, overridden by `VOTEBASE_LOOKUP_MAX_IN_FLIGHT`,
    /// `VOTEBASE_LOOKUP_MAX_LAG_MS` and `VOTEBASE_LOOKUP_POLL_MS` when set to numbers.
    pub fn from_env() -> Self {
        fn num(name: &str) -> Option<u64> {
            std::env::var(name).ok()?.trim().parse().ok()
        }
        let d = Self::default();
        Self {
            max_in_flight: num("VOTEBASE_LOOKUP_MAX_IN_FLIGHT")
                .map_or(d.max_in_flight, |n| n.max(1) as usize),
            max_lag: num("VOTEBASE_LOOKUP_MAX_LAG_MS").map_or(d.max_lag, Duration::from_millis),
            poll: num("VOTEBASE_LOOKUP_POLL_MS")
                .map_or(d.poll, |n| Duration::from_millis(n.max(50))),
        }
    }
}

/// A loaded feed: its index and what to say about it.
#[derive(Debug)]
pub struct LoadedFeed {
    /// The lookup index.
    pub index: Arc<Index>,
    /// The installed version (the `current` pointer: `<UTC time>/<name>`).
    pub version: String,
    /// The election's name, if the feed has one.
    pub election_name: String,
    /// The election day (`2012-05-08`), if known.
    pub election_date: String,
    /// Who published the feed.
    pub source_name: String,
    /// When the feed was produced (`2012-04-29T18:06:46`), if known.
    pub source_date: String,
    /// The facts above as the lookup API's `feed` object, serialised once.
    pub info_json: String,
    /// Each precinct's answer as JSON, in the order of [`Index::precincts`], serialised
    /// once per loaded feed (most of a found answer's bytes).
    pub precinct_json: Vec<Box<[u8]>>,
}

/// The lookup API's `feed` object.
#[derive(serde::Serialize)]
struct FeedInfo<'a> {
    version: &'a str,
    election_name: &'a str,
    election_date: &'a str,
    source_name: &'a str,
    source_date: &'a str,
}

impl LoadedFeed {
    /// A loaded feed; `info_json` is written from the other fields.
    pub fn new(
        index: Arc<Index>,
        version: String,
        election_name: String,
        election_date: String,
        source_name: String,
        source_date: String,
    ) -> Self {
        let info = FeedInfo {
            version: &version,
            election_name: &election_name,
            election_date: &election_date,
            source_name: &source_name,
            source_date: &source_date,
        };
        // Strings only: serialising them cannot fail.
        let info_json = serde_json::to_string(&info).unwrap_or_default();
        // Strings, numbers and booleans only: serialising them cannot fail.
        let precinct_json = index
            .precincts()
            .iter()
            .map(|p| serde_json::to_vec(p).unwrap_or_default().into_boxed_slice())
            .collect();
        Self {
            index,
            version,
            election_name,
            election_date,
            source_name,
            source_date,
            info_json,
            precinct_json,
        }
    }
}

/// Why a feed could not be (re)loaded; the service keeps answering from the old one.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The feed folder or pointer is unusable.
    #[error(transparent)]
    Store(#[from] votebase_vip::store::InstallError),
    /// The installed feed does not load.
    #[error(transparent)]
    Feed(#[from] votebase_vip::VipError),
}

/// The public lookup: the current index, swapped atomically on reload, and the limits.
pub struct LookupService {
    pub(super) feeds: Option<FeedDir>,
    pub(super) current: RwLock<Option<Arc<LoadedFeed>>>,
    /// The last pointer tried (loaded or failed), so a broken feed is not retried forever.
    pub(super) tried: Mutex<Option<String>>,
    pub(super) limiter: Arc<crate::ratelimit::Limiter>,
    pub(super) in_flight: Arc<Semaphore>,
    pub(super) lag_micros: AtomicU64,
    pub(super) config: LookupConfig,
    pub(super) i18n: &'static I18n,
}

impl std::fmt::Debug for LookupService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LookupService")
            .field("feeds", &self.feeds)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl LookupService {
    /// A service over `feeds` (none: every lookup says nothing is published), with no
    /// feed loaded yet and no background task, limiting each client with `limiter`; see
    /// [`LookupService::start`].
    pub fn new(
        feeds: Option<FeedDir>,
        config: LookupConfig,
        limiter: Arc<crate::ratelimit::Limiter>,
    ) -> Arc<Self> {
        Arc::new(Self {
            feeds,
            current: RwLock::new(None),
            tried: Mutex::new(None),
            limiter,
            in_flight: Arc::new(Semaphore::new(config.max_in_flight)),
            lag_micros: AtomicU64::new(0),
            config,
            i18n: I18n::embedded(),
        })
    }

    /// A service without feeds: the pages answer that nothing is published yet.
    pub fn disabled(limiter: Arc<crate::ratelimit::Limiter>) -> Arc<Self> {
        Self::new(None, LookupConfig::default(), limiter)
    }

    /// Loads the current feed of `feeds` (if any) and starts the background tasks: the
    /// pointer watcher and the scheduling-delay probe. They stop when the service is dropped.
    pub async fn start(
        feeds: FeedDir,
        config: LookupConfig,
        limiter: Arc<crate::ratelimit::Limiter>,
    ) -> Arc<Self> {
        let svc = Self::new(Some(feeds), config, limiter);
        let first = svc.clone();
        match tokio::task::spawn_blocking(move || first.reload()).await {
            Ok(Err(e)) => tracing::warn!(error = %e, "no polling-place feed loaded"),
            Err(e) => tracing::error!(error = %e, "feed loading panicked"),
            Ok(Ok(_)) => {}
        }
        tokio::spawn(watch(Arc::downgrade(&svc)));
        tokio::spawn(probe_lag(Arc::downgrade(&svc)));
        svc
    }

    /// The feed in service, if any.
    pub fn feed(&self) -> Option<Arc<LoadedFeed>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Loads the feed the pointer names, if it is not the one tried last, and swaps it in.
    /// `Ok(true)` when a new feed went into service. Blocking: call it off the runtime.
    pub fn reload(&self) -> Result<bool, ReloadError> {
        let Some(feeds) = &self.feeds else {
            return Ok(false);
        };
        let Some(pointer) = feeds.pointer()? else {
            return Ok(false);
        };
        {
            let mut tried = self.tried.lock().unwrap_or_else(|e| e.into_inner());
            if tried.as_deref() == Some(pointer.as_str()) {
                return Ok(false);
            }
            *tried = Some(pointer.clone());
        }
        let Some(path) = feeds.current()? else {
            return Ok(false);
        };
        let started = Instant::now();
        let feed = votebase_vip::load(&path)?;
        let index = Index::build(&feed);
        let election = feed.election.as_ref();
        let source = feed.source.as_ref();
        let loaded = LoadedFeed::new(
            index,
            pointer,
            election.map(|e| e.name.clone()).unwrap_or_default(),
            election.map(|e| e.date.clone()).unwrap_or_default(),
            source.map(|s| s.name.clone()).unwrap_or_default(),
            source.map(|s| s.date_time.clone()).unwrap_or_default(),
        );
        tracing::info!(
            version = %loaded.version,
            segments = loaded.index.stats.segments,
            precincts = loaded.index.stats.precincts,
            millis = started.elapsed().as_millis() as u64,
            "polling-place feed in service"
        );
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(loaded));
        Ok(true)
    }

    /// Admits a lookup from `ip`, or says why not (rate limit, overload).
    pub(super) fn admit(&self, ip: IpAddr) -> Result<OwnedSemaphorePermit, Refusal> {
        if let Err(wait) = self.limiter.check(ip) {
            return Err(Refusal::RateLimited(wait.as_secs() + 1));
        }
        if Duration::from_micros(self.lag_micros.load(Ordering::Relaxed)) > self.config.max_lag {
            return Err(Refusal::Busy);
        }
        self.in_flight
            .clone()
            .try_acquire_owned()
            .map_err(|_| Refusal::Busy)
    }
}

/// Polls the pointer's modification time and reloads when it changes.
async fn watch(svc: Weak<LookupService>) {
    let mut last_seen: Option<(SystemTime, u64)> = None;
    loop {
        let poll = match svc.upgrade() {
            Some(s) => s.config.poll,
            None => return,
        };
        tokio::time::sleep(poll).await;
        let Some(s) = svc.upgrade() else { return };
        let Some(feeds) = &s.feeds else { return };
        let stamp = std::fs::metadata(feeds.pointer_path())
            .ok()
            .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
        if stamp.is_none() || stamp == last_seen {
            continue;
        }
        last_seen = stamp;
        let worker = s.clone();
        match tokio::task::spawn_blocking(move || worker.reload()).await {
            Ok(Err(e)) => {
                tracing::error!(error = %e, "new polling-place feed not loaded; the old one stays")
            }
            Err(e) => tracing::error!(error = %e, "feed reload panicked"),
            Ok(Ok(_)) => {}
        }
    }
}

/// Measures how late a 50 ms timer fires: the time a ready task waits for a thread.
async fn probe_lag(svc: Weak<LookupService>) {
    let tick = Duration::from_millis(50);
    loop {
        let started = Instant::now();
        tokio::time::sleep(tick).await;
        let late = started.elapsed().saturating_sub(tick);
        let Some(s) = svc.upgrade() else { return };
        s.lag_micros
            .store(late.as_micros() as u64, Ordering::Relaxed);
    }
}

impl FromRef<AppState> for Arc<LookupService> {
    fn from_ref(state: &AppState) -> Self {
        state.lookup.clone()
    }
}

impl AppState {
    /// This state with a public lookup service.
    pub fn with_lookup(mut self, lookup: Arc<LookupService>) -> Self {
        self.setup().lookup = lookup;
        self
    }
}
