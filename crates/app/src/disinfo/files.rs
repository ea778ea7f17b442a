//! Monitoring exports and claim catalogues read from files: CSV (by header) or JSON lines
//! (one object per line; chosen by a `.jsonl`/`.ndjson` name or a first character `{`).
//! Posts need `id,text,url,platform,author,posted_at` (`posted_at` in RFC 3339; `reach`
//! optional); claims need `key,verdict,claim_en,claim_es,counter_en,counter_es,source`.
//! A file is taken whole or not at all: every bad row is reported with its line number
//! and reason, and nothing is stored while any row is bad.

use super::{DisinfoError, LineError, Post};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use votebase_domain::disinfo::{NewClaim, Verdict, sources};

/// Columns a posts file must have.
pub const POST_COLUMNS: [&str; 6] = ["id", "text", "url", "platform", "author", "posted_at"];
/// Columns a claims file must have.
pub const CLAIM_COLUMNS: [&str; 7] = [
    "key",
    "verdict",
    "claim_en",
    "claim_es",
    "counter_en",
    "counter_es",
    "source",
];
/// Longest post text accepted (characters).
pub const MAX_TEXT: usize = 10_000;
/// Longest id, URL, platform, author (characters).
pub const MAX_FIELD: usize = 2_000;
/// Most errors listed before the rest are counted only.
pub const MAX_LISTED: usize = 50;

/// One row of a file, whatever its format: line number and fields by column name.
struct Row {
    line: u64,
    fields: HashMap<String, String>,
}

fn is_json_lines(name: &str, bytes: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".jsonl")
        || lower.ends_with(".ndjson")
        || bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'{')
}

fn rows(name: &str, bytes: &[u8], required: &[&str]) -> Result<Vec<Row>, DisinfoError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| DisinfoError::Invalid(format!("{name}: not UTF-8 ({e})")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut errors = Vec::new();
    if is_json_lines(name, bytes) {
        for (i, line) in text.lines().enumerate() {
            let line_no = i as u64 + 1;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line) {
                Ok(obj) => {
                    let mut fields = HashMap::new();
                    for (k, v) in obj {
                        let s = match v {
                            serde_json::Value::Null => String::new(),
                            serde_json::Value::String(s) => s,
                            other => other.to_string(),
                        };
                        fields.insert(k, s);
                    }
                    let missing: Vec<&str> = required
                        .iter()
                        .filter(|c| !fields.contains_key(**c))
                        .copied()
                        .collect();
                    if missing.is_empty() {
                        out.push(Row {
                            line: line_no,
                            fields,
                        });
                    } else {
                        errors.push(LineError {
                            line: line_no,
                            reason: format!("missing {}", missing.join(", ")),
                        });
                    }
                }
                Err(e) => errors.push(LineError {
                    line: line_no,
                    reason: format!("not a JSON object: {e}"),
                }),
            }
        }
    } else {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| DisinfoError::Invalid(format!("{name}: line 1: {e}")))?
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        let missing: Vec<&str> = required
            .iter()
            .filter(|c| !headers.iter().any(|h| h == *c))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(DisinfoError::Invalid(format!(
                "{name}: line 1: missing column(s) {} (need {})",
                missing.join(", "),
                required.join(",")
            )));
        }
        for rec in reader.records() {
            match rec {
                Ok(r) => {
                    let line = r.position().map_or(0, |p| p.line());
                    let fields = headers
                        .iter()
                        .cloned()
                        .zip(r.iter().map(String::from))
                        .collect();
                    out.push(Row { line, fields });
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    errors.push(LineError {
                        line,
                        reason: e.to_string(),
                    });
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(DisinfoError::Rejected {
            file: name.to_string(),
            errors,
        })
    }
}

fn field<'a>(r: &'a Row, name: &str) -> &'a str {
    r.fields.get(name).map_or("", |s| s.trim())
}

/// Reads a posts file (all or nothing).
pub fn read_posts(name: &str, bytes: &[u8]) -> Result<Vec<Post>, DisinfoError> {
    let rows = rows(name, bytes, &POST_COLUMNS)?;
    let mut errors = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut posts = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut bad = |reason: String| {
            errors.push(LineError {
                line: r.line,
                reason,
            })
        };
        let id = field(r, "id");
        let text = r.fields.get("text").map_or("", String::as_str);
        let url = field(r, "url");
        let posted = field(r, "posted_at");
        if id.is_empty() {
            bad("id is empty".into());
            continue;
        }
        if let Some(first) = seen.insert(id.to_string(), r.line) {
            bad(format!("id {id:?} repeats line {first}"));
            continue;
        }
        if text.trim().is_empty() && url.is_empty() {
            bad("neither text nor url".into());
            continue;
        }
        if text.chars().count() > MAX_TEXT {
            bad(format!("text longer than {MAX_TEXT} characters"));
            continue;
        }
        for c in ["id", "url", "platform", "author"] {
            if field(r, c).chars().count() > MAX_FIELD {
                bad(format!("{c} longer than {MAX_FIELD} characters"));
            }
        }
        let posted_at = match DateTime::parse_from_rfc3339(posted) {
            Ok(t) => t.with_timezone(&Utc),
            Err(e) => {
                bad(format!("posted_at {posted:?} is not RFC 3339 ({e})"));
                continue;
            }
        };
        let reach = match field(r, "reach") {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(n) if n >= 0 => Some(n),
                _ => {
                    bad(format!("reach {s:?} is not a whole number ≥ 0"));
                    continue;
                }
            },
        };
        posts.push(Post {
            source: sources::IMPORT.into(),
            source_id: id.to_string(),
            text: text.to_string(),
            stored_text: text.to_string(),
            url: url.to_string(),
            platform: field(r, "platform").to_lowercase(),
            author: field(r, "author").to_string(),
            posted_at,
            reach,
            incident_id: None,
            screenshot: None,
        });
    }
    if errors.is_empty() {
        Ok(posts)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(DisinfoError::Rejected {
            file: name.to_string(),
            errors,
        })
    }
}

/// Reads a claims file (all or nothing).
pub fn read_claims(name: &str, bytes: &[u8]) -> Result<Vec<NewClaim>, DisinfoError> {
    let rows = rows(name, bytes, &CLAIM_COLUMNS)?;
    let mut errors = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut out = Vec::new();
    for r in &rows {
        let key = field(r, "key");
        let mut reasons = Vec::new();
        if key.is_empty() {
            reasons.push("key is empty".to_string());
        } else if let Some(first) = seen.insert(key.to_string(), r.line) {
            reasons.push(format!("key {key:?} repeats line {first}"));
        }
        let verdict = Verdict::parse(field(r, "verdict"));
        if verdict.is_none() {
            reasons.push(format!(
                "verdict {:?} is not false, misleading, true or unverified",
                field(r, "verdict")
            ));
        }
        if field(r, "claim_en").is_empty() && field(r, "claim_es").is_empty() {
            reasons.push("the claim is empty in both languages".into());
        }
        for c in CLAIM_COLUMNS {
            if field(r, c).chars().count() > MAX_FIELD {
                reasons.push(format!("{c} longer than {MAX_FIELD} characters"));
            }
        }
        match (reasons.is_empty(), verdict) {
            (true, Some(verdict)) => out.push(NewClaim {
                key: key.to_string(),
                verdict,
                claim_en: field(r, "claim_en").to_string(),
                claim_es: field(r, "claim_es").to_string(),
                counter_en: field(r, "counter_en").to_string(),
                counter_es: field(r, "counter_es").to_string(),
                source: field(r, "source").to_string(),
            }),
            _ => errors.push(LineError {
                line: r.line,
                reason: reasons.join("; "),
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(DisinfoError::Rejected {
            file: name.to_string(),
            errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_json_lines_read_alike() {
        let csv = "id,text,url,platform,author,posted_at,reach\n\
                   1,\"polls moved, share\",https://x/1,X,@a,2026-11-03T10:00:00Z,5\n\
                   2,\"multi\nline\",,tiktok,b,2026-11-03T10:00:00-05:00,\n";
        let posts = read_posts("a.csv", csv.as_bytes()).unwrap();
        assert_eq!(posts.len(), 2);
        assert_eq!(posts[0].platform, "x");
        assert_eq!(posts[0].reach, Some(5));
        assert_eq!(posts[1].text, "multi\nline");
        assert_eq!(posts[1].posted_at.to_rfc3339(), "2026-11-03T15:00:00+00:00");
        let jsonl = "{\"id\":\"1\",\"text\":\"polls moved, share\",\"url\":\"https://x/1\",\"platform\":\"X\",\"author\":\"@a\",\"posted_at\":\"2026-11-03T10:00:00Z\",\"reach\":5}\n";
        let j = read_posts("a.jsonl", jsonl.as_bytes()).unwrap();
        assert_eq!(j[0], posts[0]);
    }

    #[test]
    fn bad_rows_reject_the_file_with_line_numbers() {
        let csv = "id,text,url,platform,author,posted_at\n\
                   1,ok,,x,a,2026-11-03T10:00:00Z\n\
                   2,bad time,,x,a,yesterday\n\
                   1,again,,x,a,2026-11-03T10:00:00Z\n\
                   ,no id,,x,a,2026-11-03T10:00:00Z\n";
        match read_posts("a.csv", csv.as_bytes()) {
            Err(DisinfoError::Rejected { errors, .. }) => {
                let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
                assert_eq!(lines, vec![3, 4, 5], "{errors:?}");
                assert!(errors[1].reason.contains("repeats line 2"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            read_posts("a.csv", b"id,text\n1,x\n"),
            Err(DisinfoError::Invalid(m)) if m.contains("missing column")
        ));
        match read_posts("a.jsonl", b"{\"id\":\"1\"}\nnot json\n") {
            Err(DisinfoError::Rejected { errors, .. }) => {
                assert_eq!(
                    errors.iter().map(|e| e.line).collect::<Vec<_>>(),
                    vec![1, 2]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn claims_need_a_known_verdict_and_a_unique_key() {
        let csv = "key,verdict,claim_en,claim_es,counter_en,counter_es,source\n\
                   a,false,Polls moved,Casillas movidas,No,No,Board\n\
                   a,fake,x,y,z,w,s\n";
        match read_claims("c.csv", csv.as_bytes()) {
            Err(DisinfoError::Rejected { errors, .. }) => {
                assert_eq!(errors.len(), 1);
                assert_eq!(errors[0].line, 3);
                assert!(errors[0].reason.contains("repeats") && errors[0].reason.contains("fake"));
            }
            other => panic!("{other:?}"),
        }
    }
}
