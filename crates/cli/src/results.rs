//! `votebase results check-caucus DIR [--json]`: recomputes every precinct of the Iowa
//! Democratic Party's published 2020 caucus results by the party's own rules and lists the
//! precincts whose published numbers are internally inconsistent, grouped by kind of
//! inconsistency with totals (or the whole report as JSON). The math lives in
//! `votebase-caucus`; this module only prints.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use votebase_caucus::{Severity, check_caucus_dir};

/// Checks the Iowa 2020 results in `dir` and prints the flagged precincts, one line each,
/// grouped by kind with totals; with `json`, prints the report as JSON instead.
pub async fn check_caucus(dir: &Path, json: bool) -> anyhow::Result<()> {
    let report = check_caucus_dir(dir)
        .with_context(|| format!("cannot check the caucus results in {}", dir.display()))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{}: {} precincts recomputed, {} break the rules, {} not checked",
        report.source.display(),
        report.precincts_checked,
        report.flagged.len(),
        report.skipped.len()
    )?;
    for (kind, precincts) in report.by_kind() {
        writeln!(out, "\n{} ({} precincts)", kind.label(), precincts.len())?;
        for p in precincts {
            let what: Vec<&str> = p
                .findings
                .iter()
                .filter(|f| f.kind == kind)
                .map(|f| f.message.as_str())
                .collect();
            writeln!(
                out,
                "  {} / {}: {} | {}",
                p.county,
                p.precinct,
                what.join(" "),
                p.delegates_summary()
            )?;
        }
    }
    writeln!(out, "\nTotals (precincts per kind):")?;
    for t in &report.totals {
        let tag = match t.severity {
            Severity::Error => "error",
            Severity::Notice => "notice, allowed by the rules",
        };
        writeln!(out, "  {:>5}  {} ({tag})", t.precincts, t.label)?;
    }
    Ok(())
}

// ---- election-night reporting: setup, chair codes, status, rebuild ----

use crate::options::Global;
use crate::stores;
use anyhow::bail;
use std::collections::BTreeMap;
use std::path::PathBuf;
use votebase_app::results::{self as app, build_feed, chair_page_url, plan_codes, store_codes};
use votebase_domain::results::{Election, Precinct, PrecinctStatus};
use votebase_store::Store;

/// The election-night subcommands of `votebase results`.
#[derive(clap::Subcommand, Debug)]
pub enum ReportingCommand {
    /// Set up (or, before the first submission, replace) an election: contests and
    /// candidates from a TOML or JSON file, precincts from the file, a roster CSV
    /// and/or the installed VIP feed.
    #[command(
        after_help = "Example: votebase results setup caucus.toml --precincts roster.csv\n\
        The file: slug = \"ia-2020\", name, date = \"2020-02-03\" (quoted), double_entry = true,\n\
        [[contests]] key, office, party, kind = \"caucus\" | \"votes\", candidates = [...].\n\
        Roster CSV columns (by name): id, county, name, delegates, sde, history_turnout."
    )]
    Setup(SetupArgs),
    /// Issue one-time chair codes (replacing earlier ones) and write the code sheet as CSV.
    #[command(after_help = "Example: votebase results codes ia-2020 --out codes.csv")]
    Codes(CodesArgs),
    /// Precincts reporting, statuses and chair readiness of an election.
    #[command(after_help = "Example: votebase results status ia-2020 --json")]
    Status(StatusArgs),
    /// Recompute the published results from the append-only submission log.
    #[command(after_help = "Example: votebase results rebuild ia-2020")]
    Rebuild(RebuildArgs),
}

/// `votebase results setup`.
#[derive(clap::Args, Debug)]
pub struct SetupArgs {
    /// Election definition (TOML or JSON).
    pub file: PathBuf,
    /// Precinct roster CSV (id, county, name, delegates, sde, history_turnout); rows
    /// with the id of a VIP precinct complete it.
    #[arg(long)]
    pub precincts: Option<PathBuf>,
    /// Take the precincts from the installed VIP feed (`votebase import vip`).
    #[arg(long)]
    pub vip: bool,
    /// Print the stored definition as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `votebase results codes`.
#[derive(clap::Args, Debug)]
pub struct CodesArgs {
    /// Election slug.
    pub election: String,
    /// Only these precincts (repeatable); default all.
    #[arg(long = "precinct")]
    pub precincts: Vec<String>,
    /// Where to write the code sheet (CSV: precinct, county, name, code, url).
    #[arg(long)]
    pub out: PathBuf,
    /// Public base URL the sheet's links start with (default: `VOTEBASE_PUBLIC_URL`);
    /// without one, the sheet holds the chair page's path only.
    #[arg(long, env = "VOTEBASE_PUBLIC_URL")]
    pub base_url: Option<String>,
}

/// `votebase results status`.
#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// Election slug.
    pub election: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `votebase results rebuild`.
#[derive(clap::Args, Debug)]
pub struct RebuildArgs {
    /// Election slug.
    pub election: String,
}

/// Runs an election-night subcommand.
pub async fn reporting(global: &Global, cmd: ReportingCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    match cmd {
        ReportingCommand::Setup(a) => setup(global, store.as_ref(), a).await,
        ReportingCommand::Codes(a) => codes(store.as_ref(), a).await,
        ReportingCommand::Status(a) => status(store.as_ref(), a).await,
        ReportingCommand::Rebuild(a) => rebuild(store.as_ref(), a).await,
    }
}

/// The definition file: an [`Election`] whose precincts may be left out.
fn read_definition(path: &Path) -> anyhow::Result<Election> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut value: serde_json::Value = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", path.display()))?
    } else {
        let t: toml::Value = toml::from_str(&text)
            .with_context(|| format!("{} is not valid TOML", path.display()))?;
        serde_json::to_value(t)?
    };
    if value.get("precincts").is_none() {
        value["precincts"] = serde_json::json!([]);
    }
    serde_json::from_value(value).with_context(|| {
        format!(
            "{}: the election definition needs slug, name, date (quoted, \"2020-02-03\") and \
             [[contests]] with key, office, kind (caucus or votes) and candidates",
            path.display()
        )
    })
}

/// Reads a roster CSV by header name; every bad row goes to `<file>.rejects.csv` and
/// the setup stops (a roster is all or nothing).
fn read_roster(path: &Path) -> anyhow::Result<Vec<Precinct>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let headers: Vec<String> = reader
        .headers()?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let Some(id_col) = col(&["id", "precinct_id"]) else {
        bail!(
            "{}: no id column (found {}); the roster needs id, county, name and, for caucuses, delegates and sde",
            path.display(),
            headers.join(", ")
        );
    };
    let (county, name) = (
        col(&["county"]),
        col(&["name", "precinct", "precinct_name"]),
    );
    let (delegates, sde, history) = (
        col(&["delegates", "county_delegates"]),
        col(&["sde", "sdes"]),
        col(&["history_turnout", "turnout"]),
    );
    let mut out = Vec::new();
    let mut rejects = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                rejects.push((line, format!("unreadable row: {e}")));
                continue;
            }
        };
        let get = |c: Option<usize>| c.and_then(|c| row.get(c)).unwrap_or("").trim().to_owned();
        let id = get(Some(id_col));
        if id.is_empty() {
            rejects.push((line, "empty id".into()));
            continue;
        }
        let number = |c: Option<usize>, what: &str| -> Result<Option<f64>, String> {
            let v = get(c);
            if v.is_empty() {
                return Ok(None);
            }
            v.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .map(Some)
                .ok_or_else(|| format!("{what} {v:?} is not a number ≥ 0"))
        };
        let parsed = (|| -> Result<Precinct, String> {
            let d = number(delegates, "delegates")?;
            if d.is_some_and(|d| d.fract() != 0.0) {
                return Err("delegates must be a whole number".into());
            }
            Ok(Precinct {
                id: id.clone(),
                county: get(county),
                name: if get(name).is_empty() {
                    id.clone()
                } else {
                    get(name)
                },
                delegates: d.unwrap_or(0.0) as u32,
                sde: number(sde, "sde")?.unwrap_or(0.0),
                history_turnout: number(history, "history_turnout")?.map(|n| n as u32),
            })
        })();
        match parsed {
            Ok(p) => out.push(p),
            Err(reason) => rejects.push((line, reason)),
        }
    }
    if !rejects.is_empty() {
        let rejects_path = PathBuf::from(format!("{}.rejects.csv", path.display()));
        let mut w = csv::Writer::from_path(&rejects_path)?;
        w.write_record(["line", "reason"])?;
        for (line, reason) in &rejects {
            w.write_record([line.to_string(), reason.clone()])?;
        }
        w.flush()?;
        bail!(
            "{}: {} bad rows (first: line {}: {}); see {}. Nothing was set up.",
            path.display(),
            rejects.len(),
            rejects[0].0,
            rejects[0].1,
            rejects_path.display()
        );
    }
    Ok(out)
}

/// The precincts of the installed VIP feed (county from the locality).
fn vip_precincts(global: &Global) -> anyhow::Result<Vec<Precinct>> {
    let dir = crate::vip_import::feed_dir(global)?;
    let Some(path) = dir.current()? else {
        bail!("no VIP feed is installed: run `votebase import vip FEED` first");
    };
    let feed = votebase_vip::load(&path)
        .with_context(|| format!("cannot read the installed VIP feed {}", path.display()))?;
    let localities: BTreeMap<&str, &str> = feed
        .localities
        .iter()
        .map(|l| (l.id.as_str(), l.name.as_str()))
        .collect();
    Ok(feed
        .precincts
        .iter()
        .map(|p| Precinct {
            id: p.id.clone(),
            county: localities
                .get(p.locality_id.as_str())
                .map(|s| s.to_string())
                .unwrap_or_default(),
            name: if p.split_name.is_empty() {
                p.name.clone()
            } else {
                format!("{} {}", p.name, p.split_name)
            },
            delegates: 0,
            sde: 0.0,
            history_turnout: None,
        })
        .collect())
}

async fn setup(global: &Global, store: &dyn Store, a: SetupArgs) -> anyhow::Result<()> {
    let mut e = read_definition(&a.file)?;
    if a.vip {
        e.precincts.extend(vip_precincts(global)?);
    }
    if let Some(roster) = &a.precincts {
        for p in read_roster(roster)? {
            match e.precincts.iter_mut().find(|q| q.id == p.id) {
                Some(q) => {
                    q.delegates = p.delegates;
                    q.sde = p.sde;
                    q.history_turnout = p.history_turnout.or(q.history_turnout);
                    if !p.county.is_empty() {
                        q.county = p.county;
                    }
                }
                None => e.precincts.push(p),
            }
        }
    }
    app::set_up_election(store, &e)
        .await
        .with_context(|| format!("the election in {} cannot be set up", a.file.display()))?;
    crate::voters::cli_audit(
        store,
        "results.setup",
        &e.slug,
        &format!(
            "{} contests, {} precincts",
            e.contests.len(),
            e.precincts.len()
        ),
    )
    .await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&e)?);
    } else {
        println!(
            "election {} ({}, {}): {} contests, {} precincts{}",
            e.slug,
            e.name,
            e.date,
            e.contests.len(),
            e.precincts.len(),
            if e.double_entry {
                ", double entry required"
            } else {
                ""
            }
        );
        println!("next: votebase results codes {} --out codes.csv", e.slug);
    }
    Ok(())
}

async fn codes(store: &dyn Store, a: CodesArgs) -> anyhow::Result<()> {
    let Some(e) = store.election(&a.election).await? else {
        bail!(
            "no election {:?}: run `votebase results setup` first",
            a.election
        );
    };
    let rows = plan_codes(&e, &a.precincts)?;
    // Write the sheet first: codes that reach the store are never lost to a failed write.
    let tmp = a.out.with_extension("csv.partial");
    let mut w =
        csv::Writer::from_path(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    w.write_record(["precinct", "county", "name", "code", "url"])?;
    let url = chair_page_url(a.base_url.as_deref(), &e.slug);
    for r in &rows {
        w.write_record([
            r.precinct.as_str(),
            &r.county,
            &r.precinct_name,
            &r.code,
            &url,
        ])?;
    }
    w.flush()?;
    drop(w);
    store_codes(store, &e.slug, &rows).await?;
    std::fs::rename(&tmp, &a.out)?;
    crate::voters::cli_audit(
        store,
        "results.codes",
        &e.slug,
        &format!("{} chair codes issued", rows.len()),
    )
    .await?;
    println!(
        "{} chair codes written to {} (earlier codes of these precincts no longer work)",
        rows.len(),
        a.out.display()
    );
    if a.base_url.as_deref().is_none_or(|u| u.trim().is_empty()) {
        println!(
            "no public URL configured (--base-url or VOTEBASE_PUBLIC_URL): the sheet's links are \
             the path {url} only; put the server's public address in front of it"
        );
    }
    Ok(())
}

async fn status(store: &dyn Store, a: StatusArgs) -> anyhow::Result<()> {
    let Some(e) = store.election(&a.election).await? else {
        bail!("no election {:?}", a.election);
    };
    let results = store.precinct_results(&e.slug).await?;
    let ready = store.chair_readiness(&e.slug).await?;
    let feed = build_feed(&e, &results);
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &feed.precincts {
        *by_status.entry(p.status.code()).or_default() += 1;
    }
    let signed_in = ready.iter().filter(|r| r.first_sign_in.is_some()).count();
    if a.json {
        let submissions = store
            .elections()
            .await?
            .into_iter()
            .find(|s| s.slug == e.slug)
            .map(|s| s.submissions)
            .unwrap_or(0);
        let v = serde_json::json!({
            "election": e.slug,
            "submissions": submissions,
            "precincts": e.precincts.len(),
            "codes_issued": ready.len(),
            "chairs_signed_in": signed_in,
            "statuses": by_status,
            "contests": feed.contests,
            "flagged": results.iter().filter(|r| matches!(r.status, PrecinctStatus::Disagreement | PrecinctStatus::NeedsCorrection))
                .map(|r| serde_json::json!({"precinct": r.precinct, "contest": r.contest, "status": r.status, "message": r.status_message}))
                .collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("{} ({}): {} precincts", e.name, e.slug, e.precincts.len());
    println!(
        "readiness: {signed_in} of {} chairs signed in ({} codes issued)",
        e.precincts.len(),
        ready.len()
    );
    for c in &feed.contests {
        println!(
            "{}: {} of {} precincts reporting",
            c.office, c.precincts_reporting, c.precincts_total
        );
        let caucus = e
            .contest(&c.contest)
            .is_some_and(|k| k.kind == votebase_domain::results::ContestKind::Caucus);
        for t in &c.totals {
            if caucus {
                println!(
                    "  {:<24} {:>8} final alignment {:>6} county delegates {:>10.4} SDE",
                    t.candidate, t.votes, t.county_delegates, t.sde
                );
            } else {
                println!("  {:<24} {:>8} votes", t.candidate, t.votes);
            }
        }
    }
    println!("statuses (precinct × contest):");
    for (s, n) in &by_status {
        println!("  {n:>6}  {s}");
    }
    for r in results.iter().filter(|r| {
        matches!(
            r.status,
            PrecinctStatus::Disagreement | PrecinctStatus::NeedsCorrection
        )
    }) {
        println!(
            "  flagged {} / {}: {}",
            r.precinct, r.contest, r.status_message
        );
    }
    Ok(())
}

async fn rebuild(store: &dyn Store, a: RebuildArgs) -> anyhow::Result<()> {
    let app::Rebuilt { rows, differing } = app::rebuild(store, &a.election).await?;
    crate::voters::cli_audit(
        store,
        "results.rebuild",
        &a.election,
        &format!("{rows} rows, {differing} differed"),
    )
    .await?;
    if differing == 0 {
        println!("rebuilt {rows} precinct results from the log: identical to the live projection");
    } else {
        println!(
            "rebuilt {rows} precinct results from the log: {differing} differed from the live projection and were replaced"
        );
    }
    Ok(())
}
