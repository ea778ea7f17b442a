//! Scores as use cases: [`train_score`] fits a score (logistic regression,
//! `votebase-score`) on the voters who answered a survey question (the target parsed by
//! [`parse_target`]) and stores the model; [`apply_score`] scores every voter of the
//! latest snapshot 0–100 into the store, so filters such as `support>=70` work.

use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};
use votebase_domain::contacts::{QuestionKind, SUPPORT_QUESTION};
use votebase_ingest::Progress;
use votebase_score::{Model, ScoreError, TrainOptions, VoterFacts, train};
use votebase_store::{Store, StoreError};

/// Why a score could not be trained or applied.
#[derive(Debug, thiserror::Error)]
pub enum ScoreUseError {
    /// The target, the score name or the data do not allow it (the message says why).
    #[error("{0}")]
    Invalid(String),
    /// No voter file is loaded.
    #[error("no voter file imported yet: `votebase import voters FILE`")]
    NoVoterFile,
    /// No model has that name.
    #[error(
        "no model named {0:?}: `votebase score train --target survey:support --name {0}` first"
    )]
    NoModel(String),
    /// Training or reading the model failed.
    #[error(transparent)]
    Score(#[from] ScoreError),
    /// The training task failed.
    #[error("training failed: {0}")]
    Task(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(message: String) -> ScoreUseError {
    ScoreUseError::Invalid(message)
}

fn number(text: &str, what: &str) -> Result<i64, ScoreUseError> {
    text.trim()
        .parse()
        .map_err(|e| invalid(format!("{what}: {e}")))
}

/// A parsed `--target`: the question and the answer values counted as positive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Question key.
    pub question: String,
    /// Lowest positive value.
    pub lo: i64,
    /// Highest positive value.
    pub hi: i64,
}

/// Parses `survey:KEY`, `survey:KEY=N` or `survey:KEY=LO..HI`.
pub fn parse_target(text: &str) -> Result<Target, ScoreUseError> {
    let Some(rest) = text.trim().strip_prefix("survey:") else {
        return Err(invalid(format!(
            "target {text:?}: use survey:QUESTION, survey:QUESTION=N or survey:QUESTION=LO..HI"
        )));
    };
    let (question, range) = match rest.split_once('=') {
        Some((q, r)) => (q.trim(), Some(r.trim())),
        None => (rest.trim(), None),
    };
    let (lo, hi) = match range {
        None if question == SUPPORT_QUESTION => (1, 2),
        None => {
            return Err(invalid(format!(
                "target {text:?}: say which answers count as positive, e.g. survey:{question}=1 or survey:{question}=1..2"
            )));
        }
        Some(r) => match r.split_once("..") {
            Some((a, b)) => (
                number(a, "target range start")?,
                number(b, "target range end")?,
            ),
            None => {
                let v = number(r, "target value")?;
                (v, v)
            }
        },
    };
    if lo > hi {
        return Err(invalid(format!("target {text:?}: empty range {lo}..{hi}")));
    }
    Ok(Target {
        question: question.to_string(),
        lo,
        hi,
    })
}

/// Each voter's vote history as (election, party ballot), for voters in `only` (all when None).
async fn histories(
    store: &dyn Store,
    only: Option<&HashSet<String>>,
) -> Result<HashMap<String, Vec<(NaiveDate, String)>>, ScoreUseError> {
    let mut out: HashMap<String, Vec<(NaiveDate, String)>> = HashMap::new();
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let export = store.export_vote_history(50_000, tx);
    let consume = async {
        while let Some(batch) = rx.recv().await {
            for h in batch {
                if only.is_some_and(|s| !s.contains(&h.state_voter_id)) {
                    continue;
                }
                out.entry(h.state_voter_id)
                    .or_default()
                    .push((h.election_date, h.voted_party.trim().to_ascii_uppercase()));
            }
        }
    };
    let (exported, ()) = tokio::join!(export, consume);
    exported?;
    Ok(out)
}

/// Streams the voters of the latest snapshot (those in `only`, or all) as scoring facts.
async fn for_each_voter(
    store: &dyn Store,
    only: Option<&HashSet<String>>,
    history: &HashMap<String, Vec<(NaiveDate, String)>>,
    progress: &dyn Progress,
    mut each: impl FnMut(VoterFacts),
) -> Result<(), ScoreUseError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let export = store.export_voters(20_000, tx);
    let consume = async {
        while let Some(batch) = rx.recv().await {
            progress.advance(batch.len() as u64, 0);
            for v in batch {
                if only.is_some_and(|s| !s.contains(&v.state_voter_id)) {
                    continue;
                }
                let mut f = VoterFacts::new(&v, &[]);
                f.votes = history.get(&v.state_voter_id).cloned().unwrap_or_default();
                each(f);
            }
        }
    };
    let (exported, ()) = tokio::join!(export, consume);
    exported?;
    Ok(())
}

/// The day ages are counted at: the latest snapshot's date (so retraining on the same
/// data gives the same model whatever the day).
pub async fn reference_date(store: &dyn Store) -> Result<NaiveDate, ScoreUseError> {
    store
        .latest_snapshot()
        .await?
        .map(|s| s.as_of)
        .ok_or(ScoreUseError::NoVoterFile)
}

/// The labelled voters of a target (each voter's latest answer), as scoring facts.
pub async fn examples(
    store: &dyn Store,
    target_text: &str,
    progress: &dyn Progress,
) -> Result<Vec<(VoterFacts, bool)>, ScoreUseError> {
    let target = parse_target(target_text)?;
    let questions = store.survey_questions().await?;
    let Some(q) = questions.iter().find(|q| q.key == target.question) else {
        return Err(invalid(format!(
            "no survey question {:?}; known: {}",
            target.question,
            questions
                .iter()
                .map(|q| q.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    if let QuestionKind::Scale { min, max } = q.kind
        && (target.hi < min || target.lo > max)
    {
        return Err(invalid(format!(
            "target {target_text:?}: question {} is answered {min}–{max}",
            q.key
        )));
    }
    let answers: HashMap<String, i64> = store
        .latest_answers(&target.question)
        .await?
        .into_iter()
        .collect();
    if answers.is_empty() {
        return Err(invalid(format!(
            "nobody has answered {:?} yet: import contacts with survey answers first (`votebase import contacts FILE`)",
            target.question
        )));
    }
    let labelled: HashSet<String> = answers.keys().cloned().collect();
    let history = histories(store, Some(&labelled)).await?;
    progress.start(None);
    let mut out = Vec::with_capacity(answers.len());
    for_each_voter(store, Some(&labelled), &history, progress, |f| {
        let v = answers[&f.state_voter_id];
        out.push((f, (target.lo..=target.hi).contains(&v)));
    })
    .await?;
    progress.finishing("fitting");
    Ok(out)
}

/// Trains and stores a score; returns the model.
pub async fn train_score(
    store: &dyn Store,
    target_text: &str,
    name: &str,
    seed: u64,
    alpha: f64,
    progress: &dyn Progress,
) -> Result<Model, ScoreUseError> {
    if !votebase_domain::contacts::SurveyQuestion::valid_key(name) {
        return Err(invalid(format!(
            "score name {name:?}: use lower-case letters, digits, `_` or `-`, starting with a letter"
        )));
    }
    let examples = examples(store, target_text, progress).await?;
    let target = parse_target(target_text)?;
    let options = TrainOptions {
        seed,
        alpha,
        reference_date: reference_date(store).await?,
    };
    let target_label = format!("survey:{} in {}..{}", target.question, target.lo, target.hi);
    let model = tokio::task::spawn_blocking({
        let name = name.to_string();
        move || train(&name, &target_label, &examples, options)
    })
    .await
    .map_err(|e| ScoreUseError::Task(e.to_string()))??
    .model;
    store.put_score_model(name, &model.to_json()).await?;
    Ok(model)
}

/// Scores every voter of the latest snapshot with the stored model; returns (voters, mean).
pub async fn apply_score(
    store: &dyn Store,
    name: &str,
    progress: &dyn Progress,
) -> Result<(usize, f64), ScoreUseError> {
    let stored = store
        .score_model(name)
        .await?
        .ok_or_else(|| ScoreUseError::NoModel(name.to_string()))?;
    let model = Model::from_json(&stored.model_json)?;
    let history = histories(store, None).await?;
    progress.start(None);
    let mut scores = Vec::new();
    for_each_voter(store, None, &history, progress, |f| {
        let s = model.score(&f);
        scores.push((f.state_voter_id, s));
    })
    .await?;
    progress.finishing("storing");
    store
        .replace_scores(name, &stored.model_json, &scores)
        .await?;
    let mean = scores.iter().map(|(_, s)| *s as f64).sum::<f64>() / scores.len().max(1) as f64;
    Ok((scores.len(), mean))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        let t = parse_target("survey:support").unwrap();
        assert_eq!((t.question.as_str(), t.lo, t.hi), ("support", 1, 2));
        let t = parse_target("survey:volunteer=1").unwrap();
        assert_eq!((t.lo, t.hi), (1, 1));
        let t = parse_target("survey:q=2..4").unwrap();
        assert_eq!((t.lo, t.hi), (2, 4));
        for bad in [
            "support",
            "tag:x",
            "survey:q",
            "survey:q=4..2",
            "survey:q=x",
        ] {
            assert!(
                matches!(parse_target(bad), Err(ScoreUseError::Invalid(_))),
                "{bad}"
            );
        }
    }
}
