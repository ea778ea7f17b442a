//! Phones and dates from any column of any layout (a layout supplies the date formats).
#![no_main]
use libfuzzer_sys::fuzz_target;
use votebase_normalize::{COMMON_DATE_FORMATS, normalize_phone, parse_date, parse_year};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = normalize_phone(&text);
    let _ = parse_year(&text);
    let _ = parse_date(&text, COMMON_DATE_FORMATS);
    // The first line as a format, the rest as the value: formats come from layout files.
    if let Some((format, value)) = text.split_once('\n') {
        let _ = parse_date(value, &[format]);
    }
});
