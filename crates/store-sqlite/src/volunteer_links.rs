//! The volunteers' link key and unsubscribe check on SQLite.

use crate::{SqliteStore, db};
use async_trait::async_trait;
use chrono::Utc;
use rusqlite::params;
use votebase_store::StoreResult;
use votebase_store::volunteer_links::VolunteerLinkStore;

#[async_trait]
impl VolunteerLinkStore for SqliteStore {
    async fn link_key(&self, candidate: &str) -> StoreResult<String> {
        let candidate = candidate.to_string();
        self.with_conn(move |c| {
            let tx = c.transaction().map_err(db)?;
            tx.execute(
                "INSERT INTO volunteer_link_key (id, key, created_at) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO NOTHING",
                params![candidate, Utc::now().to_rfc3339()],
            )
            .map_err(db)?;
            let key: String = tx
                .query_row("SELECT key FROM volunteer_link_key WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(key)
        })
        .await
    }

    async fn email_unsubscribed(&self, email: &str) -> StoreResult<bool> {
        let email = email.trim().to_lowercase();
        self.with_conn(move |c| {
            c.query_row(
                "SELECT EXISTS (SELECT 1 FROM person_emails e JOIN people p ON p.id = e.person_id
                   WHERE e.email = ?1 AND p.unsubscribed = 1)",
                [email],
                |r| r.get::<_, bool>(0),
            )
            .map_err(db)
        })
        .await
    }
}
