//! `votebase score train|apply`: fits a score (logistic regression, `votebase-score`) on
//! the voters who answered a survey question, reports the AUC and a calibration table on
//! a held-out fifth and stores the model; `apply` scores every voter of the latest
//! snapshot 0–100 into the store, so filters such as `support>=70` work. The use cases
//! are `votebase_app::scores`; this module parses, audits and prints.

use crate::options::Global;
use crate::progress::Bar;
use crate::stores;
use crate::voters::cli_actor;
use chrono::Utc;
use clap::Subcommand;
use serde_json::json;
use std::time::Instant;
use votebase_app::scores::{apply_score, examples, reference_date, train_score};
use votebase_domain::AuditEntry;
use votebase_score::{Model, TrainOptions, train};

/// Score commands.
#[derive(Subcommand, Debug)]
pub enum ScoreCommand {
    /// Fit a score on the voters with a survey answer; report AUC and calibration on a
    /// held-out fifth; store the model.
    #[command(
        after_help = "Examples:\n  votebase score train --target survey:support --name support\n  votebase score train --target survey:volunteer=1 --name volunteer --seed 7 --json"
    )]
    Train {
        /// What to predict: `survey:support` (a supporter: 1 or 2 on the 1–5 scale),
        /// `survey:KEY=N` or `survey:KEY=LO..HI` (answer values counted as positive).
        #[arg(long)]
        target: String,
        /// Score name (what filters use: `NAME>=70`).
        #[arg(long)]
        name: String,
        /// Seed of the held-out split: the same seed and data give the same model.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// L2 penalty of the regression.
        #[arg(long, default_value_t = 1.0)]
        alpha: f64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Score every voter of the latest snapshot 0–100 with a stored model.
    #[command(after_help = "Example: votebase score apply --name support")]
    Apply {
        /// Score name given to `score train`.
        #[arg(long)]
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `votebase score …`.
pub async fn score(global: &Global, cmd: ScoreCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    match cmd {
        ScoreCommand::Train {
            target,
            name,
            seed,
            alpha,
            json,
        } => {
            let started = Instant::now();
            let progress = Bar::new("voters");
            let model = train_score(store.as_ref(), &target, &name, seed, alpha, &progress).await?;
            let seconds = started.elapsed().as_secs_f64();
            store
                .audit(&AuditEntry {
                    at: Utc::now(),
                    actor: cli_actor(),
                    action: "score.train".into(),
                    subject: name.clone(),
                    detail: format!("{target}, seed {seed}, AUC {:.3}", model.auc),
                })
                .await?;
            if json {
                println!(
                    "{}",
                    json!({"name": name, "target": model.target, "seed": seed, "auc": model.auc,
                        "trained_on": model.trained_on, "held_out": model.held_out,
                        "base_rate": model.base_rate, "calibration": model.calibration,
                        "top_weights": model.top_weights(10), "seconds": seconds})
                );
            } else {
                print_report(&model, seconds);
                println!("apply it with: votebase score apply --name {name}");
            }
        }
        ScoreCommand::Apply { name, json } => {
            let started = Instant::now();
            let (voters, mean) = apply_score(store.as_ref(), &name, &Bar::new("scoring")).await?;
            store
                .audit(&AuditEntry {
                    at: Utc::now(),
                    actor: cli_actor(),
                    action: "score.apply".into(),
                    subject: name.clone(),
                    detail: format!("{voters} voters scored"),
                })
                .await?;
            let seconds = started.elapsed().as_secs_f64();
            if json {
                println!(
                    "{}",
                    json!({"name": name, "voters": voters, "mean": mean, "seconds": seconds})
                );
            } else {
                println!(
                    "{name}: {voters} voters scored 0–100 (mean {mean:.1}) in {seconds:.1} s; filter with `{name}>=70`"
                );
            }
        }
    }
    Ok(())
}

fn print_report(model: &Model, seconds: f64) {
    println!(
        "{}: {} — trained on {} voters, held out {} (base rate {:.1}%), {:.1} s",
        model.name,
        model.target,
        model.trained_on,
        model.held_out,
        model.base_rate * 100.0,
        seconds
    );
    println!("AUC on the held-out fifth: {:.3}", model.auc);
    println!("calibration (held-out voters by decile of predicted probability):");
    println!(
        "{:>6} {:>8} {:>10} {:>9}",
        "decile", "voters", "predicted", "observed"
    );
    for r in &model.calibration {
        println!(
            "{:>6} {:>8} {:>9.1}% {:>8.1}%",
            r.decile,
            r.voters,
            r.predicted * 100.0,
            r.observed * 100.0
        );
    }
    println!("largest weights:");
    for (feature, w) in model.top_weights(8) {
        println!("  {feature:<32} {w:>+8.3}");
    }
}

/// Options of `bench score`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example (after `votebase demo --no-serve`): votebase bench score --target survey:support"
)]
pub struct BenchScoreArgs {
    /// What to predict (as for `score train`).
    #[arg(long, default_value = "survey:support")]
    pub target: String,
    /// Split seed.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// L2 penalty (scikit-learn gets C = 1/alpha, the same objective).
    #[arg(long, default_value_t = 1.0)]
    pub alpha: f64,
    /// Work directory for the matrices handed to scikit-learn (default: target/bench-score).
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
}

/// The scikit-learn side: fits the same rows with the same objective, prints JSON.
const SKLEARN: &str = r#"
import json, sys, time
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
d, alpha = sys.argv[1], float(sys.argv[2])
t0 = time.perf_counter()
xtr = np.loadtxt(d + "/train.csv", delimiter=",", ndmin=2)
xte = np.loadtxt(d + "/test.csv", delimiter=",", ndmin=2)
load = time.perf_counter() - t0
ytr, Xtr = xtr[:, 0], xtr[:, 1:]
yte, Xte = xte[:, 0], xte[:, 1:]
t0 = time.perf_counter()
m = LogisticRegression(C=1.0 / alpha, solver="lbfgs", max_iter=2000).fit(Xtr, ytr)
fit = time.perf_counter() - t0
p = m.predict_proba(Xte)[:, 1]
import sklearn
print(json.dumps({"fit_seconds": fit, "load_seconds": load, "auc": roc_auc_score(yte, p),
                  "version": sklearn.__version__}))
"#;

fn write_rows(path: &std::path::Path, x: &[f64], y: &[bool], width: usize) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for (row, label) in x.chunks(width.max(1)).zip(y) {
        write!(out, "{}", u8::from(*label))?;
        for v in row {
            write!(out, ",{v}")?;
        }
        writeln!(out)?;
    }
    out.flush()?;
    Ok(())
}

/// `votebase bench score`: the same training rows fitted by votebase (linfa-logistic L-BFGS)
/// and by scikit-learn (lbfgs), with fit time and held-out AUC side by side.
pub async fn bench(global: &Global, args: BenchScoreArgs) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    let examples = examples(store.as_ref(), &args.target, &Bar::new("voters")).await?;
    let options = TrainOptions {
        seed: args.seed,
        alpha: args.alpha,
        reference_date: reference_date(store.as_ref()).await?,
    };
    let prepared = votebase_score::prepare(&examples, options)?;
    let width = prepared.encoder.width();
    let started = Instant::now();
    let model =
        tokio::task::spawn_blocking(move || train("bench", &args.target, &examples, options))
            .await??
            .model;
    let ours = started.elapsed().as_secs_f64();
    println!(
        "{} labelled voters, {} features, {} training rows, {} held out",
        model.trained_on + model.held_out,
        width,
        model.trained_on,
        model.held_out
    );
    println!("{:<34} {:>12} {:>8}", "engine", "fit seconds", "AUC");
    println!(
        "{:<34} {:>12.3} {:>8.4}",
        "votebase (linfa-logistic L-BFGS)", ours, model.auc
    );
    let dir = args
        .dir
        .unwrap_or_else(|| std::path::PathBuf::from("target/bench-score"));
    std::fs::create_dir_all(&dir)?;
    write_rows(
        &dir.join("train.csv"),
        &prepared.train_x,
        &prepared.train_y,
        width,
    )?;
    write_rows(
        &dir.join("test.csv"),
        &prepared.test_x,
        &prepared.test_y,
        width,
    )?;
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            SKLEARN,
            &dir.to_string_lossy(),
            &args.alpha.to_string(),
        ])
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout)?;
            println!(
                "{:<34} {:>12.3} {:>8.4}",
                format!(
                    "scikit-learn {} (lbfgs)",
                    v["version"].as_str().unwrap_or("?")
                ),
                v["fit_seconds"].as_f64().unwrap_or(f64::NAN),
                v["auc"].as_f64().unwrap_or(f64::NAN)
            );
            println!(
                "(votebase's time includes encoding the voters; scikit-learn's excludes loading its CSV, {:.3} s)",
                v["load_seconds"].as_f64().unwrap_or(f64::NAN)
            );
        }
        Ok(o) => println!(
            "scikit-learn: not run ({}); install it with `pip install scikit-learn`",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("failed")
        ),
        Err(e) => println!("scikit-learn: not run (python3: {e})"),
    }
    Ok(())
}
