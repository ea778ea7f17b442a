//! When the watch alerts and who hears of it: a narrative whose hourly volume spikes
//! above its own baseline (the `narrative` engine's Poisson test, one alert per spike),
//! or one with an item posted on one of the organization's election days while it names
//! one of the organization's counties (one alert per narrative and day, even below the
//! spike test). Each new alert is mailed to every subscribed user who may read the watch
//! (enabled, a role with the incident-read permission): the emails are composed here and
//! queued in the volunteers' outbox by the store in the alert's own transaction, so an
//! alert is mailed once, and `votebase volunteers send-email` delivers them over SMTP.
//! Election days are the ones the organization set (`disinfo election-day`) and the
//! dates of its results elections (at UTC unless set with an offset).

use super::DisinfoError;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use votebase_domain::disinfo::{
    Alert, AlertKind, Claim, ElectionDay, Narrative, NewAlert, Subscription,
};
use votebase_domain::users::Permission;
use votebase_narrative::SpikeRule;
use votebase_store::Store;
use votebase_store::disinfo::PendingAlert;
use votebase_store::people::OutgoingEmail;

/// What an ingest knows of the organization.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchContext {
    /// Place names searched in items: the organization's counties and any extra (cities).
    pub places: Vec<String>,
    /// The organization's counties (the voter file's): named on an election day, they
    /// raise an alert.
    pub counties: Vec<String>,
    /// The base URL of the links in alert emails (`https://votebase.example.org`);
    /// without one, links are paths.
    pub public_url: Option<String>,
}

impl WatchContext {
    /// The organization's counties (from the voter file) with any extra place names.
    pub async fn load(
        store: &dyn Store,
        extra: &[String],
        public_url: Option<&str>,
    ) -> Result<Self, DisinfoError> {
        let mut counties: Vec<String> = store
            .voter_file_precincts()
            .await?
            .into_iter()
            .map(|(county, _, _)| county)
            .filter(|c| !c.trim().is_empty())
            .collect();
        counties.sort();
        counties.dedup();
        let mut places = counties.clone();
        places.extend(extra.iter().cloned());
        places.sort();
        places.dedup();
        Ok(Self {
            places,
            counties,
            public_url: public_url
                .map(|u| u.trim().trim_end_matches('/').to_string())
                .filter(|u| !u.is_empty()),
        })
    }

    /// A path of the server as a link (absolute under the public URL when there is one).
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url.as_deref().unwrap_or(""))
    }
}

/// The organization's election days: those set, then the dates of its results elections
/// not set (at UTC), by date.
pub async fn election_days(store: &dyn Store) -> Result<Vec<ElectionDay>, DisinfoError> {
    let mut days: BTreeMap<NaiveDate, ElectionDay> = BTreeMap::new();
    for e in store.elections().await? {
        days.insert(
            e.date,
            ElectionDay {
                date: e.date,
                utc_offset_minutes: 0,
            },
        );
    }
    for d in store.disinfo_election_days().await? {
        days.insert(d.date, d);
    }
    Ok(days.into_values().collect())
}

/// Sets an election day: `offset` is `+HH:MM`, `-HH:MM` or `Z`.
pub async fn set_election_day(
    store: &dyn Store,
    date: &str,
    offset: &str,
) -> Result<(ElectionDay, bool), DisinfoError> {
    let date: NaiveDate = date
        .trim()
        .parse()
        .map_err(|_| DisinfoError::Invalid(format!("{date:?} is not a date (write 2026-11-03)")))?;
    let utc_offset_minutes = ElectionDay::parse_offset(offset).ok_or_else(|| {
        DisinfoError::Invalid(format!(
            "{offset:?} is not an offset from UTC (write -05:00, +01:00 or Z)"
        ))
    })?;
    let day = ElectionDay {
        date,
        utc_offset_minutes,
    };
    let changed = store.set_disinfo_election_day(&day).await?;
    Ok((day, changed))
}

/// Removes an election day set with [`set_election_day`].
pub async fn remove_election_day(store: &dyn Store, date: &str) -> Result<bool, DisinfoError> {
    let date: NaiveDate = date
        .trim()
        .parse()
        .map_err(|_| DisinfoError::Invalid(format!("{date:?} is not a date (write 2026-11-03)")))?;
    Ok(store.remove_disinfo_election_day(date).await?)
}

/// Longest email address accepted.
pub const MAX_EMAIL: usize = 254;

/// Subscribes a user to alert emails at `email`. Refused for an unknown or disabled user,
/// a role that cannot read the watch, or an address that is not one. True when
/// something changed.
pub async fn subscribe(
    store: &dyn Store,
    user: &str,
    email: &str,
    now: DateTime<Utc>,
) -> Result<bool, DisinfoError> {
    let email = email.trim();
    if email.len() > MAX_EMAIL || email.parse::<lettre::Address>().is_err() {
        return Err(DisinfoError::Invalid(format!(
            "{email:?} is not an email address"
        )));
    }
    let account = store
        .account(user)
        .await?
        .ok_or_else(|| DisinfoError::Invalid(format!("no user {user:?}")))?;
    if account.disabled {
        return Err(DisinfoError::Invalid(format!("user {user:?} is disabled")));
    }
    if !account.user.role.allows(Permission::IncidentRead) {
        return Err(DisinfoError::Invalid(format!(
            "user {user:?} ({}) cannot read the disinformation watch",
            account.user.role.code()
        )));
    }
    Ok(store.disinfo_subscribe(user, email, now).await?)
}

/// Ends a user's subscription; false when there was none.
pub async fn unsubscribe(store: &dyn Store, user: &str) -> Result<bool, DisinfoError> {
    Ok(store.disinfo_unsubscribe(user).await?)
}

/// The subscriptions whose users may read the watch now (enabled, with the permission).
pub async fn subscribers(store: &dyn Store) -> Result<Vec<Subscription>, DisinfoError> {
    let mut out = Vec::new();
    for s in store.disinfo_subscriptions().await? {
        if let Some(a) = store.account(&s.user).await?
            && !a.disabled
            && a.user.role.allows(Permission::IncidentRead)
        {
            out.push(s);
        }
    }
    Ok(out)
}

/// Election-day alerts of narratives: for each narrative and election day on which it
/// has items (`hourly`: narrative, hour since the epoch, count), when its items name one
/// of the `counties` (`places`: the places each narrative names; matched ignoring case,
/// reported as the organization spells them).
pub fn election_day_alerts(
    hourly: &[(i64, i64, i64)],
    places: &[(i64, Vec<String>)],
    counties: &[String],
    days: &[ElectionDay],
) -> Vec<NewAlert> {
    let by_name: HashMap<String, &String> =
        counties.iter().map(|c| (c.to_lowercase(), c)).collect();
    let named: HashMap<i64, Vec<String>> = places
        .iter()
        .filter_map(|(n, ps)| {
            let found: BTreeSet<String> = ps
                .iter()
                .filter_map(|p| by_name.get(&p.to_lowercase()).map(|c| (*c).clone()))
                .collect();
            (!found.is_empty()).then(|| (*n, found.into_iter().collect()))
        })
        .collect();
    let mut per_day: BTreeMap<(i64, usize), i64> = BTreeMap::new();
    for &(n, hour, count) in hourly {
        if !named.contains_key(&n) {
            continue;
        }
        let Some(at) = Utc.timestamp_opt(hour * 3600, 0).single() else {
            continue;
        };
        for (i, d) in days.iter().enumerate() {
            if d.contains(at) {
                *per_day.entry((n, i)).or_default() += count;
            }
        }
    }
    per_day
        .into_iter()
        .map(|((n, i), count)| NewAlert {
            narrative_id: n,
            kind: AlertKind::ElectionDayCounty,
            hour: days[i].start(),
            count,
            baseline: 0.0,
            p_value: 1.0,
            counties: named[&n].clone(),
        })
        .collect()
}

/// Spike alerts of narratives' hourly series (the engine's rule).
pub fn spike_alerts(hourly: &[(i64, i64, i64)], now: DateTime<Utc>) -> Vec<NewAlert> {
    let mut series: BTreeMap<i64, Vec<(i64, u32)>> = BTreeMap::new();
    for &(n, hour, count) in hourly {
        series
            .entry(n)
            .or_default()
            .push((hour, u32::try_from(count).unwrap_or(u32::MAX)));
    }
    let rule = SpikeRule::default();
    let mut alerts = Vec::new();
    for (n, s) in series {
        for spike in rule.spikes(&s) {
            alerts.push(NewAlert {
                narrative_id: n,
                kind: AlertKind::Spike,
                hour: Utc
                    .timestamp_opt(spike.start_hour * 3600, 0)
                    .single()
                    .unwrap_or(now),
                count: i64::from(spike.count),
                baseline: spike.baseline,
                p_value: spike.p_value,
                counties: Vec::new(),
            });
        }
    }
    alerts
}

/// Tests the given narratives (all when `None`) for spikes and election-day county
/// mentions, records the alerts new to the store and queues their emails to the
/// subscribers; returns the new alerts.
pub async fn raise_alerts(
    store: &dyn Store,
    narratives: Option<&[i64]>,
    ctx: &WatchContext,
    now: DateTime<Utc>,
) -> Result<Vec<Alert>, DisinfoError> {
    let hourly = store.narrative_hourly(narratives).await?;
    let mut alerts = spike_alerts(&hourly, now);
    let days = election_days(store).await?;
    if !days.is_empty() && !ctx.counties.is_empty() {
        let ids: Vec<i64> = match narratives {
            Some(ids) => ids.to_vec(),
            None => {
                let mut ids: Vec<i64> = hourly.iter().map(|(n, _, _)| *n).collect();
                ids.dedup();
                ids
            }
        };
        let places = store.narrative_places(&ids).await?;
        alerts.extend(election_day_alerts(&hourly, &places, &ctx.counties, &days));
    }
    if alerts.is_empty() {
        return Ok(Vec::new());
    }
    let known: HashSet<(i64, AlertKind, DateTime<Utc>)> = store
        .list_alerts()
        .await?
        .into_iter()
        .map(|a| (a.narrative_id, a.kind, a.hour))
        .collect();
    alerts.retain(|a| !known.contains(&(a.narrative_id, a.kind, a.hour)));
    if alerts.is_empty() {
        return Ok(Vec::new());
    }
    let subscribers = subscribers(store).await?;
    let claims = store.list_claims().await?;
    let mut pending = Vec::with_capacity(alerts.len());
    for alert in alerts {
        let emails = match store.get_narrative(alert.narrative_id).await? {
            Some(n) if !subscribers.is_empty() => {
                let hotline_first = store
                    .narrative_items(n.id, 1)
                    .await?
                    .first()
                    .is_some_and(|i| i.incident_id.is_some());
                let claim = n.claim_id.and_then(|c| claims.iter().find(|k| k.id == c));
                subscribers
                    .iter()
                    .map(|s| alert_email(&alert, &n, hotline_first, claim, s, ctx))
                    .collect()
            }
            _ => Vec::new(),
        };
        pending.push(PendingAlert { alert, emails });
    }
    Ok(store.record_alerts(&pending, now).await?)
}

/// The first `n` characters of a text.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n).collect();
        out.push('…');
        out
    }
}

/// The email telling one subscriber of an alert: the narrative, its volume, the linked
/// claim and its counter-messages if any, and links to the narrative and to `/disinfo`.
/// A narrative started by a hotline report is not quoted (the report stays in the
/// incident, whose page checks the reader's counties).
pub fn alert_email(
    alert: &NewAlert,
    narrative: &Narrative,
    hotline_first: bool,
    claim: Option<&Claim>,
    to: &Subscription,
    ctx: &WatchContext,
) -> OutgoingEmail {
    let why = match alert.kind {
        AlertKind::Spike => format!("spiked to {} items in an hour", alert.count),
        AlertKind::ElectionDayCounty => {
            format!("names {} on election day", alert.counties.join(", "))
        }
    };
    let subject = format!("Disinformation alert: narrative {} {why}", narrative.id);
    let label = if hotline_first {
        String::from("(a hotline report)")
    } else {
        cut(&narrative.label, 280)
    };
    let mut body = format!(
        "Hello {},\n\nNarrative {} {}.\n\n\"{}\"\n\nVolume: {} items in all, first seen {}, last seen {}.\n",
        to.user,
        narrative.id,
        alert.describe(),
        label,
        narrative.items,
        narrative.first_seen.format("%Y-%m-%d %H:%M UTC"),
        narrative.last_seen.format("%Y-%m-%d %H:%M UTC"),
    );
    match claim {
        Some(c) => {
            body.push_str(&format!(
                "\nKnown claim {} ({}): {}\nCounter-message: {}\nContramensaje: {}\nSource: {}\n",
                c.claim.key,
                c.claim.verdict.code(),
                c.claim.claim_en,
                c.claim.counter_en,
                c.claim.counter_es,
                c.claim.source
            ));
        }
        None => body.push_str("\nNo known claim matches it yet.\n"),
    }
    body.push_str(&format!(
        "\nThe narrative: {}\nThe watch: {}\n\nYou get these alerts because you subscribed on the watch page; unsubscribe there.\n",
        ctx.link(&format!("/disinfo/narratives/{}", narrative.id)),
        ctx.link("/disinfo"),
    ));
    OutgoingEmail {
        key: format!(
            "disinfo-alert:{}:{}:{}:{}",
            alert.narrative_id,
            alert.kind.code(),
            alert.hour.timestamp(),
            to.user
        ),
        to: to.email.clone(),
        subject,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use votebase_domain::disinfo::{NarrativeStatus, NewClaim, Verdict};

    fn hour_of(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp() / 3600
    }

    fn day(offset: i32) -> ElectionDay {
        ElectionDay {
            date: NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
            utc_offset_minutes: offset,
        }
    }

    #[test]
    fn a_county_named_on_election_day_alerts_once_per_day_below_the_spike_test() {
        let counties = vec!["WAKE".to_string(), "DURHAM".to_string()];
        let hourly = vec![
            // Narrative 1: two items on election day (Eastern), one the day before.
            (1, hour_of("2026-11-02T15:00:00Z"), 1),
            (1, hour_of("2026-11-03T14:00:00Z"), 1),
            (1, hour_of("2026-11-04T01:00:00Z"), 1),
            // Narrative 2 names no county; narrative 3 only a city.
            (2, hour_of("2026-11-03T14:00:00Z"), 1),
            (3, hour_of("2026-11-03T14:00:00Z"), 1),
            // Narrative 4 names Wake but only posted the day after.
            (4, hour_of("2026-11-04T06:00:00Z"), 5),
        ];
        let places = vec![
            (1, vec!["Raleigh".to_string(), "wake".to_string()]),
            (3, vec!["Raleigh".to_string()]),
            (4, vec!["WAKE".to_string()]),
        ];
        let alerts = election_day_alerts(&hourly, &places, &counties, &[day(-300)]);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let a = &alerts[0];
        assert_eq!(
            (a.narrative_id, a.kind, a.count, a.counties.clone()),
            (1, AlertKind::ElectionDayCounty, 2, vec!["WAKE".to_string()])
        );
        assert_eq!(a.hour, day(-300).start());
        assert!(
            spike_alerts(&hourly, Utc::now()).is_empty(),
            "below the spike test"
        );
        // At UTC the evening item falls on the next day: one item that day.
        let utc = election_day_alerts(&hourly, &places, &counties, &[day(0)]);
        assert_eq!(utc.len(), 1);
        assert_eq!(utc[0].count, 1);
        // No election day, no county: nothing.
        assert!(election_day_alerts(&hourly, &places, &counties, &[]).is_empty());
        assert!(election_day_alerts(&hourly, &places, &[], &[day(-300)]).is_empty());
    }

    #[test]
    fn the_email_names_the_narrative_volume_claim_counter_message_and_links() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let n = Narrative {
            id: 7,
            items: 42,
            first_seen: t("2026-11-03T09:00:00Z"),
            last_seen: t("2026-11-03T11:00:00Z"),
            label: "Polls moved to the library".into(),
            claim_id: Some(3),
            claim_similarity: Some(0.6),
            status: NarrativeStatus::New,
            assigned_to: None,
        };
        let claim = Claim {
            id: 3,
            claim: NewClaim {
                key: "polls-moved".into(),
                verdict: Verdict::False,
                claim_en: "Polling places moved".into(),
                claim_es: "Las casillas se movieron".into(),
                counter_en: "Your polling place has not moved.".into(),
                counter_es: "Su casilla no se ha movido.".into(),
                source: "State board".into(),
            },
        };
        let alert = NewAlert {
            narrative_id: 7,
            kind: AlertKind::Spike,
            hour: t("2026-11-03T10:00:00Z"),
            count: 30,
            baseline: 0.4,
            p_value: 1e-25,
            counties: vec![],
        };
        let sub = Subscription {
            user: "ana".into(),
            email: "ana@example.org".into(),
            created_at: t("2026-11-01T00:00:00Z"),
        };
        let ctx = WatchContext {
            public_url: Some("https://vb.example.org".into()),
            ..Default::default()
        };
        let m = alert_email(&alert, &n, false, Some(&claim), &sub, &ctx);
        assert_eq!(m.to, "ana@example.org");
        assert_eq!(
            m.subject,
            "Disinformation alert: narrative 7 spiked to 30 items in an hour"
        );
        for want in [
            "Hello ana,",
            "Polls moved to the library",
            "Volume: 42 items in all",
            "Known claim polls-moved (false)",
            "Counter-message: Your polling place has not moved.",
            "Contramensaje: Su casilla no se ha movido.",
            "https://vb.example.org/disinfo/narratives/7",
            "The watch: https://vb.example.org/disinfo\n",
        ] {
            assert!(m.body.contains(want), "{want:?} in {}", m.body);
        }
        let other = alert_email(&alert, &n, true, None, &sub, &WatchContext::default());
        assert!(other.body.contains("(a hotline report)"), "{}", other.body);
        assert!(!other.body.contains("library"), "{}", other.body);
        assert!(
            other.body.contains("The watch: /disinfo\n"),
            "{}",
            other.body
        );
        assert!(other.body.contains("No known claim"), "{}", other.body);
        assert_eq!(m.key, other.key, "one key per alert and user");
        let bob = Subscription {
            user: "bob".into(),
            ..sub
        };
        assert_ne!(alert_email(&alert, &n, false, None, &bob, &ctx).key, m.key);
    }
}
