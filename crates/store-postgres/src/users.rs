//! Users, API tokens, browser sessions and the audit log in PostgreSQL. Secrets are never
//! stored: tokens and session ids by their SHA-256, passwords as argon2 hashes made by
//! the server.

use crate::db;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::PgConnection;
use votebase_domain::{AuditEntry, User};
use votebase_store::{Session, StoreResult, parse_stored_role};

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
        sqlx::query_as("SELECT role, password_hash FROM users WHERE name = $1")
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

pub(crate) async fn list_users(c: &mut PgConnection) -> StoreResult<Vec<User>> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT name, role FROM users ORDER BY name")
        .fetch_all(c)
        .await
        .map_err(db)?;
    rows.into_iter()
        .map(|(name, role)| {
            Ok(User {
                name,
                role: parse_stored_role(&role)?,
            })
        })
        .collect()
}

pub(crate) async fn add_token(
    c: &mut PgConnection,
    user: &str,
    sha: &str,
    label: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO api_tokens (token_sha256, user_name, label, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(sha.to_string())
    .bind(user.to_string())
    .bind(label.to_string())
    .bind(Utc::now())
    .execute(c)
    .await
    .map_err(db)?;
    Ok(())
}

pub(crate) async fn user_for_token(c: &mut PgConnection, sha: &str) -> StoreResult<Option<User>> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT u.name, u.role FROM api_tokens t JOIN users u ON u.name = t.user_name
         WHERE t.token_sha256 = $1",
    )
    .bind(sha.to_string())
    .fetch_optional(c)
    .await
    .map_err(db)?;
    row.map(|(name, role)| {
        Ok(User {
            name,
            role: parse_stored_role(&role)?,
        })
    })
    .transpose()
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
         JOIN users u ON u.name = s.user_name WHERE s.session_sha256 = $1",
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
