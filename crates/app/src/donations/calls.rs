//! Donor call lists (lapsed, thank-you, call time) over every stored contribution and the
//! organization's rules: the defaults a finance team expects when a date or cycle is not
//! given (lapsed: no gift in the last year; thank-you: gifts of the last week; the cycle
//! of today), checked bounds, and the pure list of `votebase_domain::donations::calls`.
//! The front ends audit the export (it lists donors' contact details).

use super::DonationError;
use chrono::{Days, NaiveDate};
use votebase_domain::donations::{CallListKind, CallListQuery, CallListRow, RuleBook, cycle_of};
use votebase_store::Store;

/// Call-time lines when not asked for a number.
pub const DEFAULT_TOP: usize = 100;
/// The most call-time lines one request may ask for.
pub const MAX_TOP: usize = 100_000;

/// The query with defaults filled in: `since` one year (lapsed) or seven days
/// (thank-you) before `today`, the cycle of `today`, [`DEFAULT_TOP`] lines.
pub fn query(
    kind: CallListKind,
    since: Option<NaiveDate>,
    cycle: Option<i32>,
    top: Option<usize>,
    today: NaiveDate,
) -> Result<CallListQuery, DonationError> {
    let since = since.unwrap_or_else(|| match kind {
        CallListKind::ThankYou => today - Days::new(7),
        _ => today - Days::new(365),
    });
    let cycle = cycle.unwrap_or_else(|| cycle_of(today));
    if cycle % 2 != 0 || !(2000..=2100).contains(&cycle) {
        return Err(DonationError::Invalid(format!(
            "cycle {cycle} is not an even year between 2000 and 2100"
        )));
    }
    let top = top.unwrap_or(DEFAULT_TOP);
    if top == 0 || top > MAX_TOP {
        return Err(DonationError::Invalid(format!(
            "top {top} is not between 1 and {MAX_TOP}"
        )));
    }
    Ok(CallListQuery {
        kind,
        since,
        cycle,
        top,
    })
}

/// The call list `query` asks for.
pub async fn call_list(
    store: &dyn Store,
    query: CallListQuery,
) -> Result<Vec<CallListRow>, DonationError> {
    let book = RuleBook::new(store.donation_rules().await?);
    let contributions = store.contributions(None).await?;
    tokio::task::spawn_blocking(move || {
        votebase_domain::donations::call_list(&contributions, &book, &query)
    })
    .await
    .map_err(|e| DonationError::Invalid(format!("call list task: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let q = query(CallListKind::ThankYou, None, None, None, today).unwrap();
        assert_eq!(q.since.to_string(), "2026-11-30");
        assert_eq!((q.cycle, q.top), (2026, DEFAULT_TOP));
        let q = query(CallListKind::Lapsed, None, Some(2024), Some(5), today).unwrap();
        assert_eq!(
            (q.since.to_string().as_str(), q.cycle, q.top),
            ("2025-12-07", 2024, 5)
        );
        assert!(query(CallListKind::CallTime, None, Some(2025), None, today).is_err());
        assert!(query(CallListKind::CallTime, None, None, Some(0), today).is_err());
    }
}
