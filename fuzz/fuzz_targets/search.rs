//! The voter search box (web, API and CLI): any text parses to a query.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = votebase_ingest::search::parse_voter_query(&text, 100);
});
