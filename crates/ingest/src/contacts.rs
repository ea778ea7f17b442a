//! Importing contact history exported from canvassing, calling and texting tools. A
//! *contact mapping* (TOML, like the voter layouts; built in: `van-canvass`,
//! `spoke-texts`) says which column holds the source event id, the voter, the channel,
//! the time, the canvasser, the result code, the tags and each survey answer, and may
//! define the organization's survey questions. A file is all-or-nothing: any row that
//! cannot be read, or whose voter is not in the voter file, goes to the rejects file with
//! its line and reason and nothing is written. Events are keyed on (source, source event
//! id), so a second import of the same file changes nothing.

use crate::IngestError;
use crate::layout::{FieldSpec, Layout, LayoutKind};
use crate::progress::Progress;
use crate::rejects::{Reject, RejectWriter};
use crate::rows::{Fields, RowChunks, spawn_reader_until_end};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use votebase_domain::contacts::{
    ContactChannel, ContactEvent, ContactResult, QuestionKind, SurveyQuestion, normalise_tag,
};
use votebase_store::Store;
use votebase_store::contacts::{ContactBatch, ContactImportOutcome, StagedContact};

/// Built-in contact mappings: (name, TOML text).
pub const BUILT_IN_MAPPINGS: &[(&str, &str)] = &[
    ("van-canvass", include_str!("../layouts/van-canvass.toml")),
    ("spoke-texts", include_str!("../layouts/spoke-texts.toml")),
];

/// Fields a contact mapping may map under `[fields]`.
pub const CONTACT_FIELDS: &[&str] = &[
    "source_event_id",
    "state_voter_id",
    "channel",
    "contacted_at",
    "canvasser",
    "result",
    "tags",
    "reply",
];

/// A question defined by a mapping (`[questions.KEY]`): a scale or a list of choices.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionSpec {
    /// The question as asked.
    pub text: String,
    /// Choices, in order (a choice question).
    #[serde(default)]
    pub choices: Vec<String>,
    /// Lowest answer (a scale question).
    pub min: Option<i64>,
    /// Highest answer (a scale question).
    pub max: Option<i64>,
}

/// A contact mapping, as written in TOML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactMapping {
    /// Short name.
    pub name: String,
    /// One line for people.
    #[serde(default)]
    pub description: String,
    /// The system the file comes from (`van`, `spoke`…): with the source event id it
    /// identifies an event.
    pub source: String,
    /// Field delimiter, one character.
    #[serde(default = "comma")]
    pub delimiter: String,
    /// chrono formats for the contact time, tried in order (date-time formats, then
    /// date-only ones, which mean midnight).
    #[serde(default = "default_time_formats")]
    pub time_formats: Vec<String>,
    /// The channel of every row when the file has no channel column (`text` for a
    /// texting tool's export).
    #[serde(default)]
    pub channel: Option<String>,
    /// Characters that separate several tags in the tags column.
    #[serde(default = "default_tag_separators")]
    pub tag_separators: String,
    /// Extra result spellings of this tool (its text, lower case) to result codes.
    #[serde(default)]
    pub results: BTreeMap<String, String>,
    /// Mapped fields a file may lack.
    #[serde(default)]
    pub optional_fields: Vec<String>,
    /// Field name to source column(s).
    pub fields: BTreeMap<String, FieldSpec>,
    /// Survey question key to the column holding its answer.
    #[serde(default)]
    pub surveys: BTreeMap<String, FieldSpec>,
    /// Survey questions this file's tool defines (stored for the organization on import).
    #[serde(default)]
    pub questions: BTreeMap<String, QuestionSpec>,
}

fn comma() -> String {
    ",".into()
}

fn default_time_formats() -> Vec<String> {
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
        "%m/%d/%Y %I:%M %p",
        "%Y-%m-%d",
        "%m/%d/%Y",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn default_tag_separators() -> String {
    ";|".into()
}

/// Prefix of survey fields in the bound layout.
const SURVEY_PREFIX: &str = "survey:";

impl ContactMapping {
    /// A built-in mapping by name, or a mapping file by path.
    pub fn load(name_or_path: &str) -> Result<Self, IngestError> {
        Self::parse(
            &crate::layout::built_in_or_file(name_or_path, BUILT_IN_MAPPINGS)?,
            name_or_path,
        )
    }

    /// Parses and checks a mapping's TOML text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, IngestError> {
        let err = |offset: usize, message: String| {
            crate::layout::toml_error(text, origin, offset, message)
        };
        let m: ContactMapping = crate::layout::from_toml(text, origin)?;
        crate::layout::check_mapping_delimiter(text, origin, &m.delimiter)?;
        let at = |key: &str| text.find(key).unwrap_or(0);
        if m.source.trim().is_empty() {
            return Err(err(
                at("source"),
                "source must name the tool (van, spoke…)".into(),
            ));
        }
        for name in m.fields.keys().chain(m.optional_fields.iter()) {
            if !CONTACT_FIELDS.contains(&name.as_str()) && !m.surveys.contains_key(name) {
                return Err(err(
                    at(name),
                    format!(
                        "unknown contact field {name:?}; known fields: {}",
                        CONTACT_FIELDS.join(", ")
                    ),
                ));
            }
        }
        for r in ["source_event_id", "state_voter_id", "contacted_at"] {
            if !m.fields.contains_key(r) {
                return Err(err(at("[fields]"), format!("field {r:?} must be mapped")));
            }
        }
        if !m.fields.contains_key("result") && m.surveys.is_empty() {
            return Err(err(
                at("[fields]"),
                "map `result` (or at least one survey answer)".into(),
            ));
        }
        match &m.channel {
            Some(c) if ContactChannel::parse(c).is_none() => {
                return Err(err(
                    at("channel"),
                    format!("channel {c:?} is not door, phone, text or ad"),
                ));
            }
            None if !m.fields.contains_key("channel") => {
                return Err(err(at("[fields]"), "map `channel`, or set `channel = \"text\"` (door, phone, text, ad) for the whole file".into()));
            }
            _ => {}
        }
        for (spelling, code) in &m.results {
            if ContactResult::from_code(code).is_none() {
                return Err(err(
                    at(spelling),
                    format!(
                        "result {spelling:?} maps to {code:?}; use one of {}",
                        ContactResult::ALL.map(|r| r.code()).join(", ")
                    ),
                ));
            }
        }
        for (key, q) in &m.questions {
            if !SurveyQuestion::valid_key(key) {
                return Err(err(
                    at(key),
                    format!("question key {key:?}: use [a-z][a-z0-9_-]*"),
                ));
            }
            let full_scale = q.min.is_some() && q.max.is_some();
            let partial_scale = q.min.is_some() != q.max.is_some();
            if partial_scale || full_scale != q.choices.is_empty() {
                return Err(err(
                    at(key),
                    format!("question {key}: give either `choices` or both `min` and `max`"),
                ));
            }
        }
        for key in m.surveys.keys() {
            if !SurveyQuestion::valid_key(key) {
                return Err(err(
                    at(key),
                    format!("survey key {key:?}: use [a-z][a-z0-9_-]*"),
                ));
            }
        }
        Ok(m)
    }

    /// The questions this mapping defines.
    pub fn defined_questions(&self) -> Vec<SurveyQuestion> {
        self.questions
            .iter()
            .map(|(key, q)| SurveyQuestion {
                key: key.clone(),
                text: q.text.clone(),
                kind: match (q.min, q.max) {
                    (Some(min), Some(max)) => QuestionKind::Scale { min, max },
                    _ => QuestionKind::Choice {
                        choices: q.choices.clone(),
                    },
                },
            })
            .collect()
    }

    /// The row-reading layout of this mapping (survey columns as `survey:KEY` fields).
    fn layout(&self) -> Layout {
        let mut fields = self.fields.clone();
        for (key, spec) in &self.surveys {
            fields.insert(format!("{SURVEY_PREFIX}{key}"), spec.clone());
        }
        let optional_fields = self
            .optional_fields
            .iter()
            .map(|f| {
                if self.surveys.contains_key(f) {
                    format!("{SURVEY_PREFIX}{f}")
                } else {
                    f.clone()
                }
            })
            .collect();
        Layout {
            name: self.name.clone(),
            description: self.description.clone(),
            kind: LayoutKind::Contacts,
            delimiter: self.delimiter.clone(),
            quoting: true,
            encoding: Default::default(),
            header: true,
            columns: Vec::new(),
            state: String::new(),
            date_formats: Vec::new(),
            keep_extra: false,
            drop_columns: Vec::new(),
            optional_fields,
            fields,
            codes: Default::default(),
        }
    }
}

/// Everything a row needs to be read: the mapping and the organization's questions.
pub struct ContactReader {
    mapping: ContactMapping,
    questions: BTreeMap<String, SurveyQuestion>,
    default_channel: Option<ContactChannel>,
}

impl ContactReader {
    /// A reader for `mapping`, with the organization's stored `questions` (the mapping's
    /// own definitions win). Fails when a survey column names an undefined question.
    pub fn new(mapping: ContactMapping, stored: Vec<SurveyQuestion>) -> Result<Self, String> {
        let mut questions: BTreeMap<String, SurveyQuestion> =
            stored.into_iter().map(|q| (q.key.clone(), q)).collect();
        for q in mapping.defined_questions() {
            questions.insert(q.key.clone(), q);
        }
        for key in mapping.surveys.keys() {
            if !questions.contains_key(key) {
                return Err(format!(
                    "mapping {}: survey {key:?} is not a question of this organization (known: {}); define it under [questions.{key}]",
                    mapping.name,
                    questions.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        let default_channel = mapping.channel.as_deref().and_then(ContactChannel::parse);
        Ok(Self {
            mapping,
            questions,
            default_channel,
        })
    }

    fn parse_time(&self, raw: &str) -> Option<NaiveDateTime> {
        for f in &self.mapping.time_formats {
            if let Ok(t) = NaiveDateTime::parse_from_str(raw, f) {
                return Some(t);
            }
            if let Ok(d) = NaiveDate::parse_from_str(raw, f) {
                return d.and_hms_opt(0, 0, 0);
            }
        }
        None
    }

    /// Converts one row into an event, or a reject saying why not.
    pub fn convert(&self, fields: &Fields<'_>) -> Result<ContactEvent, Reject> {
        let source_event_id = fields.raw("source_event_id").trim().to_string();
        if source_event_id.is_empty() {
            return Err(fields.reject("source_event_id", "no source event id: every row needs its tool's id, so that a second import changes nothing".into()));
        }
        let state_voter_id = fields.clean("state_voter_id");
        if state_voter_id.is_empty() {
            return Err(fields.reject("state_voter_id", "no voter id".into()));
        }
        let channel_raw = fields.raw("channel");
        let channel = if channel_raw.is_empty() {
            self.default_channel.ok_or_else(|| {
                fields.reject("channel", "no channel (door, phone, text or ad)".into())
            })?
        } else {
            ContactChannel::parse(&channel_raw).ok_or_else(|| {
                fields.reject(
                    "channel",
                    format!("channel {channel_raw:?} is not door, phone, text or ad (nor a known spelling such as Walk, Phone, SMS)"),
                )
            })?
        };
        let time_raw = fields.raw("contacted_at");
        let contacted_at = self.parse_time(&time_raw).ok_or_else(|| {
            fields.reject(
                "contacted_at",
                format!(
                    "contact time {time_raw:?} matches none of the formats {}",
                    self.mapping.time_formats.join(", ")
                ),
            )
        })?;
        let mut answers = Vec::new();
        for key in self.mapping.surveys.keys() {
            let field = format!("{SURVEY_PREFIX}{key}");
            let raw = fields.raw(&field);
            if raw.is_empty() {
                continue;
            }
            answers.push(
                self.questions[key]
                    .answer(&raw)
                    .map_err(|e| fields.reject(&field, e))?,
            );
        }
        let result_raw = fields.raw("result");
        let result = if result_raw.is_empty() {
            if answers.is_empty() {
                return Err(fields.reject("result", "no result code and no survey answer".into()));
            }
            ContactResult::Reached
        } else {
            self.mapping
                .results
                .get(&result_raw.to_lowercase())
                .and_then(|c| ContactResult::from_code(c))
                .or_else(|| ContactResult::parse(&result_raw))
                .ok_or_else(|| {
                    fields.reject(
                        "result",
                        format!(
                            "result {result_raw:?} is unknown: use one of {} or map it under [results]",
                            ContactResult::ALL.map(|r| r.code()).join(", ")
                        ),
                    )
                })?
        };
        // A texting reply that asks to stop (STOP, ALTO, PARAR, CANCELAR…) is an opt-out
        // whatever the tool's status says; the store then suppresses the voter.
        let result = if votebase_domain::exchange::is_opt_out_reply(&fields.raw("reply")) {
            ContactResult::OptedOut
        } else {
            result
        };
        let mut tags: Vec<String> = fields
            .raw("tags")
            .split(|c: char| self.mapping.tag_separators.contains(c))
            .map(normalise_tag)
            .filter(|t| !t.is_empty())
            .collect();
        tags.sort();
        tags.dedup();
        Ok(ContactEvent {
            source: self.mapping.source.clone(),
            source_event_id,
            state_voter_id,
            channel,
            contacted_at,
            canvasser: fields.raw("canvasser").trim().to_string(),
            result,
            answers,
            tags,
        })
    }
}

/// What a contacts import did.
#[derive(Debug, Clone)]
pub struct ContactReport {
    /// Data rows read.
    pub read: u64,
    /// Rows rejected (unreadable, or voter not in the voter file).
    pub rejected: u64,
    /// True when the file was written; false when any row was rejected (nothing written).
    pub committed: bool,
    /// What the store did (zeros when nothing was written).
    pub outcome: ContactImportOutcome,
    /// Where rejects went.
    pub rejects_path: PathBuf,
    /// Survey questions the mapping defined (stored when committed).
    pub questions_defined: usize,
    /// Wall time.
    pub seconds: f64,
}

/// Imports one contacts file in one transaction, all-or-nothing.
pub async fn import_contacts_file(
    store: &dyn Store,
    path: &Path,
    mapping: ContactMapping,
    rejects_path: Option<PathBuf>,
    progress: Arc<dyn Progress>,
) -> Result<ContactReport, IngestError> {
    let started = Instant::now();
    let rejects_path = rejects_path.unwrap_or_else(|| RejectWriter::default_path(path));
    let _ = std::fs::remove_file(&rejects_path);
    let defined = mapping.defined_questions();
    let layout = mapping.layout();
    let reader = Arc::new(
        ContactReader::new(mapping, store.survey_questions().await?).map_err(|message| {
            IngestError::Layout {
                file: layout.name.clone(),
                line: 1,
                column: 1,
                message,
            }
        })?,
    );
    let chunks = RowChunks::open(path, &layout)?;
    progress.start(chunks.plain_size);
    let (tx, rx) = mpsc::channel::<ContactBatch>(2);
    let reject_file = rejects_path.clone();
    let reader_progress = progress.clone();
    let reading = spawn_reader_until_end(
        chunks,
        reject_file,
        reader_progress,
        move |fields| {
            Ok(StagedContact {
                line: fields.line,
                event: reader.convert(fields)?,
            })
        },
        tx,
        votebase_store::Batch::Rows,
        votebase_store::Batch::Abort,
        || votebase_store::Batch::End,
        true,
    );
    let stored = store.import_contacts(rx).await;
    let (read, mut rejects) = reading
        .await
        .map_err(|e| IngestError::Internal(format!("reader thread: {e}")))??;
    let outcome = match stored {
        Ok(o) => o,
        Err(votebase_store::StoreError::Aborted(_)) if rejects.count() > 0 => {
            ContactImportOutcome::default()
        }
        Err(e) => return Err(e.into()),
    };
    for u in &outcome.unknown_voters {
        rejects.write(&Reject {
            line: u.line,
            column: "state_voter_id".into(),
            reason: format!(
                "voter {} is not in the voter file (import the voter file first, or fix the id)",
                u.state_voter_id
            ),
            raw: String::new(),
        })?;
    }
    let rejected = rejects.finish()?;
    let committed = rejected == 0;
    if committed {
        for q in &defined {
            store.put_survey_question(q).await?;
        }
    }
    progress.finishing(if committed { "committed" } else { "rejected" });
    Ok(ContactReport {
        read,
        rejected,
        committed,
        outcome: if committed {
            outcome
        } else {
            ContactImportOutcome::default()
        },
        rejects_path,
        questions_defined: defined.len(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_mappings_parse() {
        for (name, _) in BUILT_IN_MAPPINGS {
            let m = ContactMapping::load(name).unwrap();
            assert_eq!(&m.name, name);
        }
    }

    #[test]
    fn mapping_errors_point_at_the_line() {
        let text = "name = \"x\"\nsource = \"van\"\nchannel = \"fax\"\n[fields]\nsource_event_id = \"id\"\nstate_voter_id = \"v\"\ncontacted_at = \"t\"\nresult = \"r\"\n";
        let e = ContactMapping::parse(text, "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("layout x.toml:3:1:"), "{e}");
        assert!(e.contains("fax"), "{e}");
        let e = ContactMapping::parse("name = \"x\"\nsource = \"van\"\nchannel = \"door\"\n[fields]\nstate_voter_id = \"v\"\n", "x.toml").unwrap_err().to_string();
        assert!(e.contains("source_event_id"), "{e}");
    }

    #[test]
    fn surveys_need_defined_questions() {
        let mut m = ContactMapping::load("van-canvass").unwrap();
        m.surveys
            .insert("turnout_plan".into(), FieldSpec::Column("Plan".into()));
        let e = ContactReader::new(m, vec![SurveyQuestion::support()])
            .err()
            .unwrap();
        assert!(
            e.contains("turnout_plan") && e.contains("[questions.turnout_plan]"),
            "{e}"
        );
    }
}
