//! The incident dashboard's arithmetic: counts by county, category, status and hour, the
//! busiest places, and time-to-first-action and time-to-resolution percentiles.

use super::{Incident, IncidentStatus};
use chrono::Timelike;
use serde::Serialize;
use std::collections::BTreeMap;

/// p50 and p90 of durations in seconds (nearest rank), `None` when empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Percentiles {
    /// How many durations.
    pub count: usize,
    /// Median, seconds.
    pub p50_seconds: Option<i64>,
    /// 90th percentile, seconds.
    pub p90_seconds: Option<i64>,
}

/// Nearest-rank percentile `p` (0..=100) of sorted values.
pub fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn percentiles(mut values: Vec<i64>) -> Percentiles {
    values.sort_unstable();
    Percentiles {
        count: values.len(),
        p50_seconds: percentile(&values, 50.0),
        p90_seconds: percentile(&values, 90.0),
    }
}

/// The dashboard's numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentDashboard {
    /// Incidents counted.
    pub total: usize,
    /// Still open.
    pub open: usize,
    /// By county, largest first.
    pub by_county: Vec<(String, usize)>,
    /// By category, largest first.
    pub by_category: Vec<(String, usize)>,
    /// By status, in workflow order.
    pub by_status: Vec<(String, usize)>,
    /// By hour observed (UTC, `YYYY-MM-DD HH:00`), in time order.
    pub by_hour: Vec<(String, usize)>,
    /// Polling places with the most open incidents (place, county, open incidents).
    pub top_places: Vec<(String, String, usize)>,
    /// Reported → first action by a person.
    pub time_to_first_action: Percentiles,
    /// Reported → resolved or closed.
    pub time_to_resolution: Percentiles,
}

/// Computes the dashboard of a set of incidents.
pub fn dashboard(incidents: &[Incident], top: usize) -> IncidentDashboard {
    fn sorted(m: BTreeMap<String, usize>) -> Vec<(String, usize)> {
        let mut v: Vec<_> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }
    let mut by_county = BTreeMap::new();
    let mut by_category = BTreeMap::new();
    let mut by_status: BTreeMap<IncidentStatus, usize> = BTreeMap::new();
    let mut by_hour = BTreeMap::new();
    let mut places: BTreeMap<(String, String), usize> = BTreeMap::new();
    let (mut first, mut resolved) = (Vec::new(), Vec::new());
    for i in incidents {
        *by_county.entry(i.location.county.clone()).or_default() += 1;
        *by_category.entry(i.category.clone()).or_default() += 1;
        *by_status.entry(i.status).or_default() += 1;
        let hour = i
            .observed_at
            .with_minute(0)
            .and_then(|t| t.with_second(0))
            .unwrap_or(i.observed_at);
        *by_hour
            .entry(hour.format("%Y-%m-%d %H:00").to_string())
            .or_default() += 1;
        if i.status.is_open() {
            let place = if i.location.polling_place.is_empty() {
                i.location.display()
            } else {
                i.location.polling_place.clone()
            };
            *places
                .entry((place, i.location.county.clone()))
                .or_default() += 1;
        }
        if let Some(t) = i.first_action_at {
            first.push((t - i.created_at).num_seconds().max(0));
        }
        if let Some(t) = i.resolved_at {
            resolved.push((t - i.created_at).num_seconds().max(0));
        }
    }
    let mut top_places: Vec<(String, String, usize)> =
        places.into_iter().map(|((p, c), n)| (p, c, n)).collect();
    top_places.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    top_places.truncate(top);
    IncidentDashboard {
        total: incidents.len(),
        open: incidents.iter().filter(|i| i.status.is_open()).count(),
        by_county: sorted(by_county),
        by_category: sorted(by_category),
        by_status: IncidentStatus::ALL
            .iter()
            .filter_map(|s| by_status.get(s).map(|n| (s.code().to_string(), *n)))
            .collect(),
        by_hour: by_hour.into_iter().collect(),
        top_places,
        time_to_first_action: percentiles(first),
        time_to_resolution: percentiles(resolved),
    }
}
