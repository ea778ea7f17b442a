//! `votebase events …`: events and attendance from the command line. `import` reads a
//! Mobilize-style attendance export (all or nothing, rejects with line and column;
//! events, shifts and people created as needed, known addresses matched to their
//! person); `list` shows events with each shift's head counts; `attendance` one event's
//! people (audited); `rsvp` and `check-in` record one person.

use crate::options::Global;
use crate::stores;
use chrono::Utc;
use clap::Subcommand;
use std::path::PathBuf;
use votebase_app::people::events as app;
use votebase_ingest::rejects::RejectWriter;
use votebase_store::Store;

/// `votebase events` subcommands.
#[derive(Subcommand, Debug)]
pub enum EventsCommand {
    /// Import a Mobilize-style attendance export (one row per person and timeslot).
    #[command(
        after_help = "Columns by name (case and spaces ignored): event_id, timeslot_id, timeslot_start, email, status (REGISTERED, CONFIRMED, CANCELLED, ATTENDED, NO_SHOW); optional: event_title or event_name, event_type, organization, location, event_zip, timeslot_end, capacity, attended (true/false), user_id, first_name, last_name, phone, zip. Times: RFC 3339, YYYY-MM-DD HH:MM (UTC) or Unix seconds. A registered person whose shift is over and who did not attend is a no-show.\n\nExample: votebase events import mobilize-attendance.csv"
    )]
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Where rejected rows go (default: <file>.rejects.csv).
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import a Mobilize API events page (JSON: `{count, next, previous, data}`): events
    /// and their timeslots as shifts, by id.
    #[command(after_help = "Example: votebase events import-mobilize events.json")]
    ImportMobilize {
        /// The JSON file.
        file: PathBuf,
    },
    /// Import Action Network / OSDI people (JSON: a collection, an array or one person);
    /// people already known keep their record; unsubscribed addresses are honoured.
    #[command(after_help = "Example: votebase events import-osdi-people people.json")]
    ImportOsdiPeople {
        /// The JSON file.
        file: PathBuf,
    },
    /// Every event with its shifts: registered, attended, no-show, capacity.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One event's attendance, by shift (audited).
    Attendance {
        /// Event id (`mobilize:86738`).
        event: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Register a person for a shift (refused when the shift is full).
    #[command(after_help = "Example: votebase events rsvp mobilize:86738 1001 v431")]
    Rsvp {
        /// Event id.
        event: String,
        /// Shift (timeslot) id.
        shift: String,
        /// Person id.
        person: String,
    },
    /// Check a person in (walk-ins too), or undo it with --undo.
    #[command(after_help = "Example: votebase events check-in mobilize:86738 1001 v431")]
    CheckIn {
        /// Event id.
        event: String,
        /// Shift (timeslot) id.
        shift: String,
        /// Person id.
        person: String,
        /// Back to registered.
        #[arg(long)]
        undo: bool,
    },
}

/// Runs `votebase events …`.
pub async fn events(global: &Global, cmd: EventsCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    let store = store.as_ref();
    match cmd {
        EventsCommand::Import {
            file,
            rejects,
            json,
        } => {
            let rejects_path = rejects.unwrap_or_else(|| {
                let mut p = file.clone().into_os_string();
                p.push(".rejects.csv");
                PathBuf::from(p)
            });
            let mut rejects = RejectWriter::new(rejects_path);
            let report = app::import_attendance(store, &file, &mut rejects, Utc::now()).await;
            rejects.finish()?;
            let report = report?;
            crate::voters::cli_audit(
                store,
                "import",
                &file.display().to_string(),
                &format!("{} attendance rows", report.rows),
            )
            .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                let e = report.events;
                println!(
                    "{} rows: {} events ({} new, {} updated, {} unchanged), {} new people, {} attendance records",
                    report.rows,
                    e.inserted + e.updated + e.unchanged,
                    e.inserted,
                    e.updated,
                    e.unchanged,
                    report.people_added,
                    report.attendance
                );
            }
            Ok(())
        }
        EventsCommand::ImportMobilize { file } => {
            let e = votebase_app::people::sources::import_mobilize_events(store, &file).await?;
            crate::voters::cli_audit(
                store,
                "import",
                &file.display().to_string(),
                "mobilize events",
            )
            .await?;
            println!(
                "{} events: {} new, {} updated, {} unchanged",
                e.inserted + e.updated + e.unchanged,
                e.inserted,
                e.updated,
                e.unchanged
            );
            Ok(())
        }
        EventsCommand::ImportOsdiPeople { file } => {
            let r = votebase_app::people::sources::import_osdi_people(store, &file).await?;
            crate::voters::cli_audit(store, "import", &file.display().to_string(), "osdi people")
                .await?;
            println!(
                "{} people: {} new, {} addresses unsubscribed",
                r.people, r.added, r.unsubscribed
            );
            Ok(())
        }
        EventsCommand::List { json } => {
            let rows = store.events().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for e in rows {
                    println!("{:<22} {:<12} {}", e.external_id, e.kind, e.title);
                    for s in &e.shifts {
                        println!(
                            "    shift {:<10} {}  registered {}, attended {}, no-show {}{}",
                            s.shift.external_id,
                            s.shift.starts_at.format("%Y-%m-%d %H:%M"),
                            s.registered,
                            s.attended,
                            s.no_show,
                            s.shift
                                .capacity
                                .map(|c| format!(", capacity {c}"))
                                .unwrap_or_default()
                        );
                    }
                }
            }
            Ok(())
        }
        EventsCommand::Attendance { event, json } => {
            let rows = store.attendance_of_event(&event).await?;
            crate::voters::cli_audit(store, "read", "event.attendance", &event).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in rows {
                    let a = r.attendance;
                    println!("{:<10} {:<24} {}", a.shift, a.person, a.status.code());
                }
            }
            Ok(())
        }
        EventsCommand::Rsvp {
            event,
            shift,
            person,
        } => {
            app::rsvp(store, &event, &shift, &person).await?;
            crate::voters::cli_audit(
                store,
                "event.rsvp",
                &format!("{event}/{shift}/{person}"),
                "",
            )
            .await?;
            println!("{event} {shift} {person}: registered");
            Ok(())
        }
        EventsCommand::CheckIn {
            event,
            shift,
            person,
            undo,
        } => {
            app::check_in(store, &event, &shift, &person, !undo).await?;
            crate::voters::cli_audit(
                store,
                "event.check_in",
                &format!("{event}/{shift}/{person}"),
                if undo { "undo" } else { "" },
            )
            .await?;
            println!(
                "{event} {shift} {person}: {}",
                if undo { "registered" } else { "attended" }
            );
            Ok(())
        }
    }
}

/// The demo's events: a Mobilize-style attendance export for the demo volunteers (a
/// canvass and a phone bank of the past weeks, a training next week), written beside
/// the other demo files and imported through the real importer.
pub async fn demo_events(store: &dyn Store, dir: &std::path::Path) -> anyhow::Result<()> {
    use chrono::Duration;
    std::fs::create_dir_all(dir)?;
    let path = dir.join("mobilize-attendance.csv");
    let today = Utc::now().date_naive();
    let at = |days: i64, hour: u32| {
        (today + Duration::days(days))
            .and_hms_opt(hour, 0, 0)
            .expect("valid hour")
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let volunteers = store.volunteers().await?;
    let mut w = csv::Writer::from_path(&path)?;
    w.write_record([
        "event_id",
        "event_title",
        "event_type",
        "organization",
        "location",
        "timeslot_id",
        "timeslot_start",
        "timeslot_end",
        "capacity",
        "email",
        "first_name",
        "last_name",
        "status",
        "attended",
    ])?;
    let events = [
        (
            "1001",
            "Saturday canvass",
            "CANVASS",
            "Madison Field Office, 1 Main St",
            -12,
            30,
        ),
        ("1002", "Phone bank night", "PHONE_BANK", "virtual", -5, 40),
        (
            "1003",
            "New volunteer training",
            "TRAINING",
            "virtual",
            7,
            25,
        ),
    ];
    for (k, (id, title, kind, location, days, people)) in events.iter().enumerate() {
        for (slot, hour) in [(1u32, 14u32), (2, 18)] {
            let shift = format!("{id}{slot}");
            for (i, v) in volunteers
                .iter()
                .skip(k * 17 + slot as usize * 5)
                .step_by(3)
                .take(*people / 2)
                .enumerate()
            {
                let Some(email) = v.person.emails.first() else {
                    continue;
                };
                let (status, attended) = if *days > 0 {
                    ("REGISTERED", "")
                } else if i % 7 == 3 {
                    ("CANCELLED", "")
                } else if i % 5 == 4 {
                    ("CONFIRMED", "false")
                } else {
                    ("CONFIRMED", "true")
                };
                w.write_record([
                    *id,
                    *title,
                    *kind,
                    "Dems of Dane County",
                    *location,
                    shift.as_str(),
                    at(*days, hour).as_str(),
                    at(*days, hour + 3).as_str(),
                    "20",
                    email.as_str(),
                    v.person.first_name.as_str(),
                    v.person.last_name.as_str(),
                    status,
                    attended,
                ])?;
            }
        }
    }
    w.flush()?;
    drop(w);
    let mut rejects = RejectWriter::new(dir.join("mobilize-attendance.rejects.csv"));
    let report = app::import_attendance(store, &path, &mut rejects, Utc::now()).await;
    rejects.finish()?;
    let report = report?;
    println!(
        "{} events, {} attendance records (check in at /events)",
        report.events.inserted + report.events.updated + report.events.unchanged,
        report.attendance
    );
    Ok(())
}
