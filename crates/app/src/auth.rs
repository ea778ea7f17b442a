//! Credentials: argon2 password hashes, random secrets for tokens, sessions and CSRF,
//! the SHA-256 form in which the store keeps every secret, and constant-time
//! comparison; the rules of API tokens (lifetimes, expiry, revocation, disabled owners,
//! cheap last-use tracking) and of sign-in (per-account throttling, equal work for
//! unknown users). The server's extractors and the CLI's `user` and `token` commands
//! both use these; nothing here knows HTTP.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};
use votebase_domain::User;
use votebase_store::{Store, StoreResult};

/// A password could not be hashed (argon2 refused its parameters or input).
#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let hash: PasswordHash = Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|e| HashError(e.to_string()))?;
    Ok(hash.to_string())
}

/// Checks a password against a stored argon2 hash.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), stored_hash)
        .is_ok()
}

/// A hash of a password nobody has, made once: unknown user names are verified against
/// it so that a sign-in costs the same whether the name exists or not.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password(&new_secret()).unwrap_or_default());

/// Checks a password against a user's hash, or, when there is no such (enabled) user,
/// against a dummy hash with the same cost; false in that case whatever the password.
pub fn verify_password_or_dummy(password: &str, stored_hash: Option<&str>) -> bool {
    match stored_hash {
        Some(hash) => verify_password(password, hash),
        None => {
            let _ = verify_password(password, &DUMMY_HASH);
            false
        }
    }
}

/// Failed sign-ins per account name: after `max_failures` within `window` the name is
/// refused, whatever the password, until the oldest of those failures ages out. This
/// comes on top of the per-address limit, so spreading guesses over many addresses does
/// not help. Names are keyed whether or not they exist (the answer reveals nothing), and
/// memory stays bounded.
pub struct LoginThrottle {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Names tracked at most; past this, stale entries are dropped (then, if still full,
/// every entry: the per-address limit still applies).
const THROTTLE_MAX_NAMES: usize = 100_000;

impl LoginThrottle {
    /// `max_failures` failures per name within `window`.
    pub fn new(max_failures: usize, window: Duration) -> Self {
        Self {
            max_failures: max_failures.max(1),
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// The default: 5 failures per 15 minutes per account name.
    pub fn standard() -> Self {
        Self::new(5, Duration::from_secs(15 * 60))
    }

    fn key(name: &str) -> String {
        name.trim()
            .chars()
            .take(128)
            .collect::<String>()
            .to_lowercase()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long `name` must wait before another attempt, if it is throttled at `now`.
    pub fn retry_after(&self, name: &str, now: Instant) -> Option<Duration> {
        let mut map = self.lock();
        let entry = map.get_mut(&Self::key(name))?;
        while entry
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
        {
            entry.pop_front();
        }
        if entry.len() >= self.max_failures {
            let oldest = *entry.front()?;
            Some(
                self.window
                    .saturating_sub(now.saturating_duration_since(oldest)),
            )
        } else {
            None
        }
    }

    /// Records a failed sign-in for `name` at `now`.
    pub fn record_failure(&self, name: &str, now: Instant) {
        let mut map = self.lock();
        if map.len() >= THROTTLE_MAX_NAMES {
            let window = self.window;
            map.retain(|_, v| {
                v.back()
                    .is_some_and(|t| now.saturating_duration_since(*t) < window)
            });
            if map.len() >= THROTTLE_MAX_NAMES {
                map.clear();
            }
        }
        let entry = map.entry(Self::key(name)).or_default();
        entry.push_back(now);
        while entry.len() > self.max_failures {
            entry.pop_front();
        }
    }

    /// A successful sign-in clears the name's failures.
    pub fn record_success(&self, name: &str) {
        self.lock().remove(&Self::key(name));
    }
}

/// Why an API token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    /// Unknown, revoked, or its owner is disabled.
    #[error("unknown or revoked token")]
    Invalid,
    /// Past its expiry.
    #[error("the token has expired; create a new one with `votebase token create`")]
    Expired,
}

/// Resolves an API token (as sent by the client) to its user at `now`: refused when
/// unknown, revoked, expired or its owner is disabled. An accepted token's last use is
/// recorded (at most one write a minute per token).
pub async fn authenticate_token(
    store: &dyn Store,
    token: &str,
    now: DateTime<Utc>,
) -> StoreResult<Result<User, TokenRefusal>> {
    let Some(t) = store.token(&sha256_hex(token)).await? else {
        return Ok(Err(TokenRefusal::Invalid));
    };
    if t.revoked_at.is_some() || t.user_disabled {
        return Ok(Err(TokenRefusal::Invalid));
    }
    if t.expired_at(now) {
        return Ok(Err(TokenRefusal::Expired));
    }
    let recent = t
        .last_used_at
        .is_some_and(|at| now.signed_duration_since(at) < chrono::Duration::minutes(1));
    if !recent {
        store.touch_token(t.id, now).await?;
    }
    Ok(Ok(t.user))
}

/// Parses a token lifetime: `90d`, `12h`, `30m`, `45s` or a bare number of days;
/// between one second and ten years.
pub fn parse_lifetime(text: &str) -> Result<chrono::Duration, String> {
    let t = text.trim().to_ascii_lowercase();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t.as_str(), "d"),
    };
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a lifetime; write e.g. 90d, 12h or 30m"))?;
    let d = match unit.trim() {
        "d" | "day" | "days" => chrono::Duration::try_days(n),
        "h" | "hour" | "hours" => chrono::Duration::try_hours(n),
        "m" | "min" | "minutes" => chrono::Duration::try_minutes(n),
        "s" | "sec" | "seconds" => chrono::Duration::try_seconds(n),
        _ => None,
    }
    .ok_or_else(|| format!("{text:?} is not a lifetime; write e.g. 90d, 12h or 30m"))?;
    if d < chrono::Duration::seconds(1) || d > chrono::Duration::days(3650) {
        return Err(format!("{text:?}: a token lives between 1s and 3650d"));
    }
    Ok(d)
}

/// A new random password for a reset (24 characters, shown once).
pub fn new_password() -> String {
    new_secret()[..24].to_string()
}

/// A new random secret (32 bytes, hex): tokens, session ids, CSRF tokens.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// SHA-256 of a secret, hex: what the store keeps.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time comparison of two secrets.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn secrets_are_distinct_and_compared_exactly() {
        let (a, b) = (new_secret(), new_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
        assert_eq!(sha256_hex("x").len(), 64);
    }

    #[test]
    fn unknown_users_cost_a_verification_and_never_pass() {
        let hash = hash_password("correct horse").unwrap();
        assert!(verify_password_or_dummy("correct horse", Some(&hash)));
        assert!(!verify_password_or_dummy("wrong", Some(&hash)));
        assert!(!verify_password_or_dummy("correct horse", None));
        assert!(DUMMY_HASH.starts_with("$argon2"));
    }

    #[test]
    fn five_failures_throttle_one_account_for_the_window() {
        let t = LoginThrottle::new(5, Duration::from_secs(900));
        let start = Instant::now();
        for i in 0..4 {
            t.record_failure("Ann", start + Duration::from_secs(i));
            assert!(
                t.retry_after("ann", start + Duration::from_secs(i))
                    .is_none()
            );
        }
        t.record_failure(" ann ", start + Duration::from_secs(10));
        let wait = t
            .retry_after("ANN", start + Duration::from_secs(10))
            .expect("throttled after 5 failures");
        assert_eq!(wait, Duration::from_secs(890));
        // Another account is not affected.
        assert!(
            t.retry_after("bob", start + Duration::from_secs(10))
                .is_none()
        );
        // Once the oldest failure is out of the window, one more attempt is allowed.
        assert!(
            t.retry_after("ann", start + Duration::from_secs(900))
                .is_none()
        );
        t.record_failure("ann", start + Duration::from_secs(900));
        assert!(
            t.retry_after("ann", start + Duration::from_secs(900))
                .is_some()
        );
        // A success clears the account.
        t.record_success("ann");
        assert!(
            t.retry_after("ann", start + Duration::from_secs(902))
                .is_none()
        );
    }

    #[test]
    fn lifetimes_parse_and_are_bounded() {
        assert_eq!(parse_lifetime("90d").unwrap(), chrono::Duration::days(90));
        assert_eq!(parse_lifetime("12h").unwrap(), chrono::Duration::hours(12));
        assert_eq!(parse_lifetime("30").unwrap(), chrono::Duration::days(30));
        assert_eq!(parse_lifetime("5m").unwrap(), chrono::Duration::minutes(5));
        assert_eq!(parse_lifetime("2s").unwrap(), chrono::Duration::seconds(2));
        for bad in [
            "",
            "d",
            "0d",
            "0s",
            "99999d",
            "5x",
            "-3d",
            "9999999999999999999d",
        ] {
            assert!(parse_lifetime(bad).is_err(), "{bad}");
        }
    }
}
