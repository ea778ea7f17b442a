//! Opening the organization's store from the global options: PostgreSQL when
//! `--database` is given, else the embedded SQLite store under `--data`.

use crate::options::Global;
use anyhow::Context;
use std::sync::Arc;
use votebase_domain::OrgName;
use votebase_store::Store;

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
