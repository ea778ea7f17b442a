//! The server's one rate limiter: [`Limiter`], a token bucket per client address with a
//! bounded, pruned table, and [`RateLimits`], the one place where every per-client limit
//! is configured (defaults, overridden by `VOTEBASE_*_PER_MINUTE` / `_BURST` variables).
//! [`Limiters`] holds one limiter per public surface and lives in `AppState`.
//!
//! A route takes its limiter from `state.limits` and calls
//! `state.limits.report.check(client_ip(&extensions))`; `Err(retry)` becomes
//! `ApiError::RateLimited` (429 with `Retry-After`). Sign-in, the lookup, the registration
//! check, the incident report form, the results sign-in and public pages and the
//! disinformation tip form all do so.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One limit: a sustained rate and a burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests a minute per client address; 0 turns the limit off.
    pub per_minute: u32,
    /// Requests a client may make at once before the rate applies (at least 1).
    pub burst: u32,
}

impl Rate {
    /// `per_minute` a minute with a burst of the same size.
    pub const fn per_minute(per_minute: u32) -> Self {
        Self {
            per_minute,
            burst: per_minute,
        }
    }

    fn with_env(self, name: &str) -> Self {
        fn num(var: String) -> Option<u32> {
            std::env::var(var).ok()?.trim().parse().ok()
        }
        let per_minute = num(format!("VOTEBASE_{name}_PER_MINUTE")).unwrap_or(self.per_minute);
        let burst = num(format!("VOTEBASE_{name}_BURST"))
            .unwrap_or(if per_minute == self.per_minute {
                self.burst
            } else {
                per_minute
            })
            .max(1);
        Self { per_minute, burst }
    }
}

/// Every per-client limit of the server, in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    /// Sign-in attempts (`POST /login`): 10 a minute.
    pub login: Rate,
    /// Polling-place lookups (`/vote/where`, `/vote/where.ics`, `/api/v1/lookup`): 60 a
    /// minute with a burst of 20.
    pub lookup: Rate,
    /// Registration checks (`/vote/registered`, `/api/v1/registration`): 20 a minute.
    pub registration: Rate,
    /// Public incident reports (`POST /report`): 10 a minute.
    pub report: Rate,
    /// Precinct chairs' code sign-in: 60 a minute.
    pub results_sign_in: Rate,
    /// Public results pages and feeds: 600 a minute.
    pub results_public: Rate,
    /// Public disinformation tips (`POST /tip`): 10 a minute.
    pub tip: Rate,
    /// Volunteer sign-ups (`POST /volunteer/signup`): 10 a minute.
    pub volunteer_signup: Rate,
    /// Volunteers' signed-link pages (matches, answers, unsubscribe): 60 a minute.
    pub volunteer_links: Rate,
    /// Most client addresses each limiter remembers (its memory bound).
    pub max_clients: usize,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            login: Rate::per_minute(10),
            lookup: Rate {
                per_minute: 60,
                burst: 20,
            },
            registration: Rate::per_minute(20),
            report: Rate::per_minute(10),
            results_sign_in: Rate::per_minute(60),
            results_public: Rate::per_minute(600),
            tip: Rate::per_minute(10),
            volunteer_signup: Rate::per_minute(10),
            volunteer_links: Rate::per_minute(60),
            max_clients: 100_000,
        }
    }
}

impl RateLimits {
    /// The defaults, overridden by `VOTEBASE_{LOGIN,LOOKUP,REGISTRATION,REPORT,
    /// RESULTS_SIGNIN,RESULTS_PUBLIC,TIP,VOLUNTEER_SIGNUP,VOLUNTEER_LINKS}_PER_MINUTE` (0 =
    /// off) and `..._BURST`, and
    /// `VOTEBASE_RATE_LIMIT_MAX_CLIENTS`.
    pub fn from_env() -> Self {
        let d = Self::default();
        Self {
            login: d.login.with_env("LOGIN"),
            lookup: d.lookup.with_env("LOOKUP"),
            registration: d.registration.with_env("REGISTRATION"),
            report: d.report.with_env("REPORT"),
            results_sign_in: d.results_sign_in.with_env("RESULTS_SIGNIN"),
            results_public: d.results_public.with_env("RESULTS_PUBLIC"),
            tip: d.tip.with_env("TIP"),
            volunteer_signup: d.volunteer_signup.with_env("VOLUNTEER_SIGNUP"),
            volunteer_links: d.volunteer_links.with_env("VOLUNTEER_LINKS"),
            max_clients: std::env::var("VOTEBASE_RATE_LIMIT_MAX_CLIENTS")
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(d.max_clients)
                .max(16),
        }
    }

    /// One limiter per surface.
    pub fn build(&self) -> Limiters {
        let l = |rate| Arc::new(Limiter::new(rate, self.max_clients));
        Limiters {
            login: l(self.login),
            lookup: l(self.lookup),
            registration: l(self.registration),
            report: l(self.report),
            results_sign_in: l(self.results_sign_in),
            results_public: l(self.results_public),
            tip: l(self.tip),
            volunteer_signup: l(self.volunteer_signup),
            volunteer_links: l(self.volunteer_links),
        }
    }
}

/// The server's limiters, one per public surface (see [`RateLimits`]).
#[derive(Debug, Clone)]
pub struct Limiters {
    /// Sign-in attempts.
    pub login: Arc<Limiter>,
    /// Polling-place lookups.
    pub lookup: Arc<Limiter>,
    /// Registration checks.
    pub registration: Arc<Limiter>,
    /// Public incident reports.
    pub report: Arc<Limiter>,
    /// Chair code sign-in.
    pub results_sign_in: Arc<Limiter>,
    /// Public results pages and feeds.
    pub results_public: Arc<Limiter>,
    /// Public disinformation tips.
    pub tip: Arc<Limiter>,
    /// Volunteer sign-ups.
    pub volunteer_signup: Arc<Limiter>,
    /// Volunteers' signed-link pages.
    pub volunteer_links: Arc<Limiter>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A token bucket per client address. The table holds at most `max_clients` addresses:
/// when it is full, buckets that have refilled (idle clients) are dropped, and if every
/// remembered client is still active, new addresses share one overflow bucket, so memory
/// stays bounded whatever the number of addresses.
#[derive(Debug)]
pub struct Limiter {
    rate: Rate,
    max_clients: usize,
    inner: Mutex<Table>,
}

#[derive(Debug)]
struct Table {
    buckets: HashMap<IpAddr, Bucket>,
    overflow: Bucket,
    /// When the table was last pruned (at most once a second, so a full table of active
    /// clients does not cost a scan per request).
    pruned: Option<Instant>,
}

impl Limiter {
    /// A limiter at `rate` remembering at most `max_clients` addresses.
    pub fn new(rate: Rate, max_clients: usize) -> Self {
        let burst = f64::from(rate.burst.max(1));
        Self {
            rate,
            max_clients: max_clients.max(1),
            inner: Mutex::new(Table {
                buckets: HashMap::new(),
                overflow: Bucket {
                    tokens: burst,
                    at: Instant::now(),
                },
                pruned: None,
            }),
        }
    }

    /// The configured rate.
    pub fn rate(&self) -> Rate {
        self.rate
    }

    /// Takes one request from `ip`'s allowance, or says how long to wait.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        self.check_at(ip, Instant::now())
    }

    /// Addresses remembered now.
    pub fn clients(&self) -> usize {
        self.lock().buckets.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn per_second(&self) -> f64 {
        f64::from(self.rate.per_minute) / 60.0
    }

    fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        if self.rate.per_minute == 0 {
            return Ok(());
        }
        let burst = f64::from(self.rate.burst.max(1));
        let per_second = self.per_second();
        let mut table = self.lock();
        if !table.buckets.contains_key(&ip)
            && table.buckets.len() >= self.max_clients
            && table
                .pruned
                .is_none_or(|p| now.saturating_duration_since(p) >= Duration::from_secs(1))
        {
            table.pruned = Some(now);
            // Drop every client whose bucket has refilled: it is as if never seen.
            table.buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * per_second < burst
            });
        }
        let full = table.buckets.len() >= self.max_clients;
        let bucket = if full && !table.buckets.contains_key(&ip) {
            &mut table.overflow
        } else {
            table.buckets.entry(ip).or_insert(Bucket {
                tokens: burst,
                at: now,
            })
        };
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(n))
    }

    #[test]
    fn burst_then_refusal_then_refill() {
        let l = Limiter::new(
            Rate {
                per_minute: 60,
                burst: 3,
            },
            100,
        );
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check_at(ip(1), t0).is_ok());
        }
        let wait = l.check_at(ip(1), t0).unwrap_err();
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO);
        assert!(
            l.check_at(ip(2), t0).is_ok(),
            "other clients are not affected"
        );
        assert!(l.check_at(ip(1), t0 + Duration::from_millis(1100)).is_ok());
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let l = Limiter::new(Rate::per_minute(0), 10);
        for _ in 0..1000 {
            assert!(l.check(ip(1)).is_ok());
        }
        assert_eq!(l.clients(), 0);
    }

    #[test]
    fn the_table_stays_bounded_under_many_addresses() {
        let l = Limiter::new(Rate::per_minute(10), 1000);
        let t0 = Instant::now();
        for n in 0..50_000 {
            let _ = l.check_at(ip(n), t0);
            assert!(l.clients() <= 1000);
        }
        assert_eq!(l.clients(), 1000);
        // Past the bound, new addresses share the overflow bucket: it runs dry.
        let refused = (60_000..60_100)
            .filter(|n| l.check_at(ip(*n), t0).is_err())
            .count();
        assert!(refused > 0);
        // Once the remembered clients are idle (refilled), they are pruned for new ones.
        let later = t0 + Duration::from_secs(120);
        assert!(l.check_at(ip(70_000), later).is_ok());
        assert_eq!(l.clients(), 1);
    }
}
