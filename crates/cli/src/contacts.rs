//! `votebase import contacts FILE [--mapping NAME|FILE.toml]`: loads contact history
//! exported from a canvassing, calling or texting tool (VAN-style canvass results,
//! Spoke-style texting exports, or any tool through a mapping file) in one transaction,
//! all-or-nothing: rejected rows go to `<file>.rejects.csv` with line and reason, and a
//! second import of the same file changes nothing (events are keyed on their source id).

use crate::progress::Bar;
use crate::voters::cli_actor;
use anyhow::bail;
use chrono::Utc;
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use votebase_domain::AuditEntry;
use votebase_ingest::contacts::{ContactMapping, ContactReport, import_contacts_file};
use votebase_store::Store;

/// Options of `import contacts`.
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  votebase import contacts canvass_results.csv\n  votebase import contacts spoke_export.csv --mapping spoke-texts\n  votebase import contacts dialer.csv --mapping ./my-dialer.toml"
)]
pub struct ImportContactsArgs {
    /// The file (.csv, .txt, .gz or .zip).
    pub file: PathBuf,
    /// Built-in mapping (van-canvass, spoke-texts) or a mapping .toml file.
    #[arg(long, default_value = "van-canvass")]
    pub mapping: String,
    /// Where rejected rows go (default: <file>.rejects.csv).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Imports one contacts file into an open store; fails (nothing written) when any row
/// is rejected.
pub async fn import_into(
    store: &dyn Store,
    args: &ImportContactsArgs,
) -> anyhow::Result<ContactReport> {
    let mapping = ContactMapping::load(&args.mapping)?;
    let label = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let report = import_contacts_file(
        store,
        &args.file,
        mapping,
        args.rejects.clone(),
        Arc::new(Bar::new(&label)),
    )
    .await?;
    let o = &report.outcome;
    if args.json {
        println!(
            "{}",
            json!({"read": report.read, "committed": report.committed, "inserted": o.inserted,
                "unchanged": o.unchanged, "answers": o.answers, "new_tags": o.new_tags,
                "rejected": report.rejected, "rejects_file": report.rejects_path,
                "seconds": report.seconds})
        );
    }
    if !report.committed {
        bail!(
            "{label}: {} of {} rows rejected (see {}); nothing was imported. Fix them and import the file again.",
            report.rejected,
            report.read,
            report.rejects_path.display()
        );
    }
    if o.inserted > 0 {
        store
            .audit(&AuditEntry {
                at: Utc::now(),
                actor: cli_actor(),
                action: "import".into(),
                subject: label.clone(),
                detail: format!(
                    "contacts, mapping {}, {} new events",
                    args.mapping, o.inserted
                ),
            })
            .await?;
    }
    if !args.json {
        println!(
            "{label}: read {}, new contacts {}, already imported {}, survey answers {}, new tags {}, {:.1} s",
            report.read, o.inserted, o.unchanged, o.answers, o.new_tags, report.seconds
        );
    }
    Ok(report)
}

/// The demo's contact history: writes a VAN-style canvass file and a Spoke-style texting
/// file for the fictional state, imports both, then trains and applies the support score.
pub async fn demo_contacts(
    store: &dyn Store,
    state: &Arc<votebase_demo::DemoState>,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    let st = state.clone();
    let out = dir.join("contacts");
    let files = tokio::task::spawn_blocking(move || votebase_demo::write_contact_files(&st, &out))
        .await?
        .map_err(|e| anyhow::anyhow!("writing the demo contact files: {e}"))?;
    let mut inserted = 0;
    for (file, mapping) in [
        (&files.canvass, "van-canvass"),
        (&files.texts, "spoke-texts"),
    ] {
        let report = import_into(
            store,
            &ImportContactsArgs {
                file: file.clone(),
                mapping: mapping.into(),
                rejects: None,
                json: false,
            },
        )
        .await?;
        inserted += report.outcome.inserted;
    }
    println!(
        "contact history: {} attempts ({} ad impressions) from a canvass and a texting export, {inserted} new",
        files.attempts, files.ads
    );
    let model = votebase_app::scores::train_score(
        store,
        "survey:support",
        "support",
        2026,
        1.0,
        &crate::progress::Bar::new("voters"),
    )
    .await?;
    let (voters, _) =
        votebase_app::scores::apply_score(store, "support", &crate::progress::Bar::new("scoring"))
            .await?;
    println!(
        "support score: trained on {} answers (AUC {:.3} on {} held out), {voters} voters scored; try `support>=70`",
        model.trained_on + model.held_out,
        model.auc,
        model.held_out
    );
    Ok(())
}
