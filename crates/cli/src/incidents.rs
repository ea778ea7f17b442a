//! `votebase incidents …`: voter-protection incidents from the command line. `import`
//! loads reports collected elsewhere (CSV; all-or-nothing, rejects with line numbers,
//! idempotent), `list` prints or exports them (audited), `cover` gives lawyers and
//! observers their counties, `rules` shows or sets the triage rules, `escalate` runs the
//! escalation timer once. Also the demo's election day ([`demo`]) and
//! `votebase bench incidents` ([`bench`]): sustained intake over loopback HTTP with live
//! queue clients connected, beside the store's own insert rate.

use crate::args::Global;
use crate::stores;
use crate::voters::cli_actor;
use anyhow::{Context, bail};
use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime, TimeZone, Utc};
use clap::{Args, Subcommand};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use votebase_domain::incidents::{
    INCIDENT_CSV_HEADER, IncidentAction, IncidentFilter, IncidentLocation, IncidentStatus,
    NewIncident, Reporter, Resolution, Severity, TriageRules, incident_csv_record,
};
use votebase_domain::{AuditEntry, Role, User};
use votebase_ingest::demo::DemoState;
use votebase_ingest::rejects::{Reject, RejectWriter};
use votebase_store::Store;

/// `votebase incidents` subcommands.
#[derive(Subcommand, Debug)]
pub enum IncidentsCommand {
    /// Import reports collected elsewhere from a CSV file (all or nothing; a second
    /// import of the same rows changes nothing).
    #[command(
        after_help = "Columns (header required): reported_at, category, county, polling_place, description,\nreporter_name, reporter_phone; optional: precinct, polling_place_id, address, city, zip,\nreporter_relationship. Times: RFC 3339, or YYYY-MM-DD HH:MM[:SS] in --utc-offset.\n\nExample: votebase incidents import hotline-export.csv --utc-offset -05:00"
    )]
    Import(ImportIncidentsArgs),
    /// List incidents (most severe, then oldest first) as a table, CSV or JSON (audited).
    #[command(
        after_help = "Example: votebase incidents list --county WAKE --status escalated --format csv"
    )]
    List(ListIncidentsArgs),
    /// Give a lawyer or observer their counties (`--lead`: the counties' lead lawyer).
    #[command(after_help = "Example: votebase incidents cover lena WAKE DURHAM --lead")]
    Cover {
        /// User name (role lawyer or observer).
        user: String,
        /// Counties.
        #[arg(required = true)]
        counties: Vec<String>,
        /// Make them the lead lawyer of these counties.
        #[arg(long)]
        lead: bool,
    },
    /// Who covers which county.
    Coverage {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the triage rules as JSON, or replace them from a JSON file.
    #[command(after_help = "Example: votebase incidents rules --set rules.json")]
    Rules {
        /// A JSON file with the new rules (fields: cluster_size, cluster_window_minutes,
        /// duplicate_window_minutes, lead_lawyer_categories, stale_minutes, custom_categories).
        #[arg(long)]
        set: Option<PathBuf>,
    },
    /// Escalate incidents untouched for the rules' stale_minutes now (the server does
    /// this every 30 seconds).
    Escalate,
}

/// `votebase incidents import` options.
#[derive(Args, Debug)]
pub struct ImportIncidentsArgs {
    /// The CSV file.
    pub file: PathBuf,
    /// Offset of times written without one (default +00:00, UTC).
    #[arg(long, default_value = "+00:00", allow_hyphen_values = true)]
    pub utc_offset: String,
    /// Where rejected rows go (default: <file>.rejects.csv).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `votebase incidents list` options.
#[derive(Args, Debug)]
pub struct ListIncidentsArgs {
    /// Only this county.
    #[arg(long)]
    pub county: Option<String>,
    /// Only this status (new, triaged, assigned, escalated, resolved, closed).
    #[arg(long)]
    pub status: Option<String>,
    /// Only this category.
    #[arg(long)]
    pub category: Option<String>,
    /// Only open incidents.
    #[arg(long)]
    pub open: bool,
    /// table, csv or json.
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Most rows (0: all).
    #[arg(long, default_value_t = 0)]
    pub limit: i64,
}

/// `votebase bench incidents` options.
#[derive(Args, Debug)]
pub struct BenchIncidentsArgs {
    /// Seconds of sustained intake.
    #[arg(long, default_value_t = 15)]
    pub seconds: u64,
    /// Target incidents per second.
    #[arg(long, default_value_t = 500)]
    pub rate: u64,
    /// Live-queue (server-sent events) clients connected during the run.
    #[arg(long, default_value_t = 200)]
    pub clients: usize,
    /// Keep-alive connections posting incidents.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Work directory (default: target/bench-incidents).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn incidents(global: &Global, cmd: IncidentsCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    match cmd {
        IncidentsCommand::Import(args) => import(global, store.as_ref(), &args).await,
        IncidentsCommand::List(args) => list(store.as_ref(), &args).await,
        IncidentsCommand::Cover {
            user,
            counties,
            lead,
        } => cover(store.as_ref(), &user, &counties, lead).await,
        IncidentsCommand::Coverage { json } => {
            let rows = store.coverage(None).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                println!("{:<20} {:<20} lead", "user", "county");
                for c in rows {
                    println!(
                        "{:<20} {:<20} {}",
                        c.user_name,
                        c.county,
                        if c.lead { "yes" } else { "" }
                    );
                }
            }
            Ok(())
        }
        IncidentsCommand::Rules { set } => {
            if let Some(path) = set {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let rules: TriageRules = serde_json::from_str(&text)
                    .with_context(|| format!("{} is not a rules JSON file", path.display()))?;
                store.put_incident_rules(&rules).await?;
                audit(
                    store.as_ref(),
                    "incident.rules",
                    &path.display().to_string(),
                    "",
                )
                .await?;
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&store.incident_rules().await?)?
            );
            Ok(())
        }
        IncidentsCommand::Escalate => {
            let escalated = store.escalate_stale_incidents(Utc::now()).await?;
            for i in &escalated {
                println!(
                    "escalated #{} {} {}",
                    i.id,
                    i.category,
                    i.location.display()
                );
            }
            println!("{} incidents escalated", escalated.len());
            Ok(())
        }
    }
}

async fn audit(store: &dyn Store, action: &str, subject: &str, detail: &str) -> anyhow::Result<()> {
    store
        .audit(&AuditEntry {
            at: Utc::now(),
            actor: cli_actor(),
            action: action.into(),
            subject: subject.into(),
            detail: detail.into(),
        })
        .await?;
    Ok(())
}

async fn cover(
    store: &dyn Store,
    user: &str,
    counties: &[String],
    lead: bool,
) -> anyhow::Result<()> {
    let Some((u, _)) = store.user_with_password(user).await? else {
        bail!("no user {user:?}: add them first with `votebase user add {user} --role lawyer`");
    };
    match u.role {
        Role::Lawyer => {}
        Role::Observer if !lead => {}
        Role::Observer => {
            bail!("{user} is an observer: only a lawyer can be a county's lead lawyer")
        }
        other => bail!(
            "{user} is {other}: only lawyers and observers are limited to counties (coordinators and admins see every county)"
        ),
    }
    store.set_coverage(user, counties, lead).await?;
    audit(store, "incident.cover", user, &counties.join(" ")).await?;
    let now: Vec<String> = store
        .coverage(Some(user))
        .await?
        .into_iter()
        .map(|c| {
            if c.lead {
                format!("{} (lead)", c.county)
            } else {
                c.county
            }
        })
        .collect();
    println!("{user} covers {}", now.join(", "));
    Ok(())
}

fn parse_offset(text: &str) -> anyhow::Result<FixedOffset> {
    let t = text.trim();
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => bail!("--utc-offset {t:?}: write it as +HH:MM or -HH:MM"),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (h, m): (i32, i32) = (h.parse()?, m.parse()?);
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
        .ok_or_else(|| anyhow::anyhow!("--utc-offset {t:?} is out of range"))
}

/// Parses a report time: RFC 3339, or a local time in `offset`.
fn parse_time(text: &str, offset: FixedOffset) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return offset
                .from_local_datetime(&n)
                .single()
                .map(|d| d.with_timezone(&Utc));
        }
    }
    None
}

const REQUIRED: [&str; 7] = [
    "reported_at",
    "category",
    "county",
    "polling_place",
    "description",
    "reporter_name",
    "reporter_phone",
];

/// Normalises a free address like voter addresses: `LINE1, CITY ZIP`.
pub fn normalized_address(address: &str, city: &str, zip: &str) -> String {
    if address.trim().is_empty() {
        return String::new();
    }
    let a = votebase_normalize::normalize_address(address, city, "", zip);
    let mut line = a.line1();
    if line.trim().is_empty() {
        line = address
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_uppercase();
    }
    if !a.city.is_empty() {
        line = format!("{line}, {}", a.city);
    }
    if !a.zip5.is_empty() {
        line = format!("{line} {}", a.zip5);
    }
    line
}

/// Polling places of the installed VIP feed: (county, upper-case name) -> (id, name).
fn installed_places(global: &Global) -> HashMap<(String, String), (String, String)> {
    let mut out = HashMap::new();
    let Ok(Some(path)) = crate::vip_import::feed_dir(global)
        .and_then(|d| d.current().map_err(|e| anyhow::anyhow!("{e}")))
    else {
        return out;
    };
    let Ok(feed) = votebase_vip::load(&path) else {
        return out;
    };
    let index = votebase_vip::Index::build(&feed);
    for p in index.precincts() {
        let county = p
            .locality
            .trim()
            .trim_end_matches(" County")
            .to_ascii_uppercase();
        for place in &p.polling_places {
            out.insert(
                (county.clone(), place.name.to_ascii_uppercase()),
                (place.id.clone(), place.name.clone()),
            );
        }
    }
    out
}

/// What an import did.
#[derive(Debug, serde::Serialize)]
struct ImportSummary {
    file: String,
    rows: usize,
    created: i64,
    known: i64,
    rejected: u64,
}

async fn import(
    global: &Global,
    store: &dyn Store,
    args: &ImportIncidentsArgs,
) -> anyhow::Result<()> {
    let offset = parse_offset(&args.utc_offset)?;
    let rules = store.incident_rules().await?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let header: Vec<String> = reader
        .headers()
        .with_context(|| format!("{}: no header line", args.file.display()))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{}: missing column(s) {}; the header must have {} (found: {})",
            args.file.display(),
            missing.join(", "),
            REQUIRED.join(","),
            header.join(",")
        );
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let places = installed_places(global);
    let rejects_path = args
        .rejects
        .clone()
        .unwrap_or_else(|| RejectWriter::default_path(&args.file));
    let mut rejects = RejectWriter::new(rejects_path.clone());
    let mut rows = Vec::new();
    let actor = cli_actor();
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.with_context(|| format!("{} line {line}", args.file.display()))?;
        let get = |name: &str| {
            col(name)
                .and_then(|c| record.get(c))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let raw: String = record.iter().collect::<Vec<_>>().join(",");
        let raw = raw.chars().take(500).collect::<String>();
        let mut reject = |column: &str, reason: String| {
            rejects.write(&Reject {
                line,
                column: column.into(),
                reason,
                raw: raw.clone(),
            })
        };
        let category = match rules.category(&get("category")) {
            Ok(c) => c.code,
            Err(e) => {
                reject("category", e.to_string())?;
                continue;
            }
        };
        let Some(observed_at) = parse_time(&get("reported_at"), offset) else {
            reject(
                "reported_at",
                format!(
                    "{:?} is not a time: use RFC 3339 or YYYY-MM-DD HH:MM",
                    get("reported_at")
                ),
            )?;
            continue;
        };
        let county = get("county").to_ascii_uppercase();
        if county.is_empty() {
            reject("county", "county is empty".into())?;
            continue;
        }
        let description = get("description");
        if description.is_empty() {
            reject("description", "description is empty".into())?;
            continue;
        }
        let relationship = get("reporter_relationship")
            .to_ascii_lowercase()
            .replace(' ', "_");
        if !relationship.is_empty()
            && !["voter", "observer", "poll_worker", "other"].contains(&relationship.as_str())
        {
            reject(
                "reporter_relationship",
                format!("{relationship:?}: use voter, observer, poll_worker or other"),
            )?;
            continue;
        }
        let mut place_id = get("polling_place_id");
        let mut place = get("polling_place");
        if place_id.is_empty()
            && let Some((id, name)) = places.get(&(county.clone(), place.to_ascii_uppercase()))
        {
            place_id = id.clone();
            place = name.clone();
        }
        let phone = votebase_normalize::normalize_phone(&get("reporter_phone"));
        let key_source: Vec<&str> = record.iter().map(|f| f.trim()).collect();
        let key = format!("csv:{}", hex_digest(key_source.join("\u{1f}").as_bytes()));
        rows.push(NewIncident {
            observed_at,
            category,
            description,
            location: IncidentLocation {
                county,
                precinct: get("precinct"),
                polling_place_id: place_id,
                polling_place: place,
                address: normalized_address(&get("address"), &get("city"), &get("zip")),
            },
            reporter: Reporter {
                name: get("reporter_name"),
                phone: if phone.e164.is_empty() {
                    get("reporter_phone")
                } else {
                    phone.e164
                },
                relationship,
                voter_id: String::new(),
            },
            channel: "import".into(),
            created_by: actor.clone(),
            external_key: Some(key),
        });
    }
    let rejected = rejects.count();
    drop(rejects);
    if rejected > 0 {
        bail!(
            "{rejected} row(s) rejected (line numbers and reasons in {}); nothing was imported: fix them and import the file again",
            rejects_path.display()
        );
    }
    let outcome = store.import_incidents(&rows, Utc::now()).await?;
    let file = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    audit(
        store,
        "import",
        &file,
        &format!(
            "incidents: {} new, {} known",
            outcome.created, outcome.known
        ),
    )
    .await?;
    let summary = ImportSummary {
        file,
        rows: rows.len(),
        created: outcome.created,
        known: outcome.known,
        rejected,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "{}: {} rows, {} new incidents, {} already imported",
            summary.file, summary.rows, summary.created, summary.known
        );
    }
    Ok(())
}

fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn list(store: &dyn Store, args: &ListIncidentsArgs) -> anyhow::Result<()> {
    let status = match &args.status {
        None => None,
        Some(s) => Some(IncidentStatus::parse(s).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown status {s:?}: use new, triaged, assigned, escalated, resolved or closed"
            )
        })?),
    };
    let category = match &args.category {
        None => None,
        Some(c) => Some(store.incident_rules().await?.category(c)?.code),
    };
    let filter = IncidentFilter {
        counties: args.county.as_ref().map(|c| vec![c.to_ascii_uppercase()]),
        status,
        category,
        open_only: args.open,
        limit: args.limit.max(0),
    };
    let rows = store.list_incidents(&filter).await?;
    audit(
        store,
        "incident.export",
        "incidents",
        &format!("cli {}, {} incidents", args.format, rows.len()),
    )
    .await?;
    match args.format.as_str() {
        "json" => println!("{}", serde_json::to_string_pretty(&rows)?),
        "csv" => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            w.write_record(INCIDENT_CSV_HEADER)?;
            for r in &rows {
                w.write_record(incident_csv_record(r))?;
            }
            w.flush()?;
        }
        "table" => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{:>6} {:<9} {:<9} {:<22} {:<12} {:>7} {:<16} where",
                "id", "severity", "status", "category", "county", "cluster", "observed"
            )?;
            for r in &rows {
                writeln!(
                    out,
                    "{:>6} {:<9} {:<9} {:<22} {:<12} {:>7} {:<16} {}",
                    r.id,
                    r.severity.code(),
                    r.status.code(),
                    r.category,
                    r.location.county,
                    r.cluster_id.map(|c| format!("#{c}")).unwrap_or_default(),
                    r.observed_at.format("%Y-%m-%d %H:%M"),
                    r.location.display()
                )?;
            }
            writeln!(out, "{} incidents", rows.len())?;
        }
        other => bail!("unknown --format {other:?}: use table, csv or json"),
    }
    Ok(())
}

// ---------------------------------------------------------------- demo

/// The demo's election day: a few thousand incidents (about one per 70 voters), the
/// voter-protection accounts with a fresh shared password, printed with what to try.
pub async fn demo_day(store: &dyn Store, state: &DemoState) -> anyhow::Result<()> {
    let count = (state.first_count / 70).clamp(300, 4000);
    let password = votebase_app::auth::new_secret()[..16].to_string();
    let hash = votebase_app::auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!("Replaying an election day of {count} voter-protection incidents...");
    match demo(store, state, count, &hash).await? {
        None => println!("incidents: already generated (kept as they are)"),
        Some(day) => {
            let open = store
                .list_incidents(&IncidentFilter {
                    open_only: true,
                    ..Default::default()
                })
                .await?
                .len();
            println!(
                "incidents: {} election-day reports, {open} still open; lawyer leads {}",
                day.incidents, day.busiest_county
            );
            println!(
                "voter protection sign-ins (password {password}): hotline (intake at /incidents/new), coordinator (live queue at /incidents), lawyer, observer; public form at /report"
            );
        }
    }
    Ok(())
}

/// What the demo's election day produced.
pub struct DemoDay {
    /// Incidents created.
    pub incidents: usize,
    /// The county with the most reports (where the demo lawyer is lead).
    pub busiest_county: String,
}

/// Replays an election day of demo incidents through the real workflow (intake with
/// triage, first actions, assignment to the county's lead lawyer, resolution, and the
/// escalation timer every five minutes), creates the voter-protection users (hotline,
/// coordinator, lawyer, observer, one lead lawyer per county) with `password_hash`, and
/// returns what it did. Skipped (returns `None`) when the store already has incidents.
pub async fn demo(
    store: &dyn Store,
    state: &DemoState,
    count: usize,
    password_hash: &str,
) -> anyhow::Result<Option<DemoDay>> {
    if !store
        .list_incidents(&IncidentFilter {
            limit: 1,
            ..Default::default()
        })
        .await?
        .is_empty()
    {
        return Ok(None);
    }
    let generated = votebase_ingest::demo::demo_incidents(state, count);
    let mut per_county: HashMap<String, usize> = HashMap::new();
    for i in &generated {
        let p = &state.precincts[i.precinct as usize];
        *per_county
            .entry(state.counties[p.county as usize].name.clone())
            .or_default() += 1;
    }
    let mut ranked: Vec<(String, usize)> = per_county.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let busiest = ranked.first().map(|c| c.0.clone()).unwrap_or_default();
    for (name, role) in [
        ("hotline", Role::HotlineOperator),
        ("coordinator", Role::Coordinator),
        ("lawyer", Role::Lawyer),
        ("observer", Role::Observer),
    ] {
        store
            .put_user(
                &User {
                    name: name.into(),
                    role,
                },
                password_hash,
            )
            .await?;
    }
    // The demo lawyer leads the busiest county; every other county gets its own lead.
    let mut lead_of: HashMap<String, String> = HashMap::new();
    for (i, c) in state.counties.iter().enumerate() {
        let lead = if c.name == busiest {
            "lawyer".to_string()
        } else {
            let name = format!("lawyer{}", i + 1);
            store
                .put_user(
                    &User {
                        name: name.clone(),
                        role: Role::Lawyer,
                    },
                    password_hash,
                )
                .await?;
            name
        };
        store
            .set_coverage(&lead, std::slice::from_ref(&c.name), true)
            .await?;
        lead_of.insert(c.name.to_ascii_uppercase(), lead);
    }
    let observed: Vec<String> = ranked.iter().take(3).map(|c| c.0.clone()).collect();
    store.set_coverage("observer", &observed, false).await?;

    // 06:30 EST on election day.
    let open = Utc.from_utc_datetime(
        &votebase_ingest::demo::demo_election()
            .and_hms_opt(11, 30, 0)
            .expect("valid time"),
    );
    #[derive(Clone, Copy)]
    enum Step {
        Create(usize),
        First(usize),
        Resolve(usize),
        Timer,
    }
    let mut steps: Vec<(DateTime<Utc>, u8, Step)> = Vec::new();
    for (i, g) in generated.iter().enumerate() {
        let created = open + Duration::minutes(i64::from(g.minute + g.intake_delay));
        steps.push((created, 0, Step::Create(i)));
        if let Some(first) = g.first_action_after {
            let t = created + Duration::minutes(i64::from(first));
            steps.push((t, 1, Step::First(i)));
            if let Some(r) = g.resolve_after {
                steps.push((t + Duration::minutes(i64::from(r)), 2, Step::Resolve(i)));
            }
        }
    }
    let mut t = open;
    while t <= open + Duration::minutes(i64::from(votebase_ingest::demo::DAY_MINUTES) + 120) {
        steps.push((t, 3, Step::Timer));
        t += Duration::minutes(5);
    }
    steps.sort_by_key(|(t, order, _)| (*t, *order));
    let mut ids: Vec<Option<i64>> = vec![None; generated.len()];
    let bar = indicatif::ProgressBar::new(steps.len() as u64);
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_message("election-day incidents");
    for (at, _, step) in steps {
        bar.inc(1);
        match step {
            Step::Timer => {
                store.escalate_stale_incidents(at).await?;
            }
            Step::Create(i) => {
                let g = &generated[i];
                let prec = &state.precincts[g.precinct as usize];
                let county = state.counties[prec.county as usize]
                    .name
                    .to_ascii_uppercase();
                let new = NewIncident {
                    observed_at: open + Duration::minutes(i64::from(g.minute)),
                    category: g.category.into(),
                    description: g.description.clone(),
                    location: IncidentLocation {
                        county,
                        precinct: prec.code.clone(),
                        polling_place_id: format!("pl{}", g.precinct),
                        polling_place: prec.polling_place.name.clone(),
                        address: String::new(),
                    },
                    reporter: Reporter {
                        name: g.reporter_name.clone(),
                        phone: format!("+1{}", g.reporter_phone),
                        relationship: g.relationship.into(),
                        voter_id: String::new(),
                    },
                    channel: "demo".into(),
                    created_by: "hotline".into(),
                    external_key: Some(format!("demo:{i}")),
                };
                ids[i] = Some(store.create_incident(&new, at).await?.incident.id);
            }
            Step::First(i) => {
                let Some(id) = ids[i] else { continue };
                let Some(current) = store.get_incident(id).await? else {
                    continue;
                };
                if !current.status.is_open() {
                    continue;
                }
                let action = if current.status == IncidentStatus::New {
                    IncidentAction::Triage { severity: None }
                } else {
                    IncidentAction::Note {
                        text: "called the reporter back".into(),
                    }
                };
                store
                    .act_on_incident(id, "coordinator", &action, at)
                    .await?;
                if current.assigned_to.is_none()
                    && current.severity >= Severity::High
                    && let Some(lead) = lead_of.get(&current.location.county)
                {
                    store
                        .act_on_incident(
                            id,
                            "coordinator",
                            &IncidentAction::Assign { to: lead.clone() },
                            at,
                        )
                        .await?;
                }
            }
            Step::Resolve(i) => {
                let Some(id) = ids[i] else { continue };
                let Some(current) = store.get_incident(id).await? else {
                    continue;
                };
                if !current.status.is_open() {
                    continue;
                }
                let resolution = Resolution::parse(generated[i].resolution)
                    .unwrap_or(Resolution::NoActionNeeded);
                let actor = current
                    .assigned_to
                    .clone()
                    .unwrap_or_else(|| "coordinator".into());
                store
                    .act_on_incident(
                        id,
                        &actor,
                        &IncidentAction::Resolve {
                            resolution,
                            note: String::new(),
                        },
                        at,
                    )
                    .await?;
            }
        }
    }
    bar.finish_and_clear();
    Ok(Some(DemoDay {
        incidents: generated.len(),
        busiest_county: busiest,
    }))
}

// ---------------------------------------------------------------- bench

/// Reads one HTTP/1.1 response with a Content-Length body: (status, body).
async fn read_response(r: &mut BufReader<TcpStream>) -> std::io::Result<(u16, Vec<u8>)> {
    let mut line = String::new();
    r.read_line(&mut line).await?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = 0usize;
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body).await?;
    Ok((status, body))
}

/// The first `"id":N` in a JSON text.
fn first_id(text: &[u8]) -> Option<i64> {
    let at = text.windows(5).position(|w| w == b"\"id\":")? + 5;
    let digits: Vec<u8> = text[at..]
        .iter()
        .copied()
        .take_while(|b| b.is_ascii_digit())
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// Every `"id":N` in a JSON text (the ids of a queue event's rows).
fn all_ids(mut text: &[u8]) -> Vec<i64> {
    let mut out = Vec::new();
    while let Some(at) = text.windows(5).position(|w| w == b"\"id\":") {
        text = &text[at + 5..];
        if let Some(id) = first_digits(text) {
            out.push(id);
        }
    }
    out
}

fn first_digits(text: &[u8]) -> Option<i64> {
    let n = text.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&text[..n]).ok()?.parse().ok()
}

/// One live-queue client: connects, signals readiness, then records each incident id
/// with the instant its event arrived.
async fn sse_client(
    port: u16,
    token: String,
    ready: tokio::sync::mpsc::Sender<()>,
    seen: Arc<std::sync::Mutex<Vec<(i64, Instant)>>>,
    received: Arc<AtomicU64>,
) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream.set_nodelay(true)?;
    stream
        .write_all(
            format!(
                "GET /incidents/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
            )
            .as_bytes(),
        )
        .await?;
    let mut r = BufReader::with_capacity(64 * 1024, stream);
    let mut line = String::new();
    r.read_line(&mut line).await?;
    if !line.contains(" 200 ") {
        return Err(std::io::Error::other(format!("live queue answered {line}")));
    }
    loop {
        line.clear();
        r.read_line(&mut line).await?;
        if line.trim_end().is_empty() {
            break;
        }
    }
    let _ = ready.send(()).await;
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        if let Some(data) = line.strip_prefix("data: ") {
            let now = Instant::now();
            let ids = all_ids(data.as_bytes());
            received.fetch_add(ids.len() as u64, Ordering::Relaxed);
            seen.lock()
                .expect("lock")
                .extend(ids.into_iter().map(|id| (id, now)));
        }
    }
}

fn bench_request(i: u64) -> String {
    const CATS: [&str; 5] = [
        "long_lines",
        "registration_problem",
        "id_demanded",
        "equipment_failure",
        "electioneering",
    ];
    const COUNTIES: [&str; 4] = ["WAKE", "DURHAM", "ALAMANCE", "ORANGE"];
    serde_json::json!({
        "category": CATS[(i % 5) as usize],
        "county": COUNTIES[(i % 4) as usize],
        "polling_place": format!("BENCH SCHOOL {}", i % 2000),
        "description": format!("bench report {i}: line out the door"),
        "reporter_name": "BENCH CALLER",
        "reporter_phone": "9195550100",
        "reporter_relationship": "voter"
    })
    .to_string()
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `votebase bench incidents`.
pub async fn bench(global: &Global, args: BenchIncidentsArgs) -> anyhow::Result<()> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("target/bench-incidents"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cleaning {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    let tag = std::process::id();
    let served = Global {
        data: dir.join("data"),
        database: global.database.clone(),
        org: format!("bench_incidents_{tag}"),
    };
    let raw = Global {
        org: format!("bench_incidents_raw_{tag}"),
        ..served.clone()
    };
    let store = stores::open(&served).await?;
    let backend = store.backend();
    store
        .put_user(
            &User {
                name: "bench".into(),
                role: Role::Coordinator,
            },
            "!",
        )
        .await?;
    let token = votebase_app::auth::new_secret();
    store
        .add_token("bench", &votebase_app::auth::sha256_hex(&token), "bench")
        .await?;
    drop(store);

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.arg("--data")
        .arg(&served.data)
        .args(["--org", &served.org]);
    if let Some(url) = &served.database {
        cmd.args(["--database", url]);
    }
    let child = cmd
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("VOTEBASE_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("starting votebase serve")?;
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = Kill(child);
    let mut up = false;
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if !up {
        bail!("votebase serve did not start on port {port}");
    }

    // The live-queue clients.
    eprintln!("connecting {} live-queue clients...", args.clients);
    let received = Arc::new(AtomicU64::new(0));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(args.clients.max(1));
    let mut seen_all = Vec::new();
    let mut client_tasks = Vec::new();
    for _ in 0..args.clients {
        let seen = Arc::new(std::sync::Mutex::new(Vec::with_capacity(
            (args.rate * args.seconds) as usize + 16,
        )));
        seen_all.push(seen.clone());
        client_tasks.push(tokio::spawn(sse_client(
            port,
            token.clone(),
            ready_tx.clone(),
            seen,
            received.clone(),
        )));
    }
    drop(ready_tx);
    for _ in 0..args.clients {
        tokio::time::timeout(std::time::Duration::from_secs(30), ready_rx.recv())
            .await
            .context("live-queue clients did not connect within 30 s")?
            .context("a live-queue client failed to connect")?;
    }

    // Sustained intake, paced at the target rate over keep-alive connections.
    eprintln!(
        "posting {} incidents/s for {} s over {} connections...",
        args.rate, args.seconds, args.connections
    );
    let total = args.rate * args.seconds;
    let workers = args.connections.max(1) as u64;
    let started = Instant::now();
    let mut senders = Vec::new();
    for w in 0..workers {
        let token = token.clone();
        let rate = args.rate.max(1);
        senders.push(tokio::spawn(async move {
            let mut sent: Vec<(i64, Instant)> = Vec::new();
            let mut errors = 0u64;
            let stream = TcpStream::connect(("127.0.0.1", port)).await?;
            stream.set_nodelay(true)?;
            let mut r = BufReader::new(stream);
            let mut k = w;
            while k < total {
                let due = started + std::time::Duration::from_secs_f64(k as f64 / rate as f64);
                tokio::time::sleep_until(due.into()).await;
                let body = bench_request(k);
                let req = format!(
                    "POST /api/v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let t0 = Instant::now();
                r.get_mut().write_all(req.as_bytes()).await?;
                let (status, reply) = read_response(&mut r).await?;
                match (status, first_id(&reply)) {
                    (201, Some(id)) => sent.push((id, t0)),
                    _ => errors += 1,
                }
                k += workers;
            }
            Ok::<_, std::io::Error>((sent, errors))
        }));
    }
    let mut sent: HashMap<i64, Instant> = HashMap::new();
    let mut errors = 0;
    for s in senders {
        let (part, e) = s.await??;
        errors += e;
        sent.extend(part);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let accepted = sent.len();
    let expected = accepted as u64 * args.clients as u64;
    // Let the queue drain: until the clients have at least one event per incident and
    // nothing more arrived for half a second (at most ten seconds).
    let wait_from = Instant::now();
    let mut last = (received.load(Ordering::Relaxed), Instant::now());
    while wait_from.elapsed() < std::time::Duration::from_secs(10) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let now = received.load(Ordering::Relaxed);
        if now != last.0 {
            last = (now, Instant::now());
        } else if now >= expected && last.1.elapsed() >= std::time::Duration::from_millis(500) {
            break;
        }
    }
    for t in &client_tasks {
        t.abort();
    }
    // Delay until each incident was on every client: its first arrival on each client
    // (an incident is sent again when it changes, e.g. when it joins a cluster).
    let mut last_arrival: HashMap<i64, (Instant, usize)> = HashMap::new();
    let mut delivered = 0u64;
    for seen in &seen_all {
        let mut first: HashMap<i64, Instant> = HashMap::new();
        for (id, at) in seen.lock().expect("lock").iter() {
            first.entry(*id).or_insert(*at);
        }
        for (id, at) in first {
            if sent.contains_key(&id) {
                delivered += 1;
            }
            let e = last_arrival.entry(id).or_insert((at, 0));
            e.0 = e.0.max(at);
            e.1 += 1;
        }
    }
    let mut delays: Vec<f64> = Vec::new();
    let mut incomplete = 0usize;
    for (id, t0) in &sent {
        match last_arrival.get(id) {
            Some((at, n)) if *n == args.clients => {
                delays.push(at.saturating_duration_since(*t0).as_secs_f64() * 1000.0)
            }
            _ => incomplete += 1,
        }
    }
    delays.sort_by(f64::total_cmp);
    drop(_server);

    // The alternative: the store's own insert rate for the same rows, same concurrency.
    eprintln!("inserting the same rows directly into a fresh store...");
    let raw_store = stores::open(&raw).await?;
    let now = Utc::now();
    let mut rows = Vec::with_capacity(total as usize);
    for k in 0..total {
        let v: serde_json::Value = serde_json::from_str(&bench_request(k))?;
        rows.push(NewIncident {
            observed_at: now,
            category: v["category"].as_str().unwrap_or("other").into(),
            description: v["description"].as_str().unwrap_or("").into(),
            location: IncidentLocation {
                county: v["county"].as_str().unwrap_or("").into(),
                polling_place: v["polling_place"].as_str().unwrap_or("").into(),
                ..Default::default()
            },
            reporter: Reporter {
                name: "BENCH CALLER".into(),
                phone: "+19195550100".into(),
                relationship: "voter".into(),
                voter_id: String::new(),
            },
            channel: "api".into(),
            created_by: "bench".into(),
            external_key: None,
        });
    }
    let rows = Arc::new(rows);
    let raw_started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (store, rows) = (raw_store.clone(), rows.clone());
        tasks.push(tokio::spawn(async move {
            let mut k = w as usize;
            while k < rows.len() {
                store.create_incident(&rows[k], Utc::now()).await?;
                k += workers as usize;
            }
            Ok::<_, votebase_store::StoreError>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let raw_seconds = raw_started.elapsed().as_secs_f64();
    drop(raw_store);
    if let Some(url) = &served.database {
        for g in [&served, &raw] {
            votebase_store_postgres::drop_org(url, &votebase_domain::OrgName::parse(&g.org)?)
                .await?;
        }
    }

    let result = serde_json::json!({
        "backend": backend,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "clients": args.clients,
        "connections": args.connections,
        "target_per_second": args.rate,
        "seconds": elapsed,
        "accepted": accepted,
        "errors": errors,
        "accepted_per_second": accepted as f64 / elapsed,
        "deliveries_expected": expected,
        "incidents_delivered_to_clients": delivered,
        "events_received": received.load(Ordering::Relaxed),
        "incidents_not_on_every_client": incomplete,
        "delay_to_all_clients_ms_p50": pct(&delays, 50.0),
        "delay_to_all_clients_ms_p99": pct(&delays, 99.0),
        "delay_to_all_clients_ms_max": delays.last().copied().unwrap_or(f64::NAN),
        "store_direct_rows": total,
        "store_direct_seconds": raw_seconds,
        "store_direct_per_second": total as f64 / raw_seconds,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(());
    }
    println!(
        "bench incidents: {backend}, {} cores, {} live-queue clients, target {}/s for {} s over {} connections",
        result["cores"], args.clients, args.rate, args.seconds, args.connections
    );
    println!(
        "{:<44} {:>10} {:>10} {:>12} {:>12}",
        "run", "incidents", "seconds", "incidents/s", "note"
    );
    println!(
        "{:<44} {:>10} {:>10.2} {:>12.0} {:>12}",
        "HTTP intake + live queue (POST /api/v1/incidents)",
        accepted,
        elapsed,
        accepted as f64 / elapsed,
        format!("{errors} errors")
    );
    println!(
        "{:<44} {:>10} {:>10.2} {:>12.0} {:>12}",
        "store.create_incident directly (same rows)",
        total,
        raw_seconds,
        total as f64 / raw_seconds,
        ""
    );
    println!(
        "delay until an incident is on all {} clients: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} of {} deliveries, {} events in all, {} incidents missing somewhere)",
        args.clients,
        pct(&delays, 50.0),
        pct(&delays, 99.0),
        delays.last().copied().unwrap_or(f64::NAN),
        delivered,
        expected,
        received.load(Ordering::Relaxed),
        incomplete
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_offsets_and_ids_parse() {
        let est = parse_offset("-05:00").unwrap();
        assert_eq!(
            parse_time("2026-11-03 07:15", est).unwrap().to_rfc3339(),
            "2026-11-03T12:15:00+00:00"
        );
        assert_eq!(
            parse_time(
                "2026-11-03T07:15:00-05:00",
                FixedOffset::east_opt(0).unwrap()
            )
            .unwrap()
            .to_rfc3339(),
            "2026-11-03T12:15:00+00:00"
        );
        assert!(parse_time("yesterday", est).is_none());
        assert!(parse_offset("5").is_err());
        assert_eq!(first_id(br#"{"incident":{"id":42,"x":1}}"#), Some(42));
        assert_eq!(first_id(b"{}"), None);
        assert_eq!(
            all_ids(br#"[{"id":7,"cluster_id":3},{"id":8,"cluster_id":null}]"#),
            vec![7, 8]
        );
        assert_eq!(
            normalized_address("12 north main street", "Graham", "27253-1234"),
            "12 N MAIN ST, GRAHAM 27253"
        );
        assert_eq!(pct(&[1.0, 2.0, 3.0, 4.0], 50.0), 2.0);
    }
}
