//! `votebase volunteers …`, `votebase projects …` and `votebase match`: volunteers and
//! campaign projects from the command line. Imports of the built-in CSV layouts (all or
//! nothing, rejects with line and reason, idempotent by `id`), the skills taxonomy, the
//! ranked and explained candidates of a project, and the double opt-in (invite, the
//! volunteer's answer, the campaign's decision): thin front ends over
//! `votebase_app::people`. Also `votebase bench match` ([`bench`]).

use crate::options::Global;
use crate::stores;
use anyhow::bail;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use votebase_app::people as app;
use votebase_domain::csv_safe::SafeWriter;
use votebase_domain::people::MatchStep;
use votebase_ingest::rejects::RejectWriter;
use votebase_store::Store;

mod bench;
pub mod events;

pub use bench::{BenchMatchArgs, bench};

/// The ZIP centroids shipped beside the repository (Census ZCTA internal points).
pub const DEFAULT_CENTROIDS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/geo/zcta_2021_census_gazetteer_centroids.csv"
);

/// `votebase volunteers` subcommands.
#[derive(Subcommand, Debug)]
pub enum VolunteersCommand {
    /// Import volunteers from a CSV file (all or nothing; again with the same ids updates
    /// what changed and leaves the rest).
    #[command(
        after_help = "Columns (header required): id,first_name,last_name,email,phone,zip,home_state,skills,hours_per_week,remote\nskills as skill:level;skill:level (level 1-3, e.g. python:3;data_engineering:2), remote yes/no.\nOptional: home_town, issues, languages (a;b), address, consent_email, consent_text, consent_wording.\n\nExample: votebase volunteers import volunteers.csv"
    )]
    Import(ImportArgs),
    /// The skills taxonomy, or add an organization's own skill.
    #[command(
        after_help = "Example: votebase volunteers skills add voter_protection --label \"Voter protection\""
    )]
    Skills {
        #[command(subcommand)]
        add: Option<SkillsCommand>,
    },
    /// A volunteer answers an invitation (yes or no).
    #[command(after_help = "Example: votebase volunteers answer p12 v431 yes")]
    Answer {
        /// Project id.
        project: String,
        /// Volunteer id.
        volunteer: String,
        /// yes or no.
        #[arg(value_parser = ["yes", "no"])]
        answer: String,
    },
    /// Deliver queued emails (invitations) through an SMTP relay; each message is marked
    /// sent once the relay accepted it, so running this again sends only what is left.
    #[command(
        after_help = "Example: votebase volunteers send-email --smtp 127.0.0.1:25 --from \"Tech for Campaigns <team@example.org>\""
    )]
    SendEmail {
        /// The relay, HOST:PORT.
        #[arg(long)]
        smtp: String,
        /// The sender address.
        #[arg(long)]
        from: String,
        /// At most this many messages.
        #[arg(long, default_value_t = 1000)]
        limit: u32,
    },
    /// Link volunteers to the voter file again (the import does it too) and print the
    /// review queue: candidates between 0.5 and 0.9, or several near-equal ones.
    #[command(after_help = "Example: votebase volunteers link --json")]
    Link {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Confirm or reject a candidate link of the review queue.
    #[command(after_help = "Example: votebase volunteers review v431 NC000123 confirm")]
    Review {
        /// Volunteer id.
        volunteer: String,
        /// State voter id.
        voter: String,
        /// confirm or reject.
        #[arg(value_parser = ["confirm", "reject"])]
        decision: String,
    },
    /// A volunteer's matches (audited).
    Matches {
        /// Volunteer id.
        volunteer: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Every volunteer: id, name, email, source, skills; with --json every stored field,
    /// consent and its wording included (audited). Volunteers on the do-not-contact list
    /// (their email, phone or linked voter) are left out unless --include-suppressed.
    #[command(after_help = "Example: votebase volunteers list --json")]
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Keep volunteers on the do-not-contact list.
        #[arg(long)]
        include_suppressed: bool,
    },
}

/// `votebase volunteers skills add`.
#[derive(Subcommand, Debug)]
pub enum SkillsCommand {
    /// Add a skill to the taxonomy.
    Add {
        /// Name (letters, digits, '_' or '-').
        name: String,
        /// Label shown (default: the name).
        #[arg(long, default_value = "")]
        label: String,
    },
}

/// `votebase projects` subcommands.
#[derive(Subcommand, Debug)]
pub enum ProjectsCommand {
    /// Import projects from a CSV file (all or nothing, idempotent by id).
    #[command(
        after_help = "Columns (header required): id,organization,title,state,zip,remote,required_skills,nice_skills,hours_per_week,seats\nrequired_skills and nice_skills as skill:minimum_level;... Optional: role, start, deadline (YYYY-MM-DD), issues, languages.\n\nExample: votebase projects import projects.csv"
    )]
    Import(ImportArgs),
    /// Every project.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Invite volunteers (by id, or the best --top candidates not yet invited); each gets
    /// one invitation email through the outbox, never two.
    #[command(after_help = "Example: votebase projects invite p12 --top 5")]
    Invite {
        /// Project id.
        project: String,
        /// Volunteer ids.
        volunteers: Vec<String>,
        /// Invite the best N candidates.
        #[arg(long)]
        top: Option<usize>,
        /// The URL volunteers reach the server at: the links in the email (their
        /// matches page, unsubscribe) start with it; without it they are bare paths.
        #[arg(long, env = "VOTEBASE_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// The campaign accepts or declines a volunteer who said yes.
    #[command(after_help = "Example: votebase projects decide p12 v431 accept")]
    Decide {
        /// Project id.
        project: String,
        /// Volunteer id.
        volunteer: String,
        /// accept or decline.
        #[arg(value_parser = ["accept", "decline"])]
        decision: String,
    },
    /// A project's matches and their double opt-in state (audited).
    Matches {
        /// Project id.
        project: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Import options.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The CSV file.
    pub file: PathBuf,
    /// ZIP centroids (`zcta,lat,lon`) for distances.
    #[arg(long, default_value = DEFAULT_CENTROIDS)]
    pub zip_centroids: PathBuf,
    /// Where rejected rows go (default: <file>.rejects.csv).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `votebase match` options.
#[derive(Args, Debug)]
pub struct MatchArgs {
    /// Project id (from the projects file).
    pub project: String,
    /// How many candidates.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// table, csv or json.
    #[arg(long, default_value = "table")]
    pub format: String,
}

fn centroids(path: &Path) -> anyhow::Result<app::ZipCentroids> {
    if !path.exists() {
        bail!(
            "ZIP centroids {} not found: pass --zip-centroids FILE (a zcta,lat,lon CSV such as the Census gazetteer)",
            path.display()
        );
    }
    Ok(app::ZipCentroids::load(path)?)
}

async fn import(store: &dyn Store, args: &ImportArgs, volunteers: bool) -> anyhow::Result<()> {
    let centroids = centroids(&args.zip_centroids)?;
    let rejects_path = args
        .rejects
        .clone()
        .unwrap_or_else(|| RejectWriter::default_path(&args.file));
    let mut rejects = RejectWriter::new(rejects_path);
    let report = if volunteers {
        app::import_volunteers(store, &args.file, &centroids, &mut rejects).await
    } else {
        app::import_projects(store, &args.file, &centroids, &mut rejects).await
    };
    rejects.finish()?;
    let report = report?;
    let what = if volunteers { "volunteers" } else { "projects" };
    let linkage = if volunteers {
        Some(app::linkage::link_people(store).await?)
    } else {
        None
    };
    let file = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let o = report.outcome;
    crate::voters::cli_audit(
        store,
        "import",
        &file,
        &format!(
            "{what}: {} new, {} updated, {} unchanged",
            o.inserted, o.updated, o.unchanged
        ),
    )
    .await?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({"file": file, "kind": what, "rows": report.rows,
                "inserted": o.inserted, "updated": o.updated, "unchanged": o.unchanged,
                "linkage": linkage})
        );
    } else {
        println!(
            "{file}: {} {what}: {} new, {} updated, {} unchanged",
            report.rows, o.inserted, o.updated, o.unchanged
        );
        if let Some(l) = &linkage {
            print_linkage(l);
        }
    }
    Ok(())
}

fn print_linkage(l: &app::linkage::LinkageReport) {
    match &l.skipped {
        Some(why) => println!("voter-file linkage skipped: {why}"),
        None => println!(
            "voter file: {} linked, {} to review (votebase volunteers link), {} not found",
            l.linked, l.review, l.unmatched
        ),
    }
}

pub async fn volunteers(global: &Global, cmd: VolunteersCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    let store = store.as_ref();
    match cmd {
        VolunteersCommand::Import(args) => import(store, &args, true).await,
        VolunteersCommand::Skills { add } => {
            if let Some(SkillsCommand::Add { name, label }) = add {
                let name = app::add_skill(store, &name, &label).await?;
                crate::voters::cli_audit(store, "skill.add", &name, "").await?;
                println!("added {name}");
            } else {
                app::taxonomy(store).await?;
                for s in store.skills().await? {
                    println!("{:<24} {}", s.name, s.label);
                }
            }
            Ok(())
        }
        VolunteersCommand::Answer {
            project,
            volunteer,
            answer,
        } => {
            let m = app::step(
                store,
                &project,
                &volunteer,
                MatchStep::VolunteerAnswers {
                    yes: answer == "yes",
                },
            )
            .await?;
            crate::voters::cli_audit(
                store,
                "match.answer",
                &format!("{project}/{volunteer}"),
                &answer,
            )
            .await?;
            println!("{project} {volunteer}: {}", m.state);
            Ok(())
        }
        VolunteersCommand::SendEmail { smtp, from, limit } => {
            let Some((host, port)) = smtp.rsplit_once(':') else {
                bail!("--smtp {smtp:?}: write HOST:PORT");
            };
            let port: u16 = port
                .parse()
                .map_err(|_| anyhow::anyhow!("--smtp {smtp:?}: the port is not a number"))?;
            let mailer = app::outbox::SmtpMailer::new(host, port, &from)?;
            let d = app::outbox::deliver(store, &mailer, limit).await?;
            println!(
                "{} sent, {} failed (to retry), {} given up, {} withheld (unsubscribed)",
                d.sent, d.failed, d.given_up, d.withheld
            );
            if d.failed > 0 && d.sent == 0 {
                bail!("no message could be delivered through {smtp}");
            }
            Ok(())
        }
        VolunteersCommand::Link { json } => {
            let report = app::linkage::link_people(store).await?;
            let queue = store
                .person_links(votebase_domain::people::LinkStatus::Review)
                .await?;
            crate::voters::cli_audit(store, "read", "person.links", "review queue").await?;
            if json {
                let linked = store
                    .person_links(votebase_domain::people::LinkStatus::Linked)
                    .await?;
                println!(
                    "{}",
                    serde_json::json!({"report": report, "linked": linked, "review": queue})
                );
            } else {
                print_linkage(&report);
                for l in queue {
                    println!(
                        "{:<10} {:<14} {:.3}  {}",
                        l.person, l.state_voter_id, l.probability, l.explanation
                    );
                }
            }
            Ok(())
        }
        VolunteersCommand::Review {
            volunteer,
            voter,
            decision,
        } => {
            let status = if decision == "confirm" {
                votebase_domain::people::LinkStatus::Confirmed
            } else {
                votebase_domain::people::LinkStatus::Rejected
            };
            if !store.decide_person_link(&volunteer, &voter, status).await? {
                bail!("no candidate link between {volunteer} and {voter}");
            }
            crate::voters::cli_audit(
                store,
                "person.link.review",
                &volunteer,
                &format!("{voter} {decision}"),
            )
            .await?;
            println!("{volunteer} {voter}: {}", status.code());
            Ok(())
        }
        VolunteersCommand::Matches { volunteer, json } => {
            let rows = store.matches_of_volunteer(&volunteer).await?;
            crate::voters::cli_audit(store, "read", "volunteer.matches", &volunteer).await?;
            print_matches(&rows, json)
        }
        VolunteersCommand::List {
            json,
            include_suppressed,
        } => {
            let (rows, removed) = app::volunteers_for_export(store, include_suppressed).await?;
            crate::voters::cli_audit(
                store,
                "read",
                "volunteers",
                &format!(
                    "{} volunteers ({removed} on the do-not-contact list left out)",
                    rows.len()
                ),
            )
            .await?;
            if let Some(note) = votebase_app::suppression::removed_note(removed, include_suppressed)
            {
                eprintln!("{note}");
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for v in rows {
                    println!(
                        "{:<14} {:<28} {:<32} {:<16} {}{}",
                        v.person.external_id,
                        v.person.display_name(),
                        v.person.emails.first().map(String::as_str).unwrap_or(""),
                        v.person.source,
                        votebase_domain::people::render_skill_list(&v.profile.skills),
                        if v.unsubscribed {
                            " (unsubscribed)"
                        } else {
                            ""
                        }
                    );
                }
            }
            Ok(())
        }
    }
}

fn print_matches(rows: &[votebase_domain::people::ProjectMatch], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(rows)?);
    } else {
        println!(
            "{:<12} {:<12} {:<14} {:>6}",
            "project", "volunteer", "state", "score"
        );
        for m in rows {
            println!(
                "{:<12} {:<12} {:<14} {:>6.4}",
                m.project, m.volunteer, m.state, m.score
            );
        }
    }
    Ok(())
}

pub async fn projects(global: &Global, cmd: ProjectsCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    let store = store.as_ref();
    match cmd {
        ProjectsCommand::Import(args) => import(store, &args, false).await,
        ProjectsCommand::List { json } => {
            let rows = store.projects().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for p in rows {
                    let p = p.project;
                    println!(
                        "{:<10} {:<30} {:<40} {} needs {}",
                        p.external_id,
                        p.organization,
                        p.title,
                        if p.remote { "remote" } else { p.zip.as_str() },
                        votebase_domain::people::render_skill_list(&p.required_skills)
                    );
                }
            }
            Ok(())
        }
        ProjectsCommand::Invite {
            project,
            mut volunteers,
            top,
            public_url,
        } => {
            let links = app::links::LinkSigner::load(store, public_url.as_deref()).await?;
            if let Some(n) = top {
                let already = store.matches_of_project(&project).await?.len();
                volunteers.extend(
                    app::candidates(store, &project, n + already)
                        .await?
                        .into_iter()
                        .filter(|c| c.state.is_none())
                        .take(n)
                        .map(|c| c.volunteer),
                );
            }
            if volunteers.is_empty() {
                bail!("name volunteers to invite, or pass --top N");
            }
            for v in &volunteers {
                let (m, created) = app::invite(store, &project, v, &links).await?;
                if created {
                    crate::voters::cli_audit(store, "match.invite", &format!("{project}/{v}"), "")
                        .await?;
                }
                println!(
                    "{project} {v}: {}{}",
                    m.state,
                    if created {
                        " (invited now)"
                    } else {
                        " (already invited)"
                    }
                );
            }
            Ok(())
        }
        ProjectsCommand::Decide {
            project,
            volunteer,
            decision,
        } => {
            let m = app::step(
                store,
                &project,
                &volunteer,
                MatchStep::CampaignDecides {
                    accept: decision == "accept",
                },
            )
            .await?;
            crate::voters::cli_audit(
                store,
                "match.decide",
                &format!("{project}/{volunteer}"),
                &decision,
            )
            .await?;
            println!("{project} {volunteer}: {}", m.state);
            Ok(())
        }
        ProjectsCommand::Matches { project, json } => {
            let rows = store.matches_of_project(&project).await?;
            crate::voters::cli_audit(store, "read", "project.matches", &project).await?;
            print_matches(&rows, json)
        }
    }
}

/// `votebase match PROJECT --top N [--format csv]`.
pub async fn match_project(global: &Global, args: MatchArgs) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    let store = store.as_ref();
    let rows = app::candidates(store, &args.project, args.top).await?;
    crate::voters::cli_audit(
        store,
        "export",
        "match",
        &format!("{} top {} ({} rows)", args.project, args.top, rows.len()),
    )
    .await?;
    match args.format.as_str() {
        "csv" => {
            let mut w = SafeWriter::from_writer(std::io::stdout().lock());
            w.write_record(["id", "score", "explanation"])?;
            for c in &rows {
                w.write_record([
                    c.volunteer.as_str(),
                    &format!("{:.4}", c.score),
                    &c.explanation,
                ])?;
            }
            w.flush()?;
        }
        "json" => println!("{}", serde_json::to_string_pretty(&rows)?),
        "table" => {
            for c in &rows {
                println!(
                    "{:<10} {:.4}  {}{}",
                    c.volunteer,
                    c.score,
                    c.explanation,
                    c.state.map(|s| format!(" [{s}]")).unwrap_or_default()
                );
            }
            if rows.is_empty() {
                println!("no volunteer has every required skill");
            }
        }
        other => bail!("unknown --format {other:?}: use table, csv or json"),
    }
    Ok(())
}

/// The demo's volunteers and projects: written in the built-in CSV layouts, imported
/// through the real importers, the best three candidates of the first projects invited,
/// and some of those invitations answered and accepted.
pub async fn demo_people(store: &dyn Store, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let (vpath, ppath) = (dir.join("volunteers.csv"), dir.join("projects.csv"));
    votebase_demo::people::write_volunteers_csv(
        &vpath,
        &votebase_demo::people::volunteers(2_000, 16),
    )?;
    votebase_demo::people::write_projects_csv(&ppath, &votebase_demo::people::projects(60, 16))?;
    let centroids = app::ZipCentroids::from_points(
        votebase_demo::people::PLACES
            .iter()
            .map(|(zip, _, lat, lon)| (zip.to_string(), (*lat, *lon))),
    );
    let mut rejects = RejectWriter::new(dir.join("volunteers.rejects.csv"));
    let v = app::import_volunteers(store, &vpath, &centroids, &mut rejects).await?;
    let p = app::import_projects(store, &ppath, &centroids, &mut rejects).await?;
    rejects.finish()?;
    let links =
        app::links::LinkSigner::load(store, std::env::var("VOTEBASE_PUBLIC_URL").ok().as_deref())
            .await?;
    let mut invited = 0;
    for (i, project) in store.projects().await?.iter().take(10).enumerate() {
        let id = &project.project.external_id;
        for (k, c) in app::candidates(store, id, 3).await?.iter().enumerate() {
            let (_, newly_invited) = app::invite(store, id, &c.volunteer, &links).await?;
            if !newly_invited {
                // A second `votebase demo` over the same data: the answers are recorded.
                continue;
            }
            invited += 1;
            if (i + k) % 3 != 2 {
                let yes = (i + k) % 4 != 3;
                app::step(store, id, &c.volunteer, MatchStep::VolunteerAnswers { yes }).await?;
                if yes && k == 0 {
                    app::step(
                        store,
                        id,
                        &c.volunteer,
                        MatchStep::CampaignDecides { accept: true },
                    )
                    .await?;
                }
            }
        }
    }
    println!(
        "{} volunteers, {} projects, {invited} invitations (emails queued; send with `votebase volunteers send-email`)",
        v.rows, p.rows
    );
    Ok(())
}
