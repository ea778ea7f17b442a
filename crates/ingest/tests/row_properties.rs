//! Property tests of the parsers a file or a request reaches: every built-in layout's
//! row conversion (voters, history, ballots) over rows of arbitrary bytes, layout TOML of
//! arbitrary text, and the free-text voter search. None may panic: a hostile or broken
//! file gives rejects and errors, never a crash.

use chrono::NaiveDate;
use csv::ByteRecord;
use proptest::prelude::*;
use votebase_ingest::ballots::convert_ballot_row;
use votebase_ingest::history::convert_history_row;
use votebase_ingest::layout::{BUILT_IN, Bound, FieldSpec, Layout, LayoutKind};
use votebase_ingest::rows::{Fields, RawRow};
use votebase_ingest::search::parse_voter_query;
use votebase_ingest::voters::convert_row;

/// Cell values that reach the converters' branches: dates, years, ages, codes, names,
/// addresses, phones, ZIPs, and bytes that are not UTF-8 (read as Latin-1 or lossily).
const CELLS: &[&str] = &[
    "",
    " ",
    "NULL",
    "AA123456",
    "01/02/1990",
    "1990-02-01",
    "19900201",
    "1/2/90",
    "13/45/2020",
    "2/30/2024",
    "1850",
    "2100",
    "2101",
    "0",
    "-1",
    "130",
    "131",
    "99999999999",
    "A",
    "D",
    "R",
    "U",
    "M",
    "F",
    "ACTIVE",
    "REMOVED",
    "SMITH, JOHN Q JR",
    "123 MAIN ST APT 4",
    "PO BOX 12",
    "27601-1234",
    "1234\u{c9}678",
    "919-555-0123",
    "+44 20 7946 0958",
    "NC",
    "North Carolina",
    "\u{c9}",
    "\u{1f600}",
    "ABSENTEE BY MAIL",
    "ACCEPTED",
    "Y",
    "N",
    "11/05/2024",
];

fn cell() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => proptest::sample::select(CELLS).prop_map(|s| s.as_bytes().to_vec()),
        1 => any::<String>().prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 0..12),
    ]
}

/// Every built-in layout bound to a header naming every column its fields use.
fn bound_layouts() -> Vec<Bound> {
    BUILT_IN
        .iter()
        .map(|(name, _)| {
            let layout = Layout::load(name).expect("built-in layout");
            let header: Vec<String> = if layout.columns.is_empty() {
                let mut h = Vec::new();
                for spec in layout.fields.values() {
                    match spec {
                        FieldSpec::Column(c) => h.push(c.clone()),
                        FieldSpec::Alternatives(cs) => h.extend(cs.iter().take(1).cloned()),
                        FieldSpec::Join { join } => h.extend(join.iter().cloned()),
                    }
                }
                h.push("SOMETHING_EXTRA".into());
                h
            } else {
                layout.columns.clone()
            };
            layout
                .bind(name, Some(&header))
                .expect("binds to its own columns")
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn built_in_layout_rows_convert_or_reject(
        cells in proptest::collection::vec(cell(), 0..80),
        line in 1u64..1_000_000,
    ) {
        let as_of = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
        for bound in bound_layouts() {
            let n = bound.columns.len();
            // Rows of the right width, and sometimes of the wrong one.
            let width = if cells.len() % 7 == 0 { cells.len() } else { n };
            let record: ByteRecord = (0..width)
                .map(|i| cells.get(i).cloned().unwrap_or_default())
                .collect();
            let row = RawRow { line, record };
            let fields = match Fields::new(&bound, &row) {
                Ok(f) => f,
                Err(reject) => {
                    prop_assert_ne!(width, n);
                    prop_assert_eq!(reject.line, line);
                    prop_assert!(reject.raw.len() <= 500);
                    continue;
                }
            };
            let reject = match bound.layout.kind {
                LayoutKind::Voters => convert_row(&fields, as_of).err(),
                LayoutKind::History => convert_history_row(&fields).err(),
                LayoutKind::Ballots => convert_ballot_row(&fields).err(),
                LayoutKind::Contacts | LayoutKind::Donations => None,
            };
            if let Some(r) = reject {
                prop_assert_eq!(r.line, line);
                prop_assert!(r.raw.len() <= 500);
            }
            let _ = fields.extra().count();
        }
    }

    #[test]
    fn layout_text_parses_or_errors(text in any::<String>()) {
        let _ = Layout::parse(&text, "fuzz.toml");
    }

    #[test]
    fn layout_like_text_parses_or_errors(
        delimiter in any::<String>(),
        format in any::<String>(),
        column in any::<String>(),
    ) {
        let text = format!(
            "name = \"x\"\nkind = \"voters\"\ndelimiter = {delimiter:?}\n\
             date_formats = [{format:?}]\n\
             [fields]\nstate_voter_id = {column:?}\nlast_name = \"LAST\"\n"
        );
        if let Ok(layout) = Layout::parse(&text, "fuzz.toml") {
            prop_assert_eq!(layout.delimiter.len(), 1);
            let _ = layout.delimiter_byte();
        }
    }

    #[test]
    fn voter_searches_never_panic(text in any::<String>(), limit in 0usize..2000) {
        let q = parse_voter_query(&text, limit);
        prop_assert_eq!(q.limit, limit);
        prop_assert_eq!(q.text.as_str(), text.trim());
        for n in &q.names {
            prop_assert!(!n.last_prefix.is_empty());
        }
    }

    #[test]
    fn voter_search_shapes_never_panic(text in "[0-9A-Za-z\u{c9}\u{df}\u{130}, .#-]{0,30}") {
        let _ = parse_voter_query(&text, 10);
    }
}
