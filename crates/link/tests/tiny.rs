//! Linking the smallest inputs (one record a side) must work: a refresh often removes
//! and adds only a handful of voters.

use votebase_link::{CollectPairs, Dataset, NoProgress, PersonRecord, infer_config, link};

fn person(id: &str, first: &str, last: &str) -> PersonRecord {
    PersonRecord {
        record_id: id.into(),
        first_name: first.into(),
        last_name: last.into(),
        birth_year: "1980".into(),
        house_number: "12".into(),
        street: "MAIN ST".into(),
        city: "BURLINGTON".into(),
        state: "NC".into(),
        zip: "27215".into(),
        ..Default::default()
    }
}

#[test]
fn one_record_each_side_links_without_panicking() {
    let mut a = Dataset::new("old");
    a.push(&person("A1", "ANA", "LEE")).unwrap();
    let mut b = Dataset::new("new");
    b.push(&person("B1", "ANA", "LEE")).unwrap();
    let config = infer_config(&[
        "first_name",
        "last_name",
        "birth_year",
        "house_number",
        "street",
        "city",
        "state",
        "zip",
    ]);
    let mut sink = CollectPairs::default();
    link(&a, &b, &config, &mut sink, &NoProgress).expect("links");
    assert!(sink.0.len() <= 1);
}
