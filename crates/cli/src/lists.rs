//! `votebase list save|ls|export`: saved lists. `save` freezes what a universe
//! expression selects today (voters who already voted dropped unless `--include-voted`)
//! under a name, with the expression, the date, who saved it and how many voted voters
//! were dropped; `ls` shows them; `export` writes a list in a tool's format (csv, van,
//! spoke, nationbuilder, walk), audited.

use crate::args::Global;
use crate::stores;
use crate::universes::{audit_export, output, report_export, select_or_explain};
use crate::voters::cli_actor;
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;
use votebase_ingest::exports::ExportFormat;
use votebase_server::universes::{build_index, member_ids, voted_note, write_export};
use votebase_store::lists::NewList;

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
            let selection = select_or_explain(&built, &expr, include_voted)?;
            let saved = store
                .save_list(&NewList {
                    name,
                    expression: expr,
                    created_by: cli_actor(),
                    voted_election: if include_voted { None } else { built.election },
                    voted_removed: selection.voted_removed as i64,
                    members: member_ids(&built, &selection.members),
                })
                .await?;
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
        ListCommand::Export { name, format, out } => {
            let format = ExportFormat::from_str(&format)?;
            let Some(saved) = store.list(&name).await? else {
                anyhow::bail!("no list named {name:?}: see `votebase list ls`");
            };
            let members = store.list_members(&name).await?;
            let mut w = output(out.as_deref())?;
            let outcome =
                write_export(store.as_ref(), &members, format, &saved.name, &mut w).await?;
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
    let selection = select_or_explain(&built, &expr, false)?;
    let saved = store
        .save_list(&NewList {
            name: NAME.into(),
            expression: expr,
            created_by: "demo".into(),
            voted_election: built.election,
            voted_removed: selection.voted_removed as i64,
            members: member_ids(&built, &selection.members),
        })
        .await?;
    println!(
        "saved list {:?}: {} voters; try `votebase list export {:?} --format walk`",
        saved.name, saved.voters, saved.name
    );
    Ok(())
}
