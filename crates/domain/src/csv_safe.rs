//! CSV cells safe to open in a spreadsheet: every CSV file the workspace writes (list
//! exports, ballot chase and cure lists, rejects, review and link files, results feeds,
//! incident exports) goes through [`SafeWriter`] (or [`safe_cell`] for a writer of its
//! own), so a cell that a spreadsheet would run as a formula (one starting with `=`,
//! `+`, `-`, `@`, a tab or a carriage return: CSV or formula injection) is written with a
//! leading `'`, which spreadsheets show as text.
//!
//! Numbers stay numbers: a cell that is a plain decimal number (`-5`, `+1.25`,
//! `+19195551234`) cannot be a formula and is written as it is, so count columns,
//! signed weights and E.164 phone numbers keep their value. Anything else that starts
//! with one of those characters (`-5+cmd`, `=1+1`, `-inf`) is neutralised.

use std::borrow::Cow;
use std::io::Write;

/// Bytes a spreadsheet may read as the start of a formula.
const FORMULA_LEAD: &[u8] = b"=+-@\t\r";

/// True for a plain decimal number: an optional sign, digits, an optional fraction.
fn is_plain_number(cell: &[u8]) -> bool {
    let body = match cell.first() {
        Some(b'+' | b'-') => &cell[1..],
        _ => cell,
    };
    let mut digits = 0;
    let mut dots = 0;
    for b in body {
        match b {
            b'0'..=b'9' => digits += 1,
            b'.' => dots += 1,
            _ => return false,
        }
    }
    digits > 0 && dots <= 1
}

/// True when a spreadsheet could run `cell` as a formula.
pub fn is_formula_like(cell: &[u8]) -> bool {
    cell.first().is_some_and(|b| FORMULA_LEAD.contains(b)) && !is_plain_number(cell)
}

/// The cell as written: prefixed with `'` when a spreadsheet could run it as a formula.
pub fn safe_cell(cell: &str) -> Cow<'_, str> {
    if is_formula_like(cell.as_bytes()) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A cell as given, or its neutralised copy (no copy for the common, safe case).
enum Cell<T> {
    Kept(T),
    Prefixed(Vec<u8>),
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Cell<T> {
    fn as_ref(&self) -> &[u8] {
        match self {
            Cell::Kept(t) => t.as_ref(),
            Cell::Prefixed(v) => v,
        }
    }
}

fn safe_bytes<T: AsRef<[u8]>>(cell: T) -> Cell<T> {
    let bytes = cell.as_ref();
    if is_formula_like(bytes) {
        let mut v = Vec::with_capacity(bytes.len() + 1);
        v.push(b'\'');
        v.extend_from_slice(bytes);
        Cell::Prefixed(v)
    } else {
        Cell::Kept(cell)
    }
}

/// A `csv::Writer` whose every cell goes through [`safe_cell`].
pub struct SafeWriter<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> SafeWriter<W> {
    /// Wraps a CSV writer (any delimiter or quoting it was built with is kept).
    pub fn new(inner: csv::Writer<W>) -> Self {
        Self { inner }
    }

    /// A comma-separated writer with the `csv` crate's defaults.
    pub fn from_writer(out: W) -> Self {
        Self::new(csv::Writer::from_writer(out))
    }

    /// Writes one record, neutralising formula-like cells.
    pub fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.inner.write_record(record.into_iter().map(safe_bytes))
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> std::io::Result<W> {
        self.inner.into_inner().map_err(|e| e.into_error())
    }
}

impl SafeWriter<std::fs::File> {
    /// A writer creating the file at `path`.
    pub fn from_path(path: impl AsRef<std::path::Path>) -> csv::Result<Self> {
        Ok(Self::new(csv::Writer::from_path(path)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(cells: &[&str]) -> String {
        let mut w = SafeWriter::from_writer(Vec::new());
        w.write_record(cells).unwrap();
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn formula_leading_cells_are_prefixed() {
        for bad in [
            "=HYPERLINK(\"x\")",
            "+cmd",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "-inf",
        ] {
            assert_eq!(safe_cell(bad), format!("'{bad}"), "{bad:?}");
        }
        assert_eq!(
            written(&["=cmd", "ok", "@x"]),
            "'=cmd,ok,'@x\n",
            "every cell of a record"
        );
    }

    #[test]
    fn numbers_and_plain_text_are_kept() {
        for good in [
            "-5",
            "+1.25",
            "+19195551234",
            "0",
            "DOE",
            "",
            "a=b",
            "'quoted",
        ] {
            assert_eq!(safe_cell(good), good, "{good:?}");
        }
        assert_eq!(written(&["-5", "x"]), "-5,x\n");
    }
}
