//! The storage contract of donations: donor identities (one exact spelling of a donor,
//! mapped to the person the linkage engine resolved it to; donors are rows of the
//! people table), contributions appended by (source, receipt id) so a re-import changes
//! nothing and a refund is a record of its own (the stores refuse updates and deletes of
//! a contribution), the organization's compliance rules per committee and cycle, and the
//! review queue of uncertain donor pairs (a decision merges two people or keeps them
//! apart, once).

use async_trait::async_trait;
use serde::Serialize;
use votebase_domain::donations::{ComplianceRules, Contribution, DonorDetails, NewContribution};

use crate::StoreResult;

/// One exact spelling of a donor and the person it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DonorIdentity {
    /// [`DonorDetails::identity_key`] of `details`.
    pub key: String,
    /// The person's external id.
    pub person: String,
    /// Names, address, email and phone (employer and occupation stay on contributions).
    pub details: DonorDetails,
}

/// A person to create for a donor the store does not know yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDonor {
    /// The person's external id (`donor:…`); an id already in the people table is kept
    /// as it is.
    pub external_id: String,
    /// The name, address, email and phone the person record starts with.
    pub details: DonorDetails,
}

/// Everything one import file writes, in one transaction.
#[derive(Debug, Clone, Default)]
pub struct DonationImport {
    /// People to create.
    pub donors: Vec<NewDonor>,
    /// Identities to map (known keys keep their person).
    pub identities: Vec<DonorIdentity>,
    /// The file's contributions; each donor's identity must be known or in `identities`
    /// ([`crate::StoreError::Refused`] otherwise, nothing written).
    pub contributions: Vec<NewContribution>,
    /// Uncertain pairs of identities to queue for review (a pair already queued, decided
    /// or not, is left as it is).
    pub reviews: Vec<NewDonorReview>,
}

/// Two donor identities the linkage engine scored between the review and the acceptance
/// thresholds: kept apart until someone decides.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDonorReview {
    /// The identity that came in with the import (known or in the same import).
    pub key: String,
    /// The identity it resembles; accepting merges `key`'s person into this one's.
    pub other_key: String,
    /// The match probability.
    pub probability: f64,
    /// Which fields agreed and how much each weighed.
    pub explanation: String,
}

/// Where a review stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Waiting for a decision.
    Pending,
    /// One person: `key`'s person was merged into `other_key`'s.
    Accepted,
    /// Two people, kept apart.
    Rejected,
}

impl ReviewStatus {
    /// The stable code stored and shown.
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        [Self::Pending, Self::Accepted, Self::Rejected]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// A queued pair with both sides as stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DonorReview {
    /// The review's id.
    pub id: i64,
    /// The identity that came in.
    pub key: String,
    /// Its person now.
    pub person: String,
    /// Its names, address, email, phone.
    pub details: DonorDetails,
    /// The identity it resembles.
    pub other_key: String,
    /// That identity's person now.
    pub other_person: String,
    /// That identity's names, address, email, phone.
    pub other_details: DonorDetails,
    /// The match probability.
    pub probability: f64,
    /// Which fields agreed and how much each weighed.
    pub explanation: String,
    /// Pending, accepted or rejected.
    pub status: ReviewStatus,
    /// Who decided (empty while pending).
    pub decided_by: String,
}

/// What an import did.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DonationImportOutcome {
    /// Contributions new to the store.
    pub inserted: u64,
    /// Contributions already stored (same source and receipt id): untouched.
    pub unchanged: u64,
    /// People created for new donors.
    pub new_donors: u64,
}

/// Storage of donors, contributions and compliance rules. Part of
/// [`Store`](crate::Store); every method is one transaction.
#[async_trait]
pub trait DonationStore: Send + Sync {
    /// Every donor identity with its person, by key.
    async fn donor_identities(&self) -> StoreResult<Vec<DonorIdentity>>;

    /// Writes one file's donors, identities and contributions, all or nothing;
    /// contributions already stored are left as they are.
    async fn import_donations(&self, import: &DonationImport)
    -> StoreResult<DonationImportOutcome>;

    /// Contributions of one cycle (every cycle when `None`), with their person, by date
    /// then receipt id.
    async fn contributions(&self, cycle: Option<i32>) -> StoreResult<Vec<Contribution>>;

    /// One person's contributions, newest first.
    async fn contributions_of_person(&self, person: &str) -> StoreResult<Vec<Contribution>>;

    /// The organization's compliance rules, by committee then cycle.
    async fn donation_rules(&self) -> StoreResult<Vec<ComplianceRules>>;

    /// Sets a committee's rules for a cycle (replacing earlier ones).
    async fn put_donation_rules(&self, rules: &ComplianceRules) -> StoreResult<()>;

    /// Queued pairs by id, only the pending ones when `pending_only`.
    async fn donor_reviews(&self, pending_only: bool) -> StoreResult<Vec<DonorReview>>;

    /// Decides a pending review: accepting moves every identity of `key`'s person to
    /// `other_key`'s person (their contributions follow), rejecting keeps them apart.
    /// `None` when there is no such review; [`crate::StoreError::Refused`] when it is
    /// already decided.
    async fn decide_donor_review(
        &self,
        id: i64,
        accept: bool,
        decided_by: &str,
    ) -> StoreResult<Option<DonorReview>>;
}
