//! The `votebase` binary: a thin command line over the votebase libraries. It is the
//! only crate that knows both storage backends; every command opens the organization's
//! store (SQLite under `--data`, or PostgreSQL with `--database`) and calls a library.

mod args;
mod ballots;
mod bench;
mod bench_ballots;
mod bench_donations;
mod bench_lookup;
mod bench_purges;
mod bench_results;
mod bench_universes;
mod contacts;
mod demo;
mod demo_orgs;
mod demo_results;
mod disinfo;
mod donations;
mod exchange;
mod incidents;
mod link;
mod lists;
mod lookup;
mod options;
mod orgs;
mod phones;
mod progress;
mod purges;
mod relink;
mod results;
mod results_import;
mod scores;
mod serve;
mod stores;
mod universes;
mod users;
mod vip_import;
mod volunteers;
mod voters;

use args::{Cli, Command};
use bench::BenchCommand;

/// mimalloc: imports allocate many small strings on several threads at once.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::Parser;

fn main() {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VOTEBASE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(cli)) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let global = cli.global;
    match cli.command {
        Command::Import(voters::ImportCommand::Vip(cmd)) => vip_import::import(&global, cmd),
        Command::Import(cmd) => voters::import(&global, cmd).await,
        Command::Snapshots { json } => voters::snapshots(&global, json).await,
        Command::Voters(cmd) => voters::voters(&global, cmd).await,
        Command::Demo(cmd) => demo::demo(&global, cmd).await,
        Command::Serve {
            bind,
            public_url,
            trusted_proxies,
            orgs: Some(orgs),
            base_domain,
            other_hosts,
        } => {
            let which = orgs::ServeOrgs {
                orgs,
                base_domain: base_domain.unwrap_or_default(),
                other_hosts,
            };
            orgs::serve(&global, which, &bind, public_url, &trusted_proxies).await
        }
        Command::Serve {
            bind,
            public_url,
            trusted_proxies,
            orgs: None,
            ..
        } => {
            let store = stores::open(&global).await?;
            let feeds = vip_import::feed_dir(&global)?;
            serve::serve(store, &bind, feeds, public_url, &trusted_proxies).await
        }
        Command::Org(cmd) => orgs::org(&global, cmd).await,
        Command::User(cmd) => users::user(&global, cmd).await,
        Command::Token(cmd) => users::token(&global, cmd).await,
        Command::Bench(BenchCommand::Link(cmd)) => link::bench(&global, cmd).await,
        Command::Bench(BenchCommand::Score(cmd)) => scores::bench(&global, cmd).await,
        Command::Bench(BenchCommand::Incidents(cmd)) => incidents::bench(&global, cmd).await,
        Command::Incidents(cmd) => incidents::incidents(&global, cmd).await,
        Command::Purges(cmd) => purges::purges(&global, cmd).await,
        Command::Bench(BenchCommand::Match(cmd)) => volunteers::bench(&global, cmd).await,
        Command::Volunteers(cmd) => volunteers::volunteers(&global, cmd).await,
        Command::Projects(cmd) => volunteers::projects(&global, cmd).await,
        Command::Match(cmd) => volunteers::match_project(&global, cmd).await,
        Command::Bench(BenchCommand::Disinfo(cmd)) => disinfo::bench::bench(cmd).await,
        Command::Disinfo(cmd) => disinfo::disinfo(&global, cmd).await,
        Command::Events(cmd) => volunteers::events::events(&global, cmd).await,
        Command::Bench(BenchCommand::Lookup(cmd)) => bench_lookup::bench(&global, cmd).await,
        Command::Bench(BenchCommand::LookupFloor(cmd)) => bench_lookup::floor(cmd).await,
        Command::Bench(BenchCommand::Results(cmd)) => bench_results::bench(&global, cmd).await,
        Command::Bench(BenchCommand::Universes(cmd)) => bench_universes::bench(&global, cmd).await,
        Command::Bench(BenchCommand::Purges(cmd)) => bench_purges::bench(&global, cmd).await,
        Command::Bench(BenchCommand::Donations(cmd)) => bench_donations::bench(&global, cmd).await,
        Command::Bench(BenchCommand::Ballots(cmd)) => bench_ballots::bench(&global, cmd).await,
        Command::Bench(cmd) => bench::bench(&global, cmd).await,
        Command::Ballots(cmd) => ballots::ballots(&global, cmd).await,
        Command::Universe(cmd) => universes::universe(&global, cmd).await,
        Command::List(cmd) => lists::list(&global, cmd).await,
        Command::Link(cmd) => link::link(&global, cmd).await,
        Command::Score(cmd) => scores::score(&global, cmd).await,
        Command::Results(args::ResultsCommand::Import(cmd)) => {
            results_import::import(&global, cmd).await
        }
        Command::Results(args::ResultsCommand::History(cmd)) => {
            results_import::history(&global, cmd).await
        }
        Command::Results(args::ResultsCommand::Reporting(cmd)) => {
            results::reporting(&global, cmd).await
        }
        Command::Results(args::ResultsCommand::CheckCaucus { dir, json }) => {
            results::check_caucus(&dir, json).await
        }
        Command::Vip(args::VipCommand::Validate { path, json }) => {
            if !lookup::validate(&path, json)? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Lookup {
            address,
            feed,
            json,
        } => {
            let feed = match feed {
                Some(f) => f,
                None => vip_import::feed_dir(&global)?
                    .current()
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "no VIP feed installed: `votebase import vip FEED`, or pass --feed"
                        )
                    })?,
            };
            if !lookup::lookup(&address, &feed, json)? {
                std::process::exit(2);
            }
            Ok(())
        }
        Command::Donations(cmd) => donations::donations(&global, cmd).await,
        Command::Suppress(cmd) => exchange::suppress(&global, cmd).await,
        Command::Exchange(cmd) => exchange::exchange(&global, cmd).await,
    }
}
