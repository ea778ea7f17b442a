//! The credential records the store keeps about accounts and API tokens: whether a user
//! is disabled, and each token's id, owner, expiry, last use and revocation. Secrets are
//! never here: tokens are known by their SHA-256 only.

use chrono::{DateTime, Utc};
use serde::Serialize;
use votebase_domain::User;

/// A user account as an administrator sees it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserAccount {
    /// Name and role.
    pub user: User,
    /// A disabled user cannot sign in, and their sessions and tokens are refused.
    pub disabled: bool,
    /// When the account was added.
    pub created_at: DateTime<Utc>,
}

/// An API token's record (its secret is shown once at creation and never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    /// Stable id, for `token revoke`.
    pub id: i64,
    /// Whose it is.
    pub user: User,
    /// The owner is disabled: the token is refused while they are.
    pub user_disabled: bool,
    /// Free text given at creation.
    pub label: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last accepted (recorded at most about once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it stops being accepted; `None` only for tokens older than expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    /// True once `now` is at or past the expiry.
    pub fn expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }
}

/// How long a token lives when its creator does not say.
pub const DEFAULT_TOKEN_LIFETIME_DAYS: i64 = 90;
