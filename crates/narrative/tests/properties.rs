//! Property tests over arbitrary Unicode: normalising, shingling, signing, matching
//! places and claims and assigning never panic, and keep their invariants (signatures
//! round-trip through bytes, similarities stay in 0..=1, a text is always at least as
//! close to itself as the threshold unless it has no content words).

use proptest::prelude::*;
use votebase_narrative::claims::ClaimIndex;
use votebase_narrative::{
    ClusterParams, Clusterer, PlaceMatcher, Prepared, Signature, SpikeRule, normalise,
};

const PIECES: &[&str] = &[
    "vote",
    "VOTÉ",
    "miércoles",
    "casillas",
    "polls",
    "moved",
    " ",
    "  ",
    "@x",
    "#",
    "http://",
    "https://a.b/c",
    "www.",
    "ñ",
    "ß",
    "İ",
    "ﬁ",
    "\u{301}",
    "\u{0}",
    "🗳️",
    "condado",
    "de",
    "Wake",
    "County",
    "ies",
    "sses",
    "ing",
    "ed",
    "s",
    "e",
    "aciones",
    "1234",
    "!",
    ".",
    "\n",
];

fn texts() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(prop::sample::select(PIECES), 0..30).prop_map(|v| v.concat()),
        prop::collection::vec(
            prop_oneof![
                prop::sample::select(PIECES).prop_map(String::from),
                any::<String>()
            ],
            0..10
        )
        .prop_map(|v| v.join(" ")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn normalising_never_panics_and_tokens_are_clean(t in texts()) {
        let n = normalise(&t);
        for tok in &n.tokens {
            prop_assert!(!tok.is_empty());
            // Letters and digits, already lower case (some letters have no lower case).
            prop_assert!(tok.chars().all(char::is_alphanumeric), "{tok:?}");
            prop_assert_eq!(&tok.to_lowercase(), tok);
        }
        let sh = n.shingles();
        prop_assert!(sh.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn signatures_round_trip_and_similarities_are_bounded(a in texts(), b in texts()) {
        let (pa, pb) = (Prepared::of(&a), Prepared::of(&b));
        prop_assert_eq!(Signature::from_bytes(&pa.signature.to_bytes()), Some(pa.signature.clone()));
        let s = pa.signature.similarity(&pb.signature);
        prop_assert!((0.0..=1.0).contains(&s));
        if !pa.tokens.is_empty() {
            prop_assert_eq!(pa.signature.similarity(&pa.signature), 1.0);
        }
    }

    #[test]
    fn assigning_matching_and_finding_places_never_panic(ts in prop::collection::vec(texts(), 0..12)) {
        let mut c = Clusterer::new(ClusterParams::default(), 1);
        let mut claims = ClaimIndex::new(0.1);
        let places = PlaceMatcher::new(&ts);
        for (i, t) in ts.iter().enumerate() {
            claims.add(i as i64, t);
            let p = Prepared::of(t);
            let a = c.assign(&p.signature);
            prop_assert!(a.narrative >= 1);
            if let Some(m) = claims.best(&p.tokens) {
                prop_assert!((0.0..=1.0).contains(&m.similarity));
            }
            let _ = places.find(t);
        }
    }

    #[test]
    fn spikes_never_panic_and_start_at_an_hour_over_the_floor(
        hourly in prop::collection::vec((-1_000i64..1_000, 0u32..200), 0..60)
    ) {
        let rule = SpikeRule::default();
        for s in rule.spikes(&hourly) {
            prop_assert!(s.count >= rule.floor && s.p_value <= rule.alpha && s.peak >= s.count);
        }
    }
}
