//! Compiles and runs the command line's `results` module (crates/cli/src/results.rs)
//! against the real Iowa 2020 files, so the printing code is tested before the CLI wires it.

#[path = "../../cli/src/results.rs"]
mod results;

mod common;

#[tokio::test]
async fn check_caucus_prints_text_and_json() {
    let Some(dir) = common::iowa_dir() else {
        return;
    };
    results::check_caucus(&dir, false).await.unwrap();
    results::check_caucus(&dir, true).await.unwrap();
}

#[tokio::test]
async fn check_caucus_reports_a_missing_directory() {
    let err = results::check_caucus(std::path::Path::new("/nonexistent/iowa"), false)
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("/nonexistent/iowa"));
}
