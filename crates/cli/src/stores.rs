//! Opening the organization's store from the global options: PostgreSQL when
//! `--database` is given, else the embedded SQLite store under `--data`.

use crate::options::Global;
use anyhow::Context;
use std::sync::Arc;
use votebase_domain::OrgName;
use votebase_store::{OrgRegistry, Store};

/// Opens (and migrates) the store the options name.
pub async fn open(global: &Global) -> anyhow::Result<Arc<dyn Store>> {
    let org = OrgName::parse(&global.org)?;
    match &global.database {
        Some(url) => {
            let store = votebase_store_postgres::PgStore::connect(url, &org)
                .await
                .with_context(|| format!("cannot open PostgreSQL store for organization {org}"))?;
            Ok(Arc::new(store))
        }
        None => {
            let store = votebase_store_sqlite::SqliteStore::open(&global.data, &org).with_context(
                || {
                    format!(
                        "cannot open the SQLite store of organization {org} in {}",
                        global.data.display()
                    )
                },
            )?;
            Ok(Arc::new(store))
        }
    }
}

/// Opens the deployment's organization registry: the `votebase_platform` schema (or
/// `VOTEBASE_PLATFORM_SCHEMA`) with `--database`, else `_platform.sqlite3` under `--data`.
pub async fn registry(global: &Global) -> anyhow::Result<Arc<dyn OrgRegistry>> {
    match &global.database {
        Some(url) => {
            let schema = std::env::var("VOTEBASE_PLATFORM_SCHEMA")
                .ok()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| votebase_store_postgres::DEFAULT_PLATFORM_SCHEMA.into());
            let registry = votebase_store_postgres::PgOrgRegistry::connect(url, schema.trim())
                .await
                .with_context(|| format!("cannot open the organization registry {schema}"))?;
            Ok(Arc::new(registry))
        }
        None => {
            let registry = votebase_store_sqlite::SqliteOrgRegistry::open(&global.data)
                .with_context(|| {
                    format!(
                        "cannot open the organization registry in {}",
                        global.data.display()
                    )
                })?;
            Ok(Arc::new(registry))
        }
    }
}
