//! The volunteers' link key and unsubscribe check on PostgreSQL.

use crate::{PgStore, db};
use async_trait::async_trait;
use chrono::Utc;
use votebase_store::StoreResult;
use votebase_store::volunteer_links::VolunteerLinkStore;

#[async_trait]
impl VolunteerLinkStore for PgStore {
    async fn link_key(&self, candidate: &str) -> StoreResult<String> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        sqlx::query(
            "INSERT INTO volunteer_link_key (id, key, created_at) VALUES (1, $1, $2)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(candidate)
        .bind(Utc::now())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let key: String = sqlx::query_scalar("SELECT key FROM volunteer_link_key WHERE id = 1")
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(key)
    }

    async fn email_unsubscribed(&self, email: &str) -> StoreResult<bool> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM person_emails e JOIN people p ON p.id = e.person_id
               WHERE e.email = $1 AND p.unsubscribed)",
        )
        .bind(email.trim().to_lowercase())
        .fetch_one(self.pool())
        .await
        .map_err(db)
    }
}
