//! Users, API tokens, browser sessions and the audit log in PostgreSQL. Secrets are never
//! stored: tokens and session ids by their SHA-256, passwords as argon2 hashes made by
//! the server. Disabled users, token expiry, last use and revocation are recorded here;
//! whether a token is accepted is decided by the caller (`votebase_app::auth`).

use crate::db;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnection, PgPool, PgRow};
use sqlx::{Acquire, AssertSqlSafe, Row};
use votebase_domain::{AuditEntry, Role, User};
use votebase_store::{ApiToken, Session, StoreResult, UserAccount, parse_stored_role};

pub(crate) async fn put_user(c: &mut PgConnection, user: &User, hash: &str) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, password_hash = EXCLUDED.password_hash",
    )
    .bind(user.name.clone())
    .bind(user.role.code())
    .bind(hash.to_string())
    .bind(Utc::now())
    .execute(c)
    .await
    .map_err(db)?;
    Ok(())
}

pub(crate) async fn user_with_password(
    c: &mut PgConnection,
    name: &str,
) -> StoreResult<Option<(User, String)>> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT role, password_hash FROM users WHERE name = $1 AND NOT disabled")
            .bind(name.to_string())
            .fetch_optional(c)
            .await
            .map_err(db)?;
    row.map(|(role, hash)| {
        Ok((
            User {
                name: name.to_string(),
                role: parse_stored_role(&role)?,
            },
            hash,
        ))
    })
    .transpose()
}

const ACCOUNT_SELECT: &str = "SELECT name, role, disabled, created_at FROM users";

fn account_from_row(r: &PgRow) -> StoreResult<UserAccount> {
    let role: String = r.try_get(1).map_err(db)?;
    Ok(UserAccount {
        user: User {
            name: r.try_get(0).map_err(db)?,
            role: parse_stored_role(&role)?,
        },
        disabled: r.try_get(2).map_err(db)?,
        created_at: r.try_get(3).map_err(db)?,
    })
}

pub(crate) async fn account(c: &mut PgConnection, name: &str) -> StoreResult<Option<UserAccount>> {
    let row = sqlx::query(AssertSqlSafe(format!("{ACCOUNT_SELECT} WHERE name = $1")))
        .bind(name.to_string())
        .fetch_optional(c)
        .await
        .map_err(db)?;
    row.as_ref().map(account_from_row).transpose()
}

pub(crate) async fn list_users(c: &mut PgConnection) -> StoreResult<Vec<UserAccount>> {
    let rows = sqlx::query(AssertSqlSafe(format!("{ACCOUNT_SELECT} ORDER BY name")))
        .fetch_all(c)
        .await
        .map_err(db)?;
    rows.iter().map(account_from_row).collect()
}

pub(crate) async fn set_user_disabled(
    pool: &PgPool,
    name: &str,
    disabled: bool,
) -> StoreResult<bool> {
    let mut tx = pool.begin().await.map_err(db)?;
    let n = sqlx::query("UPDATE users SET disabled = $2 WHERE name = $1")
        .bind(name.to_string())
        .bind(disabled)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
    if n > 0 && disabled {
        sqlx::query("DELETE FROM sessions WHERE user_name = $1")
            .bind(name.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(n > 0)
}

pub(crate) async fn set_user_role(
    c: &mut PgConnection,
    name: &str,
    role: Role,
) -> StoreResult<bool> {
    let n = sqlx::query("UPDATE users SET role = $2 WHERE name = $1")
        .bind(name.to_string())
        .bind(role.code())
        .execute(c)
        .await
        .map_err(db)?
        .rows_affected();
    Ok(n > 0)
}

pub(crate) async fn reset_password(pool: &PgPool, name: &str, hash: &str) -> StoreResult<bool> {
    let mut tx = pool.begin().await.map_err(db)?;
    let n = sqlx::query("UPDATE users SET password_hash = $2 WHERE name = $1")
        .bind(name.to_string())
        .bind(hash.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
    if n > 0 {
        let c = tx.acquire().await.map_err(db)?;
        sqlx::query("DELETE FROM sessions WHERE user_name = $1")
            .bind(name.to_string())
            .execute(&mut *c)
            .await
            .map_err(db)?;
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = now() WHERE user_name = $1 AND revoked_at IS NULL",
        )
        .bind(name.to_string())
        .execute(&mut *c)
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(n > 0)
}

pub(crate) async fn create_token(
    c: &mut PgConnection,
    user: &str,
    sha: &str,
    label: &str,
    expires_at: DateTime<Utc>,
) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO api_tokens (token_sha256, user_name, label, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(sha.to_string())
    .bind(user.to_string())
    .bind(label.to_string())
    .bind(Utc::now())
    .bind(expires_at)
    .fetch_one(c)
    .await
    .map_err(db)
}

const TOKEN_SELECT: &str = "SELECT t.id, u.name, u.role, u.disabled, t.label, t.created_at,
    t.last_used_at, t.expires_at, t.revoked_at
    FROM api_tokens t JOIN users u ON u.name = t.user_name";

fn token_from_row(r: &PgRow) -> StoreResult<ApiToken> {
    let role: String = r.try_get(2).map_err(db)?;
    Ok(ApiToken {
        id: r.try_get(0).map_err(db)?,
        user: User {
            name: r.try_get(1).map_err(db)?,
            role: parse_stored_role(&role)?,
        },
        user_disabled: r.try_get(3).map_err(db)?,
        label: r.try_get(4).map_err(db)?,
        created_at: r.try_get(5).map_err(db)?,
        last_used_at: r.try_get(6).map_err(db)?,
        expires_at: r.try_get(7).map_err(db)?,
        revoked_at: r.try_get(8).map_err(db)?,
    })
}

pub(crate) async fn token(c: &mut PgConnection, sha: &str) -> StoreResult<Option<ApiToken>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "{TOKEN_SELECT} WHERE t.token_sha256 = $1"
    )))
    .bind(sha.to_string())
    .fetch_optional(c)
    .await
    .map_err(db)?;
    row.as_ref().map(token_from_row).transpose()
}

pub(crate) async fn touch_token(
    c: &mut PgConnection,
    id: i64,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = $2
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2 - interval '1 minute')",
    )
    .bind(id)
    .bind(at)
    .execute(c)
    .await
    .map_err(db)?;
    Ok(())
}

pub(crate) async fn list_tokens(c: &mut PgConnection) -> StoreResult<Vec<ApiToken>> {
    let rows = sqlx::query(AssertSqlSafe(format!("{TOKEN_SELECT} ORDER BY t.id DESC")))
        .fetch_all(c)
        .await
        .map_err(db)?;
    rows.iter().map(token_from_row).collect()
}

pub(crate) async fn revoke_token(c: &mut PgConnection, id: i64) -> StoreResult<bool> {
    let n = sqlx::query(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(id)
    .execute(c)
    .await
    .map_err(db)?
    .rows_affected();
    Ok(n > 0)
}

pub(crate) async fn create_session(
    c: &mut PgConnection,
    sha: &str,
    s: &Session,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sessions (session_sha256, user_name, csrf_token, expires_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(sha.to_string())
    .bind(s.user.name.clone())
    .bind(s.csrf_token.clone())
    .bind(s.expires_at)
    .execute(c)
    .await
    .map_err(db)?;
    Ok(())
}

pub(crate) async fn session(c: &mut PgConnection, sha: &str) -> StoreResult<Option<Session>> {
    let row: Option<(String, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT u.name, u.role, s.csrf_token, s.expires_at FROM sessions s
         JOIN users u ON u.name = s.user_name
         WHERE s.session_sha256 = $1 AND NOT u.disabled",
    )
    .bind(sha.to_string())
    .fetch_optional(c)
    .await
    .map_err(db)?;
    let Some((name, role, csrf_token, expires_at)) = row else {
        return Ok(None);
    };
    if expires_at <= Utc::now() {
        return Ok(None);
    }
    Ok(Some(Session {
        user: User {
            name,
            role: parse_stored_role(&role)?,
        },
        csrf_token,
        expires_at,
    }))
}

pub(crate) async fn delete_session(c: &mut PgConnection, sha: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE session_sha256 = $1")
        .bind(sha.to_string())
        .execute(c)
        .await
        .map_err(db)?;
    Ok(())
}

pub(crate) async fn audit(c: &mut PgConnection, e: &AuditEntry) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(e.at)
    .bind(e.actor.clone())
    .bind(e.action.clone())
    .bind(e.subject.clone())
    .bind(e.detail.clone())
    .execute(c)
    .await
    .map_err(db)?;
    Ok(())
}

pub(crate) async fn audit_log(c: &mut PgConnection, limit: i64) -> StoreResult<Vec<AuditEntry>> {
    // As in SQLite, a negative limit means no limit.
    let limit = (limit >= 0).then_some(limit);
    let rows = sqlx::query(
        "SELECT at, actor, action, subject, detail FROM audit_log ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(c)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                at: r.try_get(0)?,
                actor: r.try_get(1)?,
                action: r.try_get(2)?,
                subject: r.try_get(3)?,
                detail: r.try_get(4)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db)
}
