//! The command-line grammar: global options (`--data`, `--database`, `--org`) and every
//! subcommand with its options and an example in its help.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// votebase: one clean voter file, lists in milliseconds, lookups for the public.
#[derive(Parser, Debug)]
#[command(name = "votebase", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

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

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Import a file: voters (a snapshot) or vote history.
    #[command(subcommand)]
    Import(ImportCommand),
    /// List snapshots: id, as-of date, voters, added, removed, changed.
    #[command(after_help = "Example: votebase snapshots --json")]
    Snapshots {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Find and show voters.
    #[command(subcommand)]
    Voters(VotersCommand),
    /// Generate a fictional state, import it and serve the web UI.
    Demo(DemoArgs),
    /// Serve the web UI and the JSON API.
    #[command(after_help = "Example: votebase serve --bind 127.0.0.1:8080")]
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
        /// The URL people reach the server at (e.g. https://votebase.example.org): its
        /// origin is the one the CSRF check accepts, and https marks cookies Secure.
        #[arg(long, env = "VOTEBASE_PUBLIC_URL")]
        public_url: Option<String>,
        /// A reverse proxy (address or CIDR block) whose X-Forwarded-For and
        /// X-Forwarded-Proto headers are believed; repeat for several. Also
        /// VOTEBASE_TRUSTED_PROXIES (comma-separated).
        #[arg(long = "trusted-proxy", value_name = "CIDR")]
        trusted_proxies: Vec<String>,
    },
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Universes: count, break down and export the voters a filter selects.
    #[command(subcommand)]
    Universe(UniverseCommand),
    /// Saved lists: save a universe under a name, list them, export one.
    #[command(subcommand)]
    List(crate::lists::ListCommand),
    /// Absentee and early vote: status counts, chase and cure lists.
    #[command(subcommand)]
    Ballots(BallotsCommand),
    /// Election results: election-night reporting, past results, the caucus check.
    #[command(subcommand)]
    Results(ResultsCommand),
    /// Benchmarks, side by side with the plain alternatives.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Voting Information Project feeds: validate them.
    #[command(subcommand)]
    Vip(VipCommand),
    /// Find where an address votes, from a VIP feed.
    #[command(
        after_help = "Example: votebase lookup \"1800 Lambert Rd, Graham, NC 27253\" --feed ./vip-feed"
    )]
    Lookup {
        /// The address, free text.
        address: String,
        /// The VIP feed (.xml, .zip, or a folder of .txt files); default: the feed
        /// installed with `votebase import vip`.
        #[arg(long)]
        feed: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Find duplicates in a file, or link two files, or link a file to the voter file.
    Link(crate::link::LinkArgs),
    /// Scores: fit a support score on survey answers, then score every voter 0–100.
    #[command(subcommand)]
    Score(crate::scores::ScoreCommand),
    /// Voter protection: import, list and export incidents; county coverage; triage rules.
    #[command(subcommand)]
    Incidents(crate::incidents::IncidentsCommand),
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Import a voter file as a dated snapshot.
    #[command(
        after_help = "Examples:\n  votebase import voters ncvoter_Statewide.zip --layout ncvoter\n  votebase import voters fl_extract.txt --layout florida --as-of 2026-09-01\n  votebase import voters my_state.csv --layout ./my-state.toml"
    )]
    Voters(ImportArgs),
    /// Import a daily absentee / early-vote file (one row per ballot event).
    #[command(
        after_help = "Examples:\n  votebase import ballots absentee_20261020.csv --layout nc-absentee\n  votebase import ballots daily_absentee_list.csv --layout virginia-absentee --as-of 2026-10-20"
    )]
    Ballots(ImportArgs),
    /// Validate a VIP feed and install it for the public "Where do I vote?" pages.
    Vip(crate::vip_import::ImportVipArgs),
    /// Append purchased or collected cell numbers to voters (matched by name and address).
    Phones(crate::phones::PhoneArgs),
    /// Import vote history (one row per voter per election).
    #[command(after_help = "Example: votebase import history ncvhis_Statewide.zip --layout ncvhis")]
    History(ImportArgs),
    /// Import contact history (door knocks, calls, texts, ads) exported from VAN, Spoke or
    /// any tool through a mapping; all-or-nothing, idempotent on the source event id.
    Contacts(crate::contacts::ImportContactsArgs),
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

#[derive(Subcommand, Debug)]
pub enum VotersCommand {
    /// Search by name, address or state/county id.
    #[command(
        after_help = "Examples:\n  votebase voters find \"SMITH JOHN\"\n  votebase voters find \"123 Main St\"\n  votebase voters find AB123456"
    )]
    Find {
        /// What to look for.
        query: String,
        /// Most results.
        #[arg(long, default_value_t = 25)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one voter with history and changes.
    #[command(after_help = "Example: votebase voters show AB123456 --json")]
    Show {
        /// State voter id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  votebase demo\n  votebase demo --voters 50000 --seed 7 --no-serve"
)]
pub struct DemoArgs {
    /// Voters in the fictional state.
    #[arg(long, default_value_t = 200_000)]
    pub voters: usize,
    /// Random seed: the same seed gives the same state.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Import only; do not start the server.
    #[arg(long)]
    pub no_serve: bool,
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Also set up a caucus and a primary and play election night through the API, so the
    /// public results pages fill in while served.
    #[arg(long)]
    pub election_night: bool,
    /// Length of the simulated election night, in seconds.
    #[arg(long, default_value_t = 180)]
    pub night_seconds: u64,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user (or reset their role and password); the password is read from a
    /// prompt, or from standard input when it is not a terminal.
    #[command(
        after_help = "Example: echo 's3cret-pass' | votebase user add alice --role organizer"
    )]
    Add {
        /// Login name.
        name: String,
        /// admin, data_manager, organizer, volunteer, coordinator, lawyer, observer or hotline_operator.
        #[arg(long)]
        role: String,
    },
    /// List users (name, role, enabled or disabled).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: they cannot sign in, and their sessions and tokens stop working at once.
    Disable {
        /// Login name.
        name: String,
    },
    /// Enable a disabled user again.
    Enable {
        /// Login name.
        name: String,
    },
    /// Change a user's role.
    #[command(after_help = "Example: votebase user role alice data_manager")]
    Role {
        /// Login name.
        name: String,
        /// The new role.
        role: String,
    },
    /// Reset a user's password (read like `user add`): ends their sessions and revokes
    /// their API tokens.
    Passwd {
        /// Login name.
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token for a user (printed once; send as `Authorization: Bearer`).
    #[command(after_help = "Example: votebase token create alice --label etl --expires-in 30d")]
    Create {
        /// The user the token acts as.
        name: String,
        /// A label to recognise the token by.
        #[arg(long, default_value = "cli")]
        label: String,
        /// Lifetime: days (90d), hours (12h), minutes (30m) or seconds (45s); at most 3650d.
        #[arg(long, default_value = "90d")]
        expires_in: String,
    },
    /// List tokens: id, user, label, created, last used, expiry, revoked.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by id (see `token list`).
    Revoke {
        /// The token's id.
        id: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum UniverseCommand {
    /// Count the voters an expression selects (the count alone on the last line).
    #[command(
        after_help = "Examples:\n  votebase universe count 'county:WAKE,DURHAM party:DEM age:18..29 voted:2020-11-03 !voted:2022-11-08'\n  votebase universe count 'status:active' --by county --json"
    )]
    Count {
        /// The filter expression.
        expr: String,
        /// Break down by county, party, age, precinct, gender, status, city, zip, cd, sd, hd or municipality.
        #[arg(long)]
        by: Option<String>,
        /// Keep voters who already voted (dropped by default once ballot files are loaded).
        #[arg(long)]
        include_voted: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export the selected voters as CSV on standard output (audited).
    #[command(
        after_help = "Examples:\n  votebase universe export 'county:WAKE party:DEM !ballot:returned' > list.csv\n  votebase universe export 'county:WAKE party:DEM' --format walk --out walk.csv"
    )]
    Export {
        /// The filter expression.
        expr: String,
        /// Keep voters who already voted.
        #[arg(long)]
        include_voted: bool,
        /// csv, van, spoke (one row per valid cell), nationbuilder or walk (one row per household).
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum BallotsCommand {
    /// Voters per ballot status (each voter once, in their most settled status) and how
    /// many count as voted.
    #[command(after_help = "Example: votebase ballots status --election 2026-11-03")]
    Status {
        /// Election date (default: the latest with ballots).
        #[arg(long)]
        election: Option<chrono::NaiveDate>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Voters who voted, by county, party, age band or method.
    #[command(after_help = "Example: votebase ballots turnout --by age")]
    Turnout {
        /// county, party, age or method.
        #[arg(long, default_value = "county")]
        by: String,
        /// Election date (default: the latest with ballots).
        #[arg(long)]
        election: Option<chrono::NaiveDate>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A chase list (requested or sent, not returned) or a cure list (returned with a
    /// curable problem).
    #[command(
        after_help = "Examples:\n  votebase ballots list chase --min-days 7 --format csv > chase.csv\n  votebase ballots list cure --format json"
    )]
    List {
        /// chase or cure.
        #[arg(value_enum)]
        kind: BallotListKind,
        /// Election date (default: the latest with ballots).
        #[arg(long)]
        election: Option<chrono::NaiveDate>,
        /// Chase only voters waiting at least this many days since the ballot was sent.
        #[arg(long, default_value_t = 0)]
        min_days: i64,
        /// The day to count days to (default: today).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// Most rows.
        #[arg(long, default_value_t = 100_000)]
        limit: i64,
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
    },
}

/// The built-in ballot lists.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum BallotListKind {
    /// Requested or sent, not yet returned.
    Chase,
    /// Returned with a curable problem.
    Cure,
}

#[derive(Subcommand, Debug)]
pub enum ResultsCommand {
    /// Recompute every caucus precinct from its published final alignment and delegate
    /// count, and list those whose published numbers break the rules.
    #[command(
        after_help = "Example: votebase results check-caucus ../shared/data/results/iowa2020 --json"
    )]
    CheckCaucus {
        /// Directory with idp-2020-02-08-release100-full.csv and ipd-precinct-delegates-mapped.csv.
        dir: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import precinct results of a past election (OpenElections CSV or Clarity XML) and
    /// print the roll-up check against the published totals.
    Import(crate::results_import::ResultsImportArgs),
    /// Past results of one precinct for one office, newest election first.
    History(crate::results_import::ResultsHistoryArgs),
    /// Election-night reporting: setup, codes, status, rebuild.
    #[command(flatten)]
    Reporting(crate::results::ReportingCommand),
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Voter-file import: votebase on SQLite and PostgreSQL beside sqlite3 .import and psql \copy.
    #[command(after_help = "Example: votebase bench import --voters 1000000")]
    Import {
        /// Rows to generate.
        #[arg(long, default_value_t = 1_000_000)]
        voters: usize,
        /// PostgreSQL URL for the PostgreSQL runs (default: --database, else the local test database).
        #[arg(long)]
        postgres: Option<String>,
        /// Work directory (default: a temporary directory under target/).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Record linkage: votebase link beside Splink on synthetic voter-style data and FEBRL.
    Link(crate::link::BenchLinkArgs),
    /// Incident intake over loopback HTTP with live-queue clients connected, beside the
    /// store's own insert rate.
    #[command(
        after_help = "Example: votebase bench incidents --seconds 15 --rate 500 --clients 200"
    )]
    Incidents(crate::incidents::BenchIncidentsArgs),
    /// Universe counts and breakdowns: the bitmap index beside the same queries as SQL on
    /// SQLite and PostgreSQL.
    Universes(crate::bench_universes::BenchUniversesArgs),
    /// The public polling-place lookup under load (wrk) beside nginx serving a static file.
    Lookup(crate::bench_lookup::BenchLookupArgs),
    /// Score training: votebase (linfa-logistic) beside scikit-learn on the same rows.
    Score(crate::scores::BenchScoreArgs),
    /// Ballot import and matching: votebase on SQLite and PostgreSQL beside the same
    /// match done as a plain SQL join (`UPDATE … FROM`) in sqlite3 and psql.
    #[command(after_help = "Example: votebase bench ballots --voters 1000000 --ballots 100000")]
    Ballots {
        /// Voters in the voter file.
        #[arg(long, default_value_t = 1_000_000)]
        voters: usize,
        /// Ballot rows (about 1% match no voter).
        #[arg(long, default_value_t = 100_000)]
        ballots: usize,
        /// PostgreSQL URL (default: --database, else the local test database).
        #[arg(long)]
        postgres: Option<String>,
        /// Work directory (default: target/bench-ballots).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Election night under load: 1,765 precincts reporting through a failure-injecting
    /// proxy, 20 hotline operators double-entering; checks zero lost, zero duplicated.
    Results(crate::bench_results::BenchResultsArgs),
}

#[derive(Subcommand, Debug)]
pub enum VipCommand {
    /// Validate a VIP feed: findings by file, line and element id; exit code 1 on errors.
    #[command(after_help = "Example: votebase vip validate vipFeed-51-2013-11-05.xml --json")]
    Validate {
        /// The feed (.xml, .zip, or a folder of .txt files).
        path: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}
