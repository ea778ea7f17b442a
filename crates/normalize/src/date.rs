//! Dates and years as voter files write them: a layout names the chrono formats its
//! columns use and every value is tried against them in order. The two shapes nearly all
//! files use, `MM/DD/YYYY` and `YYYY-MM-DD` (and `YYYYMMDD`), are read without chrono's
//! format parser, since this runs on every row of multi-million-row files. Two-digit
//! years are pivoted so that no date lands in the future.

use chrono::{Datelike, NaiveDate};

/// The formats most voter files use, in the order worth trying.
pub const COMMON_DATE_FORMATS: &[&str] =
    &["%m/%d/%Y", "%Y-%m-%d", "%m/%d/%y", "%Y%m%d", "%m-%d-%Y"];

/// Earliest year accepted by [`parse_year`].
pub const MIN_YEAR: i32 = 1850;
/// Latest year accepted by [`parse_year`].
pub const MAX_YEAR: i32 = 2100;

/// A value that is not blank and cannot be read as what the column holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {value:?} as {expected}")]
pub struct DateError {
    /// The value as the file had it.
    pub value: String,
    /// What was expected, e.g. `a date in one of the formats %m/%d/%Y, %Y-%m-%d`.
    pub expected: String,
}

/// Parses a date with the first of `formats` (chrono `strftime` syntax) that reads the
/// whole value. Blank -> `Ok(None)`. Formats with a two-digit year (`%y`) give the
/// latest date that is not after today (`01/02/30` is 1930 until 2030).
pub fn parse_date(raw: &str, formats: &[&str]) -> Result<Option<NaiveDate>, DateError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    for &format in formats {
        let parsed = match format {
            "%m/%d/%Y" => fast_mdy(value, '/'),
            "%m-%d-%Y" => fast_mdy(value, '-'),
            "%Y-%m-%d" => fast_ymd(value, '-'),
            "%Y/%m/%d" => fast_ymd(value, '/'),
            "%Y%m%d" => fast_ymd_compact(value),
            _ => slow(value, format),
        };
        if parsed.is_some() {
            return Ok(parsed);
        }
    }
    Err(DateError {
        value: raw.to_string(),
        expected: format!("a date in one of the formats {}", formats.join(", ")),
    })
}

/// Parses a four-digit year. Blank -> `Ok(None)`; a year outside
/// [`MIN_YEAR`]`..=`[`MAX_YEAR`] or anything not a number is an error.
pub fn parse_year(raw: &str) -> Result<Option<i32>, DateError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let year = (value.len() == 4 && value.bytes().all(|b| b.is_ascii_digit()))
        .then(|| value.parse::<i32>().ok())
        .flatten()
        .filter(|y| (MIN_YEAR..=MAX_YEAR).contains(y));
    match year {
        Some(y) => Ok(Some(y)),
        None => Err(DateError {
            value: raw.to_string(),
            expected: format!("a year from {MIN_YEAR} to {MAX_YEAR}"),
        }),
    }
}

/// chrono's format parser, for formats without a fast path. A `%Y` year written with
/// fewer than four digits (`1/2/57` read as the year 57) is refused; `%y` years are
/// pivoted by [`pivot_two_digit_year`].
fn slow(value: &str, format: &str) -> Option<NaiveDate> {
    let date = NaiveDate::parse_from_str(value, format).ok()?;
    if format.contains("%Y") && date.year() < 1000 {
        return None;
    }
    Some(pivot_two_digit_year(date, format))
}

/// Moves a date read with a two-digit year back a century if it lies in the future.
fn pivot_two_digit_year(date: NaiveDate, format: &str) -> NaiveDate {
    if !format.contains("%y") {
        return date;
    }
    let today = chrono::Local::now().date_naive();
    if date <= today {
        return date;
    }
    date.with_year(date.year() - 100).unwrap_or(date)
}

/// The value of one or two ASCII digits.
fn one_or_two_digits(part: &str) -> Option<u32> {
    match part.as_bytes() {
        [a] if a.is_ascii_digit() => Some(u32::from(a - b'0')),
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
        }
        _ => None,
    }
}

/// The value of exactly four ASCII digits.
fn four_digits(part: &[u8]) -> Option<i32> {
    if part.len() != 4 {
        return None;
    }
    part.iter().try_fold(0i32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + i32::from(b - b'0'))
    })
}

/// `M/D/YYYY` with one- or two-digit month and day, four-digit year (`sep` may be `-`):
/// what chrono's `%m/%d/%Y` reads, minus years of fewer than four digits.
fn fast_mdy(value: &str, sep: char) -> Option<NaiveDate> {
    let mut parts = value.split(sep);
    let month = one_or_two_digits(parts.next()?)?;
    let day = one_or_two_digits(parts.next()?)?;
    let year = four_digits(parts.next()?.as_bytes())?;
    if parts.next().is_some() {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// `YYYY-M-D` with four-digit year, one- or two-digit month and day.
fn fast_ymd(value: &str, sep: char) -> Option<NaiveDate> {
    let mut parts = value.split(sep);
    let year = four_digits(parts.next()?.as_bytes())?;
    let month = one_or_two_digits(parts.next()?)?;
    let day = one_or_two_digits(parts.next()?)?;
    if parts.next().is_some() {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// `YYYYMMDD`, exactly eight digits.
fn fast_ymd_compact(value: &str) -> Option<NaiveDate> {
    let b = value.as_bytes();
    if b.len() != 8 {
        return None;
    }
    let month = one_or_two_digits(value.get(4..6)?)?;
    let day = one_or_two_digits(value.get(6..8)?)?;
    NaiveDate::from_ymd_opt(four_digits(&b[0..4])?, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    fn common(raw: &str) -> Option<NaiveDate> {
        parse_date(raw, COMMON_DATE_FORMATS).expect(raw)
    }

    #[test]
    fn blank_is_none() {
        assert_eq!(parse_date("", COMMON_DATE_FORMATS), Ok(None));
        assert_eq!(parse_date("   ", COMMON_DATE_FORMATS), Ok(None));
        assert_eq!(parse_date(" ", &[]), Ok(None));
    }

    #[test]
    fn common_formats() {
        assert_eq!(common("01/23/1957"), d(1957, 1, 23));
        assert_eq!(common(" 12/31/1999 "), d(1999, 12, 31));
        assert_eq!(common("1/2/1957"), d(1957, 1, 2));
        assert_eq!(common("1957-01-23"), d(1957, 1, 23));
        assert_eq!(common("1957-1-3"), d(1957, 1, 3));
        assert_eq!(common("19570123"), d(1957, 1, 23));
        assert_eq!(common("01-23-1957"), d(1957, 1, 23));
        assert_eq!(common("02/29/2024"), d(2024, 2, 29));
    }

    #[test]
    fn fast_paths_agree_with_chrono() {
        for (value, format) in [
            ("01/23/1957", "%m/%d/%Y"),
            ("12/31/2020", "%m/%d/%Y"),
            ("1957-01-23", "%Y-%m-%d"),
            ("2000-02-29", "%Y-%m-%d"),
            ("19570123", "%Y%m%d"),
            ("01-23-1957", "%m-%d-%Y"),
            ("1/2/1957", "%m/%d/%Y"),
            ("1957-1-2", "%Y-%m-%d"),
            ("1957/01/02", "%Y/%m/%d"),
        ] {
            assert_eq!(
                parse_date(value, &[format]).ok().flatten(),
                NaiveDate::parse_from_str(value, format).ok(),
                "{value}"
            );
        }
    }

    #[test]
    fn impossible_dates_are_errors() {
        for raw in [
            "02/30/2020",
            "13/01/2020",
            "00/10/2020",
            "2021-02-29",
            "1957-13-01",
            "19571301",
            "hello",
            "01/23/19x7",
            "1/23",
            "2020/01/23",
            "1/23/57x",
            "123/01/2020",
            "01/23/2020/1",
            "1957012",
            "+1/2/1957",
        ] {
            let err = parse_date(raw, COMMON_DATE_FORMATS).unwrap_err();
            assert_eq!(err.value, raw);
            let message = err.to_string();
            assert!(message.contains(raw), "{message}");
            assert!(message.contains("%m/%d/%Y, %Y-%m-%d"), "{message}");
        }
    }

    #[test]
    fn formats_are_tried_in_order() {
        // 01/02/2003 is January 2nd in US order, February 1st in day-first order.
        assert_eq!(
            parse_date("01/02/2003", &["%m/%d/%Y", "%d/%m/%Y"]),
            Ok(d(2003, 1, 2))
        );
        assert_eq!(
            parse_date("01/02/2003", &["%d/%m/%Y", "%m/%d/%Y"]),
            Ok(d(2003, 2, 1))
        );
        // Only the second matches.
        assert_eq!(
            parse_date("23/01/2003", &["%m/%d/%Y", "%d/%m/%Y"]),
            Ok(d(2003, 1, 23))
        );
        assert!(parse_date("01/02/2003", &["%Y-%m-%d"]).is_err());
    }

    #[test]
    fn two_digit_years_are_never_in_the_future() {
        let today = chrono::Local::now().date_naive();
        assert_eq!(common("01/23/57"), d(1957, 1, 23));
        assert_eq!(common("12/31/99"), d(1999, 12, 31));
        assert_eq!(common("01/01/00"), d(2000, 1, 1));
        assert_eq!(common("1/2/57"), d(1957, 1, 2));
        let next_year = (today.year() + 1) % 100;
        let raw = format!("06/15/{next_year:02}");
        let parsed = common(&raw).expect("date");
        assert!(parsed <= today, "{parsed}");
        assert_eq!(parsed.year(), today.year() + 1 - 100);
        // Four-digit years are taken as written, even in the future.
        assert_eq!(common("01/01/2090"), d(2090, 1, 1));
    }

    #[test]
    fn other_formats_use_chrono() {
        assert_eq!(parse_date("23.01.1957", &["%d.%m.%Y"]), Ok(d(1957, 1, 23)));
        assert_eq!(
            parse_date("Jan 23, 1957", &["%b %d, %Y"]),
            Ok(d(1957, 1, 23))
        );
        // A four-digit-year format does not read a short year.
        assert!(parse_date("23.01.57", &["%d.%m.%Y"]).is_err());
        assert_eq!(parse_date("23.01.57", &["%d.%m.%y"]), Ok(d(1957, 1, 23)));
    }

    #[test]
    fn years() {
        assert_eq!(parse_year("1957"), Ok(Some(1957)));
        assert_eq!(parse_year(" 2024 "), Ok(Some(2024)));
        assert_eq!(parse_year(""), Ok(None));
        assert_eq!(parse_year(" "), Ok(None));
        assert_eq!(parse_year("1850"), Ok(Some(1850)));
        assert_eq!(parse_year("2100"), Ok(Some(2100)));
        for raw in [
            "1849", "2101", "0000", "57", "19577", "abcd", "-957", "+957", "1957.0",
        ] {
            let err = parse_year(raw).unwrap_err();
            assert_eq!(err.value, raw);
            assert!(
                err.to_string().contains("a year from 1850 to 2100"),
                "{err}"
            );
        }
    }
}
