//! Property tests of the people parsers over arbitrary Unicode: the skill-list parser,
//! the skill-name, email and tag normalisers never panic; whatever the skill parser
//! accepts is canonical (sorted, unique, levels 1–3, names that normalise to themselves)
//! and survives a render-and-parse round trip.

use proptest::prelude::*;
use votebase_domain::people::{
    MAX_LEVEL, normalize_email, normalize_skill_name, parse_skill_list, parse_tag_list,
    render_skill_list,
};

const PIECES: &[&str] = &[
    "python",
    ":",
    ";",
    ",",
    "|",
    "1",
    "2",
    "3",
    "0",
    "4",
    " ",
    "-",
    "_",
    "Data",
    "É",
    "ß",
    "İ",
    "𝔘",
    "\u{0}",
    "\u{200b}",
    ":3",
    "::",
    "data_engineering:2",
];

fn mixed() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(PIECES).prop_map(str::to_string),
            any::<String>(),
            "\\PC{0,4}",
        ],
        0..12,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn skill_lists_never_panic_and_accept_only_canonical(text in mixed()) {
        if let Ok(list) = parse_skill_list(&text) {
            let mut sorted = list.clone();
            sorted.sort();
            sorted.dedup_by(|a, b| a.skill == b.skill);
            prop_assert_eq!(&sorted, &list);
            for s in &list {
                prop_assert!((1..=MAX_LEVEL).contains(&s.level));
                prop_assert_eq!(normalize_skill_name(&s.skill), Some(s.skill.clone()));
            }
            prop_assert_eq!(parse_skill_list(&render_skill_list(&list)).unwrap(), list);
        }
    }

    #[test]
    fn names_emails_tags_never_panic(text in mixed()) {
        if let Some(n) = normalize_skill_name(&text) {
            prop_assert!(n.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
            prop_assert_eq!(normalize_skill_name(&n), Some(n.clone()));
        }
        if let Some(e) = normalize_email(&text) {
            prop_assert_eq!(normalize_email(&e), Some(e.clone()));
        }
        for t in parse_tag_list(&text) {
            prop_assert!(!t.is_empty());
        }
    }
}
