//! The rejects file: every row an import refuses, with its line number, the column at
//! fault and a reason a person can act on, as CSV (`line,column,reason,raw`).

use crate::IngestError;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// One refused row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// 1-based line in the input (the header is line 1).
    pub line: u64,
    /// Source column at fault, or empty for the whole row.
    pub column: String,
    /// Why.
    pub reason: String,
    /// The raw row, fields joined by the delimiter (truncated to 500 bytes).
    pub raw: String,
}

/// Writes rejects as they come; the file is created on the first reject only.
pub struct RejectWriter {
    path: PathBuf,
    out: Option<votebase_domain::csv_safe::SafeWriter<BufWriter<File>>>,
    count: u64,
}

impl RejectWriter {
    /// A writer for `path` (nothing is created until the first reject).
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            out: None,
            count: 0,
        }
    }

    /// The default rejects path for an input: `<input>.rejects.csv` beside it when that
    /// folder is writable, else in the current directory.
    pub fn default_path(input: &Path) -> PathBuf {
        let name = format!(
            "{}.rejects.csv",
            input
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
        let beside = input.with_file_name(&name);
        let dir = beside.parent().filter(|p| !p.as_os_str().is_empty());
        let writable = dir
            .map(|d| {
                d.metadata()
                    .map(|m| !m.permissions().readonly())
                    .unwrap_or(false)
            })
            .unwrap_or(true);
        let probe = dir.map(|d| d.join(format!(".vb-probe-{}", std::process::id())));
        let can_create = writable
            && probe
                .as_ref()
                .map(|p| {
                    let ok = File::create(p).is_ok();
                    let _ = std::fs::remove_file(p);
                    ok
                })
                .unwrap_or(true);
        if can_create {
            beside
        } else {
            PathBuf::from(name)
        }
    }

    /// Where rejects go.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rejects written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Appends one reject.
    pub fn write(&mut self, r: &Reject) -> Result<(), IngestError> {
        if self.out.is_none() {
            let file = File::create(&self.path).map_err(|e| IngestError::input(&self.path, e))?;
            let mut w = votebase_domain::csv_safe::SafeWriter::from_writer(BufWriter::new(file));
            w.write_record(["line", "column", "reason", "raw"])
                .map_err(|e| IngestError::input(&self.path, e))?;
            self.out = Some(w);
        }
        let w = self.out.as_mut().expect("opened above");
        let line = r.line.to_string();
        w.write_record([line.as_str(), &r.column, &r.reason, &r.raw])
            .map_err(|e| IngestError::input(&self.path, e))?;
        self.count += 1;
        Ok(())
    }

    /// Flushes the file, if any was written; removes a stale one from an earlier run otherwise.
    pub fn finish(mut self) -> Result<u64, IngestError> {
        match self.out.take() {
            Some(mut w) => w.flush().map_err(|e| IngestError::input(&self.path, e))?,
            None => {
                let _ = std::fs::remove_file(&self.path);
            }
        }
        Ok(self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_row_that_looks_like_a_formula_is_written_as_text() {
        let path = std::env::temp_dir().join(format!("vb-rejects-{}.csv", std::process::id()));
        let mut w = RejectWriter::new(path.clone());
        w.write(&Reject {
            line: 2,
            column: "last_name".into(),
            reason: "bad".into(),
            raw: "=HYPERLINK(\"http://x\")\tDOE".into(),
        })
        .unwrap();
        assert_eq!(w.finish().unwrap(), 1);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).ok();
        assert!(text.contains("\"'=HYPERLINK"), "{text}");
        assert!(
            text.starts_with("line,column,reason,raw\n2,last_name,bad,"),
            "{text}"
        );
    }
}
