//! `votebase list save|ls|export`: saved lists. `save` freezes what a universe
//! expression selects today (voters who already voted dropped unless `--include-voted`)
//! under a name, with the expression, the date, who saved it and how many voted voters
//! were dropped; `ls` shows them; `export` writes a list in a tool's format (csv, van,
//! spoke, nationbuilder, walk), audited.

use crate::options::Global;
use crate::stores;
use crate::universes::{audit_export, caret, output, report_export, select_or_explain};
use crate::voters::cli_actor;
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;
use votebase_app::lists::{ListExportError, ListToSave, SaveListError, save_list};
use votebase_app::universes::{build_index, voted_note};
use votebase_domain::users::Role;
use votebase_ingest::exports::ExportFormat;

#[derive(Subcommand, Debug)]
pub enum ListCommand {
    /// Save what an expression selects now as a named list (frozen membership).
    #[command(
        after_help = "Example: votebase list save 'Young Dems Wake' 'county:WAKE party:DEM age:18..29 !ballot:returned'"
    )]
    Save {
        /// Unique list name.
        name: String,
        /// The filter expression.
        expr: String,
        /// Keep voters who already voted (dropped by default once ballot files are loaded).
        #[arg(long)]
        include_voted: bool,
        /// Print the saved list as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the saved lists, newest first.
    #[command(after_help = "Example: votebase list ls --json")]
    Ls {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export a saved list (audited).
    #[command(
        after_help = "Examples:\n  votebase list export 'Young Dems Wake' --format walk > walk.csv\n  votebase list export 'Young Dems Wake' --format spoke --out spoke.csv"
    )]
    Export {
        /// The list name.
        name: String,
        /// csv, van, spoke, nationbuilder or walk.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Keep members who are now on the do-not-contact list (left out by default).
        #[arg(long)]
        include_suppressed: bool,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub async fn list(global: &Global, cmd: ListCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    match cmd {
        ListCommand::Save {
            name,
            expr,
            include_voted,
            json,
        } => {
            let built = build_index(store.as_ref()).await?;
            let actor = cli_actor();
            let (saved, selection) = save_list(
                store.as_ref(),
                &built,
                &ListToSave {
                    name: &name,
                    expression: &expr,
                    include_voted,
                    created_by: &actor,
                },
            )
            .await
            .map_err(|e| match e {
                SaveListError::Expression(q) => anyhow::anyhow!("{}", caret(&expr, &q)),
                SaveListError::Store(s) => s.into(),
            })?;
            if json {
                println!("{}", serde_json::to_string(&saved)?);
            } else {
                if let Some(note) =
                    voted_note(built.election, selection.voted_removed, include_voted)
                {
                    eprintln!("{note}");
                }
                println!("saved list {:?}: {} voters", saved.name, saved.voters);
            }
            Ok(())
        }
        ListCommand::Ls { json } => {
            let lists = store.lists().await?;
            if json {
                println!("{}", serde_json::to_string(&lists)?);
            } else if lists.is_empty() {
                eprintln!("no list saved yet: votebase list save NAME EXPR");
            } else {
                println!(
                    "{:<30} {:>9} {:>8} {:<17} {:<16} expression",
                    "name", "voters", "voted", "saved", "by"
                );
                for l in lists {
                    println!(
                        "{:<30} {:>9} {:>8} {:<17} {:<16} {}",
                        l.name,
                        l.voters,
                        l.voted_removed,
                        l.created_at.format("%Y-%m-%d %H:%M"),
                        l.created_by,
                        l.expression
                    );
                }
            }
            Ok(())
        }
        ListCommand::Export {
            name,
            format,
            include_suppressed,
            out,
        } => {
            let format = ExportFormat::from_str(&format)?;
            if store.list(&name).await?.is_none() {
                anyhow::bail!("no list named {name:?}: see `votebase list ls`");
            }
            let mut w = output(out.as_deref())?;
            // The CLI runs with the store's own credentials: its operator is an admin.
            let (saved, outcome) = votebase_app::lists::export_list(
                store.as_ref(),
                Role::Admin,
                &name,
                format,
                include_suppressed,
                &mut w,
            )
            .await
            .map_err(|e| match e {
                ListExportError::NotFound(n) => {
                    anyhow::anyhow!("no list named {n:?}: see `votebase list ls`")
                }
                other => other.into(),
            })?;
            w.flush()?;
            audit_export(
                store.as_ref(),
                &format!("list {}", saved.name),
                format,
                &outcome,
                saved.voted_removed as u64,
            )
            .await?;
            report_export(format, &outcome);
            Ok(())
        }
    }
}

/// The demo's saved list: the example universe over the demo's two largest
/// counties ("young Democrats who voted in 2020, not in 2022, have not returned a ballot
/// and had no door knock in 30 days"). Kept as it is when the demo runs again.
pub async fn demo_list(store: &dyn votebase_store::Store) -> anyhow::Result<()> {
    const NAME: &str = "Young Dems, top two counties (demo)";
    if store.list(NAME).await?.is_some() {
        return Ok(());
    }
    let built = build_index(store).await?;
    let everyone = votebase_index::parse("")?;
    let counties: Vec<String> = built
        .index
        .breakdown(&everyone, votebase_index::Dimension::County)?
        .into_iter()
        .take(2)
        .map(|(c, _)| format!("\"{c}\""))
        .collect();
    if counties.len() < 2 {
        return Ok(());
    }
    let expr = format!(
        "county:{} party:DEM age:18..29 voted:2020-11-03 !voted:2022-11-08 !ballot:returned !contacted:door:30d",
        counties.join(",")
    );
    select_or_explain(&built, &expr, false, false)?;
    let (saved, _) = save_list(
        store,
        &built,
        &ListToSave {
            name: NAME,
            expression: &expr,
            include_voted: false,
            created_by: "demo",
        },
    )
    .await?;
    println!(
        "saved list {:?}: {} voters; try `votebase list export {:?} --format walk`",
        saved.name, saved.voters, saved.name
    );
    Ok(())
}
