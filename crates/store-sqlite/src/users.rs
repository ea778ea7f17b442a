//! Users, API tokens, browser sessions and the audit log in SQLite. Secrets are never
//! stored: tokens and session ids by their SHA-256, passwords as argon2 hashes made by
//! the server.

use crate::db;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use votebase_domain::{AuditEntry, User};
use votebase_store::{Session, StoreResult, parse_stored_role};

fn parse_time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

pub(crate) fn put_user(c: &Connection, user: &User, hash: &str) -> StoreResult<()> {
    c.execute(
        "INSERT INTO users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash",
        params![user.name, user.role.code(), hash, Utc::now().to_rfc3339()],
    )
    .map_err(db)?;
    Ok(())
}

pub(crate) fn user_with_password(
    c: &Connection,
    name: &str,
) -> StoreResult<Option<(User, String)>> {
    let row: Option<(String, String)> = c
        .query_row(
            "SELECT role, password_hash FROM users WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
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

pub(crate) fn list_users(c: &Connection) -> StoreResult<Vec<User>> {
    let mut stmt = c
        .prepare("SELECT name, role FROM users ORDER BY name")
        .map_err(db)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (name, role) = row.map_err(db)?;
        out.push(User {
            name,
            role: parse_stored_role(&role)?,
        });
    }
    Ok(out)
}

pub(crate) fn add_token(c: &Connection, user: &str, sha: &str, label: &str) -> StoreResult<()> {
    c.execute(
        "INSERT INTO api_tokens (token_sha256, user_name, label, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![sha, user, label, Utc::now().to_rfc3339()],
    )
    .map_err(db)?;
    Ok(())
}

fn user_by_join(c: &Connection, sql: &str, key: &str) -> StoreResult<Option<User>> {
    let row: Option<(String, String)> = c
        .query_row(sql, [key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(db)?;
    row.map(|(name, role)| {
        Ok(User {
            name,
            role: parse_stored_role(&role)?,
        })
    })
    .transpose()
}

pub(crate) fn user_for_token(c: &Connection, sha: &str) -> StoreResult<Option<User>> {
    user_by_join(
        c,
        "SELECT u.name, u.role FROM api_tokens t JOIN users u ON u.name = t.user_name
         WHERE t.token_sha256 = ?1",
        sha,
    )
}

pub(crate) fn create_session(c: &Connection, sha: &str, s: &Session) -> StoreResult<()> {
    c.execute(
        "INSERT INTO sessions (session_sha256, user_name, csrf_token, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![sha, s.user.name, s.csrf_token, s.expires_at.to_rfc3339()],
    )
    .map_err(db)?;
    Ok(())
}

pub(crate) fn session(c: &Connection, sha: &str) -> StoreResult<Option<Session>> {
    let row: Option<(String, String, String, String)> = c
        .query_row(
            "SELECT u.name, u.role, s.csrf_token, s.expires_at FROM sessions s
             JOIN users u ON u.name = s.user_name WHERE s.session_sha256 = ?1",
            [sha],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(db)?;
    let Some((name, role, csrf_token, expires)) = row else {
        return Ok(None);
    };
    let expires_at = parse_time(&expires);
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

pub(crate) fn delete_session(c: &Connection, sha: &str) -> StoreResult<()> {
    c.execute("DELETE FROM sessions WHERE session_sha256 = ?1", [sha])
        .map_err(db)?;
    Ok(())
}

pub(crate) fn audit(c: &Connection, e: &AuditEntry) -> StoreResult<()> {
    c.execute(
        "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![e.at.to_rfc3339(), e.actor, e.action, e.subject, e.detail],
    )
    .map_err(db)?;
    Ok(())
}

pub(crate) fn audit_log(c: &Connection, limit: i64) -> StoreResult<Vec<AuditEntry>> {
    let mut stmt = c
        .prepare(
            "SELECT at, actor, action, subject, detail FROM audit_log ORDER BY id DESC LIMIT ?1",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([limit], |r| {
            let at: String = r.get(0)?;
            Ok(AuditEntry {
                at: parse_time(&at),
                actor: r.get(1)?,
                action: r.get(2)?,
                subject: r.get(3)?,
                detail: r.get(4)?,
            })
        })
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}
