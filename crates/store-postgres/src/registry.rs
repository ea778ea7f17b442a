//! The PostgreSQL organization registry: the `organizations` table of the platform
//! schema (`votebase_platform` by default) beside the organizations' own schemas
//! (`vb_<name>`), each created and migrated by [`PgStore::connect`] when the organization
//! is created.

use crate::{PgStore, db};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Row};
use std::sync::Arc;
use votebase_domain::{OrgName, Organization};
use votebase_store::{OrgRegistry, Store, StoreError, StoreResult};

/// The platform schema unless configured otherwise.
pub const DEFAULT_PLATFORM_SCHEMA: &str = "votebase_platform";

/// The registry of the organizations of one database.
#[derive(Clone)]
pub struct PgOrgRegistry {
    url: String,
    pool: PgPool,
}

/// Checks a platform schema name: 1–63 of `a-z`, `0-9`, `_`, starting with a letter, and
/// never `vb_…` (the organizations' prefix).
fn check_schema(schema: &str) -> StoreResult<()> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema.starts_with(|c: char| c.is_ascii_lowercase())
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !schema.starts_with("vb_");
    if ok {
        Ok(())
    } else {
        Err(StoreError::Refused(format!(
            "invalid platform schema {schema:?}: lowercase letters, digits and '_', starting with a letter, not vb_"
        )))
    }
}

impl PgOrgRegistry {
    /// Connects to the database at `url` and creates the registry in `schema` if missing.
    pub async fn connect(url: &str, schema: &str) -> StoreResult<Self> {
        check_schema(schema)?;
        let setup: Arc<str> = Arc::from(format!("SET search_path TO \"{schema}\""));
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .after_connect(move |conn, _meta| {
                let setup = setup.clone();
                Box::pin(async move {
                    sqlx::raw_sql(AssertSqlSafe(setup)).execute(conn).await?;
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(db)?;
        let mut tx = pool.begin().await.map_err(db)?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("votebase-migrate:{schema}"))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::raw_sql(AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS \"{schema}\"; SET LOCAL search_path TO \"{schema}\";"
        )))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        sqlx::raw_sql(include_str!("../migrations/platform/organizations.sql"))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Self {
            url: url.to_string(),
            pool,
        })
    }

    /// Closes the registry's connections.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn registered(&self, name: &OrgName) -> StoreResult<bool> {
        Ok(sqlx::query("SELECT 1 FROM organizations WHERE name = $1")
            .bind(name.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .is_some())
    }
}

/// Drops a platform schema and its registry (tests; the organizations' schemas stay).
pub async fn drop_platform(url: &str, schema: &str) -> StoreResult<()> {
    check_schema(schema)?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .map_err(db)?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
    )))
    .execute(&pool)
    .await
    .map_err(db)?;
    pool.close().await;
    Ok(())
}

#[async_trait]
impl OrgRegistry for PgOrgRegistry {
    async fn create_org(&self, name: &OrgName, display_name: &str) -> StoreResult<Organization> {
        if self.registered(name).await? {
            return Err(StoreError::Refused(format!(
                "organization {name} already exists"
            )));
        }
        // The organization's own schema first: a registered name always opens.
        let store = PgStore::connect(&self.url, name).await?;
        store.close().await;
        let row = sqlx::query(
            "INSERT INTO organizations (name, display_name) VALUES ($1, $2)
             ON CONFLICT (name) DO NOTHING RETURNING created_at",
        )
        .bind(name.as_str())
        .bind(display_name)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let Some(row) = row else {
            return Err(StoreError::Refused(format!(
                "organization {name} already exists"
            )));
        };
        Ok(Organization {
            name: name.clone(),
            display_name: display_name.to_string(),
            created_at: row.try_get::<DateTime<Utc>, _>(0).map_err(db)?,
        })
    }

    async fn list_orgs(&self) -> StoreResult<Vec<Organization>> {
        let rows =
            sqlx::query("SELECT name, display_name, created_at FROM organizations ORDER BY name")
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.into_iter()
            .map(|r| {
                let name: String = r.try_get(0).map_err(db)?;
                Ok(Organization {
                    name: OrgName::parse(&name).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    display_name: r.try_get(1).map_err(db)?,
                    created_at: r.try_get(2).map_err(db)?,
                })
            })
            .collect()
    }

    async fn open_org(&self, name: &OrgName) -> StoreResult<Arc<dyn Store>> {
        self.refuse_unregistered(name).await?;
        Ok(Arc::new(PgStore::connect(&self.url, name).await?))
    }

    async fn open_org_unshared(&self, name: &OrgName) -> StoreResult<Arc<dyn Store>> {
        self.refuse_unregistered(name).await?;
        Ok(Arc::new(PgStore::connect_unshared(&self.url, name).await?))
    }
}

impl PgOrgRegistry {
    async fn refuse_unregistered(&self, name: &OrgName) -> StoreResult<()> {
        if self.registered(name).await? {
            return Ok(());
        }
        Err(StoreError::Refused(format!(
            "organization {name} is not registered: votebase org create {name}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{database_reachable, test_url, unique_org};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn registry_conformance() {
        if !database_reachable().await {
            return;
        }
        let url = test_url();
        let (a, b) = (unique_org("rega"), unique_org("regb"));
        let platform = format!("p_{}", unique_org("reg"));
        let registry = PgOrgRegistry::connect(&url, &platform).await.unwrap();
        votebase_store::conformance::orgs::run(&registry, &a, &b).await;
        registry.close().await;
        drop_platform(&url, &platform).await.unwrap();
        crate::drop_org(&url, &a).await.unwrap();
        crate::drop_org(&url, &b).await.unwrap();
    }

    #[test]
    fn platform_schema_names_are_checked() {
        assert!(check_schema(DEFAULT_PLATFORM_SCHEMA).is_ok());
        assert!(check_schema("vb_camp").is_err());
        assert!(check_schema("Bad").is_err());
        assert!(check_schema("x\"; drop").is_err());
    }
}
