//! The demo state's VIP feed (`votebase_demo::write_vip_feed`): it loads as a 5.x
//! CSV feed, validates without errors, and every voter of the second snapshot, typed as a
//! person would type the address, resolves to the polling place of the voter's precinct.

use std::path::PathBuf;
use std::time::SystemTime;
use votebase_demo::{DemoOptions, DemoState, build_state, write_vip_feed};
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

fn demo(voters: usize) -> DemoState {
    build_state(&DemoOptions {
        voters,
        seed: 7,
        ..DemoOptions::default()
    })
}

#[test]
fn every_demo_voter_resolves_to_the_polling_place_of_its_precinct() {
    let state = demo(3_000);
    let (found, total) = resolve_all(&state, "resolve");
    println!(
        "{found} of {total} demo voters resolved to their polling place ({:.2}%)",
        100.0 * found as f64 / total as f64
    );
}

/// Two streets of different precincts that the address parser cannot tell apart (`ELM ST`
/// and `ELM STREET` in one ZIP, overlapping ranges): the feed splits the shared stretch so
/// it has no overlapping segments and every voter still resolves.
#[test]
fn streets_that_normalise_alike_are_split_without_overlaps() {
    let mut state = demo(3_000);
    let a = (0..state.streets.len())
        .find(|&s| state.streets[s].suffix == "ST" && state.streets[s].pre_dir.is_empty())
        .expect("a street in ST");
    let other = (state.streets[a].precinct + 1) % state.precincts.len() as u32;
    let mut twin = state.streets[a].clone();
    twin.precinct = other;
    twin.suffix = "STREET";
    state.streets.push(twin);
    let b = state.streets.len() as u32 - 1;
    // Every other voter of street `a` moves to the twin, one house up (a number no one
    // on `a` uses).
    let movers: Vec<usize> = (0..state.voters.len())
        .filter(|&i| state.voters[i].street == a as u32)
        .step_by(2)
        .collect();
    assert!(!movers.is_empty());
    for i in movers {
        let v = &mut state.voters[i];
        v.street = b;
        v.house_number += 1;
        v.unit = 0;
    }
    let (found, total) = resolve_all(&state, "twins");
    assert_eq!(found, total);
    // The shared stretch was indeed split: single-address segments on both streets.
    let dir = scratch("twins-split");
    let feed = load(&write_vip_feed(&state, &dir).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    for s in [a as u32, b] {
        let parts = feed
            .street_segments
            .iter()
            .filter(|g| g.id.starts_with(&format!("ss{s}-")))
            .count();
        assert!(parts > 1, "street {s} was not split");
    }
}

/// Writes, loads, validates and indexes the feed of `state`, then looks up every voter of
/// the second snapshot; (resolved, total), panicking on any unresolved voter.
fn resolve_all(state: &DemoState, tag: &str) -> (usize, usize) {
    let dir = scratch(tag);
    let path = write_vip_feed(state, &dir).unwrap();
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
                assert_eq!(precinct.drop_boxes.len(), 1, "one drop box per county");
                assert_eq!(
                    precinct.drop_boxes[0].name,
                    format!("{} BOARD OF ELECTIONS DROP BOX", county.name)
                );
                found += 1;
            }
            other => failures.push(format!("voter {i}: {typed}: {other:?}")),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        failures.is_empty(),
        "{} of {total} unresolved:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
    (found, total)
}
