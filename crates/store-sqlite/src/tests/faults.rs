//! A store error mid-file on SQLite: a trigger the test installs on `voters` raises an
//! error when the file's fault row reaches the table (row by row on a first load, in the
//! merge on a refresh), and the conformance checks in
//! `votebase_store::conformance::faults` follow.

use crate::SqliteStore;
use async_trait::async_trait;
use votebase_domain::OrgName;
use votebase_store::conformance::faults::{
    FAULT_VOTER_ID, StoreFault, store_error_mid_file_rolls_back,
};

struct FailingTrigger<'a> {
    store: &'a SqliteStore,
}

#[async_trait]
impl StoreFault for FailingTrigger<'_> {
    async fn arm(&self) {
        let conn = self.store.conn().expect("connection");
        conn.execute_batch(&format!(
            "CREATE TRIGGER fault_insert BEFORE INSERT ON voters
               WHEN NEW.state_voter_id = '{FAULT_VOTER_ID}'
               BEGIN SELECT RAISE(ABORT, 'injected store fault'); END;
             CREATE TRIGGER fault_update BEFORE UPDATE ON voters
               WHEN NEW.state_voter_id = '{FAULT_VOTER_ID}'
               BEGIN SELECT RAISE(ABORT, 'injected store fault'); END;"
        ))
        .expect("install the failing triggers");
    }

    async fn strike(&self) {}

    async fn clear(&self) {
        let conn = self.store.conn().expect("connection");
        conn.execute_batch(
            "DROP TRIGGER IF EXISTS fault_insert; DROP TRIGGER IF EXISTS fault_update;",
        )
        .expect("drop the failing triggers");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_error_mid_file_rolls_the_import_back() {
    let dir = std::env::temp_dir().join(format!("vb-fault-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    let store = SqliteStore::open(&dir, &OrgName::parse("fault").unwrap()).unwrap();
    store_error_mid_file_rolls_back(&store, &FailingTrigger { store: &store }).await;
    std::fs::remove_dir_all(dir).ok();
}
