//! The run: prepare the joint view, build the blocks, estimate u from random pairs, train m by EM
//! per blocking rule, then score every candidate pair once (deterministic rules first, then the
//! model), stream the pairs at or above the threshold to a [`PairSink`], and cluster them. Work is
//! split over all cores with rayon in bounded batches, so memory does not grow with pair count.

use crate::blocking::{Keys, RuleBlocks};
use crate::clusters::{Clusters, UnionFind};
use crate::comparisons::{Comparison, Gamma, MAX_COMPARISONS};
use crate::config::{BlockingRule, LinkConfig};
use crate::dataset::{Dataset, F_FIRST, F_LAST, Row};
use crate::early::Bounded;
use crate::error::{LinkError, UserError};
use crate::model::{self, Model};
use crate::prepare::Prepared;
use rayon::prelude::*;
use std::fmt;
use std::time::Instant;

/// A stage of a run, for progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Building the joint vocabulary and features.
    Prepare,
    /// Computing blocking keys and blocks.
    Blocking,
    /// Estimating u from random pairs.
    EstimateU,
    /// EM sessions (total = number of sessions).
    Train,
    /// Scoring candidate pairs (total = candidate pairs).
    Score,
}

/// Progress hook (attach progress bars here). Calls come from the calling thread.
pub trait Progress: Sync {
    /// A stage starts; `total` is its amount of work in its own unit (0 if unknown).
    fn stage(&self, _stage: Stage, _total: u64) {}
    /// `n` more units of the current stage are done.
    fn advance(&self, _n: u64) {}
}

/// A progress hook that does nothing.
pub struct NoProgress;
impl Progress for NoProgress {}

/// A scored candidate pair.
#[derive(Debug, Clone)]
pub struct ScoredPair {
    /// Index of the record in the first dataset.
    pub a: u32,
    /// Index of the record in the second dataset (the same dataset when deduplicating; a < b).
    pub b: u32,
    /// Match probability (1.0 for deterministic matches).
    pub probability: f64,
    /// Match weight in bits (prior log-odds plus contributions).
    pub weight: f64,
    /// The deterministic rule that matched, if any.
    pub rule: Option<&'static str>,
    /// Level per comparison (see [`Model::comparisons`] and [`Comparison::levels`]).
    pub levels: Gamma,
    /// Contribution of each comparison in bits.
    pub contributions: [f32; MAX_COMPARISONS],
}

/// What a sink needs to print a pair.
pub struct PairContext<'a> {
    /// The first dataset.
    pub a: &'a Dataset,
    /// The second dataset (the first again when deduplicating).
    pub b: &'a Dataset,
    /// The trained model.
    pub model: &'a Model,
}

/// Receives pairs as they are scored.
pub trait PairSink {
    /// One pair at or above the threshold (or a deterministic match).
    fn pair(&mut self, pair: &ScoredPair, ctx: &PairContext<'_>) -> Result<(), LinkError>;
    /// Called once at the end.
    fn finish(&mut self) -> Result<(), LinkError> {
        Ok(())
    }
}

/// A sink that keeps `(a, b, probability)` of every pair (for tests and evaluation).
#[derive(Debug, Default)]
pub struct CollectPairs(pub Vec<(u32, u32, f64)>);

impl PairSink for CollectPairs {
    fn pair(&mut self, p: &ScoredPair, _: &PairContext<'_>) -> Result<(), LinkError> {
        self.0.push((p.a, p.b, p.probability));
        Ok(())
    }
}

/// What one blocking rule did.
#[derive(Debug, Clone)]
pub struct RuleReport {
    /// Rule name.
    pub name: String,
    /// Pairs in its kept blocks.
    pub pairs_in_blocks: u64,
    /// Of those, pairs already produced by an earlier rule (not compared again).
    pub duplicates: u64,
    /// Pairs this rule added (compared).
    pub new_pairs: u64,
    /// Blocks skipped for exceeding `max_block_pairs`, and their pairs.
    pub skipped_blocks: u64,
    /// Pairs in skipped blocks.
    pub skipped_pairs: u64,
    /// Largest kept block, in pairs.
    pub largest_block: u64,
    /// Whether the rule was skipped whole for exceeding `max_rule_pairs`.
    pub skipped_rule: bool,
}

/// The result of a run besides the streamed pairs.
#[derive(Debug, Clone)]
pub struct LinkReport {
    /// Records in the first and second dataset (second = 0 when deduplicating).
    pub records: (usize, usize),
    /// Per blocking rule.
    pub rules: Vec<RuleReport>,
    /// Candidate pairs compared.
    pub pairs_compared: u64,
    /// Pairs written to the sink.
    pub pairs_written: u64,
    /// Of those, matched by a deterministic rule.
    pub deterministic_matches: u64,
    /// Pairs held back by the household guard (first name and birth date both disagree) that
    /// would otherwise have reached the threshold.
    pub household_guarded: u64,
    /// Random pairs used for u.
    pub u_pairs: u64,
    /// Warnings for the user (skipped rules and blocks, missing columns).
    pub warnings: Vec<String>,
    /// Seconds per stage.
    pub seconds: Vec<(&'static str, f64)>,
}

impl fmt::Display for LinkReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "records: {} + {}", self.records.0, self.records.1)?;
        writeln!(
            f,
            "{:<42} {:>12} {:>12} {:>12} {:>8}",
            "blocking rule", "in blocks", "duplicates", "compared", "skipped"
        )?;
        for r in &self.rules {
            let skipped = if r.skipped_rule {
                "RULE".to_string()
            } else {
                r.skipped_blocks.to_string()
            };
            writeln!(
                f,
                "{:<42} {:>12} {:>12} {:>12} {:>8}",
                r.name, r.pairs_in_blocks, r.duplicates, r.new_pairs, skipped
            )?;
        }
        writeln!(
            f,
            "pairs compared: {}, written: {} ({} deterministic), held back by household guard: {}",
            self.pairs_compared,
            self.pairs_written,
            self.deterministic_matches,
            self.household_guarded
        )?;
        for (s, t) in &self.seconds {
            write!(f, "{s}: {t:.2}s  ")?;
        }
        writeln!(f)?;
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        Ok(())
    }
}

/// Everything a run returns besides the streamed pairs.
#[derive(Debug, Clone)]
pub struct LinkOutcome {
    /// Counts per rule and totals.
    pub report: LinkReport,
    /// Connected components of the written pairs.
    pub clusters: Clusters,
    /// The trained model (m, u, prior), for display.
    pub model: Model,
}

/// Finds duplicates within one dataset.
pub fn dedupe(
    data: &Dataset,
    config: &LinkConfig,
    sink: &mut dyn PairSink,
    progress: &dyn Progress,
) -> Result<LinkOutcome, LinkError> {
    config.validate()?;
    let t = Instant::now();
    progress.stage(Stage::Prepare, 0);
    let p = Prepared::dedupe(data);
    run(p, data, data, config, sink, progress, t)
}

/// Links two datasets (e.g. a contact list to the voter file): pairs are (a record, b record).
pub fn link(
    a: &Dataset,
    b: &Dataset,
    config: &LinkConfig,
    sink: &mut dyn PairSink,
    progress: &dyn Progress,
) -> Result<LinkOutcome, LinkError> {
    config.validate()?;
    let t = Instant::now();
    progress.stage(Stage::Prepare, 0);
    let p = Prepared::link(a, b);
    run(p, a, b, config, sink, progress, t)
}

fn corroborated(g: &Gamma, idx: &Idx) -> bool {
    let ok = |k: Option<usize>, bad: u8| k.is_some_and(|k| g[k] != 0 && g[k] < bad);
    ok(idx.first, 8) || ok(idx.last, 7) || idx.dob.is_some_and(|k| matches!(g[k], 1..=5))
}

struct Idx {
    first: Option<usize>,
    last: Option<usize>,
    dob: Option<usize>,
    id: Option<usize>,
    email: Option<usize>,
    phone: Option<usize>,
}

fn deterministic(cfg: &LinkConfig, g: &Gamma, idx: &Idx, x: &Row, y: &Row) -> Option<&'static str> {
    let d = &cfg.deterministic;
    let exact = |k: Option<usize>| k.is_some_and(|k| g[k] == 1);
    if d.voter_id && exact(idx.id) && corroborated(g, idx) {
        return Some("voter_id");
    }
    if d.email && exact(idx.email) && corroborated(g, idx) {
        return Some("email");
    }
    if d.phone_last_name
        && exact(idx.phone)
        && x[F_LAST] != 0
        && x[F_LAST] == y[F_LAST]
        && (x[F_FIRST] == 0 || y[F_FIRST] == 0 || idx.first.is_some_and(|k| g[k] != 8))
    {
        return Some("phone+last_name");
    }
    None
}

#[derive(Default)]
struct BatchOut {
    pairs: Vec<ScoredPair>,
    compared: u64,
    duplicates: u64,
    guarded: u64,
}

/// The household guard: first names present and plainly different, with dates of birth not
/// agreeing exactly (or within one typo), means two people (typically relatives at one address sharing surname
/// and phone), however strongly the address agrees.
fn different_people(g: &Gamma, idx: &Idx) -> bool {
    idx.first.is_some_and(|k| g[k] == 8) && idx.dob.is_none_or(|k| !matches!(g[k], 1 | 2))
}

fn run(
    p: Prepared,
    a: &Dataset,
    b: &Dataset,
    config: &LinkConfig,
    sink: &mut dyn PairSink,
    progress: &dyn Progress,
    t0: Instant,
) -> Result<LinkOutcome, LinkError> {
    let mut seconds = Vec::new();
    let mut warnings = Vec::new();
    let mut lap = t0;
    let mut tick = |name: &'static str, seconds: &mut Vec<(&'static str, f64)>| {
        let now = Instant::now();
        seconds.push((name, (now - lap).as_secs_f64()));
        lap = now;
    };
    tick("prepare", &mut seconds);
    let comps: Vec<Comparison> = Comparison::ALL
        .into_iter()
        .filter(|c| c.fields().iter().any(|&f| p.field_present(f)))
        .collect();
    if comps.is_empty() {
        return Err(UserError::Config {
            path: None,
            message: "no comparable column has values in both datasets".into(),
        }
        .into());
    }
    let idx = Idx {
        first: comps.iter().position(|c| *c == Comparison::FirstName),
        last: comps.iter().position(|c| *c == Comparison::LastName),
        dob: comps.iter().position(|c| *c == Comparison::BirthDate),
        id: comps.iter().position(|c| *c == Comparison::VoterId),
        email: comps.iter().position(|c| *c == Comparison::Email),
        phone: comps.iter().position(|c| *c == Comparison::Phone),
    };
    // Blocking.
    let rules = config.effective_blocking();
    progress.stage(Stage::Blocking, rules.len() as u64);
    let usable: Vec<BlockingRule> = rules
        .iter()
        .filter(|r| r.keys.iter().all(|k| p.field_present(key_field(*k))))
        .cloned()
        .collect();
    let keys = Keys::build(&p, &usable);
    let blocks: Vec<RuleBlocks> = usable
        .iter()
        .enumerate()
        .map(|(r, rule)| {
            let rb = RuleBlocks::build(&p, &keys, r, rule, &config.limits);
            progress.advance(1);
            rb
        })
        .collect();
    for r in &rules {
        if !blocks.iter().any(|b| b.rule.name == r.name) {
            warnings.push(format!(
                "blocking rule `{}` skipped: a key column is empty on one side",
                r.name
            ));
        }
    }
    for rb in &blocks {
        if rb.skipped_rule {
            warnings.push(format!(
                "blocking rule `{}` skipped: {} pairs exceed max_rule_pairs = {}",
                rb.rule.name, rb.pairs, config.limits.max_rule_pairs
            ));
        } else if rb.skipped_blocks > 0 {
            warnings.push(format!(
                "blocking rule `{}`: {} blocks ({} pairs) skipped, larger than max_block_pairs = {}",
                rb.rule.name, rb.skipped_blocks, rb.skipped_pairs, config.limits.max_block_pairs
            ));
        }
    }
    tick("blocking", &mut seconds);
    // Training.
    let tr = &config.training;
    progress.stage(Stage::EstimateU, tr.u_sample_pairs);
    let u = model::estimate_u(&p, &comps, tr.u_sample_pairs, tr.seed);
    let u_pairs = tr.u_sample_pairs.min(model::total_pairs(&p));
    progress.advance(u_pairs);
    tick("estimate_u", &mut seconds);
    progress.stage(Stage::Train, blocks.len() as u64);
    let mut sessions = Vec::new();
    for rb in &blocks {
        if let Some(s) = model::em_session(
            &p,
            &comps,
            rb,
            &u,
            tr.em_sample_pairs,
            tr.em_iterations,
            tr.seed ^ 0xe5e5,
        ) {
            if s.degenerate(&comps, &u) {
                warnings.push(format!(
                    "EM on blocking rule `{}` did not separate matches from non-matches; its estimates are left out",
                    rb.rule.name
                ));
            } else {
                sessions.push((s, rb));
            }
        }
        progress.advance(1);
    }
    let model = model::combine(&p, &comps, u, &sessions, tr.term_frequency);
    drop(sessions);
    tick("train", &mut seconds);
    // Scoring.
    let total: u64 = blocks.iter().map(|b| b.pairs).sum();
    progress.stage(Stage::Score, total);
    let n_all = a.len() + if p.dedupe { 0 } else { b.len() };
    let mut uf = UnionFind::new(n_all);
    let offset = if p.dedupe { 0 } else { a.len() as u32 };
    let ctx = PairContext {
        a,
        b,
        model: &model,
    };
    let mut rule_reports = Vec::new();
    let (mut compared, mut written, mut det, mut guarded) = (0u64, 0u64, 0u64, 0u64);
    let threshold = config.threshold;
    let bounded = Bounded::new(&model, &p, config);
    for (r, rb) in blocks.iter().enumerate() {
        let earlier = &blocks[..r];
        let mut rep = RuleReport {
            name: rb.rule.name.clone(),
            pairs_in_blocks: rb.pairs,
            duplicates: 0,
            new_pairs: 0,
            skipped_blocks: rb.skipped_blocks,
            skipped_pairs: rb.skipped_pairs,
            largest_block: rb.largest_block,
            skipped_rule: rb.skipped_rule,
        };
        for batch in rb.batches(1 << 21) {
            let out = rb.spans[batch]
                .par_iter()
                .fold(BatchOut::default, |mut o, s| {
                    rb.for_each_pair(s, |i, j| {
                        let (ka, kb) = (keys.row_a(i), keys.row_b(j));
                        if earlier
                            .iter()
                            .zip(ka.iter().zip(kb))
                            .any(|(e, (&x, &y))| e.covers(x, y))
                        {
                            o.duplicates += 1;
                            return;
                        }
                        o.compared += 1;
                        let (x, y) = (&p.a[i as usize], &p.b[j as usize]);
                        let mut contrib = [0f32; MAX_COMPARISONS];
                        let Some((g, w)) = bounded.score(&model, &p, x, y, &mut contrib) else {
                            return;
                        };
                        let rule = deterministic(config, &g, &idx, x, y);
                        let mut prob = if rule.is_some() {
                            1.0
                        } else {
                            Model::probability(w)
                        };
                        if rule.is_none() && prob >= threshold && different_people(&g, &idx) {
                            o.guarded += 1;
                            prob = 0.0;
                        }
                        if prob >= threshold {
                            o.pairs.push(ScoredPair {
                                a: i,
                                b: j,
                                probability: prob,
                                weight: w,
                                rule,
                                levels: g,
                                contributions: contrib,
                            });
                        }
                    });
                    o
                })
                .reduce(BatchOut::default, |mut x, y| {
                    x.pairs.extend(y.pairs);
                    x.compared += y.compared;
                    x.duplicates += y.duplicates;
                    x.guarded += y.guarded;
                    x
                });
            let mut pairs = out.pairs;
            pairs.sort_unstable_by_key(|q| (q.a, q.b));
            for q in &pairs {
                sink.pair(q, &ctx)?;
                uf.union(q.a, q.b + offset);
                if q.rule.is_some() {
                    det += 1;
                }
            }
            written += pairs.len() as u64;
            rep.duplicates += out.duplicates;
            rep.new_pairs += out.compared;
            compared += out.compared;
            guarded += out.guarded;
            progress.advance(out.compared + out.duplicates);
        }
        rule_reports.push(rep);
    }
    sink.finish()?;
    tick("score", &mut seconds);
    let clusters = Clusters::from_union_find(uf, a.len());
    tick("cluster", &mut seconds);
    let report = LinkReport {
        records: (a.len(), if p.dedupe { 0 } else { b.len() }),
        rules: rule_reports,
        pairs_compared: compared,
        pairs_written: written,
        deterministic_matches: det,
        household_guarded: guarded,
        u_pairs,
        warnings,
        seconds,
    };
    Ok(LinkOutcome {
        report,
        clusters,
        model,
    })
}

fn key_field(k: crate::config::BlockKey) -> usize {
    use crate::config::BlockKey::*;
    use crate::dataset::*;
    match k {
        FirstName | FirstInitial | FirstNamePhonetic => F_FIRST,
        LastName | LastNamePhonetic | NamesUnordered => F_LAST,
        BirthDate => F_DOB,
        BirthYear => F_YEAR,
        HouseNumber => F_HOUSE,
        Street => F_STREET,
        City => F_CITY,
        Zip => F_ZIP5,
        Phone => F_PHONE,
        Email => F_EMAIL,
        VoterId => F_ID,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::PersonRecord;

    fn people() -> Vec<PersonRecord> {
        let firsts = [
            "james", "mary", "robert", "patricia", "john", "linda", "michael", "susan",
        ];
        let lasts = [
            "smith", "okafor", "nguyen", "garcia", "kowalski", "brown", "lee", "patel",
        ];
        let mut v = Vec::new();
        for i in 0..200usize {
            v.push(PersonRecord {
                record_id: format!("r{i}"),
                first_name: firsts[i % 8].into(),
                last_name: format!(
                    "{}{}",
                    lasts[(i / 8) % 8],
                    ["ton", "berg", "ski", "wood"][i / 64]
                ),
                birth_date: format!("19{:02}{:02}{:02}", 40 + i % 50, 1 + i % 12, 1 + i % 28),
                house_number: (10 + i).to_string(),
                street: format!("{} street", lasts[(i * 7) % 8]),
                zip: format!("{}", 27600 + i % 40),
                ..Default::default()
            });
        }
        v
    }

    #[test]
    fn finds_planted_duplicates() {
        let mut recs = people();
        let mut dup = recs[5].clone();
        dup.record_id = "d5".into();
        dup.first_name = recs[5].first_name.replace('a', "e");
        recs.push(dup);
        let mut dup = recs[10].clone();
        dup.record_id = "d10".into();
        dup.birth_date = "".into();
        recs.push(dup);
        let d = Dataset::from_records("t", recs).unwrap();
        let cfg = crate::infer_config(&[
            "id",
            "first",
            "last",
            "dob",
            "house_number",
            "street",
            "zip",
        ]);
        let mut sink = CollectPairs::default();
        let out = dedupe(&d, &cfg, &mut sink, &NoProgress).unwrap();
        let found: Vec<(u32, u32)> = sink.0.iter().map(|x| (x.0, x.1)).collect();
        assert!(
            found.contains(&(5, 200)),
            "{found:?}\n{}",
            out.model.describe()
        );
        assert!(found.contains(&(10, 201)), "{found:?}");
        assert!(found.len() <= 4, "{found:?}");
        assert!(out.clusters.same(5, 200));
        assert!(out.report.to_string().contains("last_name+birth_year"));
    }
}
