//! Names from a voter file row, a sign-up or the registration check: never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use votebase_normalize::{clean_text, normalize_name_part, normalize_suffix, split_full_name};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let cleaned = clean_text(&text);
    assert_eq!(clean_text(&cleaned), cleaned, "clean_text is idempotent");
    let _ = normalize_name_part(&text);
    let _ = normalize_suffix(&text);
    let _ = split_full_name(&text);
});
