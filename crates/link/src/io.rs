//! Reading CSV files into [`Dataset`]s (columns mapped by header through the config, delimiter
//! detected, every error naming the file, line and column) and writing scored pairs as CSV with
//! each comparison's level and contribution, so a data director can see why two records linked.

use crate::comparisons::MAX_COMPARISONS;
use crate::config::{LinkConfig, Role};
use crate::dataset::{Dataset, PersonRecord};
use crate::engine::{PairContext, PairSink, ScoredPair};
use crate::error::{InternalError, LinkError, UserError};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

fn open(path: &Path) -> Result<File, UserError> {
    File::open(path).map_err(|e| UserError::Open {
        path: path.to_owned(),
        source: e,
    })
}

/// Guesses the delimiter from the first line: tab, comma, semicolon or pipe.
fn sniff(path: &Path) -> Result<u8, UserError> {
    let mut line = String::new();
    BufReader::new(open(path)?)
        .read_line(&mut line)
        .map_err(|e| UserError::Open {
            path: path.to_owned(),
            source: e,
        })?;
    let best = [b',', b'\t', b';', b'|']
        .into_iter()
        .max_by_key(|d| line.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    Ok(best)
}

/// The header of a CSV (or tab-delimited) file, for [`crate::infer_config`].
pub fn read_headers(path: &Path) -> Result<Vec<String>, UserError> {
    let delim = sniff(path)?;
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delim)
        .from_reader(open(path)?);
    let h = r.headers().map_err(|e| csv_err(path, &e, None))?;
    Ok(h.iter().map(|s| s.to_string()).collect())
}

fn csv_err(path: &Path, e: &csv::Error, headers: Option<&csv::StringRecord>) -> UserError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    let column = match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => headers
            .and_then(|h| h.get(err.field()))
            .map(|s| s.to_string()),
        _ => None,
    };
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields, found {len}"),
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_string(),
        csv::ErrorKind::Io(err) => err.to_string(),
        _ => e.to_string(),
    };
    UserError::Csv {
        path: path.to_owned(),
        line,
        column,
        message,
    }
}

/// Reads a CSV (or tab-, semicolon- or pipe-delimited) file into a dataset named after the
/// file, mapping columns through `config.columns`.
pub fn read_csv(path: &Path, config: &LinkConfig) -> Result<Dataset, LinkError> {
    let delim = sniff(path)?;
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    read_csv_from(&name, path, open(path)?, delim, config)
}

/// Reads CSV from any reader; `path` is used in error messages only.
pub fn read_csv_from<R: Read>(
    name: &str,
    path: &Path,
    reader: R,
    delimiter: u8,
    config: &LinkConfig,
) -> Result<Dataset, LinkError> {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(reader);
    let headers = r.headers().map_err(|e| csv_err(path, &e, None))?.clone();
    let find = |col: &str, role: &str| -> Result<usize, UserError> {
        headers
            .iter()
            .position(|h| h.trim() == col)
            .ok_or_else(|| UserError::MissingColumn {
                path: path.to_owned(),
                column: col.to_string(),
                role: role.to_string(),
            })
    };
    let rid = match &config.columns.record_id {
        Some(c) => Some(find(c, "record_id")?),
        None => None,
    };
    let mut map: Vec<(Role, usize)> = Vec::new();
    for role in Role::ALL {
        if let Some(c) = config.columns.get(role) {
            map.push((role, find(c, role.key())?));
        }
    }
    if map.is_empty() {
        return Err(UserError::NoUsableColumns {
            path: path.to_owned(),
        }
        .into());
    }
    let mut d = Dataset::new(name);
    let mut rec = csv::StringRecord::new();
    let mut p = PersonRecord::default();
    loop {
        match r.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_err(path, &e, Some(&headers)).into()),
        }
        let line = rec.position().map(|x| x.line()).unwrap_or(0);
        p.record_id.clear();
        match rid {
            Some(i) => p.record_id.push_str(rec.get(i).unwrap_or("")),
            None => p.record_id.push_str(&line.to_string()),
        }
        for &(role, i) in &map {
            let v = rec.get(i).unwrap_or("");
            let slot = match role {
                Role::FirstName => &mut p.first_name,
                Role::MiddleName => &mut p.middle_name,
                Role::LastName => &mut p.last_name,
                Role::BirthDate => &mut p.birth_date,
                Role::BirthYear => &mut p.birth_year,
                Role::HouseNumber => &mut p.house_number,
                Role::Street => &mut p.street,
                Role::Address2 => &mut p.address2,
                Role::City => &mut p.city,
                Role::State => &mut p.state,
                Role::Zip => &mut p.zip,
                Role::Phone => &mut p.phone,
                Role::Email => &mut p.email,
                Role::VoterId => &mut p.voter_id,
            };
            slot.clear();
            slot.push_str(v);
        }
        d.push(&p)?;
    }
    Ok(d)
}

/// Writes scored pairs as CSV (formula-safe cells, see `votebase_domain::csv_safe`): `record_id_l, record_id_r, match_probability, match_weight,
/// rule`, then for each comparison its level and its contribution in bits (`<name>`,
/// `<name>_bits`).
pub struct CsvPairWriter<W: Write> {
    w: votebase_domain::csv_safe::SafeWriter<W>,
    header_done: bool,
    buf: Vec<String>,
}

impl<W: Write> CsvPairWriter<W> {
    /// Wraps a writer (buffered internally).
    pub fn new(out: W) -> Self {
        CsvPairWriter {
            w: votebase_domain::csv_safe::SafeWriter::from_writer(out),
            header_done: false,
            buf: Vec::new(),
        }
    }

    /// Flushes and returns the inner writer.
    pub fn into_inner(self) -> Result<W, LinkError> {
        self.w
            .into_inner()
            .map_err(|e| LinkError::Internal(InternalError::Write(e)))
    }
}

impl<W: Write> PairSink for CsvPairWriter<W> {
    fn pair(&mut self, pair: &ScoredPair, ctx: &PairContext<'_>) -> Result<(), LinkError> {
        let comps = &ctx.model.comparisons;
        if !self.header_done {
            let mut h: Vec<String> = [
                "record_id_l",
                "record_id_r",
                "match_probability",
                "match_weight",
                "rule",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            for c in comps {
                h.push(c.name().to_string());
                h.push(format!("{}_bits", c.name()));
            }
            self.w.write_record(&h).map_err(InternalError::from)?;
            self.header_done = true;
        }
        self.buf.clear();
        self.buf.push(ctx.a.record_id(pair.a as usize).to_string());
        self.buf.push(ctx.b.record_id(pair.b as usize).to_string());
        self.buf.push(format!("{:.6}", pair.probability));
        self.buf.push(format!("{:.3}", pair.weight));
        self.buf.push(pair.rule.unwrap_or("").to_string());
        for (k, c) in comps.iter().enumerate().take(MAX_COMPARISONS) {
            let l = pair.levels[k];
            self.buf.push(if l == 0 {
                "null".to_string()
            } else {
                c.levels()[l as usize - 1].to_string()
            });
            self.buf.push(format!("{:+.2}", pair.contributions[k]));
        }
        self.w
            .write_record(&self.buf)
            .map_err(InternalError::from)?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), LinkError> {
        self.w.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("votebase-link-io-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn reads_with_inferred_config() {
        let p = tmp(
            "a.csv",
            "id,First Name,Surname,DOB\n1,Bob,Smith,1960-01-02\n2,Ann,Lee,\n",
        );
        let cfg = crate::infer_config(&read_headers(&p).unwrap());
        let d = read_csv(&p, &cfg).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d.record_id(1), "2");
        assert_eq!(d.normalised(0).birth_date, "19600102");
    }

    #[test]
    fn tab_delimited() {
        let p = tmp("b.txt", "ncid\tfirst_name\tlast_name\nAB1\tBob\tSmith\n");
        let cfg = crate::infer_config(&read_headers(&p).unwrap());
        assert_eq!(cfg.columns.voter_id.as_deref(), Some("ncid"));
        let d = read_csv(&p, &cfg).unwrap();
        assert_eq!(d.normalised(0).voter_id, "ab1");
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let p = tmp("c.csv", "id,first,last\n1,a,b\n2,c\n");
        let cfg = crate::infer_config(&read_headers(&p).unwrap());
        let e = read_csv(&p, &cfg).unwrap_err().to_string();
        assert!(
            e.contains("c.csv:3") && e.contains("expected 3 fields"),
            "{e}"
        );
        let mut cfg2 = cfg.clone();
        cfg2.columns.email = Some("mail".into());
        let e = read_csv(&p, &cfg2).unwrap_err().to_string();
        assert!(e.contains("column `mail`"), "{e}");
        let missing = read_csv(Path::new("/nonexistent.csv"), &cfg).unwrap_err();
        assert!(matches!(missing, LinkError::User(UserError::Open { .. })));
    }
}
