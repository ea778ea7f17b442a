//! Translations of the public lookup pages: one TOML file of flat `key = "text"` pairs per
//! language in `crates/server/i18n/`, embedded in the binary with `include_str!` and
//! parsed once at start. English is the reference: every language must have its keys
//! (a unit test checks it), and a key missing at run time falls back to English. The
//! language of a request comes from `?lang=`, else the `Accept-Language` header, else
//! English.

use std::collections::HashMap;
use std::sync::LazyLock;

/// Every language: its code and its file. Adding a language = adding a file + one line.
const LANGUAGES: &[(&str, &str)] = &[
    ("en", include_str!("../../i18n/en.toml")),
    ("es", include_str!("../../i18n/es.toml")),
];

/// A translation file that does not parse.
#[derive(Debug, thiserror::Error)]
pub enum I18nError {
    /// Not TOML, or a value that is not a string.
    #[error("i18n/{lang}.toml: {message}")]
    Invalid {
        /// The language code.
        lang: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// The texts of one language.
#[derive(Debug)]
pub struct Catalog {
    code: &'static str,
    texts: HashMap<String, String>,
}

impl Catalog {
    /// The language code (`en`).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The text of `key` (the key itself if no language has it: a visible bug, not a crash).
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.texts.get(key).map(String::as_str).unwrap_or(key)
    }

    /// The text of `key` with `{name}` placeholders replaced.
    pub fn fmt(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.t(key).to_string();
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }

    /// `2012-05-08` as a date in this language (`May 8, 2012`, `8 de mayo de 2012`);
    /// anything else unchanged.
    pub fn date(&self, iso: &str) -> String {
        let day = iso.get(..10).unwrap_or(iso);
        let mut parts = day.split('-');
        let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
            return iso.to_string();
        };
        let (Ok(m), Ok(d)) = (m.parse::<u32>(), d.parse::<u32>()) else {
            return iso.to_string();
        };
        if y.len() != 4 || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return iso.to_string();
        }
        self.fmt(
            "date_format",
            &[
                ("year", y),
                ("month", self.t(&format!("month_{m}"))),
                ("day", &d.to_string()),
            ],
        )
    }
}

/// All languages, English first.
#[derive(Debug)]
pub struct I18n {
    langs: Vec<Catalog>,
}

fn parse(lang: &'static str, text: &str) -> Result<HashMap<String, String>, I18nError> {
    let invalid = |message: String| I18nError::Invalid { lang, message };
    let table: toml::Table = text.parse().map_err(|e| invalid(format!("{e}")))?;
    table
        .into_iter()
        .map(|(k, v)| match v {
            toml::Value::String(s) => Ok((k, s)),
            other => Err(invalid(format!("{k}: expected a string, found {other}"))),
        })
        .collect()
}

impl I18n {
    /// Parses the embedded translation files.
    pub fn load() -> Result<I18n, I18nError> {
        let mut langs = Vec::with_capacity(LANGUAGES.len());
        let mut english: HashMap<String, String> = HashMap::new();
        for (i, (code, text)) in LANGUAGES.iter().enumerate() {
            let own = parse(code, text)?;
            let texts = if i == 0 {
                english = own.clone();
                own
            } else {
                let mut merged = english.clone();
                merged.extend(own);
                merged
            };
            langs.push(Catalog { code, texts });
        }
        Ok(I18n { langs })
    }

    /// The embedded languages, parsed on first use (the server forces this at start).
    pub fn embedded() -> &'static I18n {
        static I18N: LazyLock<I18n> = LazyLock::new(|| {
            I18n::load().expect("the embedded translation files parse (checked by tests)")
        });
        &I18N
    }

    /// Every language.
    pub fn all(&self) -> &[Catalog] {
        &self.langs
    }

    /// The language with this code, if any.
    pub fn get(&self, code: &str) -> Option<&Catalog> {
        let code = code.trim().to_ascii_lowercase();
        let primary = code.split(['-', '_']).next().unwrap_or("");
        self.langs.iter().find(|c| c.code == primary)
    }

    /// The language of a request: `?lang=`, else the best of `Accept-Language`, else English.
    pub fn negotiate(&self, query: Option<&str>, accept_language: Option<&str>) -> &Catalog {
        if let Some(c) = query.and_then(|q| self.get(q)) {
            return c;
        }
        let mut best: Option<(f32, &Catalog)> = None;
        for item in accept_language.unwrap_or("").split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            if let Some(c) = self.get(tag)
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, c));
            }
        }
        best.map(|(_, c)| c).unwrap_or(&self.langs[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_english_key_and_only_strings() {
        let en = parse("en", LANGUAGES[0].1).unwrap();
        for (code, text) in LANGUAGES {
            let own = parse(code, text).unwrap();
            let mut missing: Vec<&String> = en.keys().filter(|k| !own.contains_key(*k)).collect();
            missing.sort();
            assert!(missing.is_empty(), "{code}.toml lacks {missing:?}");
            let mut extra: Vec<&String> = own.keys().filter(|k| !en.contains_key(*k)).collect();
            extra.sort();
            assert!(extra.is_empty(), "{code}.toml has unknown keys {extra:?}");
        }
    }

    #[test]
    fn negotiates_query_then_accept_language_then_english() {
        let i = I18n::load().unwrap();
        assert_eq!(i.negotiate(Some("es"), Some("en")).code(), "es");
        assert_eq!(i.negotiate(Some("xx"), Some("es-MX,es;q=0.9")).code(), "es");
        assert_eq!(
            i.negotiate(None, Some("fr-FR, en;q=0.5, es;q=0.8")).code(),
            "es"
        );
        assert_eq!(i.negotiate(None, Some("es;q=0, en")).code(), "en");
        assert_eq!(i.negotiate(None, Some("de")).code(), "en");
        assert_eq!(i.negotiate(None, None).code(), "en");
    }

    #[test]
    fn formats_dates_and_placeholders() {
        let i = I18n::load().unwrap();
        let en = i.get("en").unwrap();
        let es = i.get("ES").unwrap();
        assert_eq!(en.date("2012-05-08"), "May 8, 2012");
        assert_eq!(es.date("2012-05-08"), "8 de mayo de 2012");
        assert_eq!(en.date("2012-04-29T18:06:46"), "April 29, 2012");
        assert_eq!(en.date("soon"), "soon");
        assert_eq!(
            es.fmt("precinct", &[("name", "SOUTH THOMPSON")]),
            "Precinto: SOUTH THOMPSON"
        );
        assert_eq!(es.t("no_such_key"), "no_such_key");
    }
}
