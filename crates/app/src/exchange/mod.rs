//! Exchange agreements between organizations as use cases. [`propose`] writes a new
//! agreement into both organizations' stores (the proposal is the proposing side's
//! approval); [`approve`] and [`end`] change only the caller's own copy, since each side
//! is the authority for its own signature; [`reconcile`] merges the two copies and writes
//! the result into both (every [`sync`] starts with it); [`status`] tells, for each
//! direction an agreement flows in, the publisher's outbox head, the subscriber's
//! cursor, the lag and the counts. The code takes the two sides' stores as
//! `&dyn Store` and never knows the backend: the front end opens them (the CLI by
//! organization name). Who may do what: [`authorize`] (admins approve and end; admins
//! and data managers read). Every step is audited on the side(s) it touches.

pub mod sync;

pub use sync::{FlowReport, SyncError, sync};

use chrono::{NaiveDate, Utc};
use rand::RngCore;
use serde::Serialize;
use votebase_domain::exchange::{
    Agreement, AgreementError, AgreementState, AgreementTerms, Signature,
};
use votebase_domain::users::Permission;
use votebase_domain::{AuditEntry, Role};
use votebase_store::exchange::ExchangeCursor;
use votebase_store::{Store, StoreError};

/// What a caller wants to do with agreements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeAction {
    /// See agreements, their state and lag (admins, data managers).
    Read,
    /// Approve or end one (admins).
    Sign,
}

/// The caller's role may not do this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("your role may not {0}")]
pub struct ExchangeForbidden(&'static str);

/// The one rule of who may read, approve and end agreements.
pub fn authorize(role: Role, action: ExchangeAction) -> Result<(), ExchangeForbidden> {
    match action {
        ExchangeAction::Read if role.allows(Permission::ReadAudit) => Ok(()),
        ExchangeAction::Read => Err(ExchangeForbidden("read exchange agreements")),
        ExchangeAction::Sign if role == Role::Admin => Ok(()),
        ExchangeAction::Sign => Err(ExchangeForbidden(
            "approve or end exchange agreements (admins only)",
        )),
    }
}

/// Why an agreement step failed.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The terms or the copies are not valid.
    #[error(transparent)]
    Agreement(#[from] AgreementError),
    /// No agreement with that id in this organization.
    #[error("no exchange agreement {0} in organization {1}")]
    NotFound(String, String),
    /// The organization is not a side of it.
    #[error("organization {1} is not a side of agreement {0}")]
    NotASide(String, String),
    /// It was ended: it cannot be approved again.
    #[error("agreement {0} was ended; propose a new one")]
    Ended(String),
    /// A store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A proposal: the terms, the two organizations, and who proposes from which side.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// The publishing organization.
    pub publisher: String,
    /// The subscribing organization.
    pub subscriber: String,
    /// The terms (checked here).
    pub terms: AgreementTerms,
    /// The proposing organization (one of the two).
    pub proposing_org: String,
    /// Who proposes.
    pub by: String,
}

async fn audit(
    store: &dyn Store,
    actor: &str,
    action: &str,
    subject: &str,
    detail: String,
) -> Result<(), StoreError> {
    store
        .audit(&AuditEntry {
            at: Utc::now(),
            actor: actor.to_string(),
            action: action.to_string(),
            subject: subject.to_string(),
            detail,
        })
        .await
}

/// Writes a new agreement into both stores: a fresh UUID, a fresh 32-byte key for keyed
/// hashes, and the proposing side's approval.
pub async fn propose(
    publisher_store: &dyn Store,
    subscriber_store: &dyn Store,
    proposal: Proposal,
) -> Result<Agreement, ExchangeError> {
    if proposal.publisher == proposal.subscriber {
        return Err(AgreementError::SameOrganization.into());
    }
    let terms = proposal.terms.validate()?;
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    let signature = Signature {
        by: proposal.by.clone(),
        at: Utc::now(),
    };
    let by_publisher = proposal.proposing_org == proposal.publisher;
    let agreement = Agreement {
        id: uuid::Uuid::new_v4().to_string(),
        publisher: proposal.publisher.clone(),
        subscriber: proposal.subscriber.clone(),
        terms,
        hash_key: hex::encode(key),
        proposed_by_org: if by_publisher {
            proposal.publisher.clone()
        } else {
            proposal.subscriber.clone()
        },
        proposed: signature.clone(),
        publisher_approval: by_publisher.then(|| signature.clone()),
        subscriber_approval: (!by_publisher).then_some(signature),
        ended: None,
        ended_by_org: None,
    };
    let detail = format!(
        "{} -> {}: {}",
        agreement.publisher,
        agreement.subscriber,
        agreement
            .terms
            .datasets
            .iter()
            .map(|d| d.code())
            .collect::<Vec<_>>()
            .join(",")
    );
    for store in [publisher_store, subscriber_store] {
        store.put_agreement(&agreement).await?;
        audit(
            store,
            &proposal.by,
            "exchange.propose",
            &agreement.id,
            detail.clone(),
        )
        .await?;
    }
    Ok(agreement)
}

async fn own_copy(store: &dyn Store, org: &str, id: &str) -> Result<Agreement, ExchangeError> {
    let a = store
        .agreement(id)
        .await?
        .ok_or_else(|| ExchangeError::NotFound(id.to_string(), org.to_string()))?;
    if !a.involves(org) {
        return Err(ExchangeError::NotASide(id.to_string(), org.to_string()));
    }
    Ok(a)
}

/// Signs agreement `id` for organization `org` in `org`'s own store (a second approval
/// by the same side keeps the first). Returns the copy as stored.
pub async fn approve(
    store: &dyn Store,
    org: &str,
    id: &str,
    by: &str,
) -> Result<Agreement, ExchangeError> {
    let mut a = own_copy(store, org, id).await?;
    if a.ended.is_some() {
        return Err(ExchangeError::Ended(id.to_string()));
    }
    let signature = Some(Signature {
        by: by.to_string(),
        at: Utc::now(),
    });
    let slot = if a.publisher == org {
        &mut a.publisher_approval
    } else {
        &mut a.subscriber_approval
    };
    if slot.is_none() {
        *slot = signature;
        store.put_agreement(&a).await?;
    }
    audit(store, by, "exchange.approve", id, format!("for {org}")).await?;
    Ok(a)
}

/// Ends agreement `id` on behalf of `org` in `org`'s own store: nothing flows from the
/// next sync on (ending twice keeps the first ending).
pub async fn end(
    store: &dyn Store,
    org: &str,
    id: &str,
    by: &str,
) -> Result<Agreement, ExchangeError> {
    let mut a = own_copy(store, org, id).await?;
    if a.ended.is_none() {
        a.ended = Some(Signature {
            by: by.to_string(),
            at: Utc::now(),
        });
        a.ended_by_org = Some(org.to_string());
        store.put_agreement(&a).await?;
    }
    audit(store, by, "exchange.end", id, format!("by {org}")).await?;
    Ok(a)
}

/// Merges the publisher's and the subscriber's copies of `id` (each side's own approval
/// and either side's ending) and writes the merged agreement into both.
pub async fn reconcile(
    publisher_store: &dyn Store,
    subscriber_store: &dyn Store,
    id: &str,
) -> Result<Agreement, ExchangeError> {
    let p = publisher_store
        .agreement(id)
        .await?
        .ok_or_else(|| ExchangeError::NotFound(id.to_string(), "publisher".into()))?;
    let s = subscriber_store
        .agreement(id)
        .await?
        .ok_or_else(|| ExchangeError::NotFound(id.to_string(), p.subscriber.clone()))?;
    let merged = p.merged(&s)?;
    if merged != p {
        publisher_store.put_agreement(&merged).await?;
    }
    if merged != s {
        subscriber_store.put_agreement(&merged).await?;
    }
    Ok(merged)
}

/// One direction of an agreement, as [`status`] reports it.
#[derive(Debug, Clone, Serialize)]
pub struct FlowStatus {
    /// Publishing organization of this direction.
    pub from: String,
    /// Receiving organization.
    pub to: String,
    /// The publisher's outbox head (`None` when its store was not given).
    pub outbox_head: Option<i64>,
    /// The receiver's cursor (`None` before the first sync, or when its store was not given).
    pub cursor: Option<ExchangeCursor>,
    /// Outbox positions not yet read: head (live when known, else as last seen) minus cursor.
    pub lag: i64,
}

/// An agreement with its state and flows.
#[derive(Debug, Clone, Serialize)]
pub struct AgreementStatus {
    /// The agreement (as the asking organization's copy holds it, merged when both
    /// stores were given).
    pub agreement: Agreement,
    /// Its state today.
    pub state: AgreementState,
    /// Each direction.
    pub flows: Vec<FlowStatus>,
}

/// Status of one agreement. `own` is the asking organization's store; `other` the other
/// side's when the front end can open it (the CLI can; a server answers from its own
/// copy, with the head as seen at the last sync).
pub async fn status(
    own_org: &str,
    own: &dyn Store,
    other: Option<&dyn Store>,
    agreement: Agreement,
    today: NaiveDate,
) -> Result<AgreementStatus, ExchangeError> {
    let agreement = match other {
        Some(other_store) => {
            let (p, s) = if agreement.publisher == own_org {
                (own, other_store)
            } else {
                (other_store, own)
            };
            reconcile(p, s, &agreement.id).await?
        }
        None => agreement,
    };
    let mut flows = Vec::new();
    for (from, to) in agreement.flows() {
        let store_of =
            |org: &str| -> Option<&dyn Store> { if org == own_org { Some(own) } else { other } };
        let outbox_head = match store_of(&from) {
            Some(s) => Some(s.outbox_head().await?),
            None => None,
        };
        let cursor = match store_of(&to) {
            Some(s) => s.exchange_cursor(&agreement.id, &from).await?,
            None => None,
        };
        let seen = cursor.as_ref().map_or(0, |c| c.last_seq);
        let head = outbox_head.unwrap_or_else(|| cursor.as_ref().map_or(0, |c| c.publisher_head));
        flows.push(FlowStatus {
            from,
            to,
            outbox_head,
            cursor,
            lag: (head - seen).max(0),
        });
    }
    Ok(AgreementStatus {
        state: agreement.state(today),
        agreement,
        flows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_sign_and_admins_and_data_managers_read() {
        assert!(authorize(Role::Admin, ExchangeAction::Sign).is_ok());
        assert!(authorize(Role::DataManager, ExchangeAction::Sign).is_err());
        assert!(authorize(Role::DataManager, ExchangeAction::Read).is_ok());
        assert!(authorize(Role::Organizer, ExchangeAction::Read).is_err());
    }
}
