//! Account administration, the same for the CLI (`votebase user …`, `votebase token …`)
//! and the admin users page: disable and enable a user (disabling ends their sessions
//! and stops their tokens at once), change a role, reset a password (ending every
//! session and revoking every token of the user), create and revoke API tokens. Each
//! change is audited under the acting user's name. The last enabled administrator can
//! be neither disabled nor demoted, so an organization cannot lock itself out.

use crate::auth::{HashError, hash_password, new_password, new_secret, sha256_hex};
use chrono::{DateTime, Duration, Utc};
use votebase_domain::{AuditEntry, Role};
use votebase_store::{Store, StoreError};

/// Why an account change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// There is no such user.
    #[error("no user {0:?}")]
    NoUser(String),
    /// There is no such token (or it was already revoked).
    #[error("no active token with id {0}")]
    NoToken(i64),
    /// The change would leave no enabled administrator.
    #[error("{0:?} is the last enabled admin; make another admin first")]
    LastAdmin(String),
    /// Bad input (a short password, …).
    #[error("{0}")]
    Invalid(String),
    /// The password could not be hashed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

async fn audit(
    store: &dyn Store,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), AccountError> {
    store
        .audit(&AuditEntry {
            at: Utc::now(),
            actor: actor.into(),
            action: action.into(),
            subject: subject.into(),
            detail: detail.into(),
        })
        .await?;
    Ok(())
}

/// Refuses when `name` is the only enabled admin (before disabling or demoting them).
async fn keep_an_admin(store: &dyn Store, name: &str) -> Result<(), AccountError> {
    let admins: Vec<String> = store
        .list_users()
        .await?
        .into_iter()
        .filter(|a| a.user.role == Role::Admin && !a.disabled)
        .map(|a| a.user.name)
        .collect();
    if admins.len() == 1 && admins[0] == name {
        return Err(AccountError::LastAdmin(name.into()));
    }
    Ok(())
}

/// Disables (ending their sessions; their tokens are refused) or re-enables a user.
pub async fn set_disabled(
    store: &dyn Store,
    actor: &str,
    name: &str,
    disabled: bool,
) -> Result<(), AccountError> {
    if disabled {
        keep_an_admin(store, name).await?;
    }
    if !store.set_user_disabled(name, disabled).await? {
        return Err(AccountError::NoUser(name.into()));
    }
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    audit(store, actor, action, name, "").await
}

/// Changes a user's role.
pub async fn set_role(
    store: &dyn Store,
    actor: &str,
    name: &str,
    role: Role,
) -> Result<(), AccountError> {
    if role != Role::Admin {
        keep_an_admin(store, name).await?;
    }
    if !store.set_user_role(name, role).await? {
        return Err(AccountError::NoUser(name.into()));
    }
    audit(store, actor, "user.role", name, role.code()).await
}

/// Sets a new password (a random one when `password` is `None`, returned to be shown
/// once), ends the user's sessions and revokes their tokens.
pub async fn reset_password(
    store: &dyn Store,
    actor: &str,
    name: &str,
    password: Option<String>,
) -> Result<String, AccountError> {
    let password = password.unwrap_or_else(new_password);
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::Invalid(format!(
            "the password must be at least {MIN_PASSWORD_CHARS} characters long"
        )));
    }
    let hash = hash_password(&password)?;
    if !store.reset_password(name, &hash).await? {
        return Err(AccountError::NoUser(name.into()));
    }
    audit(
        store,
        actor,
        "user.passwd",
        name,
        "sessions ended, tokens revoked",
    )
    .await?;
    Ok(password)
}

/// A token just made: its secret is shown once.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Id, for `token revoke`.
    pub id: i64,
    /// The secret to send as `Authorization: Bearer`.
    pub secret: String,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// Creates an API token for an existing user, valid for `lifetime`.
pub async fn create_token(
    store: &dyn Store,
    actor: &str,
    name: &str,
    label: &str,
    lifetime: Duration,
) -> Result<NewToken, AccountError> {
    if store.account(name).await?.is_none() {
        return Err(AccountError::NoUser(name.into()));
    }
    let secret = new_secret();
    let expires_at = Utc::now() + lifetime;
    let id = store
        .create_token(name, &sha256_hex(&secret), label, expires_at)
        .await?;
    audit(
        store,
        actor,
        "token.create",
        name,
        &format!("id {id}, {label}, expires {}", expires_at.to_rfc3339()),
    )
    .await?;
    Ok(NewToken {
        id,
        secret,
        expires_at,
    })
}

/// Revokes a token by id.
pub async fn revoke_token(store: &dyn Store, actor: &str, id: i64) -> Result<(), AccountError> {
    if !store.revoke_token(id).await? {
        return Err(AccountError::NoToken(id));
    }
    audit(store, actor, "token.revoke", &id.to_string(), "").await
}
