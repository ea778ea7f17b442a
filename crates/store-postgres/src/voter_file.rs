//! A voter file shared read-only on PostgreSQL (`votebase_store::voter_file`): a
//! subscriber gets a schema `vbv_<org>` of views over its source's shared tables (each
//! with an `INSTEAD OF` trigger refusing writes, so even a hand-written `INSERT` cannot
//! reach the source) plus `source_data_changes`, the source's change counter, and its
//! connections search `vbv_<org>` before `vb_<org>`, so the views shadow the subscriber's
//! own (empty) tables of the same names for every query and every trigger function. The
//! schema is rebuilt, under an advisory lock, only when its marker (source and migration
//! count) differs or a view is missing; an unsubscribed organization's view schema is
//! dropped when it next connects.

use crate::{MIGRATIONS, db, schema_name};
use chrono::Utc;
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection};
use votebase_domain::OrgName;
use votebase_store::voter_file::{
    self, SHARED_VOTER_FILE_TABLES, SOURCE_TABLE, VoterFileSource, holds_own_file,
};
use votebase_store::{StoreError, StoreResult};

/// The schema of views a subscriber searches first.
pub fn view_schema_name(org: &OrgName) -> String {
    format!("vbv_{}", org.as_str())
}

/// The marker the view schema carries as its comment: what it was built for.
fn marker(source: &OrgName) -> String {
    format!(
        "voter file of {} (migrations {})",
        schema_name(source),
        MIGRATIONS.len()
    )
}

/// The subscription recorded in `schema` (the organization's own table), if any.
pub async fn recorded(c: &mut PgConnection, schema: &str) -> StoreResult<Option<VoterFileSource>> {
    let row: Option<(String, chrono::DateTime<Utc>)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT source, since FROM \"{schema}\".{SOURCE_TABLE} WHERE id = 1"
    )))
    .fetch_optional(&mut *c)
    .await
    .map_err(db)?;
    row.map(|(source, since)| {
        Ok(VoterFileSource {
            source: OrgName::parse(&source)
                .map_err(|e| StoreError::Corrupt(format!("{SOURCE_TABLE}.source: {e}")))?,
            since,
        })
    })
    .transpose()
}

/// Records (or ends) the subscription; refused while the organization's own tables hold
/// a voter file.
pub async fn set(c: &mut PgConnection, schema: &str, source: Option<&OrgName>) -> StoreResult<()> {
    let mut tx = c.begin().await.map_err(db)?;
    match source {
        None => {
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM \"{schema}\".{SOURCE_TABLE}"
            )))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        Some(source) => {
            let (snapshots, history): (i64, i64) = sqlx::query_as(AssertSqlSafe(format!(
                "SELECT (SELECT COUNT(*) FROM \"{schema}\".snapshots),
                        (SELECT COUNT(*) FROM \"{schema}\".history_files)"
            )))
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            if snapshots > 0 || history > 0 {
                return Err(holds_own_file(snapshots, history));
            }
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO \"{schema}\".{SOURCE_TABLE} (id, source, since) VALUES (1, $1, now())
                 ON CONFLICT (id) DO UPDATE SET source = excluded.source, since = excluded.since"
            )))
            .bind(source.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
    }
    tx.commit().await.map_err(db)
}

/// Makes the view schema of `org` match its subscription: built (or rebuilt) for
/// `source`, or dropped when there is none.
pub async fn prepare(
    c: &mut PgConnection,
    org: &OrgName,
    source: Option<&OrgName>,
) -> StoreResult<()> {
    let views = view_schema_name(org);
    let mut tx = c.begin().await.map_err(db)?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("votebase-voter-file:{views}"))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let Some(source) = source else {
        let exists: bool = sqlx::query_scalar("SELECT to_regnamespace($1) IS NOT NULL")
            .bind(&views)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        if exists {
            sqlx::raw_sql(AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS \"{views}\" CASCADE"
            )))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        return tx.commit().await.map_err(db);
    };
    let wanted = marker(source);
    let (current, complete): (Option<String>, bool) = sqlx::query_as(
        "SELECT obj_description(to_regnamespace($1), 'pg_namespace'),
                (SELECT COUNT(*) FROM pg_views WHERE schemaname = $1) = $2",
    )
    .bind(&views)
    .bind(SHARED_VOTER_FILE_TABLES.len() as i64 + 1)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    if current.as_deref() == Some(wanted.as_str()) && complete {
        return tx.commit().await.map_err(db);
    }
    let from = schema_name(source);
    let mut sql = format!(
        "DROP SCHEMA IF EXISTS \"{views}\" CASCADE;
         CREATE SCHEMA \"{views}\";
         CREATE FUNCTION \"{views}\".refuse_write() RETURNS trigger LANGUAGE plpgsql AS $f$
         BEGIN
             RAISE EXCEPTION 'this organization''s voter file is read-only: it is shared by organization {source}'
                 USING ERRCODE = 'read_only_sql_transaction';
         END $f$;
         CREATE VIEW \"{views}\".source_data_changes AS SELECT * FROM \"{from}\".data_changes;\n"
    );
    for t in SHARED_VOTER_FILE_TABLES {
        sql.push_str(&format!(
            "CREATE VIEW \"{views}\".{t} AS SELECT * FROM \"{from}\".{t};
             CREATE TRIGGER {t}_read_only INSTEAD OF INSERT OR UPDATE OR DELETE ON \"{views}\".{t}
                 FOR EACH ROW EXECUTE FUNCTION \"{views}\".refuse_write();\n"
        ));
    }
    sql.push_str(&format!(
        "COMMENT ON SCHEMA \"{views}\" IS '{}';",
        wanted.replace('\'', "''")
    ));
    sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(&mut *tx)
        .await
        .map_err(|e| voter_file::source_missing(source, &format!("schema {from}: {e}")))?;
    tx.commit().await.map_err(db)
}

#[cfg(test)]
mod tests {
    use crate::tests::{database_reachable, test_url, unique_org};
    use crate::{PgStore, drop_org};
    use std::sync::Arc;
    use votebase_store::Store;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shared_voter_file_conformance_and_read_only_views() {
        if !database_reachable().await {
            return;
        }
        let url = test_url();
        let (state, camp, other) = (unique_org("vfs"), unique_org("vfc"), unique_org("vfo"));
        let source = PgStore::connect(&url, &state).await.unwrap();
        let subscriber = PgStore::connect_unshared(&url, &camp).await.unwrap();
        let reopen = || {
            let (url, camp) = (url.clone(), camp.clone());
            async move { Arc::new(PgStore::connect(&url, &camp).await.unwrap()) as Arc<dyn Store> }
        };
        votebase_store::conformance::voter_file::run(&source, &state, &subscriber, reopen).await;

        // Inside the database: the views refuse every write, even hand-written SQL.
        subscriber
            .set_voter_file_source(Some(&state))
            .await
            .unwrap();
        let shared = PgStore::connect(&url, &camp).await.unwrap();
        let before = source.count_voters().await.unwrap();
        for sql in [
            "DELETE FROM voters",
            "UPDATE snapshots SET voters = 0",
            "INSERT INTO history_files (file_sha256, source_file, imported_at, inserted) VALUES ('x', 'x', now(), 0)",
        ] {
            let e = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(shared.pool())
                .await
                .expect_err(sql)
                .to_string();
            assert!(e.contains("read-only"), "{sql}: {e}");
        }
        assert_eq!(source.count_voters().await.unwrap(), before);

        // A chain is refused when connecting.
        let third = PgStore::connect_unshared(&url, &other).await.unwrap();
        third.set_voter_file_source(Some(&camp)).await.unwrap();
        let e = PgStore::connect(&url, &other)
            .await
            .err()
            .expect("a chain")
            .to_string();
        assert!(e.contains("reads the voter file of"), "{e}");
        for s in [source, subscriber, shared, third] {
            s.close().await;
        }
        for org in [&state, &camp, &other] {
            drop_org(&url, org).await.unwrap();
        }
    }
}
