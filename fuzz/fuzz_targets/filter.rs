//! The universe filter language (`/api/v1/universes/count?q=`): parse errors carry spans
//! that fall on character boundaries of the input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = votebase_index::parse(&text) {
        let message = e.to_string();
        assert!(!message.is_empty());
    }
});
