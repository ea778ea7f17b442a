//! The storage contract for building the universe index: the fields universes select on
//! of the present voters and the date and method of every vote-history row, read without
//! the rest of each record (no names, addresses or `extra` to decode), for one range of
//! voter ids at a time, and the ids that cut the present voters into ranges of about
//! equal size, so the application can read the parts on separate connections in
//! parallel. Both backends order and compare ids the same way within one database, so
//! the ranges partition the voters and their history exactly.

use async_trait::async_trait;
use tokio::sync::mpsc::Sender;
use votebase_domain::{HistoryMark, VoterFacets};

use crate::StoreResult;

/// A range of state voter ids, `from` inclusive, `before` exclusive; `None` is open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VoterIdRange {
    /// The first id in the range, or from the start.
    pub from: Option<String>,
    /// The first id after the range, or to the end.
    pub before: Option<String>,
}

impl VoterIdRange {
    /// The ranges between consecutive `splits` (sorted, as [`UniverseSource::voter_id_splits`]
    /// returns them): `splits.len() + 1` ranges covering every id once.
    pub fn partition(splits: &[String]) -> Vec<VoterIdRange> {
        let mut bounds: Vec<Option<String>> = vec![None];
        bounds.extend(splits.iter().cloned().map(Some));
        bounds.push(None);
        bounds
            .windows(2)
            .map(|w| VoterIdRange {
                from: w[0].clone(),
                before: w[1].clone(),
            })
            .collect()
    }

    /// The range as `WHERE` conditions on `state_voter_id` (`TRUE` when it is open at
    /// both ends) and their parameters in order, the n-th (from 1) written as
    /// `placeholder(n)`: `?n` on SQLite, `$n` on PostgreSQL.
    pub fn sql_conditions(&self, placeholder: impl Fn(usize) -> String) -> (String, Vec<String>) {
        let mut conditions = Vec::new();
        let mut args = Vec::new();
        if let Some(from) = &self.from {
            args.push(from.clone());
            conditions.push(format!("state_voter_id >= {}", placeholder(args.len())));
        }
        if let Some(before) = &self.before {
            args.push(before.clone());
            conditions.push(format!("state_voter_id < {}", placeholder(args.len())));
        }
        if conditions.is_empty() {
            ("TRUE".into(), args)
        } else {
            (conditions.join(" AND "), args)
        }
    }
}

#[async_trait]
pub trait UniverseSource {
    /// Up to `parts - 1` voter ids, ascending and distinct, that cut the voters of the
    /// file into `parts` ranges of about equal size (empty when `parts` <= 1 or the file
    /// is small). The cut need not be exact; the ranges of [`VoterIdRange::partition`]
    /// always cover every voter once.
    async fn voter_id_splits(&self, parts: usize) -> StoreResult<Vec<String>>;

    /// Streams the [`VoterFacets`] of every voter present in the latest snapshot whose id
    /// is in `range`, ordered by id, in batches of up to `batch_size`; stops early if the
    /// receiver is dropped.
    async fn export_voter_facets(
        &self,
        range: VoterIdRange,
        batch_size: usize,
        out: Sender<Vec<VoterFacets>>,
    ) -> StoreResult<()>;

    /// Streams a [`HistoryMark`] of every vote-history row whose voter id is in `range`,
    /// ordered by voter then election, in batches; stops early if the receiver is dropped.
    async fn export_history_marks(
        &self,
        range: VoterIdRange,
        batch_size: usize,
        out: Sender<Vec<HistoryMark>>,
    ) -> StoreResult<()>;
}
