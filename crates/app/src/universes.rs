//! The universe index as a use case: [`build_index`] streams the organization's store
//! into a fresh [`UniverseIndex`] (voters of the latest snapshot, vote history, each
//! voter's ballot status in the latest election with ballots, and the contact families
//! of [`crate::contacts::add_contact_families`]: tags, survey answers, contacts,
//! scores; and every status change between snapshots, for `status_change:` and
//! `purged:`) and of [`crate::people::events::add_volunteer_families`] for volunteers who
//! are voters (`attended`, `rsvp_no_show`, `volunteer_skill`); [`Universes`] keeps one in
//! memory and rebuilds it in the background when the
//! store's data version changes (checked at most every few seconds; the old index
//! answers meanwhile); [`select`] evaluates an expression and drops voters who already
//! voted and voters on the do-not-contact list ([`crate::suppression`]; the family
//! `suppressed:any` selects them, and [`select_with`] keeps them on request);
//! [`member_ids`], [`voted_note`] and [`suppressed_note`] turn a selection into ids and
//! the notes shown beside a count.

use chrono::{NaiveDate, Utc};
use roaring::RoaringBitmap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use votebase_domain::{HistoryMark, VoterFacets};
use votebase_index::{IndexBuilder, IndexError, QueryError, UniverseIndex, parse};
use votebase_store::{Store, StoreError, VoterIdRange};

/// The index, and the election whose voted voters lists drop.
pub struct Built {
    /// The index.
    pub index: UniverseIndex,
    /// The latest election with ballot files, if any.
    pub election: Option<NaiveDate>,
    /// Seconds to build.
    pub seconds: f64,
    /// The store's data version the index was built from.
    pub data_version: String,
    /// Voters on the do-not-contact list (index ordinals).
    pub suppressed: RoaringBitmap,
}

/// Why an index could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store's data did not fit the index (a duplicated voter id, say).
    #[error("building the universe index: {0}")]
    Index(#[from] IndexError),
    /// Contact history, tags, answers or scores could not be added.
    #[error("building the universe index: {0}")]
    Contacts(#[from] crate::contacts::ContactFamiliesError),
    /// A part's feeding thread was cancelled (the runtime is shutting down).
    #[error("building the universe index: a part was cancelled: {0}")]
    Cancelled(String),
    /// Donations could not be added.
    #[error("building the universe index: {0}")]
    Donations(#[from] crate::donations::DonationError),
}

/// Most parts the voter file is read in (one per core, up to this many).
const MAX_PARTS: usize = 4;

/// Streams the store into a fresh index. The voter file is read in parts (ranges of
/// voter ids, one per core): each part's voters and vote history are read on their own
/// connection into their own builder on their own thread, and the parts are joined in
/// id order ([`IndexBuilder::absorb`]); keyed data is then added to the whole.
pub async fn build_index(store: &dyn Store) -> Result<Built, BuildError> {
    let started = Instant::now();
    let mut lap_started = started;
    // Phase times at debug level (`VOTEBASE_LOG=votebase_app=debug`), for profiling.
    let mut lap = |phase: &str| {
        let now = Instant::now();
        tracing::debug!(
            phase,
            seconds = (now - lap_started).as_secs_f64(),
            "universe index build"
        );
        lap_started = now;
    };
    let data_version = store.data_version().await?;
    let today = Utc::now().date_naive();
    let parts = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, MAX_PARTS));
    let ranges = VoterIdRange::partition(&store.voter_id_splits(parts).await?);
    let voters_per_part = store.count_voters().await?.max(0) as usize / ranges.len();
    lap("version, splits and count");
    let built = futures::future::try_join_all(
        ranges
            .into_iter()
            .map(|range| build_part(store, today, range, voters_per_part)),
    )
    .await?;
    lap("voters and history, in parts");
    let mut built = built.into_iter();
    let mut builder = built.next().expect("a partition has at least one range");
    for part in built {
        builder.absorb(part)?;
    }
    lap("parts joined");
    let election = store.ballot_elections().await?.first().copied();
    if let Some(e) = election {
        for (voter, category) in store.ballot_statuses(e).await? {
            builder.add_ballot_status(&voter, category.code())?;
        }
    }
    lap("ballot statuses");
    crate::contacts::add_contact_families(store, &mut builder, today).await?;
    lap("contact families");
    // Status changes between snapshots (`status_change:`, `purged:`); voters no longer
    // in the file cannot be selected and are skipped.
    for m in store.status_moves().await? {
        match builder.add_status_move(&m) {
            Ok(()) | Err(IndexError::UnknownVoter { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    crate::people::events::add_volunteer_families(store, &mut builder).await?;
    crate::donations::universe::add_donation_families(store, &mut builder).await?;
    lap("status moves, volunteer and donation families");
    // The do-not-contact list (`suppressed:any`); voters no longer in the file are skipped.
    builder.register_family(SUPPRESSED_FAMILY, votebase_index::FamilyKind::Set)?;
    let suppressed_ids = store.suppressed_voter_ids().await?;
    for id in &suppressed_ids {
        match builder.add_keyed(SUPPRESSED_FAMILY, id, "any") {
            Ok(()) | Err(IndexError::UnknownVoter { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    lap("do-not-contact list");
    let index = builder.build();
    lap("frozen");
    let suppressed = suppressed_ids
        .iter()
        .filter_map(|id| index.ordinal(id))
        .collect();
    Ok(Built {
        index,
        suppressed,
        election,
        seconds: started.elapsed().as_secs_f64(),
        data_version,
    })
}

/// One part of the voter file (its voters, then their history) into a builder: the
/// store streams on its connection while a blocking thread feeds the builder.
async fn build_part(
    store: &dyn Store,
    today: NaiveDate,
    range: VoterIdRange,
    capacity: usize,
) -> Result<IndexBuilder, BuildError> {
    let (voters_tx, mut voters_rx) = tokio::sync::mpsc::channel::<Vec<VoterFacets>>(4);
    let (history_tx, mut history_rx) = tokio::sync::mpsc::channel::<Vec<HistoryMark>>(4);
    // The feeding thread is detached: if this part's future is dropped (another part
    // failed, or the build was cancelled), the guard tells it to stop, which drops its
    // receivers and so ends the store's read too.
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_on_drop = StopOnDrop(stop.clone());
    let feed = tokio::task::spawn_blocking(move || {
        let mut builder = IndexBuilder::with_capacity(today, capacity);
        while let Some(batch) = voters_rx.blocking_recv() {
            if stop.load(Ordering::Relaxed) {
                return Ok(builder);
            }
            for v in &batch {
                builder.add_facets(v)?;
            }
        }
        while let Some(batch) = history_rx.blocking_recv() {
            if stop.load(Ordering::Relaxed) {
                return Ok(builder);
            }
            for h in &batch {
                builder.add_history_mark(h);
            }
        }
        Ok::<_, IndexError>(builder)
    });
    let read = async {
        store
            .export_voter_facets(range.clone(), 10_000, voters_tx)
            .await?;
        store.export_history_marks(range, 50_000, history_tx).await
    };
    let (read, fed) = tokio::join!(read, feed);
    // A builder that failed (a duplicated id) dropped its receivers, which ended the read
    // early: its error is the one to report.
    let builder = match fed {
        Ok(fed) => fed?,
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => return Err(BuildError::Cancelled(e.to_string())),
        },
    };
    read?;
    Ok(builder)
}

/// Sets its flag when dropped: tells a part's feeding thread to stop.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The universe family of the do-not-contact list: `suppressed:any`.
pub const SUPPRESSED_FAMILY: &str = "suppressed";

/// What an expression selects, once voters who already voted and voters on the
/// do-not-contact list are dropped.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Members (index ordinals).
    pub members: RoaringBitmap,
    /// Voters the expression selected who were dropped because they already voted.
    pub voted_removed: u64,
    /// Voters the expression selected (and who had not voted) who were dropped because
    /// they are on the do-not-contact list.
    pub suppressed_removed: u64,
}

/// Members of `expr_text`, without voters who already voted (an accepted ballot in the
/// latest election with ballots) unless `include_voted`, and never with voters on the
/// do-not-contact list.
pub fn select(
    built: &Built,
    expr_text: &str,
    include_voted: bool,
) -> Result<Selection, QueryError> {
    select_with(built, expr_text, include_voted, false)
}

/// [`select`], keeping voters on the do-not-contact list when `include_suppressed`.
pub fn select_with(
    built: &Built,
    expr_text: &str,
    include_voted: bool,
    include_suppressed: bool,
) -> Result<Selection, QueryError> {
    let mut members = built.index.members(&parse(expr_text)?)?;
    let mut voted_removed = 0;
    if !include_voted && built.election.is_some() {
        let voted = built.index.members(&parse("ballot:accepted")?)?;
        voted_removed = members.intersection_len(&voted);
        members -= voted;
    }
    let mut suppressed_removed = 0;
    if !include_suppressed {
        suppressed_removed = members.intersection_len(&built.suppressed);
        members -= &built.suppressed;
    }
    Ok(Selection {
        members,
        voted_removed,
        suppressed_removed,
    })
}

/// The note shown beside a count when voters on the do-not-contact list were dropped
/// (`None` when none were).
pub fn suppressed_note(removed: u64, include_suppressed: bool) -> Option<String> {
    match (removed, include_suppressed) {
        (_, true) => Some("voters on the do-not-contact list are included".into()),
        (0, false) => None,
        (n, false) => Some(format!(
            "{n} voters removed: they are on the do-not-contact list (add --include-suppressed to keep them)"
        )),
    }
}

/// The members' state voter ids, sorted.
pub fn member_ids(built: &Built, members: &RoaringBitmap) -> Vec<String> {
    let mut ids: Vec<String> = members
        .iter()
        .filter_map(|o| built.index.voter_id(o).map(str::to_string))
        .collect();
    ids.sort_unstable();
    ids
}

/// The explanation printed or shown beside a count.
pub fn voted_note(
    election: Option<NaiveDate>,
    removed: u64,
    include_voted: bool,
) -> Option<String> {
    match (election, include_voted) {
        (Some(e), false) => Some(format!(
            "{removed} voters removed: they already voted in the {e} election (add --include-voted to keep them)"
        )),
        (Some(e), true) => Some(format!(
            "voters who already voted in the {e} election are included"
        )),
        (None, _) => None,
    }
}

/// How often [`Universes::current`] asks the store whether its data changed.
const VERSION_CHECK_EVERY: Duration = Duration::from_secs(3);

#[derive(Default)]
struct CacheState {
    current: Option<Arc<Built>>,
    checked_at: Option<Instant>,
    rebuilding: bool,
}

/// The in-memory universe index a long-running front end (the server) keeps: built on first use, rebuilt in the background
/// when the store's data version changes, the old index serving queries meanwhile.
#[derive(Default)]
pub struct Universes {
    state: Mutex<CacheState>,
    first_build: tokio::sync::Mutex<()>,
}

impl Universes {
    /// An empty cache (the index is built on first use).
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current index. The first call builds it (others wait for that build); later
    /// calls return at once, and at most every few seconds one of them compares the
    /// store's data version and, when it moved, starts a rebuild in the background.
    pub async fn current(
        self: &Arc<Self>,
        store: &Arc<dyn Store>,
    ) -> Result<Arc<Built>, BuildError> {
        let existing = self.lock().current.clone();
        let Some(built) = existing else {
            let _guard = self.first_build.lock().await;
            if let Some(b) = self.lock().current.clone() {
                return Ok(b);
            }
            let built = Arc::new(build_index(store.as_ref()).await?);
            let mut s = self.lock();
            s.current = Some(built.clone());
            s.checked_at = Some(Instant::now());
            return Ok(built);
        };
        let due = {
            let mut s = self.lock();
            let due = !s.rebuilding
                && s.checked_at
                    .is_none_or(|t| t.elapsed() >= VERSION_CHECK_EVERY);
            if due {
                s.checked_at = Some(Instant::now());
            }
            due
        };
        if due {
            let version = store.data_version().await?;
            if version != built.data_version {
                self.rebuild_in_background(store.clone());
            }
        }
        Ok(built)
    }

    /// Builds the first index in the background, so the first list page does not wait.
    pub fn warm_up(self: &Arc<Self>, store: Arc<dyn Store>) {
        let me = self.clone();
        tokio::spawn(async move {
            if let Err(e) = me.current(&store).await {
                tracing::error!(error = %e, "universe index build failed");
            }
        });
    }

    /// Starts a rebuild unless one is running; the new index replaces the old when done.
    pub fn rebuild_in_background(self: &Arc<Self>, store: Arc<dyn Store>) {
        {
            let mut s = self.lock();
            if s.rebuilding {
                return;
            }
            s.rebuilding = true;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let result = build_index(store.as_ref()).await;
            let mut s = me.lock();
            s.rebuilding = false;
            s.checked_at = Some(Instant::now());
            match result {
                Ok(b) => {
                    tracing::info!(
                        voters = b.index.len(),
                        seconds = b.seconds,
                        "universe index rebuilt"
                    );
                    s.current = Some(Arc::new(b));
                }
                Err(e) => tracing::error!(error = %e, "universe index rebuild failed"),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use votebase_domain::VoterRecord;
    use votebase_domain::voters::Party;

    /// A three-voter index; A3 already voted.
    pub(crate) fn built() -> Built {
        let mut b = IndexBuilder::new(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
        for (id, county, party) in [
            ("A1", "WAKE", Party::Dem),
            ("A2", "WAKE", Party::Rep),
            ("A3", "DURHAM", Party::Dem),
        ] {
            b.add_voter(&VoterRecord {
                state_voter_id: id.into(),
                county_name: county.into(),
                party,
                ..Default::default()
            })
            .unwrap();
        }
        b.add_ballot_status("A3", "accepted").unwrap();
        let index = b.build();
        Built {
            suppressed: [index.ordinal("A1").unwrap()].into_iter().collect(),
            index,
            election: NaiveDate::from_ymd_opt(2026, 11, 3),
            seconds: 0.0,
            data_version: String::new(),
        }
    }

    #[test]
    fn voted_voters_are_dropped_and_counted() {
        let b = built();
        let s = select_with(&b, "party:DEM", false, true).unwrap();
        assert_eq!((s.members.len(), s.voted_removed), (1, 1));
        assert_eq!(member_ids(&b, &s.members), ["A1"]);
        let all = select_with(&b, "party:DEM", true, true).unwrap();
        assert_eq!((all.members.len(), all.voted_removed), (2, 0));
    }

    #[test]
    fn suppressed_voters_are_dropped_unless_asked_for() {
        let b = built();
        let s = select(&b, "county:WAKE", false).unwrap();
        assert_eq!(member_ids(&b, &s.members), ["A2"]);
        assert_eq!(s.suppressed_removed, 1);
        let kept = select_with(&b, "county:WAKE", false, true).unwrap();
        assert_eq!(kept.members.len(), 2);
        assert_eq!(kept.suppressed_removed, 0);
        assert!(
            suppressed_note(1, false)
                .unwrap()
                .contains("do-not-contact")
        );
        assert_eq!(suppressed_note(0, false), None);
    }
}
