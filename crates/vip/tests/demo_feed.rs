//! The demo state's VIP feed (`votebase_ingest::demo::write_vip_feed`): it loads as a 5.x
//! CSV feed, validates without errors, and every voter of the second snapshot, typed as a
//! person would type the address, resolves to the polling place of the voter's precinct.

use std::path::PathBuf;
use std::time::SystemTime;
use votebase_ingest::demo::{DemoOptions, build_state, write_vip_feed};
use votebase_vip::{Answer, FeedFormat, Index, Severity, load, validate};

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "vip-demo-{tag}-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn every_demo_voter_resolves_to_the_polling_place_of_its_precinct() {
    let state = build_state(&DemoOptions {
        voters: std::env::var("DEMO_VOTERS").map_or(3_000, |v| v.parse().unwrap()),
        seed: std::env::var("DEMO_SEED").map_or(7, |v| v.parse().unwrap()),
        ..DemoOptions::default()
    });
    let dir = scratch("resolve");
    let path = write_vip_feed(&state, &dir).unwrap();
    let feed = load(&path).unwrap();
    assert_eq!(feed.format, FeedFormat::Csv5);
    let report = validate(&feed);
    let errors: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(feed.precincts.len(), state.precincts.len());
    assert_eq!(feed.localities.len(), state.counties.len());
    let index = Index::build(&feed);
    assert_eq!(index.stats.skipped_segments, 0);

    let (mut total, mut found) = (0usize, 0usize);
    let mut failures = Vec::new();
    for (i, v) in state.second_snapshot() {
        total += 1;
        let st = &state.streets[v.street as usize];
        let typed = format!(
            "{}, {}, NC {:05}",
            state.street_address(&v),
            state.cities[st.city as usize].name,
            st.zip5
        );
        let p = state.precinct_of(&v) as usize;
        let prec = &state.precincts[p];
        match index.lookup(&typed) {
            Answer::Found { precinct, .. }
                if precinct.id == format!("p{p}")
                    && precinct.polling_places.len() == 1
                    && precinct.polling_places[0].name == prec.polling_place.name =>
            {
                assert_eq!(
                    precinct.polling_places[0].hours,
                    vec!["2026-11-03 06:30-19:30"]
                );
                let county = &state.counties[usize::from(prec.county)];
                assert_eq!(
                    precinct.early_vote[0].name,
                    format!("{} BOARD OF ELECTIONS", county.name)
                );
                found += 1;
            }
            other => failures.push(format!("voter {i}: {typed}: {other:?}")),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{found} of {total} demo voters resolved to their polling place ({:.2}%)",
        100.0 * found as f64 / total as f64
    );
    assert!(
        failures.is_empty(),
        "{} unresolved:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}
