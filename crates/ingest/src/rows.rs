//! Reading a delimited file row by row under a bound layout: the header (or the
//! layout's column list), line numbers for every row, chunks for parallel conversion,
//! and typed access to a row's fields by votebase field name.

use crate::IngestError;
use crate::input::{self, Encoding};
use crate::layout::{Bound, Layout, Source};
use crate::rejects::Reject;
use csv::ByteRecord;
use std::borrow::Cow;
use std::io::Read;
use std::path::Path;
use votebase_normalize::clean_text;

/// A file opened under a layout, read in chunks of rows.
pub struct RowChunks {
    reader: csv::Reader<Box<dyn Read + Send>>,
    /// The layout bound to this file's columns.
    pub bound: Bound,
    /// The file size when the stream is uncompressed.
    pub plain_size: Option<u64>,
    path: std::path::PathBuf,
}

/// One raw row and its line.
pub struct RawRow {
    /// 1-based line where the row starts.
    pub line: u64,
    /// The fields' bytes.
    pub record: ByteRecord,
}

impl RowChunks {
    /// Opens `path`, reads and checks its header against `layout`. Nothing is read past
    /// the header here, so a mismatch stops the import before anything is written.
    pub fn open(path: &Path, layout: &Layout) -> Result<Self, IngestError> {
        let input = input::open(path)?;
        // Records end at `\n` only: with the default CRLF terminator the reader counts
        // the `\n` of a `\r\n` into the next record's start, so every row of a CRLF file
        // (ActBlue's exports) was reported one line early. A trailing `\r` stays on the
        // last field, and fields are trimmed.
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(layout.delimiter_byte())
            .terminator(csv::Terminator::Any(b'\n'))
            .quoting(layout.quoting)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 20)
            .from_reader(input.reader);
        let file = path.display().to_string();
        let header = if layout.header {
            let mut first = ByteRecord::new();
            let got = reader
                .read_byte_record(&mut first)
                .map_err(|e| IngestError::input(path, e))?;
            if !got {
                return Err(IngestError::input(
                    path,
                    "the file is empty (no header line)",
                ));
            }
            Some(
                first
                    .iter()
                    .map(|f| layout.encoding.decode(f).into_owned())
                    .collect::<Vec<_>>(),
            )
        } else {
            None
        };
        let bound = layout.bind(&file, header.as_deref())?;
        Ok(Self {
            reader,
            bound,
            plain_size: input.plain_size,
            path: path.to_path_buf(),
        })
    }

    /// Up to `n` more rows; an empty vector at the end of the file.
    pub fn next_chunk(&mut self, n: usize) -> Result<Vec<RawRow>, IngestError> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let mut record = ByteRecord::new();
            let got = self
                .reader
                .read_byte_record(&mut record)
                .map_err(|e| IngestError::input(&self.path, e))?;
            if !got {
                break;
            }
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            // A blank line (one empty field) is not a row.
            if record.len() == 1 && record[0].iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            out.push(RawRow { line, record });
        }
        Ok(out)
    }

    /// Bytes read so far (of the decompressed stream).
    pub fn position(&self) -> u64 {
        self.reader.position().byte()
    }
}

/// A row's fields decoded, addressed by votebase field name.
pub struct Fields<'a> {
    bound: &'a Bound,
    record: &'a ByteRecord,
    encoding: Encoding,
    /// The row's line.
    pub line: u64,
}

impl<'a> Fields<'a> {
    /// Checks the field count and wraps a row.
    pub fn new(bound: &'a Bound, row: &'a RawRow) -> Result<Self, Reject> {
        let expected = bound.columns.len();
        if row.record.len() != expected {
            return Err(Reject {
                line: row.line,
                column: String::new(),
                reason: format!(
                    "expected {expected} fields, found {} (a stray delimiter, an unclosed quote or a cut line)",
                    row.record.len()
                ),
                raw: raw_text(bound, &row.record),
            });
        }
        Ok(Self {
            bound,
            record: &row.record,
            encoding: bound.layout.encoding,
            line: row.line,
        })
    }

    fn column(&self, i: usize) -> Cow<'a, str> {
        let v = self.encoding.decode(&self.record[i]);
        match v {
            Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
            Cow::Owned(s) => Cow::Owned(s.trim().to_string()),
        }
    }

    /// The trimmed raw text of a field ("" when absent; joined fields with one space).
    pub fn raw(&self, field: &str) -> Cow<'a, str> {
        match self.bound.source(field) {
            Source::Absent => Cow::Borrowed(""),
            Source::Column(i) => self.column(*i),
            Source::Join(is) => {
                let parts: Vec<Cow<'a, str>> = is
                    .iter()
                    .map(|i| self.column(*i))
                    .filter(|s| !s.is_empty())
                    .collect();
                Cow::Owned(parts.join(" "))
            }
        }
    }

    /// The layout this row is read under.
    pub fn layout(&self) -> &'a Layout {
        &self.bound.layout
    }

    /// The field cleaned (see [`clean_text`]).
    pub fn clean(&self, field: &str) -> String {
        clean_text(&self.raw(field))
    }

    /// The source column name of a field, for reject messages.
    pub fn column_name(&self, field: &str) -> String {
        match self.bound.source(field) {
            Source::Absent => field.to_string(),
            Source::Column(i) => self.bound.columns[*i].clone(),
            Source::Join(is) => is
                .iter()
                .map(|i| self.bound.columns[*i].as_str())
                .collect::<Vec<_>>()
                .join("+"),
        }
    }

    /// A reject of this row for `field`.
    pub fn reject(&self, field: &str, reason: String) -> Reject {
        Reject {
            line: self.line,
            column: self.column_name(field),
            reason,
            raw: raw_text(self.bound, self.record),
        }
    }

    /// Unmapped non-blank columns, by column name.
    pub fn extra(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.bound.unmapped.iter().filter_map(|&i| {
            let v = self.column(i);
            (!v.is_empty()).then(|| (self.bound.columns[i].clone(), v.into_owned()))
        })
    }
}

fn raw_text(bound: &Bound, record: &ByteRecord) -> String {
    let delim = bound.layout.delimiter.as_str();
    let mut s = record
        .iter()
        .map(|f| bound.layout.encoding.decode(f))
        .collect::<Vec<_>>()
        .join(delim);
    if s.len() > 500 {
        let mut cut = 500;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// What a reader thread gives back: rows read and the rejects file's writer.
pub type ReaderHandle =
    tokio::task::JoinHandle<Result<(u64, crate::rejects::RejectWriter), IngestError>>;

/// The reading half of every import: on a blocking thread, reads and converts the whole
/// file ([`read_converted`]), writes rejects to `rejects_path`, sends each chunk of good
/// rows over `tx` as `rows(chunk)`, and `end()` once every row was read and sent: the
/// consumer commits only on that marker, so a reader that dies in any way (even one whose
/// panic escaped) never looks like a short file. On a read failure, or a panic in the
/// reader or in a conversion worker, it sends `abort(reason)`, so the store rolls back,
/// and returns the error. With `strict`, a rejected row also abandons the load (files that
/// are all-or-nothing row by row). Returns the rows read and the rejects file's writer.
#[allow(clippy::too_many_arguments)]
pub fn spawn_reader_until_end<T, M, F>(
    mut chunks: RowChunks,
    rejects_path: std::path::PathBuf,
    progress: std::sync::Arc<dyn crate::Progress>,
    convert: F,
    tx: tokio::sync::mpsc::Sender<M>,
    rows: fn(Vec<T>) -> M,
    abort: fn(String) -> M,
    end: fn() -> M,
    strict: bool,
) -> ReaderHandle
where
    T: Send + 'static,
    M: Send + 'static,
    F: Fn(&Fields<'_>) -> Result<T, Reject> + Send + Sync + 'static,
{
    tokio::task::spawn_blocking(move || {
        let mut rejects = crate::rejects::RejectWriter::new(rejects_path);
        // A panic here or in a rayon worker (rayon re-raises it on this thread) becomes
        // an abort: the store must never read a dead reader as the end of the file.
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            read_converted(
                &mut chunks,
                &mut rejects,
                progress.as_ref(),
                &convert,
                // A closed channel means the store stopped early; its own error says why.
                |good| tx.blocking_send(rows(good)).is_ok(),
            )
        }))
        .unwrap_or_else(|panic| {
            Err(IngestError::Internal(format!(
                "the file reader panicked: {}",
                panic_text(panic.as_ref())
            )))
        });
        match read {
            Ok(read) => {
                if strict && rejects.count() > 0 {
                    let _ = tx.blocking_send(abort(format!("{} rows rejected", rejects.count())));
                } else {
                    let _ = tx.blocking_send(end());
                }
                Ok((read, rejects))
            }
            Err(e) => {
                let _ = tx.blocking_send(abort(e.to_string()));
                Err(e)
            }
        }
    })
}

/// The message of a caught panic payload.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

/// Reads every remaining row, converting chunks in parallel with `convert`; rejected rows
/// go to `rejects`, converted ones to `sink` chunk by chunk (a `false` from the sink
/// stops reading: the consumer has gone). Returns the number of data rows read.
pub fn read_converted<T, F>(
    chunks: &mut RowChunks,
    rejects: &mut crate::rejects::RejectWriter,
    progress: &dyn crate::Progress,
    convert: F,
    mut sink: impl FnMut(Vec<T>) -> bool,
) -> Result<u64, IngestError>
where
    T: Send,
    F: Fn(&Fields<'_>) -> Result<T, Reject> + Sync,
{
    use rayon::prelude::*;
    let mut read = 0u64;
    loop {
        let rows = chunks.next_chunk(crate::voters::CHUNK_ROWS)?;
        if rows.is_empty() {
            return Ok(read);
        }
        read += rows.len() as u64;
        let bound = &chunks.bound;
        let results: Vec<Result<T, Reject>> = rows
            .par_iter()
            .map(|row| convert(&Fields::new(bound, row)?))
            .collect();
        let mut good = Vec::with_capacity(results.len());
        for r in results {
            match r {
                Ok(v) => good.push(v),
                Err(e) => rejects.write(&e)?,
            }
        }
        progress.advance(rows.len() as u64, chunks.position());
        if !sink(good) {
            return Ok(read);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Layout;
    use std::sync::Arc;

    const LAYOUT: &str = "name = \"t\"\nkind = \"voters\"\ndelimiter = \",\"\n\
        [fields]\nstate_voter_id = \"id\"\nlast_name = \"ln\"\n";

    #[test]
    fn crlf_rows_keep_their_line_numbers() {
        let dir = std::env::temp_dir().join(format!("votebase-rows-crlf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("v.csv");
        std::fs::write(
            &file,
            "id,ln\r\nV1,SMITH\r\n\"V2\",\"JONES\"\r\nV3,\"A\r\nB\"\r\nV4,LEE\r\n",
        )
        .unwrap();
        let layout = Layout::parse(LAYOUT, "t").unwrap();
        let mut chunks = RowChunks::open(&file, &layout).unwrap();
        assert_eq!(chunks.bound.columns, ["id", "ln"]);
        let rows = chunks.next_chunk(10).unwrap();
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3, 4, 6]);
        let fields = Fields::new(&chunks.bound, &rows[1]).unwrap();
        assert_eq!(fields.raw("last_name"), "JONES");
        let fields = Fields::new(&chunks.bound, &rows[3]).unwrap();
        assert_eq!(fields.raw("last_name"), "LEE");
    }

    #[derive(Debug)]
    enum Msg {
        Rows(Vec<String>),
        Abort(String),
        End,
    }

    /// Runs a reader over a file of `n` rows whose conversion panics on `panic_at` (an
    /// id); returns every message the consumer received and the reader's result.
    fn run(n: usize, panic_at: Option<String>) -> (Vec<Msg>, Result<u64, IngestError>) {
        let dir = std::env::temp_dir().join(format!(
            "votebase-rows-{}-{}",
            std::process::id(),
            panic_at.as_deref().unwrap_or("none")
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("v.csv");
        let mut text = String::from("id,ln\n");
        for i in 0..n {
            text.push_str(&format!("V{i},SMITH\n"));
        }
        std::fs::write(&file, text).unwrap();
        let layout = Layout::parse(LAYOUT, "t.toml").unwrap();
        let chunks = RowChunks::open(&file, &layout).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (msgs, result) = rt.block_on(async move {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<Msg>(1_000);
            let handle = spawn_reader_until_end(
                chunks,
                dir.join("v.rejects.csv"),
                Arc::new(crate::NoProgress),
                move |f: &Fields<'_>| {
                    let id = f.clean("state_voter_id");
                    if Some(&id) == panic_at.as_ref() {
                        panic!("injected reader panic at {id}");
                    }
                    Ok(id)
                },
                tx,
                Msg::Rows,
                Msg::Abort,
                || Msg::End,
                false,
            );
            let mut msgs = Vec::new();
            while let Some(m) = rx.recv().await {
                msgs.push(m);
            }
            (msgs, handle.await.expect("the task itself never panics"))
        });
        (msgs, result.map(|(read, _)| read))
    }

    #[test]
    fn a_complete_file_ends_with_the_end_marker() {
        let (msgs, read) = run(30, None);
        assert_eq!(read.unwrap(), 30);
        assert!(matches!(msgs.last(), Some(Msg::End)), "{msgs:?}");
        let rows: usize = msgs
            .iter()
            .map(|m| match m {
                Msg::Rows(r) => r.len(),
                _ => 0,
            })
            .sum();
        assert_eq!(rows, 30);
    }

    #[test]
    fn a_panic_in_a_conversion_worker_aborts_and_never_ends() {
        // Past the first chunk, so rows were already sent when it panics.
        let at = format!("V{}", crate::voters::CHUNK_ROWS + 5);
        let (msgs, read) = run(crate::voters::CHUNK_ROWS * 3, Some(at));
        match read {
            Err(IngestError::Internal(m)) => assert!(m.contains("injected reader panic"), "{m}"),
            other => panic!("expected the panic as an error, got {other:?}"),
        }
        assert!(
            msgs.iter().any(|m| matches!(m, Msg::Rows(_))),
            "rows before the panic were sent"
        );
        match msgs.last() {
            Some(Msg::Abort(why)) => assert!(why.contains("panicked"), "{why}"),
            other => panic!("the last message must be an abort, got {other:?}"),
        }
        assert!(!msgs.iter().any(|m| matches!(m, Msg::End)));
    }
}
