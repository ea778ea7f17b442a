//! A VIP 5.x XML feed uploaded by an admin, then validated, indexed and looked up: a
//! malformed feed is an error, never a panic; a feed that parses validates and answers
//! lookups (the first line of the input is also looked up in it).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(feed) = votebase_vip::xml::read(data, "fuzz.xml") else {
        return;
    };
    let _ = votebase_vip::validate(&feed);
    let index = votebase_vip::Index::build(&feed);
    let text = String::from_utf8_lossy(data);
    let first_line = text.lines().next().unwrap_or("");
    let _ = index.lookup(first_line);
});
