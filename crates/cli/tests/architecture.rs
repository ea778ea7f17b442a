//! The architecture test: the crate graph, read from `cargo metadata`, must be the
//! layering of `docs/ARCHITECTURE.md` — front ends (`votebase` = the CLI, `server`) call
//! `app`; `app` calls the `Store` traits and the engines; everything may use `domain`;
//! engines never reach a store, a front end or another feature's file formats; the two
//! backends never know each other. Every workspace crate must be in [`ALLOWED`]: a new
//! crate, or a new edge, is added here on purpose. Edges that break the rule but remain
//! from before the application layer existed are listed in [`DEBT`]: the test fails when
//! one of them disappears (so the list shrinks with the code) and when a new one appears.

use std::collections::{BTreeMap, BTreeSet};

/// The layer rule: the workspace crates each crate may depend on (normal dependencies).
const ALLOWED: &[(&str, &[&str])] = &[
    // The shared vocabulary: no other workspace crate.
    ("votebase-domain", &[]),
    // Pure engines: domain, and the pure normaliser.
    ("votebase-normalize", &["votebase-domain"]),
    ("votebase-caucus", &["votebase-domain"]),
    ("votebase-index", &["votebase-domain"]),
    ("votebase-link", &["votebase-domain", "votebase-normalize"]),
    ("votebase-score", &["votebase-domain"]),
    ("votebase-matching", &["votebase-domain"]),
    ("votebase-narrative", &[]),
    ("votebase-vip", &["votebase-domain", "votebase-normalize"]),
    ("votebase-purge", &["votebase-domain"]),
    // The storage contract and its two backends (which never know each other).
    ("votebase-store", &["votebase-domain"]),
    (
        "votebase-store-sqlite",
        &["votebase-domain", "votebase-store"],
    ),
    (
        "votebase-store-postgres",
        &["votebase-domain", "votebase-store"],
    ),
    // File formats in and out: layouts, readers, importers, exports, results parsers.
    (
        "votebase-ingest",
        &["votebase-domain", "votebase-normalize", "votebase-store"],
    ),
    // The fictional state's generator: writes files, knows no store.
    (
        "votebase-demo",
        &["votebase-domain", "votebase-normalize", "votebase-caucus"],
    ),
    // The application layer: use cases over the Store traits, the engines and the formats.
    (
        "votebase-app",
        &[
            "votebase-domain",
            "votebase-normalize",
            "votebase-store",
            "votebase-ingest",
            "votebase-caucus",
            "votebase-index",
            "votebase-link",
            "votebase-score",
            "votebase-vip",
            "votebase-purge",
            "votebase-matching",
            "votebase-narrative",
        ],
    ),
    // Front ends: the server, and the binary (which alone opens a backend and may start
    // the server).
    (
        "votebase-server",
        &["votebase-app", "votebase-domain", "votebase-store"],
    ),
    (
        "votebase",
        &[
            "votebase-app",
            "votebase-domain",
            "votebase-store",
            "votebase-store-sqlite",
            "votebase-store-postgres",
            "votebase-server",
            "votebase-demo",
        ],
    ),
];

/// Edges that break the rule today, each to be moved behind `app`: the front ends still
/// call some engines and formats directly.
const DEBT: &[(&str, &str)] = &[
    ("votebase-server", "votebase-index"),
    ("votebase-server", "votebase-ingest"),
    ("votebase-server", "votebase-normalize"),
    ("votebase-server", "votebase-vip"),
    ("votebase", "votebase-caucus"),
    ("votebase", "votebase-index"),
    ("votebase", "votebase-ingest"),
    ("votebase", "votebase-link"),
    ("votebase", "votebase-normalize"),
    ("votebase", "votebase-score"),
    ("votebase", "votebase-vip"),
];

/// `cargo metadata --format-version 1` with `args`, run at the workspace root.
fn cargo_metadata(args: &[&str]) -> std::process::Output {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1"])
        .args(args)
        .current_dir(&root)
        .output()
        .expect("cargo metadata runs")
}

/// Workspace crates and their normal dependencies on other workspace crates.
fn crate_graph() -> BTreeMap<String, BTreeSet<String>> {
    let out = cargo_metadata(&["--no-deps", "--offline"]);
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let packages = meta["packages"].as_array().expect("packages");
    let names: BTreeSet<String> = packages
        .iter()
        .map(|p| p["name"].as_str().expect("name").to_string())
        .collect();
    packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|d| d["kind"].is_null()) // normal dependencies only
                .filter_map(|d| d["name"].as_str())
                .filter(|d| names.contains(*d))
                .map(str::to_string)
                .collect();
            (p["name"].as_str().expect("name").to_string(), deps)
        })
        .collect()
}

#[test]
fn the_crate_graph_follows_the_layers() {
    let graph = crate_graph();
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(c, deps)| (*c, deps.iter().copied().collect()))
        .collect();
    let debt: BTreeSet<(&str, &str)> = DEBT.iter().copied().collect();
    let mut problems = Vec::new();
    for (krate, deps) in &graph {
        let Some(ok) = allowed.get(krate.as_str()) else {
            problems.push(format!(
                "{krate} is not in the architecture table: add it to ALLOWED on purpose"
            ));
            continue;
        };
        for dep in deps {
            if !ok.contains(dep.as_str()) && !debt.contains(&(krate.as_str(), dep.as_str())) {
                problems.push(format!("{krate} -> {dep} breaks the layers"));
            }
        }
    }
    for (krate, dep) in &debt {
        if !graph.get(*krate).is_some_and(|d| d.contains(*dep)) {
            problems.push(format!(
                "{krate} -> {dep} is gone: remove it from DEBT so it cannot come back"
            ));
        }
    }
    for krate in allowed.keys() {
        if !graph.contains_key(*krate) {
            problems.push(format!("{krate} is in the table but not in the workspace"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn engines_and_backends_never_reach_up() {
    let graph = crate_graph();
    let upper = [
        "votebase-store-sqlite",
        "votebase-store-postgres",
        "votebase-ingest",
        "votebase-app",
        "votebase-server",
        "votebase",
    ];
    for engine in [
        "votebase-domain",
        "votebase-normalize",
        "votebase-caucus",
        "votebase-index",
        "votebase-link",
        "votebase-score",
        "votebase-vip",
        "votebase-store",
    ] {
        let deps = &graph[engine];
        for up in upper {
            assert!(!deps.contains(up), "{engine} depends on {up}");
        }
    }
    assert!(!graph["votebase-store-sqlite"].contains("votebase-store-postgres"));
    assert!(!graph["votebase-store-postgres"].contains("votebase-store-sqlite"));
}

/// The fuzz targets live outside the workspace with their own `Cargo.lock`, which CI
/// builds with `--locked`: a dependency added to an engine the targets use must be added
/// to that lock file too (`cargo metadata --manifest-path fuzz/Cargo.toml`). Checked here
/// so `cargo test` finds a stale lock file before the fuzz step does.
#[test]
fn the_fuzz_lock_file_is_current() {
    let out = cargo_metadata(&["--locked", "--manifest-path", "fuzz/Cargo.toml"]);
    assert!(
        out.status.success(),
        "fuzz/Cargo.lock is stale; run `cargo metadata --manifest-path fuzz/Cargo.toml \
         --format-version 1 >/dev/null` and commit fuzz/Cargo.lock: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
