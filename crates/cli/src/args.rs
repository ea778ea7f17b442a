//! The command-line grammar: the top-level command tree. Each command's own options live
//! in its module (and the shared ones in `options`); this file only assembles them, so
//! the modules never import it.

use crate::ballots::BallotsCommand;
use crate::bench::BenchCommand;
use crate::demo::DemoArgs;
use crate::options::Global;
use crate::universes::UniverseCommand;
use crate::users::{TokenCommand, UserCommand};
use crate::voters::{ImportCommand, VotersCommand};
use clap::{Parser, Subcommand};
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
        /// Serve several registered organizations, each at `<org>.<base domain>` (`_`
        /// becomes `-`): `all`, or a comma-separated list. With it, --public-url is a
        /// template with {org}, e.g. https://{org}.votebase.example.
        #[arg(long, requires = "base_domain")]
        orgs: Option<String>,
        /// The domain the organizations' hosts sit under (with --orgs), e.g.
        /// votebase.example, or localhost for http://camp-a.localhost:8080.
        #[arg(long, env = "VOTEBASE_BASE_DOMAIN", requires = "orgs")]
        base_domain: Option<String>,
        /// The organization that answers every host outside the base domain (with
        /// --orgs; e.g. http://127.0.0.1:8080); without it those get 404
        /// unknown_organization.
        #[arg(long, requires = "orgs")]
        other_hosts: Option<String>,
    },
    /// Organizations of this deployment (the platform admin's commands): create, list,
    /// members, and whole-organization archives (export, import as another).
    #[command(subcommand)]
    Org(OrgCommand),
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
    /// Purge watch: mass removals between snapshots, explained, with the counsel list.
    #[command(subcommand)]
    Purges(crate::purges::PurgesCommand),
    /// Volunteers: import, skills taxonomy, answers to invitations, matches.
    #[command(subcommand)]
    Volunteers(crate::volunteers::VolunteersCommand),
    /// Campaign projects: import, list, invite, accept or decline, matches.
    #[command(subcommand)]
    Projects(crate::volunteers::ProjectsCommand),
    /// A project's candidates: every volunteer with all required skills, ranked by skill
    /// fit then affinity, explained (audited).
    #[command(after_help = "Example: votebase match p12 --top 50 --format csv")]
    Match(crate::volunteers::MatchArgs),
    /// Disinformation watch: import posts, narratives, items, alerts, claims, workflow.
    #[command(subcommand)]
    Disinfo(crate::disinfo::DisinfoCommand),
    /// Events and shifts: import attendance exports, list, RSVP, check-in.
    #[command(subcommand)]
    Events(crate::volunteers::events::EventsCommand),
    /// Donors and donations: import contributions, compliance flags, the Schedule A
    /// report, the committee's rules.
    #[command(subcommand)]
    Donations(crate::donations::DonationsCommand),
    /// The do-not-contact list: add, list, import, remove (every export and universe
    /// leaves its voters out).
    #[command(subcommand)]
    Suppress(crate::exchange::SuppressCommand),
    /// Exchange agreements with another organization: propose, approve, end, sync, status.
    #[command(subcommand)]
    Exchange(crate::exchange::ExchangeCommand),
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

/// `votebase org …`: the registry (create, list, members) and archives (export, import).
#[derive(Subcommand, Debug)]
pub enum OrgCommand {
    /// Create an organization: its own database file or schema, created and migrated,
    /// and an entry in the deployment's registry.
    #[command(
        after_help = "Example: votebase org create camp_a --display-name \"Camp A for Senate\""
    )]
    Create {
        /// Its name: lowercase letters, digits and '_' (served at camp-a.<base domain>).
        name: String,
        /// The name people read (default: the name).
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List the registered organizations: name, host label, display name, created, and
    /// whose voter file each reads ("own" or the source organization).
    #[command(after_help = "Example: votebase org list --json")]
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List an organization's accounts: name, role, enabled or disabled. A person in
    /// several organizations has an account in each.
    #[command(after_help = "Example: votebase org members camp_a")]
    Members {
        /// The organization.
        org: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Let an organization read another's voter file, read-only, instead of importing the
    /// same state file again (docs/ARCHITECTURE.md, "shared voter file"): from its next
    /// start it sees the source's snapshots, voters, changes, vote history and purge
    /// rolls; its contacts, lists, tags, scores, ballots and the rest stay its own.
    /// The organization must hold no voter file of its own. Audited on both sides.
    #[command(after_help = "Example: votebase org subscribe camp_a --voter-file state_file")]
    Subscribe {
        /// The organization that will read the file.
        org: String,
        /// The organization whose voter file it reads (e.g. the state party's state file).
        #[arg(long, value_name = "SOURCE")]
        voter_file: String,
    },
    /// End a voter file subscription: the organization reads its own (empty) voter file
    /// again from its next start. Audited on both sides.
    #[command(after_help = "Example: votebase org unsubscribe camp_a")]
    Unsubscribe {
        /// The subscribing organization.
        org: String,
    },
    /// Write everything an organization holds (users without secrets, audit included)
    /// into one versioned, checksummed archive (docs/ARCHIVE.md); audited as org.export
    /// with the archive's SHA-256.
    #[command(after_help = "Example: votebase org export campaign --out campaign.vbarchive.zip")]
    Export {
        /// The organization to export.
        org: String,
        /// The archive file to write.
        #[arg(long)]
        out: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Restore an archive as another organization (empty or new), on this store or
    /// another backend, all or nothing; the same archive twice changes nothing. Imported
    /// users are disabled with no password until an admin resets them.
    #[command(
        after_help = "Example: votebase --database postgres://localhost/votebase org import campaign.vbarchive.zip --as state_party_2026"
    )]
    Import {
        /// The archive file.
        file: PathBuf,
        /// The organization to create from it.
        #[arg(long = "as", value_name = "NEW")]
        as_org: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}
