//! The street-line parser: one line of an address (`12B W 5th Street #4`, `PO BOX 12`)
//! tokenised and split into house number, pre-direction, street name, suffix,
//! post-direction and secondary unit, with the tables of `tables`.

use super::tables::*;
use crate::clean_text;
use votebase_domain::Address;

/// Parses one street line (`795 JOHNSON CLUB APT. 394`, `12B W 5th Street #4`,
/// `PO BOX 12`, `RR 2 BOX 40`) into `raw`, `house_number`, `pre_direction`,
/// `street_name`, `street_suffix`, `post_direction`, `unit_type` and `unit`; the city,
/// state and ZIP fields stay empty. PO boxes and rural or highway-contract routes come
/// out whole in `street_name` (`PO BOX 12`, `RR 2 BOX 40`, `HC 1 BOX 5`), as USPS writes
/// them. A house number is the first word when it starts with a digit and is not an
/// ordinal (`5TH AVE` has none), with a following fraction (`7 1/2`); a spelled-out
/// number (`ONE`) or a Wisconsin/Illinois grid number (`N123W4567`, `W148 N9748`).
pub fn parse_street_line(raw: &str) -> Address {
    let mut address = Address {
        raw: raw.to_string(),
        ..Address::default()
    };
    let mut text = tokenize(&clean_text(raw));
    // Dropping periods can bring a base letter and its accent together (`P.O.\u{301}`):
    // compose them, as every cleaned value is.
    if !text.is_ascii() && !unicode_normalization::is_nfc(&text) {
        text = unicode_normalization::UnicodeNormalization::nfc(text.as_str()).collect();
    }
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return address;
    }
    if let Some(line) = box_or_route(&words) {
        address.street_name = line;
        return address;
    }
    let mut start = 0;
    if words.len() >= 3 && is_grid_part(words[0]) && is_grid_part(words[1]) {
        // Two-part grid number: "W148 N9748 TREE TOPS DR".
        start = 2;
        address.house_number = words[..2].join(" ");
    } else if words.len() >= 3 && is_number_word(words[0]) {
        // "ONE S WACKER DR": kept as written.
        start = 1;
        address.house_number = words[0].to_string();
    } else if is_house_number(words[0]) {
        start = 1;
        if words.len() > 1 && is_fraction(words[1]) {
            start = 2;
        }
        address.house_number = words[..start].join(" ");
    } else if words.len() == 1 && is_fraction(words[0]) {
        address.house_number = words[0].to_string();
        return address;
    }
    let end = find_unit(&words, start, &mut address);
    assign_street(&words[start..end], &mut address);
    // What is left may be a null marker alone (`NULL #`): no value, as `clean_text` says
    // of the bare marker.
    if address.house_number.is_empty()
        && address.unit.is_empty()
        && address.unit_type.is_empty()
        && crate::is_null_marker(&address.line1())
    {
        return Address {
            raw: address.raw,
            ..Address::default()
        };
    }
    address
}

/// The cleaned line with commas and semicolons as spaces, `#` as a word of its own and
/// periods dropped: inside an abbreviation or at a word's end (`P.O.` -> `PO`, `ST.` ->
/// `ST`) they go, between digits (`1.5`) they stay, and between longer words
/// (`APT.394`, `ST.JAMES`) they become a space.
pub(super) fn tokenize(cleaned: &str) -> String {
    let mut out = String::with_capacity(cleaned.len() + 4);
    let mut chars = cleaned.chars().peekable();
    let mut segment = 0usize; // characters since the last separator or period
    let mut prev = ' ';
    while let Some(c) = chars.next() {
        match c {
            ',' | ';' => {
                out.push(' ');
                segment = 0;
            }
            '#' => {
                out.push_str(" # ");
                segment = 0;
            }
            '.' => {
                let next = chars.peek().copied().unwrap_or(' ');
                if prev.is_ascii_digit() && next.is_ascii_digit() {
                    out.push('.');
                    segment += 1;
                } else if segment > 1 && next != ' ' {
                    out.push(' ');
                    segment = 0;
                } else {
                    segment = 0;
                }
            }
            ' ' => {
                out.push(' ');
                segment = 0;
            }
            _ => {
                out.push(c);
                segment += 1;
            }
        }
        prev = c;
    }
    out
}

/// True for a house number: starts with a digit and is not an ordinal (`5TH`), or is a
/// Wisconsin/Illinois grid number (`N123W4567`).
pub(super) fn is_house_number(word: &str) -> bool {
    let b = word.as_bytes();
    if b.first().is_some_and(u8::is_ascii_digit) {
        return !is_ordinal(word);
    }
    // Grid addresses: direction letter, digits, direction letter, digits.
    let mut parts = word.split(['N', 'S', 'E', 'W']);
    b.len() >= 4
        && matches!(b[0], b'N' | b'S' | b'E' | b'W')
        && parts.next() == Some("")
        && parts.clone().count() == 2
        && parts.all(|p| !p.is_empty() && p.bytes().all(|d| d.is_ascii_digit()))
}

/// True for one half of a two-word grid number: a direction letter and digits (`W148`).
pub(super) fn is_grid_part(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() >= 2
        && matches!(b[0], b'N' | b'S' | b'E' | b'W')
        && b[1..].iter().all(u8::is_ascii_digit)
}

/// True for a house number spelled out (`ONE`, `FIFTY`).
pub(super) fn is_number_word(word: &str) -> bool {
    matches!(
        word,
        "ONE"
            | "TWO"
            | "THREE"
            | "FOUR"
            | "FIVE"
            | "SIX"
            | "SEVEN"
            | "EIGHT"
            | "NINE"
            | "TEN"
            | "ELEVEN"
            | "TWELVE"
            | "TWENTY"
            | "THIRTY"
            | "FORTY"
            | "FIFTY"
            | "SIXTY"
            | "SEVENTY"
            | "EIGHTY"
            | "NINETY"
            | "HUNDRED"
    )
}

/// True for an ordinal number written with digits (`1ST`, `22ND`, `103RD`, `5TH`).
pub(super) fn is_ordinal(word: &str) -> bool {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(&word[digits..], "ST" | "ND" | "RD" | "TH")
}

/// True for a fraction such as `1/2`.
pub(super) fn is_fraction(word: &str) -> bool {
    match word.split_once('/') {
        Some((a, b)) => {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|d| d.is_ascii_digit())
                && b.bytes().all(|d| d.is_ascii_digit())
        }
        None => false,
    }
}

/// True for what can follow a numbered designator: a word with a digit, a single
/// letter, a `#`, or a direction spelled out whose abbreviation is a single letter
/// (`APT NORTH`, as `APT N` is: the canonical line abbreviates a post-direction, so
/// reading `NORTH` as one here would read back differently).
pub(super) fn is_unit_id(word: &str) -> bool {
    word == "#"
        || word.bytes().any(|b| b.is_ascii_digit())
        || (word.chars().count() == 1 && word.chars().all(char::is_alphabetic))
        || direction(word).is_some_and(|d| d.len() == 1)
}

/// The standard PO box or rural/highway-contract route line, if the words are one:
/// the keyword must be followed by a number or a single letter.
pub(super) fn box_or_route(words: &[&str]) -> Option<String> {
    let (kind, rest): (&str, &[&str]) = match words {
        ["PO" | "POB", "BOX" | "BX", rest @ ..] => ("PO BOX", rest),
        ["P", "O", "BOX" | "BX", rest @ ..] => ("PO BOX", rest),
        ["POST", "OFFICE", "BOX" | "BX", rest @ ..] => ("PO BOX", rest),
        ["POBOX" | "POB" | "BOX", rest @ ..] => ("PO BOX", rest),
        ["RR" | "RFD", rest @ ..] => ("RR", rest),
        ["R", "R", rest @ ..] => ("RR", rest),
        ["RURAL", "ROUTE" | "RTE" | "RT", rest @ ..] => ("RR", rest),
        ["HC" | "HCR", rest @ ..] => ("HC", rest),
        ["HIGHWAY", "CONTRACT", rest @ ..] => ("HC", rest),
        ["RT" | "RTE" | "ROUTE", n, "BOX" | "BX", ..] if n.bytes().all(|b| b.is_ascii_digit()) => {
            ("RR", &words[1..])
        }
        _ => return None,
    };
    let mut rest = rest.iter().filter(|w| **w != "#").peekable();
    if !rest.peek().is_some_and(|w| is_unit_id(w)) {
        return None;
    }
    let mut line = String::from(kind);
    for (i, w) in rest.enumerate() {
        line.push(' ');
        line.push_str(if i > 0 && matches!(*w, "BOX" | "BX") {
            "BOX"
        } else {
            w
        });
    }
    Some(line)
}

/// Finds the secondary unit in `words` (at least one street word after `start`), fills
/// `unit_type` and `unit`, and returns where the street words end.
pub(super) fn find_unit(words: &[&str], start: usize, address: &mut Address) -> usize {
    let n = words.len();
    for j in (start + 1)..n {
        let w = words[j];
        let rest = &words[j + 1..];
        if w == "#" {
            if rest.is_empty() {
                // A trailing number sign says nothing: read the line without it.
                return bare_unit(&words[..j], start, address).unwrap_or(j);
            }
            set_unit(address, "#", rest);
            // `# #` or `# -`: a number sign without a number says nothing.
            if address.unit.is_empty() {
                address.unit_type.clear();
            }
            return j;
        }
        // "NO 12", "NO. 4B": a number sign spelled out.
        // Not after a route type: "US HIGHWAY NO 202" is the road's name.
        let after_route = street_suffix(words[j - 1]).is_some_and(|s| is_route_type(s, ""));
        if matches!(w, "NO" | "NUMBER")
            && !after_route
            && rest.first().is_some_and(|r| has_digit(r))
        {
            set_unit(address, "#", rest);
            return j;
        }
        // "9TH FLOOR", "2 FL", "FOURTH FLOOR ROOM 905": the floor number comes first.
        if matches!(w, "FLOOR" | "FL" | "FLR")
            && j >= start + 2
            && is_street_end(words[j - 2])
            && let Some(floor) = floor_number(words[j - 1])
        {
            set_unit(address, "FL", rest);
            address.unit = if address.unit.is_empty() {
                floor.to_string()
            } else {
                format!("{floor} {}", address.unit)
            };
            return j - 1;
        }
        if let Some((abbr, kind)) = unit_designator(w) {
            // The number sign is not the id: `APT # NORTH` is a `#` unit after `APT`,
            // as `APT NORTH` is no apartment, so the canonical line reads back the same.
            let numbered = rest
                .iter()
                .find(|r| **r != "#")
                .is_some_and(|r| is_unit_id(r));
            match kind {
                UnitKind::Numbered | UnitKind::Either if numbered => {
                    set_unit(address, abbr, rest);
                    return j;
                }
                _ if rest.is_empty() && j >= start + 2 && is_street_end(words[j - 1]) => {
                    address.unit_type = abbr.to_string();
                    return j;
                }
                _ => {}
            }
        }
        for &(prefix, abbr) in GLUED_DESIGNATORS {
            if let Some(number) = w.strip_prefix(prefix)
                && number.starts_with(|c: char| c.is_ascii_digit())
            {
                address.unit_type = abbr.to_string();
                address.unit = number.to_string();
                for r in rest.iter().filter(|r| **r != "#") {
                    address.unit.push(' ');
                    address.unit.push_str(r);
                }
                return j;
            }
        }
    }
    bare_unit(words, start, address).unwrap_or(n)
}

/// "123 MAIN ST 4B", "720 10TH AVE SW A": a unit without designator after the suffix
/// (and post-direction), unless the suffix names a numbered route (`COUNTY RD 12`,
/// `HWY 64`). Returns where the street words end.
pub(super) fn bare_unit(words: &[&str], start: usize, address: &mut Address) -> Option<usize> {
    let n = words.len();
    let s = (start + 1..n)
        .rev()
        .find(|&i| street_suffix(words[i]).is_some())?;
    // A name must stand before the suffix, not only a direction ("S AVENUE H").
    if s == start + 1 && direction(words[start]).is_some() {
        return None;
    }
    // Skip the post-direction right after the suffix: the longest that fits.
    let u = [3, 2]
        .into_iter()
        .filter(|&k| s + k <= n)
        .find_map(|k| post_direction(&words[s..s + k]).filter(|&(_, len)| len == k - 1))
        .map_or(s + 1, |(_, len)| s + 1 + len);
    let rest = words.get(u..).unwrap_or_default();
    // A lone hyphen before the unit ("MAIN ST - 4") is punctuation, as in `set_unit`;
    // skipping it here too gives `MAIN ST 4` and `MAIN ST - 4` one reading.
    let dashes = rest
        .iter()
        .take_while(|w| w.trim_start_matches('-').is_empty())
        .count();
    let rest = &rest[dashes..];
    let first = *rest.first()?;
    let last = *rest.last()?;
    let single_letter = first.len() == 1 && first.bytes().all(|b| b.is_ascii_alphabetic());
    let suffix = street_suffix(words[s])?;
    if is_route_type(suffix, words[s - 1]) || is_ordinal(first) || direction(first).is_some() {
        return None;
    }
    if rest.len() <= 2 && (has_digit(first) || single_letter) {
        set_unit(address, "#", rest);
        return Some(u);
    }
    // "RIVERFRONT DR MAILBOX 2825", "DNA WAY MSC 24": an unknown designator; the words
    // are kept as the unit, without a type.
    if rest.len() <= 3 && has_digit(last) && rest.iter().all(|w| street_suffix(w).is_none()) {
        set_unit(address, "", rest);
        return Some(u);
    }
    None
}

/// True when a word holds a digit.
pub(super) fn has_digit(word: &str) -> bool {
    word.bytes().any(|b| b.is_ascii_digit())
}

/// The number of a floor written before `FLOOR`: `9TH`, `2`, `FOURTH`.
pub(super) fn floor_number(word: &str) -> Option<&str> {
    if is_ordinal(word) {
        return Some(word.trim_end_matches(|c: char| c.is_ascii_alphabetic()));
    }
    if !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit()) {
        return Some(word);
    }
    Some(match word {
        "FIRST" => "1",
        "SECOND" => "2",
        "THIRD" => "3",
        "FOURTH" => "4",
        "FIFTH" => "5",
        "SIXTH" => "6",
        "SEVENTH" => "7",
        "EIGHTH" => "8",
        "NINTH" => "9",
        "TENTH" => "10",
        _ => return None,
    })
}

/// The post-direction ending `words` and how many words it takes: `NW`, `NORTH`, the
/// split `N E` (from `N. E.`), or `NO` (north) right after a suffix.
pub(super) fn post_direction(words: &[&str]) -> Option<(&'static str, usize)> {
    let n = words.len();
    if n >= 3 {
        let split = match (words[n - 2], words[n - 1]) {
            ("N", "E") => Some("NE"),
            ("N", "W") => Some("NW"),
            ("S", "E") => Some("SE"),
            ("S", "W") => Some("SW"),
            _ => None,
        };
        if let Some(d) = split {
            return Some((d, 2));
        }
    }
    if n >= 2 {
        if let Some(d) = direction(words[n - 1]) {
            return Some((d, 1));
        }
        if words[n - 1] == "NO" && street_suffix(words[n - 2]).is_some() {
            return Some(("N", 1));
        }
    }
    None
}

/// Suffixes that name the kind of thoroughfare rather than a feature: after a lone
/// direction (`N ST`, `NORTH AVE`) the direction is the name, whereas `N WELLS` and
/// `S PINE` are the streets `WELLS` and `PINE` with a pre-direction.
pub(super) fn is_thoroughfare(suffix: &str) -> bool {
    matches!(
        suffix,
        "ALY"
            | "AVE"
            | "BLVD"
            | "BYP"
            | "CIR"
            | "CSWY"
            | "CT"
            | "DR"
            | "EXPY"
            | "FWY"
            | "HWY"
            | "LN"
            | "LOOP"
            | "PATH"
            | "PIKE"
            | "PKWY"
            | "PL"
            | "PLZ"
            | "RD"
            | "ROW"
            | "RTE"
            | "RUN"
            | "SQ"
            | "ST"
            | "TER"
            | "TPKE"
            | "TRL"
            | "WALK"
            | "WAY"
            | "XING"
    )
}

/// True when a word can end the street part: a suffix or a direction.
pub(super) fn is_street_end(word: &str) -> bool {
    street_suffix(word).is_some() || direction(word).is_some()
}

/// Sets the unit fields from the words after a designator (skipping a `#` and a leading
/// hyphen: `APT # 4`, `STE -5`).
pub(super) fn set_unit(address: &mut Address, unit_type: &str, rest: &[&str]) {
    address.unit_type = unit_type.to_string();
    let mut unit = String::new();
    for w in rest.iter().filter(|w| **w != "#") {
        let w = if unit.is_empty() {
            w.trim_start_matches('-')
        } else {
            w
        };
        if w.is_empty() {
            continue;
        }
        if !unit.is_empty() {
            unit.push(' ');
        }
        unit.push_str(w);
    }
    address.unit = unit;
}

/// Splits the street words (between house number and unit) into pre-direction, name,
/// suffix and post-direction.
pub(super) fn assign_street(words: &[&str], address: &mut Address) {
    let n = words.len();
    if n == 0 {
        return;
    }
    let mut pre = if n >= 2 { direction(words[0]) } else { None };
    let mut a = usize::from(pre.is_some());
    let mut post = post_direction(words);
    let mut b = n - post.map_or(0, |(_, len)| len);
    if a >= b {
        // Only directions: the last one is the name ("100 N S": S, pre N).
        post = None;
        b = n;
        if a >= b {
            pre = None;
            a = 0;
        }
    }
    let core = &words[a..b];
    let mut name: Vec<&str> = core.to_vec();
    let mut suffix = None;
    if let Some(s) = core.last().and_then(|w| street_suffix(w)) {
        if core.len() >= 2 {
            suffix = Some(s);
            name.pop();
        } else if pre.is_some() && is_thoroughfare(s) {
            // "100 N ST": the direction is the street's name.
            suffix = Some(s);
            name = vec![words[0]];
            pre = None;
        } else if pre.is_none() && post.is_some() {
            // "100 AVENUE N": a lettered avenue, not AVE N.
            name.extend_from_slice(&words[b..]);
            post = None;
        }
    }
    address.pre_direction = pre.unwrap_or_default().to_string();
    address.street_name = name.join(" ");
    address.street_suffix = suffix.unwrap_or_default().to_string();
    address.post_direction = post.map_or("", |(d, _)| d).to_string();
}
