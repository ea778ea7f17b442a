//! Users, API tokens, browser sessions and the audit log in SQLite. Secrets are never
//! stored: tokens and session ids by their SHA-256, passwords as argon2 hashes made by
//! the server. Disabled users, token expiry, last use and revocation are recorded here;
//! whether a token is accepted is decided by the caller (`votebase_app::auth`).

use crate::db;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use votebase_domain::{AuditEntry, Role, User};
use votebase_store::{ApiToken, Session, StoreResult, UserAccount, parse_stored_role};

/// Times of the credential columns: whole seconds, UTC, so that text order is time order.
fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

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
            "SELECT role, password_hash FROM users WHERE name = ?1 AND disabled = 0",
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

const ACCOUNT_SELECT: &str = "SELECT name, role, disabled, created_at FROM users";

fn account_from_row(r: &Row<'_>) -> rusqlite::Result<StoreResult<UserAccount>> {
    let (name, role, disabled, created): (String, String, bool, String) =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
    Ok(parse_stored_role(&role).map(|role| UserAccount {
        user: User { name, role },
        disabled,
        created_at: parse_time(&created),
    }))
}

pub(crate) fn account(c: &Connection, name: &str) -> StoreResult<Option<UserAccount>> {
    c.query_row(
        &format!("{ACCOUNT_SELECT} WHERE name = ?1"),
        [name],
        account_from_row,
    )
    .optional()
    .map_err(db)?
    .transpose()
}

pub(crate) fn list_users(c: &Connection) -> StoreResult<Vec<UserAccount>> {
    let mut stmt = c
        .prepare(&format!("{ACCOUNT_SELECT} ORDER BY name"))
        .map_err(db)?;
    let rows = stmt.query_map([], account_from_row).map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row.map_err(db)??);
    }
    Ok(out)
}

pub(crate) fn set_user_disabled(
    c: &mut Connection,
    name: &str,
    disabled: bool,
) -> StoreResult<bool> {
    let tx = c.transaction().map_err(db)?;
    let n = tx
        .execute(
            "UPDATE users SET disabled = ?2 WHERE name = ?1",
            params![name, disabled],
        )
        .map_err(db)?;
    if n > 0 && disabled {
        tx.execute("DELETE FROM sessions WHERE user_name = ?1", [name])
            .map_err(db)?;
    }
    tx.commit().map_err(db)?;
    Ok(n > 0)
}

pub(crate) fn set_user_role(c: &Connection, name: &str, role: Role) -> StoreResult<bool> {
    let n = c
        .execute(
            "UPDATE users SET role = ?2 WHERE name = ?1",
            params![name, role.code()],
        )
        .map_err(db)?;
    Ok(n > 0)
}

pub(crate) fn reset_password(c: &mut Connection, name: &str, hash: &str) -> StoreResult<bool> {
    let tx = c.transaction().map_err(db)?;
    let n = tx
        .execute(
            "UPDATE users SET password_hash = ?2 WHERE name = ?1",
            params![name, hash],
        )
        .map_err(db)?;
    if n > 0 {
        tx.execute("DELETE FROM sessions WHERE user_name = ?1", [name])
            .map_err(db)?;
        tx.execute(
            "UPDATE api_tokens SET revoked_at = ?2 WHERE user_name = ?1 AND revoked_at IS NULL",
            params![name, stamp(Utc::now())],
        )
        .map_err(db)?;
    }
    tx.commit().map_err(db)?;
    Ok(n > 0)
}

pub(crate) fn create_token(
    c: &Connection,
    user: &str,
    sha: &str,
    label: &str,
    expires_at: DateTime<Utc>,
) -> StoreResult<i64> {
    c.query_row(
        "INSERT INTO api_tokens (token_sha256, user_name, label, created_at, id, expires_at)
         SELECT ?1, ?2, ?3, ?4, COALESCE(MAX(id), 0) + 1, ?5 FROM api_tokens
         RETURNING id",
        params![sha, user, label, stamp(Utc::now()), stamp(expires_at)],
        |r| r.get(0),
    )
    .map_err(db)
}

const TOKEN_SELECT: &str = "SELECT t.id, u.name, u.role, u.disabled, t.label, t.created_at,
    t.last_used_at, t.expires_at, t.revoked_at
    FROM api_tokens t JOIN users u ON u.name = t.user_name";

fn token_from_row(r: &Row<'_>) -> rusqlite::Result<StoreResult<ApiToken>> {
    let role: String = r.get(2)?;
    let created: String = r.get(5)?;
    let time = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
        Ok(r.get::<_, Option<String>>(i)?.map(|s| parse_time(&s)))
    };
    let (id, name, disabled, label) = (r.get(0)?, r.get(1)?, r.get(3)?, r.get(4)?);
    let (last_used_at, expires_at, revoked_at) = (time(6)?, time(7)?, time(8)?);
    Ok(parse_stored_role(&role).map(|role| ApiToken {
        id,
        user: User { name, role },
        user_disabled: disabled,
        label,
        created_at: parse_time(&created),
        last_used_at,
        expires_at,
        revoked_at,
    }))
}

pub(crate) fn token(c: &Connection, sha: &str) -> StoreResult<Option<ApiToken>> {
    c.query_row(
        &format!("{TOKEN_SELECT} WHERE t.token_sha256 = ?1"),
        [sha],
        token_from_row,
    )
    .optional()
    .map_err(db)?
    .transpose()
}

pub(crate) fn touch_token(c: &Connection, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
    c.execute(
        "UPDATE api_tokens SET last_used_at = ?2
         WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?3)",
        params![id, stamp(at), stamp(at - chrono::Duration::minutes(1))],
    )
    .map_err(db)?;
    Ok(())
}

pub(crate) fn list_tokens(c: &Connection) -> StoreResult<Vec<ApiToken>> {
    let mut stmt = c
        .prepare(&format!("{TOKEN_SELECT} ORDER BY t.id DESC"))
        .map_err(db)?;
    let rows = stmt.query_map([], token_from_row).map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row.map_err(db)??);
    }
    Ok(out)
}

pub(crate) fn revoke_token(c: &Connection, id: i64) -> StoreResult<bool> {
    let n = c
        .execute(
            "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, stamp(Utc::now())],
        )
        .map_err(db)?;
    Ok(n > 0)
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
             JOIN users u ON u.name = s.user_name
             WHERE s.session_sha256 = ?1 AND u.disabled = 0",
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
