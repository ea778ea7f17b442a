//! A Clarity (Scytl) detail XML results file: an error or parsed results, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = votebase_ingest::results::clarity::parse_reader(data, "detail.xml");
});
