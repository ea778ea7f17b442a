//! Field normalisation for imported voter files: turning the raw text of one cell into
//! the canonical form votebase stores and matches on. This crate owns the text rules
//! (trimming, Unicode NFC, whitespace, case and null markers), person names, street
//! addresses with the project's own USPS Publication 28 tables, ZIP codes and states,
//! phone numbers (E.164) and dates. Everything here is pure and allocation-light: it runs
//! once per cell on files of millions of rows, so no regular expressions and no I/O.

pub mod address;
pub mod date;
pub mod lines;
pub mod name;
pub mod phone;

pub use address::{
    normalize_address, normalize_state, normalize_zip, parse_street_line, state_code,
};
pub use date::{COMMON_DATE_FORMATS, DateError, parse_date, parse_year};
pub use lines::LineCounting;
pub use name::{ParsedName, normalize_name_part, normalize_suffix, split_full_name};
pub use phone::normalize_phone;

use unicode_normalization::UnicodeNormalization;

/// Cleans one text cell: trims, applies Unicode NFC, collapses every run of whitespace
/// or control characters to one space and upper-cases. Null markers (`NULL`, `(NULL)`,
/// `\N`, `N/A`, `#N/A`) and blank values become the empty string. A byte-order mark or
/// zero-width space counts as whitespace.
///
/// ASCII input (almost every cell) takes a fast path that never builds the NFC form.
pub fn clean_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    if raw.is_ascii() {
        push_collapsed(&mut out, raw.chars());
    } else {
        push_collapsed(&mut out, raw.nfc());
        // Upper-casing can decompose (`ΐ` -> `Ι` + two accents, which NFC recomposes to
        // `Ϊ́`): compose again so that cleaning a cleaned value changes nothing.
        if !unicode_normalization::is_nfc(&out) {
            out = out.nfc().collect();
        }
    }
    if is_null_marker(&out) {
        out.clear();
    }
    out
}

/// Appends `chars` to `out` upper-cased, with whitespace runs collapsed and the ends
/// trimmed.
fn push_collapsed(out: &mut String, chars: impl Iterator<Item = char>) {
    let mut pending_space = false;
    for c in chars {
        if c.is_whitespace() || c.is_control() || c == '\u{feff}' || c == '\u{200b}' {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        if c.is_ascii() {
            out.push(c.to_ascii_uppercase());
        } else {
            out.extend(c.to_uppercase());
        }
    }
}

/// True for the spellings of "no value" that exports leave in cells (already cleaned).
fn is_null_marker(cleaned: &str) -> bool {
    matches!(
        cleaned,
        "NULL" | "(NULL)" | "<NULL>" | "\\N" | "N/A" | "#N/A"
    )
}

#[cfg(test)]
mod tests {
    use super::clean_text;

    #[test]
    fn trims_collapses_and_uppercases() {
        assert_eq!(clean_text("  john   q\tpublic \r\n"), "JOHN Q PUBLIC");
        assert_eq!(clean_text("Smith"), "SMITH");
        assert_eq!(clean_text("o'neil-smith"), "O'NEIL-SMITH");
    }

    #[test]
    fn blanks_and_null_markers_are_empty() {
        for raw in [
            "", " ", "   ", "\t", "NULL", "null", " Null ", "(null)", "\\N", "n/a", "#N/A",
        ] {
            assert_eq!(clean_text(raw), "", "{raw:?}");
        }
        // Real values that merely look short stay.
        assert_eq!(clean_text("na"), "NA");
        assert_eq!(clean_text("nil"), "NIL");
    }

    #[test]
    fn unicode_is_nfc_and_uppercased() {
        // "e" + combining acute becomes the precomposed capital.
        assert_eq!(clean_text("jose\u{301}"), "JOS\u{c9}");
        assert_eq!(clean_text("Jos\u{e9}"), "JOS\u{c9}");
        assert_eq!(clean_text("mu\u{f1}oz"), "MU\u{d1}OZ");
        // No-break space and other Unicode whitespace collapse too.
        assert_eq!(clean_text("ann\u{a0}\u{a0}marie"), "ANN MARIE");
        assert_eq!(clean_text("stra\u{df}e"), "STRASSE");
    }

    #[test]
    fn upper_casing_that_decomposes_is_recomposed() {
        // U+0390 upper-cases to three characters; found by the property tests.
        let once = clean_text("\u{390}");
        assert_eq!(once, "\u{3aa}\u{301}");
        assert_eq!(clean_text(&once), once);
    }

    #[test]
    fn control_characters_are_separators() {
        assert_eq!(clean_text("a\u{0}b"), "A B");
        assert_eq!(clean_text("\u{feff}x\u{200b}"), "X");
    }
}
