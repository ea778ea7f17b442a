//! Person names: one name field cleaned for storage and matching, generational suffixes
//! reduced to one spelling (`JR`, `III`), and a full name in one cell split into first,
//! middle, last and suffix, in either "LAST, FIRST MIDDLE" or natural order. Courtesy
//! titles (`MR`, `MRS`, `DR` ...) are dropped; academic and professional letters
//! (`MD`, `PHD`, `ESQ`) after a name are dropped too, as no voter field holds them.

use super::clean_text;

/// Cleans one name field: [`clean_text`], then strips punctuation noise (`.` `,` `;`
/// quotes, stray hyphens) from the ends of every word, keeping hyphens and apostrophes
/// inside words: `" o'neil. "` -> `O'NEIL`, `smith-jones` -> `SMITH-JONES`.
pub fn normalize_name_part(raw: &str) -> String {
    let cleaned = clean_text(raw);
    if !cleaned
        .split(' ')
        .any(|w| w.starts_with(is_noise) || w.ends_with(is_noise))
    {
        return cleaned;
    }
    let mut out = String::with_capacity(cleaned.len());
    for word in cleaned.split(' ') {
        let word = word.trim_matches(is_noise);
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    // `NULL-` or `"N/A"` is a null marker once its punctuation is gone.
    if super::is_null_marker(&out) {
        out.clear();
    }
    out
}

/// True for characters that are noise at the edge of a name word: anything but a letter
/// or a digit.
fn is_noise(c: char) -> bool {
    !c.is_alphanumeric()
}

/// Reduces a generational suffix to its standard spelling: `Jr.`/`junior` -> `JR`,
/// `sr` -> `SR`, `2nd`/`II` -> `II`, `3rd` -> `III`, `4th` -> `IV`, `5th` -> `V`,
/// `6th` -> `VI`. Anything else comes back cleaned as by [`normalize_name_part`].
pub fn normalize_suffix(raw: &str) -> String {
    let cleaned = normalize_name_part(raw);
    match generational_suffix(&cleaned) {
        Some(s) => s.to_string(),
        None => cleaned,
    }
}

/// The standard spelling of a cleaned generational suffix word, if it is one.
fn generational_suffix(word: &str) -> Option<&'static str> {
    Some(match word {
        "JR" | "JNR" | "JUNIOR" => "JR",
        "SR" | "SNR" | "SENIOR" => "SR",
        "I" | "1ST" => "I",
        "II" | "2ND" | "2D" => "II",
        "III" | "3RD" | "3D" => "III",
        "IV" | "4TH" => "IV",
        "V" | "5TH" => "V",
        "VI" | "6TH" => "VI",
        _ => return None,
    })
}

/// Letters after a name that are not part of it and that no voter field stores.
fn is_post_nominal(word: &str) -> bool {
    matches!(
        word,
        "ESQ" | "ESQUIRE" | "MD" | "PHD" | "DDS" | "DMD" | "DO" | "DVM" | "RN" | "CPA" | "JD"
    )
}

/// Courtesy and professional titles dropped from the start of a full name.
fn is_title(word: &str) -> bool {
    matches!(
        word,
        "MR" | "MRS"
            | "MS"
            | "MISS"
            | "MSTR"
            | "MASTER"
            | "MX"
            | "DR"
            | "REV"
            | "REVEREND"
            | "FR"
            | "HON"
            | "PROF"
            | "SGT"
            | "CAPT"
            | "COL"
            | "LT"
            | "GEN"
            | "MAJ"
            | "SIR"
            | "DAME"
    )
}

/// Lower-case particles that belong to the surname after them (`DE LA CRUZ`,
/// `VAN BUREN`).
fn is_surname_particle(word: &str) -> bool {
    matches!(
        word,
        "DE" | "DA"
            | "DAS"
            | "DEL"
            | "DELA"
            | "DELLA"
            | "DER"
            | "DES"
            | "DI"
            | "DOS"
            | "DU"
            | "LA"
            | "LE"
            | "LOS"
            | "ST"
            | "STE"
            | "SAINT"
            | "TER"
            | "VAN"
            | "VANDER"
            | "VON"
            | "Y"
    )
}

/// A full name split into its parts, each cleaned as by [`normalize_name_part`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedName {
    /// Given name.
    pub first: String,
    /// Middle name(s) or initial(s), space-separated.
    pub middle: String,
    /// Surname, with its particles (`DE LA CRUZ`).
    pub last: String,
    /// Generational suffix in the spelling of [`normalize_suffix`], or another suffix as
    /// written.
    pub suffix: String,
}

/// Splits a full name held in one cell. A comma means "LAST, FIRST MIDDLE SUFFIX"
/// (`Adams, Scott Joyce Jr`, also `Adams Jr, Scott` and `Adams, Scott, Jr`); otherwise the
/// order is natural (`Scott J. Adams III`). Leading titles are dropped, a trailing
/// generational suffix goes to `suffix`, and surname particles stay with the surname
/// (`Maria de la Cruz` -> last `DE LA CRUZ`). A single word is taken as the surname.
pub fn split_full_name(raw: &str) -> ParsedName {
    let cleaned = clean_text(raw);
    let mut suffix = String::new();
    let comma = cleaned
        .split_once(',')
        // "JOHN SMITH JR, MD": a comma before suffixes only is not "LAST, FIRST".
        .filter(|(_, rest)| split_suffixes(&words(&rest.replace(',', " "))).0 > 0);
    let Some((last_part, rest)) = comma else {
        let mut all = words(&cleaned.replace(',', " "));
        strip_titles(&mut all);
        cut_suffixes(&mut all, &mut suffix);
        return natural_order(all, suffix);
    };
    let mut last = words(last_part);
    let mut given = Vec::new();
    for (i, segment) in rest.split(',').enumerate() {
        let w = words(segment);
        let (end, found) = split_suffixes(&w);
        if i > 0 && end == 0 {
            // A later segment of suffixes only ("ADAMS, SCOTT, JR").
            if suffix.is_empty() {
                suffix = found.unwrap_or_default().to_string();
            }
        } else {
            given.extend(w);
        }
    }
    strip_titles(&mut last);
    strip_titles(&mut given);
    // "ADAMS JR, SCOTT": the suffix may sit on the surname.
    cut_suffixes(&mut last, &mut suffix);
    cut_suffixes(&mut given, &mut suffix);
    if last.is_empty() {
        // ", SCOTT ADAMS": nothing before the comma; read the rest in natural order.
        return natural_order(given, suffix);
    }
    let mut given = given.into_iter();
    ParsedName {
        first: given.next().unwrap_or_default(),
        middle: given.collect::<Vec<_>>().join(" "),
        last: last.join(" "),
        suffix,
    }
}

/// Fills the parts from words in natural order ("FIRST MIDDLE... LAST").
fn natural_order(words: Vec<String>, suffix: String) -> ParsedName {
    let mut parsed = ParsedName {
        suffix,
        ..ParsedName::default()
    };
    match words.len() {
        0 => {}
        1 => parsed.last = words.into_iter().next().unwrap_or_default(),
        n => {
            // The surname starts at the last word, pulled back over particles but never
            // onto the first name.
            let mut start = n - 1;
            while start > 1 && is_surname_particle(&words[start - 1]) {
                start -= 1;
            }
            parsed.first = words[0].clone();
            parsed.middle = words[1..start].join(" ");
            parsed.last = words[start..].join(" ");
        }
    }
    parsed
}

/// The cleaned words of a segment (noise stripped, empty words dropped).
fn words(segment: &str) -> Vec<String> {
    segment
        .split(' ')
        .map(|w| w.trim_matches(is_noise))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Drops leading courtesy titles, keeping at least one word.
fn strip_titles(words: &mut Vec<String>) {
    let n = words
        .iter()
        .take_while(|w| is_title(w))
        .count()
        .min(words.len().saturating_sub(1));
    words.drain(..n);
}

/// Removes the trailing suffix words of `words`, keeping at least one word; a
/// generational suffix found there is written to `suffix` unless one is already set.
fn cut_suffixes(words: &mut Vec<String>, suffix: &mut String) {
    let (end, found) = split_suffixes(words);
    if end == 0 {
        return;
    }
    words.truncate(end);
    if let Some(found) = found.filter(|_| suffix.is_empty()) {
        *suffix = found.to_string();
    }
}

/// How many leading words of `words` are name, the rest being generational suffixes or
/// post-nominal letters, and the generational suffix among them (the leftmost). A lone
/// `I` or `V` right after a single given name is an initial, not a suffix.
fn split_suffixes(words: &[String]) -> (usize, Option<&'static str>) {
    let mut end = words.len();
    let mut found = None;
    while end > 0 {
        let w = words[end - 1].as_str();
        let ambiguous = matches!(w, "I" | "V") && end <= 2;
        if let Some(g) = generational_suffix(w).filter(|_| !ambiguous) {
            found = Some(g);
        } else if !is_post_nominal(w) {
            break;
        }
        end -= 1;
    }
    (end, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(first: &str, middle: &str, last: &str, suffix: &str) -> ParsedName {
        ParsedName {
            first: first.into(),
            middle: middle.into(),
            last: last.into(),
            suffix: suffix.into(),
        }
    }

    #[test]
    fn name_part_keeps_hyphens_and_apostrophes() {
        assert_eq!(normalize_name_part("o'neil"), "O'NEIL");
        assert_eq!(normalize_name_part(" Smith-Jones "), "SMITH-JONES");
        assert_eq!(normalize_name_part("J."), "J");
        assert_eq!(normalize_name_part(".J.R."), "J.R");
        assert_eq!(normalize_name_part("mary  ann"), "MARY ANN");
        assert_eq!(normalize_name_part("\"Bud\""), "BUD");
        // A null marker in punctuation is still none (found by the property tests).
        assert_eq!(normalize_name_part("NULL-"), "");
        assert_eq!(normalize_name_part("\"n/a\""), "");
        assert_eq!(normalize_name_part("- smith -"), "SMITH");
        assert_eq!(normalize_name_part("d'angelo,"), "D'ANGELO");
        assert_eq!(normalize_name_part("NULL"), "");
        assert_eq!(normalize_name_part("  "), "");
        assert_eq!(normalize_name_part("..."), "");
        assert_eq!(normalize_name_part("Zo\u{eb}"), "ZO\u{cb}");
        assert_eq!(normalize_name_part("st. clair"), "ST CLAIR");
    }

    #[test]
    fn suffixes() {
        for (raw, want) in [
            ("Jr.", "JR"),
            ("jr", "JR"),
            ("JUNIOR", "JR"),
            ("sr", "SR"),
            ("Sr.", "SR"),
            ("2nd", "II"),
            ("II", "II"),
            ("ii", "II"),
            ("3rd", "III"),
            ("III", "III"),
            ("4th", "IV"),
            ("IV", "IV"),
            ("V", "V"),
            ("5th", "V"),
            ("", ""),
            ("Esq.", "ESQ"),
            ("ph.d.", "PH.D"),
        ] {
            assert_eq!(normalize_suffix(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn comma_order() {
        assert_eq!(
            split_full_name("Adams, Scott Joyce Jr"),
            name("SCOTT", "JOYCE", "ADAMS", "JR")
        );
        assert_eq!(
            split_full_name("ADAMS, SCOTT"),
            name("SCOTT", "", "ADAMS", "")
        );
        assert_eq!(
            split_full_name("Adams Jr, Scott J."),
            name("SCOTT", "J", "ADAMS", "JR")
        );
        assert_eq!(
            split_full_name("Adams, Scott, III"),
            name("SCOTT", "", "ADAMS", "III")
        );
        assert_eq!(
            split_full_name("de la Cruz, Maria Elena"),
            name("MARIA", "ELENA", "DE LA CRUZ", "")
        );
        assert_eq!(
            split_full_name("Smith, Dr. John"),
            name("JOHN", "", "SMITH", "")
        );
        assert_eq!(split_full_name("Smith,"), name("", "", "SMITH", ""));
        assert_eq!(
            split_full_name(", John Smith"),
            name("JOHN", "", "SMITH", "")
        );
        assert_eq!(
            split_full_name("O'Neil-Brown, Mary Ann Kate"),
            name("MARY", "ANN KATE", "O'NEIL-BROWN", "")
        );
    }

    #[test]
    fn natural_order() {
        assert_eq!(
            split_full_name("Scott J. Adams III"),
            name("SCOTT", "J", "ADAMS", "III")
        );
        assert_eq!(
            split_full_name("Mr. John Smith"),
            name("JOHN", "", "SMITH", "")
        );
        assert_eq!(
            split_full_name("MRS MARY ANN SMITH-JONES"),
            name("MARY", "ANN", "SMITH-JONES", "")
        );
        assert_eq!(
            split_full_name("Dr John Q Public Jr, MD"),
            name("JOHN", "Q", "PUBLIC", "JR")
        );
        assert_eq!(
            split_full_name("John Smith Sr. Esq."),
            name("JOHN", "", "SMITH", "SR")
        );
        assert_eq!(
            split_full_name("Ludwig van Beethoven"),
            name("LUDWIG", "", "VAN BEETHOVEN", "")
        );
        assert_eq!(
            split_full_name("Juan Carlos de la Cruz"),
            name("JUAN", "CARLOS", "DE LA CRUZ", "")
        );
        assert_eq!(split_full_name("Madonna"), name("", "", "MADONNA", ""));
        assert_eq!(split_full_name("  "), ParsedName::default());
        assert_eq!(split_full_name("NULL"), ParsedName::default());
    }

    #[test]
    fn ambiguous_suffix_words() {
        // A lone trailing initial after one given name is a surname, not a suffix.
        assert_eq!(split_full_name("Mary V"), name("MARY", "", "V", ""));
        assert_eq!(
            split_full_name("John Smith V"),
            name("JOHN", "", "SMITH", "V")
        );
        // A title alone stays as the only word.
        assert_eq!(split_full_name("Dr"), name("", "", "DR", ""));
        // Only suffix-looking words: kept as the name.
        assert_eq!(split_full_name("Jr"), name("", "", "JR", ""));
        // A particle is never pulled onto the first name.
        assert_eq!(split_full_name("De Smith"), name("DE", "", "SMITH", ""));
    }
}
