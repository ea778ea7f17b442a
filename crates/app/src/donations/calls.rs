//! Donor call lists (lapsed, thank-you, call time) over every stored contribution and the
//! organization's rules: the defaults a finance team expects when a date or cycle is not
//! given (lapsed: no gift in the last year; thank-you: gifts of the last week; the cycle
//! of today), checked bounds, and the pure list of `votebase_domain::donations::calls`.
//! Donors on the do-not-contact list (by their phone, email or the voter they are linked
//! to, see [`crate::suppression::SuppressedPeople`]) are left out unless asked for. The
//! front ends audit the export (it lists donors' contact details).

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

/// A call list and who the do-not-contact list kept off it.
#[derive(Debug, Clone)]
pub struct CallList {
    /// The lines.
    pub rows: Vec<CallListRow>,
    /// Donors left out because a live suppression covers them.
    pub suppressed_removed: u64,
}

/// The call list `query` asks for, without donors on the do-not-contact list unless
/// `include_suppressed` (the call-time top is taken after they are left out).
pub async fn call_list(
    store: &dyn Store,
    query: CallListQuery,
    include_suppressed: bool,
) -> Result<CallList, DonationError> {
    let book = RuleBook::new(store.donation_rules().await?);
    let contributions = store.contributions(None).await?;
    let suppressed = if include_suppressed {
        crate::suppression::SuppressedPeople::default()
    } else {
        crate::suppression::suppressed_people(store).await?
    };
    tokio::task::spawn_blocking(move || {
        // Ask for every line, leave the suppressed out, then cut the call-time top.
        let all = CallListQuery {
            top: usize::MAX,
            ..query
        };
        let rows = votebase_domain::donations::call_list(&contributions, &book, &all);
        let (mut rows, suppressed_removed) = suppressed.retain(rows, include_suppressed, |r| {
            (
                r.person.as_str(),
                vec![r.phone.as_str()],
                vec![r.email.as_str()],
            )
        });
        if query.kind == CallListKind::CallTime {
            rows.truncate(query.top);
        }
        CallList {
            rows,
            suppressed_removed,
        }
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
