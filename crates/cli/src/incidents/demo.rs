//! The demo's election day: incidents replayed through the real workflow (intake with
//! triage, first actions, routing, resolution, the escalation timer) and the
//! voter-protection accounts.

use super::*;
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::collections::HashMap;
use votebase_demo::DemoState;
use votebase_domain::User;
use votebase_domain::incidents::{
    IncidentAction, IncidentLocation, NewIncident, Reporter, Resolution, Severity,
};

/// The demo's election day: a few thousand incidents (about one per 70 voters), the
/// voter-protection accounts with a fresh shared password, printed with what to try.
pub async fn demo_day(store: &dyn Store, state: &DemoState) -> anyhow::Result<()> {
    let count = (state.first_count / 70).clamp(300, 4000);
    let password = votebase_app::auth::new_secret()[..16].to_string();
    let hash = votebase_app::auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!("Replaying an election day of {count} voter-protection incidents...");
    match demo(store, state, count, &hash).await? {
        None => println!("incidents: already generated (kept as they are)"),
        Some(day) => {
            let open = store
                .list_incidents(&IncidentFilter {
                    open_only: true,
                    ..Default::default()
                })
                .await?
                .len();
            println!(
                "incidents: {} election-day reports, {open} still open; lawyer leads {}",
                day.incidents, day.busiest_county
            );
            println!(
                "voter protection sign-ins (password {password}): hotline (intake at /incidents/new), coordinator (live queue at /incidents), lawyer, observer; public form at /report"
            );
        }
    }
    Ok(())
}

/// What the demo's election day produced.
pub struct DemoDay {
    /// Incidents created.
    pub incidents: usize,
    /// The county with the most reports (where the demo lawyer is lead).
    pub busiest_county: String,
}

/// Replays an election day of demo incidents through the real workflow (intake with
/// triage, first actions, assignment to the county's lead lawyer, resolution, and the
/// escalation timer every five minutes), creates the voter-protection users (hotline,
/// coordinator, lawyer, observer, one lead lawyer per county) with `password_hash`, and
/// returns what it did. Skipped (returns `None`) when the store already has incidents.
pub async fn demo(
    store: &dyn Store,
    state: &DemoState,
    count: usize,
    password_hash: &str,
) -> anyhow::Result<Option<DemoDay>> {
    if !store
        .list_incidents(&IncidentFilter {
            limit: 1,
            ..Default::default()
        })
        .await?
        .is_empty()
    {
        return Ok(None);
    }
    let generated = votebase_demo::demo_incidents(state, count);
    let mut per_county: HashMap<String, usize> = HashMap::new();
    for i in &generated {
        let p = &state.precincts[i.precinct as usize];
        *per_county
            .entry(state.counties[p.county as usize].name.clone())
            .or_default() += 1;
    }
    let mut ranked: Vec<(String, usize)> = per_county.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let busiest = ranked.first().map(|c| c.0.clone()).unwrap_or_default();
    for (name, role) in [
        ("hotline", Role::HotlineOperator),
        ("coordinator", Role::Coordinator),
        ("lawyer", Role::Lawyer),
        ("observer", Role::Observer),
    ] {
        store
            .put_user(
                &User {
                    name: name.into(),
                    role,
                },
                password_hash,
            )
            .await?;
    }
    // The demo lawyer leads the busiest county; every other county gets its own lead.
    let mut lead_of: HashMap<String, String> = HashMap::new();
    for (i, c) in state.counties.iter().enumerate() {
        let lead = if c.name == busiest {
            "lawyer".to_string()
        } else {
            let name = format!("lawyer{}", i + 1);
            store
                .put_user(
                    &User {
                        name: name.clone(),
                        role: Role::Lawyer,
                    },
                    password_hash,
                )
                .await?;
            name
        };
        store
            .set_coverage(&lead, std::slice::from_ref(&c.name), true)
            .await?;
        lead_of.insert(c.name.to_ascii_uppercase(), lead);
    }
    let observed: Vec<String> = ranked.iter().take(3).map(|c| c.0.clone()).collect();
    store.set_coverage("observer", &observed, false).await?;

    // 06:30 EST on election day.
    let open = Utc.from_utc_datetime(
        &votebase_demo::demo_election()
            .and_hms_opt(11, 30, 0)
            .expect("valid time"),
    );
    #[derive(Clone, Copy)]
    enum Step {
        Create(usize),
        First(usize),
        Resolve(usize),
        Timer,
    }
    let mut steps: Vec<(DateTime<Utc>, u8, Step)> = Vec::new();
    for (i, g) in generated.iter().enumerate() {
        let created = open + Duration::minutes(i64::from(g.minute + g.intake_delay));
        steps.push((created, 0, Step::Create(i)));
        if let Some(first) = g.first_action_after {
            let t = created + Duration::minutes(i64::from(first));
            steps.push((t, 1, Step::First(i)));
            if let Some(r) = g.resolve_after {
                steps.push((t + Duration::minutes(i64::from(r)), 2, Step::Resolve(i)));
            }
        }
    }
    let mut t = open;
    while t <= open + Duration::minutes(i64::from(votebase_demo::DAY_MINUTES) + 120) {
        steps.push((t, 3, Step::Timer));
        t += Duration::minutes(5);
    }
    steps.sort_by_key(|(t, order, _)| (*t, *order));
    let mut ids: Vec<Option<i64>> = vec![None; generated.len()];
    let bar = indicatif::ProgressBar::new(steps.len() as u64);
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_message("election-day incidents");
    for (at, _, step) in steps {
        bar.inc(1);
        match step {
            Step::Timer => {
                app::escalate(store, at).await?;
            }
            Step::Create(i) => {
                let g = &generated[i];
                let prec = &state.precincts[g.precinct as usize];
                let county = state.counties[prec.county as usize]
                    .name
                    .to_ascii_uppercase();
                let new = NewIncident {
                    observed_at: open + Duration::minutes(i64::from(g.minute)),
                    category: g.category.into(),
                    description: g.description.clone(),
                    location: IncidentLocation {
                        county,
                        precinct: prec.code.clone(),
                        polling_place_id: format!("pl{}", g.precinct),
                        polling_place: prec.polling_place.name.clone(),
                        address: String::new(),
                    },
                    reporter: Reporter {
                        name: g.reporter_name.clone(),
                        phone: format!("+1{}", g.reporter_phone),
                        relationship: g.relationship.into(),
                        voter_id: String::new(),
                    },
                    channel: "demo".into(),
                    created_by: "hotline".into(),
                    external_key: Some(format!("demo:{i}")),
                };
                ids[i] = Some(app::take(store, &new, at).await?.incident.id);
            }
            Step::First(i) => {
                let Some(id) = ids[i] else { continue };
                let Some(current) = store.get_incident(id).await? else {
                    continue;
                };
                if !current.status.is_open() {
                    continue;
                }
                let action = if current.status == IncidentStatus::New {
                    IncidentAction::Triage { severity: None }
                } else {
                    IncidentAction::Note {
                        text: "called the reporter back".into(),
                    }
                };
                store
                    .act_on_incident(id, "coordinator", &action, at)
                    .await?;
                if current.assigned_to.is_none()
                    && current.severity >= Severity::High
                    && let Some(lead) = lead_of.get(&current.location.county)
                {
                    store
                        .act_on_incident(
                            id,
                            "coordinator",
                            &IncidentAction::Assign { to: lead.clone() },
                            at,
                        )
                        .await?;
                }
            }
            Step::Resolve(i) => {
                let Some(id) = ids[i] else { continue };
                let Some(current) = store.get_incident(id).await? else {
                    continue;
                };
                if !current.status.is_open() {
                    continue;
                }
                let resolution = Resolution::parse(generated[i].resolution)
                    .unwrap_or(Resolution::NoActionNeeded);
                let actor = current
                    .assigned_to
                    .clone()
                    .unwrap_or_else(|| "coordinator".into());
                store
                    .act_on_incident(
                        id,
                        &actor,
                        &IncidentAction::Resolve {
                            resolution,
                            note: String::new(),
                        },
                        at,
                    )
                    .await?;
            }
        }
    }
    bar.finish_and_clear();
    Ok(Some(DemoDay {
        incidents: generated.len(),
        busiest_county: busiest,
    }))
}
