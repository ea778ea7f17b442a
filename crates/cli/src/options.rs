//! The options every command shares: where the data lives (`--data`, `--database`,
//! `--org`) and the arguments of a file import. Command modules use these; the command
//! grammar (`args`) uses the command modules — never the other way round.

use clap::Args;
use std::path::PathBuf;

/// Where the data lives.
#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Data directory of the embedded SQLite store (one database file per organization).
    #[arg(
        long,
        global = true,
        default_value = "./votebase-data",
        env = "VOTEBASE_DATA"
    )]
    pub data: PathBuf,
    /// PostgreSQL URL (postgres://user@host/db); when set, used instead of --data.
    #[arg(long, global = true, env = "VOTEBASE_DATABASE")]
    pub database: Option<String>,
    /// Organization whose data to use (its own SQLite file or PostgreSQL schema).
    #[arg(long, global = true, default_value = "default", env = "VOTEBASE_ORG")]
    pub org: String,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The file (.txt, .csv, .gz or .zip).
    pub file: PathBuf,
    /// Built-in layout name (ncvoter, ncvhis, ohio, florida) or a layout .toml file.
    #[arg(long)]
    pub layout: String,
    /// The date the file describes (default: from the file name, else its modification date).
    #[arg(long)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Where rejected rows go (default: <file>.rejects.csv).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}
