//! Phone numbers to E.164. North American numbers (the default country is the US) are
//! checked structurally by the NANP rules, with no table of area codes, so a newly
//! opened area code is never rejected; numbers written with `+` or the US international
//! prefix `011` go through the `phonenumber` crate's metadata. A number that cannot be
//! made E.164 keeps its raw value with an empty `e164`: the voter is flagged, not dropped.

use votebase_domain::Phone;

/// Normalises one phone cell. Blank -> `Phone::default()`; a valid NANP number (10
/// digits, or 11 starting with 1, in any punctuation, with an optional `x123`/`ext 123`
/// extension, which is dropped) -> `+1NXXNXXXXXX`; `+CC...` or `011 CC...` -> E.164 when
/// the `phonenumber` crate finds it valid; anything else keeps `raw` with empty `e164`.
pub fn normalize_phone(raw: &str) -> Phone {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Phone::default();
    }
    let e164 = if let Some(rest) = trimmed.strip_prefix('+') {
        international(rest)
    } else if let Some(rest) = trimmed.strip_prefix("011") {
        international(rest)
    } else {
        nanp_digits(trimmed).and_then(|d| nanp_e164(&d))
    };
    Phone {
        raw: raw.to_string(),
        e164: e164.unwrap_or_default(),
    }
}

/// E.164 for a number after its `+` or `011`: `+1` numbers by the NANP rules, the others
/// by the `phonenumber` crate.
fn international(rest: &str) -> Option<String> {
    let digits = nanp_digits(rest)?;
    if digits.len() == 11 && digits[0] == b'1' {
        return nanp_e164(&digits);
    }
    let number = phonenumber::parse(None, format!("+{rest}")).ok()?;
    if !phonenumber::is_valid(&number) {
        return None;
    }
    Some(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// The digits of a phone value, allowing only common punctuation between them and an
/// optional trailing extension (`x12`, `ext. 12`, `#12`); `None` when anything else (a
/// letter, a second number) is present. At most 15 digits, the E.164 maximum.
fn nanp_digits(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut digits = Vec::with_capacity(11);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'0'..=b'9' => digits.push(b),
            b' ' | b'-' | b'.' | b'(' | b')' | b'/' | b'\t' => {}
            b'x' | b'X' | b'e' | b'E' | b'#' if !digits.is_empty() => {
                return is_extension(&bytes[i..])
                    .then_some(digits)
                    .filter(|d| d.len() <= 15);
            }
            _ => return None,
        }
        i += 1;
    }
    (digits.len() <= 15).then_some(digits)
}

/// True when `tail` is an extension marker followed by digits only.
fn is_extension(tail: &[u8]) -> bool {
    let lower: Vec<u8> = tail.iter().map(u8::to_ascii_lowercase).collect();
    let rest = ["extension", "ext.", "ext", "x", "#"]
        .iter()
        .find_map(|marker| lower.strip_prefix(marker.as_bytes()));
    match rest {
        Some(rest) => {
            let rest = rest.trim_ascii();
            !rest.is_empty() && rest.iter().all(u8::is_ascii_digit)
        }
        None => false,
    }
}

/// `+1NXXNXXXXXX` for 10 digits, or 11 starting with 1, that satisfy the NANP number
/// plan: the area code and the exchange each start with 2-9, neither is an N11 service
/// code, the area code's middle digit is not 9 (reserved for expansion), and the number
/// is not in 555-0100..=555-0199 (reserved for fiction).
fn nanp_e164(digits: &[u8]) -> Option<String> {
    let d = match digits.len() {
        10 => digits,
        11 if digits[0] == b'1' => &digits[1..],
        _ => return None,
    };
    let (npa, nxx, line) = (&d[0..3], &d[3..6], &d[6..10]);
    let is_n11 = |c: &[u8]| c[1] == b'1' && c[2] == b'1';
    if npa[0] < b'2' || nxx[0] < b'2' || is_n11(npa) || is_n11(nxx) || npa[1] == b'9' {
        return None;
    }
    if nxx == b"555" && line[0] == b'0' && line[1] == b'1' {
        return None;
    }
    let mut e164 = String::with_capacity(12);
    e164.push_str("+1");
    e164.extend(d.iter().map(|&b| b as char));
    Some(e164)
}

#[cfg(test)]
mod tests {
    use super::normalize_phone;

    fn e164(raw: &str) -> String {
        normalize_phone(raw).e164
    }

    #[test]
    fn blank_is_default() {
        assert_eq!(normalize_phone(""), Default::default());
        assert_eq!(normalize_phone("   "), Default::default());
    }

    #[test]
    fn nanp_formats() {
        for raw in [
            "9195551234",
            "919-555-1234",
            "(919) 555-1234",
            "(919)555-1234",
            "919.555.1234",
            "1-919-555-1234",
            "19195551234",
            "1 (919) 555 1234",
            " 919 555 1234 ",
            "919/555-1234",
            "+1 919 555 1234",
            "+19195551234",
            "011 1 919 555 1234",
            "919-555-1234 x12",
            "919-555-1234 ext. 12",
            "(919) 555-1234 EXT 9",
            "9195551234#3",
        ] {
            assert_eq!(e164(raw), "+19195551234", "{raw:?}");
        }
        let p = normalize_phone("(919) 555-1234");
        assert_eq!(p.raw, "(919) 555-1234");
        assert!(!p.is_invalid());
    }

    #[test]
    fn new_area_codes_are_accepted() {
        // Structural rules only: any NXX area code that is not N11 or N9X.
        assert_eq!(e164("472-555-1234"), "+14725551234");
        assert_eq!(e164("(839) 234-5678"), "+18392345678");
        assert_eq!(e164("986 222 3333"), "+19862223333");
    }

    #[test]
    fn impossible_numbers_are_kept_and_flagged() {
        for raw in [
            "555-1234",
            "0195551234",
            "1195551234",
            "9190551234",
            "9191551234",
            "9114561234",
            "9195111234",
            "9995551234",
            "2905551234",
            "0000000000",
            "919555123",
            "919555123456",
            "29195551234",
            "919-555-0123",
            "1-800-FLOWERS",
            "919-555-1234 x",
            "919-555-1234 or 919-555-4321",
            "unknown",
            "+",
        ] {
            let p = normalize_phone(raw);
            assert_eq!(p.e164, "", "{raw:?}");
            assert_eq!(p.raw, raw);
            assert!(p.is_invalid(), "{raw:?}");
        }
    }

    #[test]
    fn fictional_range_is_only_0100_to_0199() {
        assert_eq!(e164("919-555-0100"), "");
        assert_eq!(e164("919-555-0199"), "");
        assert_eq!(e164("919-555-0200"), "+19195550200");
        assert_eq!(e164("919-555-2368"), "+19195552368");
    }

    #[test]
    fn international_numbers() {
        assert_eq!(e164("+44 20 7946 0958"), "+442079460958");
        assert_eq!(e164("011 44 20 7946 0958"), "+442079460958");
        assert_eq!(e164("+33 1 42 68 53 00"), "+33142685300");
        assert_eq!(e164("+52 55 5128 0000"), "+525551280000");
        // Too short to be a UK number.
        assert_eq!(e164("+44 20 79"), "");
        assert_eq!(e164("+999 1234 5678"), "");
        assert_eq!(e164("+44 20 hello"), "");
    }
}
