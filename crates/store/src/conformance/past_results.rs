//! Conformance checks of [`PastResultsStore`](crate::past_results::PastResultsStore):
//! a file is stored whole, once per SHA-256; totals read back in order; precinct history
//! matches names written two ways, is newest first and leaves over/under-votes out of the
//! total.

use crate::Store;
use crate::past_results::{NewPastResultsFile, PastResultRow, PublishedTotal};
use chrono::NaiveDate;

fn row(line: u64, precinct: &str, office: &str, candidate: &str, votes: i64) -> PastResultRow {
    PastResultRow {
        line,
        county: "Centre".into(),
        precinct: precinct.into(),
        office: office.into(),
        district: String::new(),
        party: if candidate.starts_with("Over") {
            String::new()
        } else {
            "DEM".into()
        },
        candidate: candidate.into(),
        votes,
        vote_types: vec![("election_day".into(), votes - 1), ("mail".into(), 1)],
    }
}

fn file(sha: &str, date: NaiveDate) -> NewPastResultsFile {
    NewPastResultsFile {
        source_file: format!("{sha}.csv"),
        file_sha256: sha.into(),
        format: "openelections".into(),
        election_date: date,
        election_name: String::new(),
    }
}

/// Runs the past_results checks on a store that already holds the suite's voters.
pub async fn run(store: &dyn Store) {
    let d2020 = NaiveDate::from_ymd_opt(2020, 11, 3).unwrap();
    let d2016 = NaiveDate::from_ymd_opt(2016, 11, 8).unwrap();
    assert!(store.past_results_files().await.unwrap().is_empty());
    assert!(
        store
            .precinct_history("Centre", "1-BELLEFONTE NORTH", "President")
            .await
            .unwrap()
            .is_empty(),
        "no history before any import"
    );

    let rows_2020 = vec![
        row(2, "1-BELLEFONTE NORTH", "President", "Joseph R. Biden", 250),
        row(3, "1-BELLEFONTE NORTH", "President", "Over Votes", 2),
        row(4, "2-BELLEFONTE SOUTH", "President", "Joseph R. Biden", 300),
        row(
            5,
            "1-BELLEFONTE NORTH",
            "Attorney General",
            "Josh Shapiro",
            240,
        ),
    ];
    let totals = vec![
        PublishedTotal {
            county: "Centre".into(),
            office: "President".into(),
            district: String::new(),
            candidate: "Joseph R. Biden".into(),
            vote_type: "total".into(),
            published: 550,
            precinct_sum: 550,
        },
        PublishedTotal {
            county: "Centre".into(),
            office: "Attorney General".into(),
            district: String::new(),
            candidate: "Josh Shapiro".into(),
            vote_type: "total".into(),
            published: 241,
            precinct_sum: 240,
        },
    ];
    let out = store
        .import_past_results(file("sha-2020", d2020), rows_2020.clone(), totals.clone())
        .await
        .expect("first import");
    assert!(!out.already_imported);
    assert_eq!(out.rows, 4);

    // The same file again: nothing changes, same id.
    let again = store
        .import_past_results(file("sha-2020", d2020), rows_2020.clone(), totals.clone())
        .await
        .unwrap();
    assert!(again.already_imported);
    assert_eq!((again.file_id, again.rows), (out.file_id, 0));
    let files = store.past_results_files().await.unwrap();
    assert_eq!(files.len(), 1, "a second import of one file stores nothing");
    assert_eq!(
        (files[0].rows, files[0].totals_checked, files[0].mismatches),
        (4, 2, 1)
    );
    assert_eq!(files[0].election_date, d2020);
    assert_eq!(
        store.past_results_totals(out.file_id).await.unwrap(),
        totals,
        "totals read back in order"
    );

    // An older election, the precinct written differently.
    let mut older = row(
        9,
        "1-Bellefonte  North",
        "PRESIDENT",
        "Hillary Clinton",
        200,
    );
    older.vote_types.clear();
    store
        .import_past_results(file("sha-2016", d2016), vec![older.clone()], Vec::new())
        .await
        .unwrap();
    let history = store
        .precinct_history("CENTRE", "1-bellefonte north", "president")
        .await
        .unwrap();
    assert_eq!(
        history.len(),
        2,
        "both elections, nothing else: {history:?}"
    );
    assert_eq!(history[0].election_date, d2020, "newest first");
    assert_eq!(history[0].total_votes, 250, "over-votes are not votes");
    assert_eq!(history[0].choices.len(), 2);
    assert_eq!(history[0].choices[0].candidate, "Joseph R. Biden");
    assert_eq!(history[0].choices[1].votes, 2);
    assert_eq!(history[1].election_date, d2016);
    assert_eq!(history[1].precinct, "1-Bellefonte  North", "as written");
    assert_eq!(history[1].total_votes, 200);
    assert!(
        store
            .precinct_history("Centre", "1-BELLEFONTE NORTH", "Governor")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .precinct_history("Wake", "1-BELLEFONTE NORTH", "President")
            .await
            .unwrap()
            .is_empty(),
        "another county's precinct of the same name is not this one"
    );
    let files = store.past_results_files().await.unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0].election_date, d2020, "newest election first");
}
