//! Finding the organization's counties and cities named in a text. Names are folded as
//! texts are (accents, case) and matched as whole word sequences. Because many place
//! names are also common words ("Wake", "Person", "Union"), a match counts only when the
//! text writes the name capitalised, or next to the word "county" / "condado".

use crate::text::{Word, words};
use std::collections::HashMap;

/// The place names to look for, as the caller spells them (reported back as given).
#[derive(Debug, Clone, Default)]
pub struct PlaceMatcher {
    by_first: HashMap<String, Vec<(Vec<String>, String)>>,
}

impl PlaceMatcher {
    /// A matcher for these names (empty or wordless names are ignored).
    pub fn new<S: AsRef<str>>(names: &[S]) -> Self {
        let mut by_first: HashMap<String, Vec<(Vec<String>, String)>> = HashMap::new();
        for name in names {
            let ws: Vec<String> = words(name.as_ref()).into_iter().map(|w| w.word).collect();
            if let Some(first) = ws.first() {
                let list = by_first.entry(first.clone()).or_default();
                if !list.iter().any(|(w, _)| *w == ws) {
                    list.push((ws, name.as_ref().to_string()));
                }
            }
        }
        Self { by_first }
    }

    /// True when no names are known.
    pub fn is_empty(&self) -> bool {
        self.by_first.is_empty()
    }

    /// The names found in `text`, each once, in the order first found.
    pub fn find(&self, text: &str) -> Vec<String> {
        self.find_in(&words(text))
    }

    /// The names found in already split words.
    pub fn find_in(&self, ws: &[Word]) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        if self.by_first.is_empty() {
            return found;
        }
        for i in 0..ws.len() {
            let Some(cands) = self.by_first.get(&ws[i].word) else {
                continue;
            };
            for (seq, name) in cands {
                let end = i + seq.len();
                if end > ws.len() || ws[i..end].iter().zip(seq).any(|(w, s)| w.word != *s) {
                    continue;
                }
                let marked = ws[i].capitalised
                    || ws.get(end).is_some_and(|w| w.word == "county")
                    || (i >= 1 && ws[i - 1].word == "condado")
                    || (i >= 2 && ws[i - 2].word == "condado" && ws[i - 1].word == "de");
                if marked && !found.contains(name) {
                    found.push(name.clone());
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_capitalised_or_county_marked_names_only() {
        let m = PlaceMatcher::new(&["WAKE", "NEW HANOVER", "Durham", "Person"]);
        assert_eq!(
            m.find("Polls in Wake and New Hanover moved; durham county too"),
            vec!["WAKE", "NEW HANOVER", "Durham"]
        );
        assert!(m.find("wake up, this person lied").is_empty());
        assert_eq!(m.find("en el condado de wake cambiaron"), vec!["WAKE"]);
    }
}
