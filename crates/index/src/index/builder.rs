//! [`IndexBuilder`]: feeds voters, vote history and keyed attribute families into
//! bitmaps, then freezes them into a [`UniverseIndex`].
//!
//! Order of calls: every [`IndexBuilder::add_voter`] first (ordinals are given in that
//! order), then history and keyed data in any order; history rows and keyed values for a
//! voter id that was never added are counted (history) or refused (keyed data). Keyed
//! families are the extension point for modules that are not part of the voter file:
//!
//! * set families: [`IndexBuilder::add_tag`], [`IndexBuilder::add_ballot_status`], or
//!   [`IndexBuilder::add_keyed`] for any family name (`tag:X`, `ballot:X`);
//! * numeric families: [`IndexBuilder::add_score`] (0–100, one bucket per integer),
//!   [`IndexBuilder::add_survey_answer`], or [`IndexBuilder::add_numeric`]
//!   (`score:support>=60`, `support>=60`, `survey:support=5`);
//! * dated families: [`IndexBuilder::add_contact`] or [`IndexBuilder::add_dated`]
//!   (`contacted:door:30d`, `contacted:any:2024-01-01..`).
//!
//! A new family name is registered on first use (or up front with
//! [`IndexBuilder::register_family`]); using it later with another kind is an error, and
//! the built-in names (`county`, `voted`, …) cannot be taken.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use roaring::{MultiOps, RoaringBitmap};
use votebase_domain::purges::StatusMove;
use votebase_domain::snapshots::{HistoryMark, VoteHistoryRecord, normalise_voting_method};
use votebase_domain::voters::{VoterFacets, VoterRecord};

use super::{DateIndex, Family, FastBuild, FastMap, IdTable, UniverseIndex, append_shifted, push};
use crate::families::{
    CatField, DEFAULT_KEYED_FAMILIES, FamilyKind, PURGED, STATUS_CHANGE, is_builtin, norm_key,
    norm_key_cow, qualified_precinct,
};

/// The bitmap under `key`, inserted empty if absent (allocates the key only then).
fn get_or_insert<'m, S: std::hash::BuildHasher>(
    m: &'m mut HashMap<String, RoaringBitmap, S>,
    key: &str,
) -> &'m mut RoaringBitmap {
    if !m.contains_key(key) {
        m.insert(key.to_string(), RoaringBitmap::new());
    }
    m.get_mut(key).expect("inserted")
}

/// Errors while feeding the builder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// The same state voter id was added twice.
    #[error("voter `{0}` was already added")]
    DuplicateVoter(String),
    /// Keyed data for a voter id that was never added.
    #[error("unknown voter `{voter}` in family `{family}`")]
    UnknownVoter {
        /// The family being fed.
        family: String,
        /// The voter id given.
        voter: String,
    },
    /// A family name already used with another kind.
    #[error("family `{family}` is {existing}, not {requested}")]
    KindMismatch {
        /// The family.
        family: String,
        /// Its registered kind.
        existing: FamilyKind,
        /// The kind asked for.
        requested: FamilyKind,
    },
    /// A family name that is built in, or not a valid name.
    #[error("`{0}` cannot name a keyed family (built-in, or not [a-z][a-z0-9_-]*)")]
    ReservedFamily(String),
    /// A score outside 0..=100.
    #[error("score `{name}` = {value} is outside 0..=100")]
    ScoreOutOfRange {
        /// Score name.
        name: String,
        /// The value given.
        value: i64,
    },
    /// A part given to [`IndexBuilder::absorb`] held keyed data (tags, scores…), which
    /// is added to the whole, not to parts.
    #[error("a part of the index holds keyed data; add it to the whole after absorbing")]
    KeyedDataInPart,
    /// More voters than `u32` ordinals.
    #[error("too many voters for u32 ordinals")]
    TooManyVoters,
}

/// Accumulates bitmaps; see the module documentation.
#[derive(Debug)]
pub struct IndexBuilder {
    reference_date: NaiveDate,
    ordinals: HashMap<Box<str>, u32, FastBuild>,
    next: u32,
    cats: Vec<FastMap<RoaringBitmap>>,
    precinct_qualified: FastMap<RoaringBitmap>,
    birth_years: BTreeMap<i32, RoaringBitmap>,
    birth_dates: DateIndex,
    registered: DateIndex,
    voted: BTreeMap<NaiveDate, RoaringBitmap>,
    methods: FastMap<BTreeMap<NaiveDate, RoaringBitmap>>,
    /// Raw voting-method text → normalised code, so each distinct text is normalised once.
    method_codes: FastMap<String>,
    families: BTreeMap<String, Family>,
    unmatched_history: u64,
}

impl IndexBuilder {
    /// A builder whose ages and relative windows are computed at `reference_date`
    /// (usually the snapshot's as-of date or today).
    pub fn new(reference_date: NaiveDate) -> Self {
        let mut b = IndexBuilder {
            reference_date,
            ordinals: HashMap::default(),
            next: 0,
            cats: vec![FastMap::default(); CatField::ALL.len()],
            precinct_qualified: FastMap::default(),
            birth_years: BTreeMap::new(),
            birth_dates: DateIndex::default(),
            registered: DateIndex::default(),
            voted: BTreeMap::new(),
            methods: FastMap::default(),
            method_codes: FastMap::default(),
            families: BTreeMap::new(),
            unmatched_history: 0,
        };
        for (name, kind) in DEFAULT_KEYED_FAMILIES {
            b.register_family(name, kind)
                .expect("default families are valid");
        }
        b
    }

    /// Reserves room for `voters` voters in the id map.
    pub fn with_capacity(reference_date: NaiveDate, voters: usize) -> Self {
        let mut b = Self::new(reference_date);
        b.ordinals.reserve(voters);
        b
    }

    /// Number of voters added so far.
    pub fn voters(&self) -> u32 {
        self.next
    }

    /// History rows whose voter was never added.
    pub fn unmatched_history(&self) -> u64 {
        self.unmatched_history
    }

    /// Indexes one voter and returns its ordinal.
    pub fn add_voter(&mut self, v: &VoterRecord) -> Result<u32, IndexError> {
        self.add_facets(&VoterFacets::from(v))
    }

    /// Indexes one voter from the fields universes select on and returns its ordinal
    /// (what [`IndexBuilder::add_voter`] does with a whole record).
    pub fn add_facets(&mut self, v: &VoterFacets) -> Result<u32, IndexError> {
        let ord = self.next;
        if ord == u32::MAX {
            return Err(IndexError::TooManyVoters);
        }
        if self.ordinals.contains_key(v.state_voter_id.as_str()) {
            return Err(IndexError::DuplicateVoter(v.state_voter_id.clone()));
        }
        self.ordinals.insert(v.state_voter_id.as_str().into(), ord);
        self.next += 1;
        for field in CatField::ALL {
            let value = field.value_cow(v);
            let map = &mut self.cats[field.index()];
            match map.get_mut(value.as_ref()) {
                Some(bm) => push(bm, ord),
                None => {
                    let mut bm = RoaringBitmap::new();
                    bm.insert(ord);
                    map.insert(value.into_owned(), bm);
                }
            }
        }
        let q = qualified_precinct(
            &CatField::County.value_cow(v),
            &CatField::Precinct.value_cow(v),
        );
        push(get_or_insert(&mut self.precinct_qualified, &q), ord);
        if let Some(d) = v.birth_date {
            self.birth_dates.insert(d, ord);
        } else if let Some(y) = v.birth_year {
            push(self.birth_years.entry(y).or_default(), ord);
        }
        if let Some(d) = v.registration_date {
            self.registered.insert(d, ord);
        }
        Ok(ord)
    }

    /// Indexes one vote-history row; returns false (and counts it) when its voter was
    /// never added. The method is normalised with
    /// [`votebase_domain::snapshots::normalise_voting_method`].
    pub fn add_history(&mut self, h: &VoteHistoryRecord) -> bool {
        self.add_vote(&h.state_voter_id, h.election_date, &h.voting_method)
    }

    /// [`IndexBuilder::add_history`] from the part of the row universes select on.
    pub fn add_history_mark(&mut self, h: &HistoryMark) -> bool {
        self.add_vote(&h.state_voter_id, h.election_date, &h.voting_method)
    }

    fn add_vote(&mut self, voter: &str, election: NaiveDate, voting_method: &str) -> bool {
        let Some(&ord) = self.ordinals.get(voter) else {
            self.unmatched_history += 1;
            return false;
        };
        push(self.voted.entry(election).or_default(), ord);
        if !self.method_codes.contains_key(voting_method) {
            self.method_codes.insert(
                voting_method.to_string(),
                normalise_voting_method(voting_method),
            );
        }
        let method = &self.method_codes[voting_method];
        if !self.methods.contains_key(method) {
            self.methods.insert(method.clone(), BTreeMap::new());
        }
        let by_election = self.methods.get_mut(method).expect("inserted");
        push(by_election.entry(election).or_default(), ord);
        true
    }

    /// Registers a keyed family (idempotent for the same kind).
    pub fn register_family(&mut self, name: &str, kind: FamilyKind) -> Result<(), IndexError> {
        if let Some(f) = self.families.get(name)
            && f.kind() == kind
        {
            return Ok(());
        }
        let name = norm_key(name);
        let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !valid || is_builtin(&name) {
            return Err(IndexError::ReservedFamily(name));
        }
        match self.families.get(&name) {
            Some(f) if f.kind() == kind => Ok(()),
            Some(f) => Err(IndexError::KindMismatch {
                family: name,
                existing: f.kind(),
                requested: kind,
            }),
            None => {
                let f = match kind {
                    FamilyKind::Set => Family::Set(HashMap::new()),
                    FamilyKind::Numeric => Family::Numeric(BTreeMap::new()),
                    FamilyKind::Dated => Family::Dated(BTreeMap::new()),
                };
                self.families.insert(name, f);
                Ok(())
            }
        }
    }

    fn family_for(
        &mut self,
        family: &str,
        voter: &str,
        kind: FamilyKind,
    ) -> Result<(u32, &mut Family), IndexError> {
        self.register_family(family, kind)?;
        let Some(&ord) = self.ordinals.get(voter) else {
            return Err(IndexError::UnknownVoter {
                family: norm_key(family),
                voter: voter.to_string(),
            });
        };
        let f = if self.families.contains_key(family) {
            self.families.get_mut(family)
        } else {
            self.families.get_mut(&norm_key(family))
        };
        Ok((ord, f.expect("registered")))
    }

    /// Adds `key` to the set family `family` for `voter` (`tag:KEY`, `ballot:KEY`).
    pub fn add_keyed(&mut self, family: &str, voter: &str, key: &str) -> Result<(), IndexError> {
        let (ord, f) = self.family_for(family, voter, FamilyKind::Set)?;
        if let Family::Set(m) = f {
            push(get_or_insert(m, &norm_key_cow(key)), ord);
        }
        Ok(())
    }

    /// Tags a voter (an activist code such as `volunteer-prospect`): `tag:KEY`.
    pub fn add_tag(&mut self, voter: &str, tag: &str) -> Result<(), IndexError> {
        self.add_keyed("tag", voter, tag)
    }

    /// Records a ballot status (`requested`, `returned`, `accepted`, …): `ballot:STATUS`.
    pub fn add_ballot_status(&mut self, voter: &str, status: &str) -> Result<(), IndexError> {
        self.add_keyed("ballot", voter, status)
    }

    /// Records `value` under `name` in the numeric family `family`. A voter may hold
    /// several values under one name; a range query matches when any of them is inside.
    pub fn add_numeric(
        &mut self,
        family: &str,
        voter: &str,
        name: &str,
        value: i64,
    ) -> Result<(), IndexError> {
        let (ord, f) = self.family_for(family, voter, FamilyKind::Numeric)?;
        if let Family::Numeric(m) = f {
            let name = norm_key_cow(name);
            if !m.contains_key(name.as_ref()) {
                m.insert(name.to_string(), BTreeMap::new());
            }
            let values = m.get_mut(name.as_ref()).expect("inserted");
            push(values.entry(value).or_default(), ord);
        }
        Ok(())
    }

    /// Records a model score 0..=100 (one bucket per integer): `score:NAME>=60`, or
    /// `NAME>=60` for short.
    pub fn add_score(&mut self, voter: &str, name: &str, value: i64) -> Result<(), IndexError> {
        if !(0..=100).contains(&value) {
            return Err(IndexError::ScoreOutOfRange {
                name: name.to_string(),
                value,
            });
        }
        self.add_numeric("score", voter, name, value)
    }

    /// Records a numeric survey answer (e.g. support 1–5): `survey:support=5`.
    pub fn add_survey_answer(
        &mut self,
        voter: &str,
        question: &str,
        answer: i64,
    ) -> Result<(), IndexError> {
        self.add_numeric("survey", voter, question, answer)
    }

    /// Records a dated key in the dated family `family`.
    pub fn add_dated(
        &mut self,
        family: &str,
        voter: &str,
        key: &str,
        date: NaiveDate,
    ) -> Result<(), IndexError> {
        let (ord, f) = self.family_for(family, voter, FamilyKind::Dated)?;
        if let Family::Dated(m) = f {
            let key = norm_key_cow(key);
            if !m.contains_key(key.as_ref()) {
                m.insert(key.to_string(), DateIndex::default());
            }
            m.get_mut(key.as_ref()).expect("inserted").insert(date, ord);
        }
        Ok(())
    }

    /// Records a voter's change of status seen at the snapshot dated `m.as_of`
    /// (`status_change:active>inactive@DATE`; a record gone from the file is
    /// `FROM>absent`) and, when it is a move off the roll as purge watch counts it, the
    /// move under its transition (`purged:DATE`, `purged:DATE:inactivated`).
    pub fn add_status_move(&mut self, m: &StatusMove) -> Result<(), IndexError> {
        let key = format!("{}>{}", m.before.trim(), m.after.trim());
        self.add_dated(STATUS_CHANGE, &m.state_voter_id, &key, m.as_of)?;
        if let Some(t) = m.transition() {
            self.add_dated(PURGED, &m.state_voter_id, t.code(), m.as_of)?;
        }
        Ok(())
    }

    /// Records a contact attempt on `channel` (`door`, `phone`, `text`, …) on `date`:
    /// `contacted:door:30d`.
    pub fn add_contact(
        &mut self,
        voter: &str,
        channel: &str,
        date: NaiveDate,
    ) -> Result<(), IndexError> {
        self.add_dated("contacted", voter, channel, date)
    }

    /// Appends the voters and vote history of `other`, a builder fed a disjoint part of
    /// the voter file (read in parallel with this one's part), after this builder's own:
    /// `other`'s ordinals are shifted up by this builder's voter count, so the result is
    /// the builder that one pass over this part and then `other`'s would have made.
    /// Keyed data is added to the whole afterwards; a part holding any is refused. After
    /// an error this builder may hold part of `other` and should be dropped.
    pub fn absorb(&mut self, other: IndexBuilder) -> Result<(), IndexError> {
        if other.families.values().any(|f| !f.is_empty()) {
            return Err(IndexError::KeyedDataInPart);
        }
        let offset = self.next;
        if u64::from(offset) + u64::from(other.next) > u64::from(u32::MAX) {
            return Err(IndexError::TooManyVoters);
        }
        self.ordinals.reserve(other.ordinals.len());
        for (id, o) in other.ordinals {
            if self.ordinals.contains_key(&id) {
                return Err(IndexError::DuplicateVoter(id.into()));
            }
            self.ordinals.insert(id, o + offset);
        }
        self.next += other.next;
        for (mine, theirs) in self.cats.iter_mut().zip(other.cats) {
            for (value, bm) in theirs {
                append_shifted(get_or_insert(mine, &value), &bm, offset);
            }
        }
        for (q, bm) in other.precinct_qualified {
            append_shifted(get_or_insert(&mut self.precinct_qualified, &q), &bm, offset);
        }
        for (year, bm) in other.birth_years {
            append_shifted(self.birth_years.entry(year).or_default(), &bm, offset);
        }
        self.birth_dates.absorb(other.birth_dates, offset);
        self.registered.absorb(other.registered, offset);
        for (election, bm) in other.voted {
            append_shifted(self.voted.entry(election).or_default(), &bm, offset);
        }
        for (method, by_election) in other.methods {
            let mine = self.methods.entry(method).or_default();
            for (election, bm) in by_election {
                append_shifted(mine.entry(election).or_default(), &bm, offset);
            }
        }
        for (raw, code) in other.method_codes {
            self.method_codes.entry(raw).or_insert(code);
        }
        self.unmatched_history += other.unmatched_history;
        Ok(())
    }

    /// Freezes the index.
    pub fn build(self) -> UniverseIndex {
        let n = self.next;
        let mut all = RoaringBitmap::new();
        if n > 0 {
            all.insert_range(0..n);
        }
        // Number of elections voted per voter, then one bitmap per count.
        let mut counts = vec![0u16; n as usize];
        for bm in self.voted.values() {
            for o in bm {
                counts[o as usize] = counts[o as usize].saturating_add(1);
            }
        }
        let mut votes_exact = vec![RoaringBitmap::new(); self.voted.len() + 1];
        for (o, c) in counts.iter().enumerate() {
            push(&mut votes_exact[*c as usize], o as u32);
        }
        let mut votes_from = votes_exact.clone();
        for i in (0..votes_from.len().saturating_sub(1)).rev() {
            let (head, tail) = votes_from.split_at_mut(i + 1);
            head[i] |= &tail[0];
        }
        for b in &mut votes_from {
            b.optimize();
        }
        let method_any = self
            .methods
            .iter()
            .map(|(m, by)| (m.clone(), by.values().union()))
            .collect();
        let mut ids: Vec<Box<str>> = vec![Box::from(""); n as usize];
        for (id, o) in self.ordinals {
            ids[o as usize] = id;
        }
        let mut cats = self.cats;
        for m in &mut cats {
            for b in m.values_mut() {
                b.optimize();
            }
        }
        let mut precinct_qualified = self.precinct_qualified;
        for b in precinct_qualified.values_mut() {
            b.optimize();
        }
        let mut registered = self.registered;
        registered.optimize();
        let mut birth_dates = self.birth_dates;
        birth_dates.optimize();
        let birth_years_from = super::suffixes(&self.birth_years);
        all.optimize();
        UniverseIndex {
            reference_date: self.reference_date,
            ids: IdTable::new(ids),
            all,
            cats,
            precinct_qualified,
            birth_years: self.birth_years,
            birth_years_from,
            birth_dates,
            registered,
            voted: self.voted,
            methods: self.methods,
            method_any,
            votes_exact,
            votes_from,
            families: self.families,
        }
    }
}
