//! The SQLite organization registry: a small database `_platform.sqlite3` in the data
//! directory (a name no organization can take: theirs start with a letter) listing the
//! organizations; each one's data is its own `<name>.sqlite3`, created and migrated by
//! [`SqliteStore::open`] when the organization is created.

use crate::{SqliteStore, db};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use votebase_domain::{OrgName, Organization};
use votebase_store::{OrgRegistry, Store, StoreError, StoreResult};

/// The registry's file name in the data directory.
pub const REGISTRY_FILE: &str = "_platform.sqlite3";

/// The registry of the organizations under one data directory.
#[derive(Debug, Clone)]
pub struct SqliteOrgRegistry {
    data_dir: PathBuf,
}

impl SqliteOrgRegistry {
    /// The registry of `data_dir` (created with its table if missing).
    pub fn open(data_dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Refused(format!(
                "cannot create data directory {}: {e}",
                data_dir.display()
            ))
        })?;
        let registry = Self {
            data_dir: data_dir.to_path_buf(),
        };
        registry.conn()?;
        Ok(registry)
    }

    fn conn(&self) -> StoreResult<Connection> {
        let conn = Connection::open(self.data_dir.join(REGISTRY_FILE)).map_err(db)?;
        conn.execute_batch(
            "PRAGMA busy_timeout = 10000;
             PRAGMA journal_mode = WAL;",
        )
        .map_err(db)?;
        conn.execute_batch(include_str!("../migrations/platform/organizations.sql"))
            .map_err(db)?;
        Ok(conn)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Self) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || f(&me))
            .await
            .map_err(|e| StoreError::Database(format!("blocking task failed: {e}")))?
    }

    fn registered(&self, name: &OrgName) -> StoreResult<bool> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT 1 FROM organizations WHERE name = ?1",
                [name.as_str()],
                |_| Ok(()),
            )
            .optional()
            .map_err(db)?
            .is_some())
    }
}

fn not_registered(name: &OrgName) -> StoreError {
    StoreError::Refused(format!(
        "organization {name} is not registered: votebase org create {name}"
    ))
}

#[async_trait]
impl OrgRegistry for SqliteOrgRegistry {
    async fn create_org(&self, name: &OrgName, display_name: &str) -> StoreResult<Organization> {
        let (name, display_name) = (name.clone(), display_name.to_string());
        self.blocking(move |me| {
            if me.registered(&name)? {
                return Err(StoreError::Refused(format!(
                    "organization {name} already exists"
                )));
            }
            // The organization's own file first: a registered name always opens.
            SqliteStore::open(&me.data_dir, &name)?;
            let created_at = Utc::now();
            let inserted = me
                .conn()?
                .execute(
                    "INSERT INTO organizations (name, display_name, created_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (name) DO NOTHING",
                    params![name.as_str(), display_name, created_at.to_rfc3339()],
                )
                .map_err(db)?;
            if inserted == 0 {
                return Err(StoreError::Refused(format!(
                    "organization {name} already exists"
                )));
            }
            Ok(Organization {
                name,
                display_name,
                created_at,
            })
        })
        .await
    }

    async fn list_orgs(&self) -> StoreResult<Vec<Organization>> {
        self.blocking(|me| {
            let conn = me.conn()?;
            let mut stmt = conn
                .prepare("SELECT name, display_name, created_at FROM organizations ORDER BY name")
                .map_err(db)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .map_err(db)?;
            let mut orgs = Vec::new();
            for row in rows {
                let (name, display_name, created_at) = row.map_err(db)?;
                orgs.push(Organization {
                    name: OrgName::parse(&name).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    display_name,
                    created_at: DateTime::parse_from_rfc3339(&created_at)
                        .map_err(|e| StoreError::Corrupt(format!("created_at: {e}")))?
                        .with_timezone(&Utc),
                });
            }
            Ok(orgs)
        })
        .await
    }

    async fn open_org(&self, name: &OrgName) -> StoreResult<Arc<dyn Store>> {
        self.open_registered(name, true).await
    }

    async fn open_org_unshared(&self, name: &OrgName) -> StoreResult<Arc<dyn Store>> {
        self.open_registered(name, false).await
    }
}

impl SqliteOrgRegistry {
    /// Opens a registered organization's file, with its voter file subscription applied
    /// (`shared`) or not.
    async fn open_registered(&self, name: &OrgName, shared: bool) -> StoreResult<Arc<dyn Store>> {
        let name = name.clone();
        let store = self
            .blocking(move |me| {
                if !me.registered(&name)? {
                    return Err(not_registered(&name));
                }
                let file = me.data_dir.join(format!("{name}.sqlite3"));
                if shared {
                    SqliteStore::open_file(&file)
                } else {
                    SqliteStore::open_file_unshared(&file)
                }
            })
            .await?;
        Ok(Arc::new(store))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn registry_conformance() {
        let dir = std::env::temp_dir().join(format!("vb-orgs-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        let registry = SqliteOrgRegistry::open(&dir).unwrap();
        votebase_store::conformance::orgs::run(
            &registry,
            &OrgName::parse("camp_a").unwrap(),
            &OrgName::parse("camp_b").unwrap(),
        )
        .await;
        assert!(dir.join("camp_a.sqlite3").exists());
        std::fs::remove_dir_all(dir).ok();
    }
}
