//! A voter file shared read-only from one organization (a "state file" organization) to
//! the campaigns that subscribe to it, instead of the same state file imported N times
//! (`votebase_store::voter_file` holds how the stores do it). The platform admin
//! subscribes an organization that holds no voter file of its own; from its next opening
//! on it reads the source's snapshots, voters, changes, vote history and purge rolls,
//! while its contacts, lists, tags, scores, ballots, phones and everything else stay its
//! own and invisible to the source. Imports into a subscriber are refused (the store says
//! where to import instead). Subscribing and ending are audited on both sides.

use super::OrgError;
use chrono::Utc;
use serde::Serialize;
use votebase_domain::{AuditEntry, OrgName};
use votebase_store::{OrgRegistry, Store, StoreError, VoterFileSource};

/// One organization and where its voter file comes from.
#[derive(Debug, Clone, Serialize)]
pub struct VoterFileOf {
    /// The organization.
    pub org: OrgName,
    /// The recorded subscription, if it reads another organization's file.
    pub source: Option<VoterFileSource>,
}

fn refused(text: String) -> OrgError {
    OrgError::Store(StoreError::Refused(text))
}

/// Subscribes `subscriber` to the voter file of `source`: both registered and distinct,
/// the source not itself a subscriber, no organization reading the subscriber's file,
/// the subscriber holding no voter file of its own (checked by the store). Audited in
/// both organizations under `actor`. The subscriber's stores opened from now on read the
/// source's file (a running server: restart it).
pub async fn subscribe(
    registry: &dyn OrgRegistry,
    subscriber: &str,
    source: &str,
    actor: &str,
) -> Result<VoterFileOf, OrgError> {
    let subscriber = OrgName::parse(subscriber)?;
    let source = OrgName::parse(source)?;
    if subscriber == source {
        return Err(refused(format!(
            "organization {source} cannot read its own voter file"
        )));
    }
    let source_store = registry.open_org_unshared(&source).await?;
    let subscriber_store = registry.open_org_unshared(&subscriber).await?;
    if let Some(upstream) = source_store.recorded_voter_file_source().await? {
        return Err(refused(format!(
            "organization {source} reads the voter file of {} itself: subscribe {subscriber} to {} instead",
            upstream.source, upstream.source
        )));
    }
    for other in registry.list_orgs().await? {
        if other.name == subscriber || other.name == source {
            continue;
        }
        let store = registry.open_org_unshared(&other.name).await?;
        if let Some(theirs) = store.recorded_voter_file_source().await?
            && theirs.source == subscriber
        {
            return Err(refused(format!(
                "organization {} reads the voter file of {subscriber}, so {subscriber} cannot read another's",
                other.name
            )));
        }
    }
    subscriber_store
        .set_voter_file_source(Some(&source))
        .await?;
    audit_both(
        subscriber_store.as_ref(),
        source_store.as_ref(),
        actor,
        ("voter_file.subscribe", source.as_str()),
        ("voter_file.share", subscriber.as_str()),
    )
    .await?;
    Ok(VoterFileOf {
        source: subscriber_store.recorded_voter_file_source().await?,
        org: subscriber,
    })
}

/// Ends `subscriber`'s subscription (refused when there is none): from its next opening
/// it reads its own (empty) voter file again. Audited in both organizations.
pub async fn unsubscribe(
    registry: &dyn OrgRegistry,
    subscriber: &str,
    actor: &str,
) -> Result<OrgName, OrgError> {
    let subscriber = OrgName::parse(subscriber)?;
    let subscriber_store = registry.open_org_unshared(&subscriber).await?;
    let Some(recorded) = subscriber_store.recorded_voter_file_source().await? else {
        return Err(refused(format!(
            "organization {subscriber} reads no other organization's voter file"
        )));
    };
    subscriber_store.set_voter_file_source(None).await?;
    subscriber_store
        .audit(&entry(
            actor,
            "voter_file.unsubscribe",
            recorded.source.as_str(),
        ))
        .await?;
    // The source may be gone (that is one reason to end a subscription).
    if let Ok(source_store) = registry.open_org_unshared(&recorded.source).await {
        source_store
            .audit(&entry(actor, "voter_file.unshare", subscriber.as_str()))
            .await?;
    }
    Ok(recorded.source)
}

/// Where every registered organization's voter file comes from, by name.
pub async fn sources(registry: &dyn OrgRegistry) -> Result<Vec<VoterFileOf>, OrgError> {
    let mut out = Vec::new();
    for org in registry.list_orgs().await? {
        let store = registry.open_org_unshared(&org.name).await?;
        out.push(VoterFileOf {
            source: store.recorded_voter_file_source().await?,
            org: org.name,
        });
    }
    Ok(out)
}

fn entry(actor: &str, action: &str, subject: &str) -> AuditEntry {
    AuditEntry {
        at: Utc::now(),
        actor: actor.into(),
        action: action.into(),
        subject: subject.into(),
        detail: String::new(),
    }
}

async fn audit_both(
    a: &dyn Store,
    b: &dyn Store,
    actor: &str,
    (a_action, a_subject): (&str, &str),
    (b_action, b_subject): (&str, &str),
) -> Result<(), OrgError> {
    a.audit(&entry(actor, a_action, a_subject)).await?;
    b.audit(&entry(actor, b_action, b_subject)).await?;
    Ok(())
}
