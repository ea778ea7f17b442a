//! `votebase demo`: generates a fictional state (two monthly ncvoter snapshots and a
//! vote-history file), imports it through the same importer as a real state file,
//! creates an admin account with a fresh password, adds the demo's other organizations
//! (`demo_orgs`) and serves the web UI.

use crate::options::{Global, ImportArgs};
use crate::progress::Bar;
use crate::{stores, voters};
use anyhow::Context;
use clap::Args;
use std::sync::Arc;
use std::time::Instant;
use votebase_app::auth;
use votebase_demo::{
    DemoOptions, build_state, demo_election, reissue_ballot_file, reissue_files,
    write_ballot_files, write_cell_list, write_files,
};
use votebase_domain::{Role, User};
use votebase_ingest::Layout;
use votebase_ingest::ballots::import_ballots_file;
use votebase_ingest::history::import_history_file;

pub async fn demo(global: &Global, args: DemoArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let store = stores::open(global).await?;
    let dir = global.data.join("demo-files");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let options = DemoOptions {
        voters: args.voters,
        seed: args.seed,
        ..Default::default()
    };
    eprintln!(
        "Generating a fictional state of {} voters (seed {})...",
        args.voters, args.seed
    );
    let (state, files) = tokio::task::spawn_blocking(move || {
        let state = build_state(&options);
        let files = write_files(&state, &dir);
        (Arc::new(state), files)
    })
    .await?;
    let files = files.context("writing the demo files")?;
    // A few voters re-register under a new NCID in the refresh: the import links them back.
    let reissued = reissue_files(&files)?;
    eprintln!("{}", state.summary());
    eprintln!("{reissued} voters re-registered under a new NCID in the second snapshot");
    for file in [&files.voters_first, &files.voters_second] {
        voters::import_voters(
            store.as_ref(),
            &ImportArgs {
                file: file.clone(),
                layout: "ncvoter".into(),
                as_of: None,
                rejects: None,
                json: false,
            },
        )
        .await?;
    }
    let history = import_history_file(
        store.as_ref(),
        &files.history,
        &Layout::load("ncvhis")?,
        None,
        Arc::new(Bar::new("ncvhis")),
    )
    .await?;
    println!(
        "vote history: read {}, new {}, unchanged {}, rejected {}",
        history.read, history.outcome.inserted, history.outcome.unchanged, history.rejected
    );

    // Thirty daily absentee / early-vote files for the November election.
    let ballot_state = state.clone();
    let ballot_dir = global.data.join("demo-files").join("ballots");
    let ballot_files =
        tokio::task::spawn_blocking(move || write_ballot_files(&ballot_state, &ballot_dir))
            .await?
            .context("writing the demo ballot files")?;
    let layout = Layout::load("nc-absentee")?;
    let (mut new_events, mut unmatched, mut linked) = (0, 0, 0);
    for (k, file) in ballot_files.iter().enumerate() {
        reissue_ballot_file(file)?;
        let report = import_ballots_file(
            store.as_ref(),
            file,
            &layout,
            None,
            None,
            Arc::new(votebase_ingest::NoProgress),
        )
        .await?;
        new_events += report.outcome.new_events;
        unmatched += report.outcome.unmatched.len();
        if k + 1 == ballot_files.len() {
            // The newest file holds every unmatched row so far: link them by name, age
            // and address.
            linked = crate::ballots::link_report(store.as_ref(), file, &layout, &report)
                .await?
                .0
                .len();
        }
    }
    let election = demo_election();
    let voted = store.voted_count(election).await?;
    println!(
        "ballots: {} daily files of the {election} election and the final file of the {} election, {new_events} new ballot events, {unmatched} unmatched rows kept for review ({linked} in the newest file linked to a voter by name, age and address); {voted} voters have voted in the {election} election",
        ballot_files.len() - 1,
        votebase_demo::demo_previous_election(),
    );

    // The polling-place feed of the fictional state, for the public lookup pages.
    let feed_state = state.clone();
    let feed_dir = global.data.join("demo-files");
    let vip_feed =
        tokio::task::spawn_blocking(move || votebase_demo::write_vip_feed(&feed_state, &feed_dir))
            .await?
            .context("writing the demo VIP feed")?;
    let installed = crate::vip_import::feed_dir(global)?
        .install(&vip_feed, false)
        .map_err(|e| anyhow::anyhow!("installing the demo VIP feed: {e}"))?;
    let _ = installed;
    println!(
        "polling places: VIP feed for {} precincts installed; try http://{}/vote",
        state.precincts.len(),
        args.bind
    );

    // A purchased cell-phone list, appended by name and address.
    let cells = global.data.join("demo-files").join("cells.csv");
    write_cell_list(&state, &cells)?;
    crate::phones::import_phones(
        global,
        crate::phones::PhoneArgs {
            file: cells,
            threshold: 0.9,
            json: false,
        },
    )
    .await?;

    // Contact history (doors, calls, texts, ads) and the support score trained on it.
    crate::contacts::demo_contacts(store.as_ref(), &state, &global.data.join("demo-files")).await?;

    // An election day of voter-protection incidents at the feed's polling places.
    crate::incidents::demo_day(store.as_ref(), &state).await?;
    // Monitored posts (election rumours in chatter), the claim catalogue, the hotline's
    // misinformation reports linked into narratives.
    crate::disinfo::demo_watch(store.as_ref()).await?;

    // Volunteers and campaign projects, matched, with a few invitations answered.
    crate::volunteers::demo_people(store.as_ref(), &global.data.join("demo-files")).await?;
    // Events with shifts and attendance for those volunteers (Mobilize-style export).
    crate::volunteers::events::demo_events(store.as_ref(), &global.data.join("demo-files")).await?;

    // A giving history (ActBlue export): recurring and large gifts, refunds, donors over
    // the limit and under variant names, for /donations, its flags and review queue.
    crate::donations::demo_donations(store.as_ref(), &state, &global.data.join("demo-files"))
        .await?;

    // A saved list of the example universe, ready to export.
    crate::lists::demo_list(store.as_ref()).await?;

    // Purge watch: weekly refreshes with normal churn and one planted mass inactivation.
    if args.purge_refreshes > 0 {
        crate::purges::demo_refreshes(
            store.as_ref(),
            &files.voters_second,
            &global.data.join("demo-files").join("refreshes"),
            args.seed,
            args.purge_refreshes,
        )
        .await?;
    }

    let password = auth::new_secret()[..16].to_string();
    let hash = auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .put_user(
            &User {
                name: "admin".into(),
                role: Role::Admin,
            },
            &hash,
        )
        .await?;
    if crate::demo_orgs::wanted(global) {
        crate::demo_orgs::create(global, args.seed, &files.voters_second, &hash).await?;
    }
    println!(
        "demo ready in {:.1} s: {} voters in the latest snapshot",
        started.elapsed().as_secs_f64(),
        store.count_voters().await?
    );
    println!("sign in as: admin / {password}");
    if args.election_night {
        return crate::demo_results::run(global, store, &state, &args).await;
    }
    if args.no_serve {
        println!(
            "serve it with: votebase serve   (then open http://{})",
            args.bind
        );
        if crate::demo_orgs::wanted(global) {
            println!(
                "or every organization: votebase serve --orgs all --base-domain localhost --other-hosts default"
            );
        }
        return Ok(());
    }
    println!("open http://{}/ in a browser", args.bind);
    if crate::demo_orgs::wanted(global) {
        println!("the other organizations (same admin password):");
        return crate::demo_orgs::serve(global, store, &args.bind).await;
    }
    let feeds = crate::vip_import::feed_dir(global)?;
    crate::serve::serve(store, &args.bind, feeds, None, &[]).await
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
    /// Weekly voter-file refreshes after the second snapshot, for purge watch (one of
    /// them carries a planted mass inactivation); 0 for none.
    #[arg(long, default_value_t = votebase_demo::PURGE_REFRESHES)]
    pub purge_refreshes: usize,
}
