//! A state layout (TOML) from an organization's layout folder: an error naming the
//! problem, or a layout, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = votebase_ingest::Layout::parse(&text, "fuzz.toml");
});
