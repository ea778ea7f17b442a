//! `votebase demo --election-night`: after the demo state is imported, sets up the demo
//! caucus (double entry on) and the demo primary over the precincts of the demo VIP feed,
//! issues the chairs' codes, starts the server, and plays election night through the
//! public API: chairs sign in with their codes and submit, a hotline operator keys the
//! caucus numbers a little later, about one caucus chair in twenty sends a worksheet the
//! validation rejects and corrects it with a reason, two hotline entries carry a typo and
//! stay flagged for a third check. The public pages (`/results/demo-caucus`,
//! `/results/demo-primary`) fill in while it runs; the server keeps serving afterwards
//! (`--no-serve`: it stops when the night is over).

use crate::bench_results::{Http, start_server};
use crate::demo::DemoArgs;
use crate::options::Global;
use anyhow::{Context, bail};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use votebase_app::auth;
use votebase_demo::DemoState;
use votebase_demo::results::{Sender, caucus_election, election_night, primary_election};
use votebase_domain::results::{Election, SubmissionRequest};
use votebase_domain::{Role, User};
use votebase_store::Store;

async fn token_for(store: &dyn Store, name: &str, role: Role) -> anyhow::Result<String> {
    if store.user_with_password(name).await?.is_none() {
        let hash =
            auth::hash_password(&auth::new_secret()[..16]).map_err(|e| anyhow::anyhow!("{e}"))?;
        store
            .put_user(
                &User {
                    name: name.into(),
                    role,
                },
                &hash,
            )
            .await?;
    }
    let token = auth::new_secret();
    store
        .add_token(name, &auth::sha256_hex(&token), "demo election night")
        .await?;
    Ok(token)
}

/// Sets up both elections, serves, and plays the night over `args.night_seconds`.
pub async fn run(
    global: &Global,
    store: Arc<dyn Store>,
    state: &DemoState,
    args: &DemoArgs,
) -> anyhow::Result<()> {
    let admin = token_for(store.as_ref(), "results-admin", Role::Admin).await?;
    let operator = token_for(store.as_ref(), "hotline-demo", Role::HotlineOperator).await?;
    let feeds = crate::vip_import::feed_dir(global)?;
    let (addr, server) = start_server(store.clone(), feeds, Some(&args.bind)).await?;
    let http = Http {
        target: addr,
        timeout: Duration::from_secs(30),
    };
    let elections: Vec<Election> = vec![caucus_election(state), primary_election(state)];
    let mut codes: HashMap<(String, String), String> = HashMap::new();
    for e in &elections {
        let body = serde_json::to_value(e)?;
        let r = http
            .send(
                None,
                "POST",
                "/api/v1/results/elections",
                Some(&admin),
                Some(&body),
            )
            .await?;
        if r.status != 201 {
            bail!(
                "setting up {} refused ({}): {}; an earlier --election-night run left results in this data directory: use a fresh --data",
                e.slug,
                r.status,
                r.body
            );
        }
        let r = http
            .send(
                None,
                "POST",
                &format!("/api/v1/results/{}/codes", e.slug),
                Some(&admin),
                Some(&json!({})),
            )
            .await?;
        for c in r.body.as_array().context("codes answer is not a list")? {
            if let (Some(p), Some(code)) = (c["precinct"].as_str(), c["code"].as_str()) {
                codes.insert((e.slug.clone(), p.into()), code.into());
            }
        }
    }
    let plan = election_night(state);
    println!(
        "election night: {} precincts in the caucus ({}) and the primary ({}); {} entries over {} s",
        elections[0].precincts.len(),
        elections[0].slug,
        elections[1].slug,
        plan.len(),
        args.night_seconds
    );
    println!(
        "watch http://{addr}/results/{} and http://{addr}/results/{} fill in",
        elections[0].slug, elections[1].slug
    );
    let started = Instant::now();
    let night = Duration::from_secs(args.night_seconds.max(1));
    let mut chair_tokens: HashMap<(String, String), String> = HashMap::new();
    let (mut sent, mut corrected, mut failed) = (0usize, 0usize, 0usize);
    let mut last_report = Instant::now();
    for (n, entry) in plan.iter().enumerate() {
        let at = started + night.mul_f64(entry.at);
        tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
        let election = if entry.election == elections[0].slug {
            &elections[0]
        } else {
            &elections[1]
        };
        let precinct = &election.precincts[entry.precinct];
        let key = (election.slug.clone(), precinct.id.clone());
        let (token, query) = match entry.sender {
            Sender::Hotline => (operator.clone(), "?channel=hotline"),
            Sender::Chair => {
                if !chair_tokens.contains_key(&key) {
                    let code = codes.get(&key).cloned().unwrap_or_default();
                    let (r, _) = http
                        .send_retrying(
                            None,
                            "POST",
                            &format!("/api/v1/results/{}/sign-in", election.slug),
                            None,
                            Some(&json!({ "code": code })),
                            5,
                        )
                        .await;
                    match r {
                        Ok(r) if r.status == 200 => {
                            let t = r.body["token"].as_str().unwrap_or_default().to_string();
                            chair_tokens.insert(key.clone(), t);
                        }
                        other => {
                            failed += 1;
                            eprintln!(
                                "chair of {} could not sign in: {}",
                                precinct.id,
                                other
                                    .map(|r| r.body.to_string())
                                    .unwrap_or_else(|e| e.to_string())
                            );
                            continue;
                        }
                    }
                }
                (chair_tokens[&key].clone(), "")
            }
        };
        let request = SubmissionRequest {
            client_id: format!("demo-{}-{}-{n}", election.slug, precinct.id),
            election: election.slug.clone(),
            precinct: precinct.id.clone(),
            contest: entry.contest.into(),
            reason: entry.reason.clone(),
            result: entry.result.clone(),
        };
        let body = serde_json::to_value(&request)?;
        let (r, _) = http
            .send_retrying(
                None,
                "POST",
                &format!("/api/v1/results/submissions{query}"),
                Some(&token),
                Some(&body),
                5,
            )
            .await;
        match r {
            Ok(r) if r.status == 200 || r.status == 201 => {
                sent += 1;
                if entry.reason.is_some() {
                    corrected += 1;
                }
            }
            other => {
                failed += 1;
                eprintln!(
                    "entry for {} refused: {}",
                    precinct.id,
                    other
                        .map(|r| r.body.to_string())
                        .unwrap_or_else(|e| e.to_string())
                );
            }
        }
        if last_report.elapsed() >= Duration::from_secs(10) {
            last_report = Instant::now();
            println!(
                "  {:>3.0}% of the night: {sent} entries received ({corrected} corrections)",
                100.0 * started.elapsed().as_secs_f64() / night.as_secs_f64()
            );
        }
    }
    println!(
        "night over: {sent} entries received, {corrected} of them corrections, {failed} failed"
    );
    println!(
        "reconciliation: http://{addr}/results/{}/admin (sign in as admin)",
        elections[0].slug
    );
    if args.no_serve {
        server.abort();
        return Ok(());
    }
    println!("still serving http://{addr}/ (Ctrl-C to stop)");
    server.await.context("server task")?;
    Ok(())
}
