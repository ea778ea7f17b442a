//! Addresses from a voter file row or a public lookup request: street line, ZIP, state and
//! the whole address must never panic, and normalising a street line twice changes nothing.
#![no_main]
use libfuzzer_sys::fuzz_target;
use votebase_normalize::{normalize_address, normalize_state, normalize_zip, parse_street_line};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '|');
    let (line, city, state, zip) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let _ = normalize_zip(zip);
    let _ = normalize_state(state);
    let _ = normalize_address(line, city, state, zip);
    let _ = parse_street_line(line);
});
