//! The demo's organizations besides the default one: a `state_file` organization holding
//! the fictional state's latest voter file and two campaigns: Camp A reads the state
//! file organization's voter file, read-only (a voter file subscription, imported once
//! for everyone), Camp B imports a small voter file of its own; all registered in the deployment's registry with the demo's admin password, and
//! one exchange agreement (the state party shares contact outcomes and opt-outs with Camp
//! A, approved by both, synced once), then served together by host
//! (`http://camp-a.localhost:8080`), the default organization answering every other host
//! (`http://127.0.0.1:8080`). Created only when the demo runs for the default
//! organization; a second run keeps them.

use crate::options::{Global, ImportArgs};
use crate::{stores, voters};
use anyhow::Context;
use std::path::Path;
use std::sync::Arc;
use votebase_app::orgs;
use votebase_demo::{DemoOptions, build_state, write_files};
use votebase_domain::{OrgName, Role, User};
use votebase_store::Store;

/// Voters in each campaign's small file.
const CAMPAIGN_VOTERS: usize = 2_000;

/// The demo organizations: name, display name, seed offset.
const DEMO_ORGS: &[(&str, &str, u64)] = &[
    ("state_file", "State voter file", 0),
    ("camp_a", "Camp A for Senate", 1),
    ("camp_b", "Camp B for House", 2),
];

/// Is the demo running for the default organization (the only case it adds others).
pub fn wanted(global: &Global) -> bool {
    global.org == "default"
}

/// Registers the default organization and creates the demo's others (missing ones
/// only), each with an `admin` account whose password hash is `admin_hash`.
/// `state_voters` is the state's latest voter file (for `state_file`).
pub async fn create(
    global: &Global,
    seed: u64,
    state_voters: &Path,
    admin_hash: &str,
) -> anyhow::Result<()> {
    let registry = stores::registry(global).await?;
    let registered: Vec<String> = orgs::list(registry.as_ref())
        .await?
        .into_iter()
        .map(|o| o.name.to_string())
        .collect();
    let actor = crate::voters::cli_actor();
    if !registered.iter().any(|n| n == "default") {
        orgs::create(
            registry.as_ref(),
            "default",
            Some("Demo state party"),
            &actor,
        )
        .await?;
    }
    for &(name, display, offset) in DEMO_ORGS {
        if registered.iter().any(|n| n == name) {
            continue;
        }
        orgs::create(registry.as_ref(), name, Some(display), &actor).await?;
        if name == "camp_a" {
            // Camp A reads the state file organization's voter file instead of importing
            // its own copy; it is opened after subscribing so the subscription applies.
            orgs::voter_file::subscribe(registry.as_ref(), name, "state_file", &actor).await?;
        }
        let store = registry.open_org(&OrgName::parse(name)?).await?;
        let file = if name == "state_file" {
            Some(state_voters.to_path_buf())
        } else if name == "camp_a" {
            None
        } else {
            let dir = global.data.join("demo-files").join(name);
            let options = DemoOptions {
                voters: CAMPAIGN_VOTERS,
                seed: seed + offset,
                ..Default::default()
            };
            Some(
                tokio::task::spawn_blocking(move || write_files(&build_state(&options), &dir))
                    .await?
                    .with_context(|| format!("writing the voter file of {name}"))?
                    .voters_second,
            )
        };
        if let Some(file) = file {
            voters::import_voters(
                store.as_ref(),
                &ImportArgs {
                    file,
                    layout: "ncvoter".into(),
                    as_of: None,
                    rejects: None,
                    json: false,
                },
            )
            .await?;
        }
        store
            .put_user(
                &User {
                    name: "admin".into(),
                    role: Role::Admin,
                },
                admin_hash,
            )
            .await?;
        if name == "camp_a" {
            let default = registry.open_org(&OrgName::parse("default")?).await?;
            demo_agreement(default.as_ref(), store.as_ref(), &actor).await?;
        }
    }
    Ok(())
}

/// The demo's agreement: the state party (`default`) shares contact outcomes (moved,
/// wrong number, refused, deceased) and opt-outs with Camp A for a year, proposed by the
/// state party, approved by Camp A, then synced once, so `/exchange`, `/suppression` and
/// Camp A's timelines show what crossed.
async fn demo_agreement(
    state_party: &dyn Store,
    camp_a: &dyn Store,
    actor: &str,
) -> anyhow::Result<()> {
    use votebase_app::exchange::{self as exchange, Proposal};
    use votebase_domain::exchange::{AgreementTerms, Dataset, Direction, MatchMode};
    let today = chrono::Utc::now().date_naive();
    let agreement = exchange::propose(
        state_party,
        camp_a,
        Proposal {
            publisher: "default".into(),
            subscriber: "camp_a".into(),
            terms: AgreementTerms {
                datasets: vec![Dataset::ContactOutcomes, Dataset::OptOuts],
                results: Vec::new(),
                questions: Vec::new(),
                match_mode: MatchMode::VoterId,
                direction: Direction::OneWay,
                starts_on: today,
                ends_on: today + chrono::Days::new(365),
            },
            proposing_org: "default".into(),
            by: actor.into(),
        },
    )
    .await?;
    exchange::approve(camp_a, "camp_a", &agreement.id, actor).await?;
    exchange::reconcile(state_party, camp_a, &agreement.id).await?;
    let reports = exchange::sync(
        ("camp_a", camp_a),
        ("default", state_party),
        &agreement.id,
        actor,
        today,
        exchange::sync::DEFAULT_BATCH,
    )
    .await?;
    let applied: u64 = reports.iter().map(|r| r.applied).sum();
    println!(
        "exchange agreement {}: the state party shares contact outcomes and opt-outs with camp_a; {applied} records crossed",
        agreement.id
    );
    Ok(())
}

/// Serves every registered organization on `bind` by host under `localhost`, the
/// default organization (`store`, already open) on every other host.
pub async fn serve(global: &Global, store: Arc<dyn Store>, bind: &str) -> anyhow::Result<()> {
    let registry = stores::registry(global).await?;
    let port = bind.rsplit(':').next().unwrap_or("8080");
    let default = OrgName::parse("default")?;
    let mut served = vec![(default.clone(), store)];
    for org in orgs::list(registry.as_ref()).await? {
        if org.name == default {
            continue;
        }
        println!(
            "  {} ({}): http://{}.localhost:{port}/",
            org.name,
            org.display_name,
            org.name.host_label()
        );
        served.push((org.name.clone(), registry.open_org(&org.name).await?));
    }
    crate::serve::serve_orgs(
        global,
        served,
        bind,
        "localhost",
        Some(default),
        None,
        &[],
        None,
    )
    .await
}
