//! Shared helpers of the end-to-end tests: a backend (a fresh SQLite data directory or a
//! fresh PostgreSQL schema) and a way to run the `votebase` binary against it.

#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The shared test data folder.
pub fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel)
}

/// The PostgreSQL URL the tests use.
pub fn postgres_url() -> String {
    std::env::var("VOTEBASE_TEST_DATABASE")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// True when PostgreSQL answers; when it does not and `CI` is set, the test fails.
pub fn postgres_available() -> bool {
    let ok = std::process::Command::new("psql")
        .args([&postgres_url(), "-qtAc", "SELECT 1"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok && std::env::var_os("CI").is_some() {
        panic!(
            "PostgreSQL is not reachable at {} and CI is set: the PostgreSQL tests must run",
            postgres_url()
        );
    }
    if !ok {
        eprintln!(
            "PostgreSQL not reachable: skipping the PostgreSQL half of this test (set CI to make this fail)"
        );
    }
    ok
}

/// One backend under test.
pub struct Backend {
    /// Global options selecting it.
    pub args: Vec<String>,
    /// Scratch directory (files, rejects).
    pub dir: tempfile::TempDir,
    /// The PostgreSQL schema to drop at the end, if any.
    schema: Option<String>,
    /// "sqlite" or "postgres".
    pub name: &'static str,
}

impl Backend {
    /// A fresh SQLite data directory.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        Self {
            args: vec!["--data".into(), data.to_string_lossy().into()],
            dir,
            schema: None,
            name: "sqlite",
        }
    }

    /// A fresh PostgreSQL organization schema.
    pub fn postgres(tag: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let org = format!("t_{tag}_{}_{nanos}", std::process::id());
        Self {
            args: vec![
                "--database".into(),
                postgres_url(),
                "--org".into(),
                org.clone(),
            ],
            dir: tempfile::tempdir().expect("tempdir"),
            schema: Some(format!("vb_{org}")),
            name: "postgres",
        }
    }

    /// Every backend available: SQLite always, PostgreSQL when reachable.
    pub fn all(tag: &str) -> Vec<Self> {
        let mut v = vec![Self::sqlite()];
        if postgres_available() {
            v.push(Self::postgres(tag));
        }
        v
    }

    /// `votebase <global args> <args>`.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("votebase").expect("binary");
        c.args(&self.args)
            .args(args)
            .env_remove("VOTEBASE_DATABASE");
        c.current_dir(self.dir.path());
        c
    }

    /// A path inside the scratch directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some(schema) = &self.schema {
            let _ = std::process::Command::new("psql")
                .args([
                    &postgres_url(),
                    "-qc",
                    &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
                ])
                .output();
        }
    }
}
