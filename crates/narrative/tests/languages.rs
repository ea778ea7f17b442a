//! Language handling on real labelled text from the shared data (never copied into the
//! repository; missing data fails the test, never skips): Spanish political news
//! (`es_fake_news_corpus/politics_subset_es.csv`, CC BY 4.0) must be read as Spanish and
//! English presidential-debate sentences (`en_claimbuster/…two_class_test.json`) as
//! English; accents fold so that Spanish election words reach the lexicon's concepts; and
//! the same article's headline and body, a near-duplicate pair in the real data, are
//! closer to each other than to other articles.

use std::path::{Path, PathBuf};
use votebase_narrative::text::{Lang, MAX_WORDS, lexicon_concept};
use votebase_narrative::{Prepared, normalise};

fn data(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/disinfo")
        .join(rel);
    assert!(
        p.is_file(),
        "shared data missing at {}: this test fails rather than skip",
        p.display()
    );
    p
}

fn spanish_rows() -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(data("es_fake_news_corpus/politics_subset_es.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let (hi, ti) = (
        h.iter().position(|c| c == "headline").unwrap(),
        h.iter().position(|c| c == "text").unwrap(),
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[hi].to_string(), rec[ti].to_string())
        })
        .collect()
}

fn english_sentences() -> Vec<String> {
    let raw =
        std::fs::read_to_string(data("en_claimbuster/claimbuster_two_class_test.json")).unwrap();
    let v: Vec<serde_json::Value> = serde_json::from_str(&raw).unwrap();
    v.iter()
        .filter_map(|o| o.get("text").and_then(|t| t.as_str()).map(String::from))
        .collect()
}

#[test]
fn real_spanish_and_english_are_told_apart() {
    let es = spanish_rows();
    let en = english_sentences();
    assert_eq!(es.len(), 430);
    assert_eq!(en.len(), 702);
    let es_ok = es
        .iter()
        .filter(|(_, t)| normalise(t).lang == Lang::Es)
        .count();
    let es_head_ok = es
        .iter()
        .filter(|(h, _)| normalise(h).lang == Lang::Es)
        .count();
    let en_ok = en.iter().filter(|t| normalise(t).lang == Lang::En).count();
    println!("es bodies {es_ok}/430, es headlines {es_head_ok}/430, en {en_ok}/702");
    assert!(es_ok >= 425, "Spanish bodies read as Spanish: {es_ok}/430");
    assert!(
        es_head_ok >= 340,
        "Spanish headlines (short) read as Spanish: {es_head_ok}/430"
    );
    assert!(
        en_ok >= 660,
        "English sentences read as English: {en_ok}/702"
    );
}

#[test]
fn spanish_election_words_reach_the_lexicon() {
    // Written with their accents, as the articles spell them: folding and stemming must
    // bring every form to the lexicon's concepts.
    const FORMS: &[&str] = &[
        "elección",
        "elecciones",
        "electoral",
        "electorales",
        "votación",
        "votaciones",
        "voto",
        "votos",
        "votar",
        "votaron",
        "casilla",
        "casillas",
    ];
    let es = spanish_rows();
    let (mut agree, mut with_words) = (0, 0);
    // Only texts read whole (the normaliser reads the first MAX_WORDS words).
    let whole: Vec<&String> = es
        .iter()
        .map(|(_, t)| t)
        .filter(|t| votebase_narrative::text::words(t).len() < MAX_WORDS)
        .collect();
    assert!(whole.len() >= 380, "{}", whole.len());
    for t in &whole {
        let lower = t.to_lowercase();
        let has_word = lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| FORMS.contains(&w));
        let n = normalise(t);
        let has_concept = n.words.iter().any(|w| {
            matches!(
                lexicon_concept(n.lang, &w.word),
                Some("vot" | "elect" | "poll")
            )
        });
        with_words += usize::from(has_word);
        agree += usize::from(!has_word || has_concept);
    }
    println!(
        "{with_words} articles with election words; agreement {agree}/{}",
        whole.len()
    );
    assert!(with_words >= 150, "{with_words}");
    assert_eq!(agree, whole.len());
}

#[test]
fn an_articles_headline_is_closest_to_its_own_body() {
    let es = spanish_rows();
    let sample: Vec<&(String, String)> = es.iter().step_by(10).take(40).collect();
    let heads: Vec<Prepared> = sample.iter().map(|(h, _)| Prepared::of(h)).collect();
    let bodies: Vec<Prepared> = sample
        .iter()
        .map(|(_, t)| Prepared::of(&t.chars().take(400).collect::<String>()))
        .collect();
    let mut right = 0;
    for (i, h) in heads.iter().enumerate() {
        let best = (0..bodies.len())
            .max_by(|a, b| {
                let sa = votebase_narrative::minhash::jaccard(&h.tokens, &bodies[*a].tokens);
                let sb = votebase_narrative::minhash::jaccard(&h.tokens, &bodies[*b].tokens);
                sa.total_cmp(&sb)
            })
            .unwrap();
        right += usize::from(best == i);
    }
    assert!(
        right >= 30,
        "headline closest to its own body for {right}/40"
    );
}
