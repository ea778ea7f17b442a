//! Organizations of one deployment: the platform admin (whoever runs the CLI on the
//! server) creates them and lists them and their members; `votebase serve --orgs` asks
//! which organizations to serve. Each organization keeps its own accounts in its own
//! store, so a person in three organizations has three accounts, each with its own role,
//! password and tokens. Creating an organization is audited in the new organization.
//! [`archive`] moves an organization whole (export, import, transfers).

pub mod archive;
pub mod voter_file;

use chrono::Utc;
use std::sync::Arc;
use votebase_domain::orgs::{InvalidDisplayName, InvalidOrgName, display_name};
use votebase_domain::{AuditEntry, OrgName, Organization};
use votebase_store::{OrgRegistry, Store, StoreError, UserAccount};

/// Why an organization use case was refused.
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    /// The name is not a valid organization name.
    #[error(transparent)]
    Name(#[from] InvalidOrgName),
    /// The display name is not acceptable.
    #[error(transparent)]
    DisplayName(#[from] InvalidDisplayName),
    /// `--orgs all` with no organization registered, or an empty list.
    #[error("no organization to serve: create one with `votebase org create NAME`")]
    NoneToServe,
    /// The registry or a store failed or refused (already exists, not registered).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates an organization (its store created and migrated, then registered) and audits
/// it in the new organization under `actor`. The display name defaults to the name.
pub async fn create(
    registry: &dyn OrgRegistry,
    name: &str,
    display: Option<&str>,
    actor: &str,
) -> Result<Organization, OrgError> {
    let name = OrgName::parse(name)?;
    let display = display_name(display.unwrap_or(name.as_str()))?;
    let org = registry.create_org(&name, &display).await?;
    let store = registry.open_org(&name).await?;
    store
        .audit(&AuditEntry {
            at: Utc::now(),
            actor: actor.into(),
            action: "org.create".into(),
            subject: name.to_string(),
            detail: display,
        })
        .await?;
    Ok(org)
}

/// Every registered organization, by name.
pub async fn list(registry: &dyn OrgRegistry) -> Result<Vec<Organization>, OrgError> {
    Ok(registry.list_orgs().await?)
}

/// The accounts of one registered organization, by name (no secrets).
pub async fn members(registry: &dyn OrgRegistry, name: &str) -> Result<Vec<UserAccount>, OrgError> {
    let name = OrgName::parse(name)?;
    let store = registry.open_org(&name).await?;
    Ok(store.list_users().await?)
}

/// Which organizations `serve --orgs` names: `all` (every registered one) or a
/// comma-separated list of registered names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServedOrgs {
    /// Every registered organization.
    All,
    /// These ones.
    Named(Vec<OrgName>),
}

impl ServedOrgs {
    /// Parses `all` or `a,b,c` (names checked; duplicates dropped).
    pub fn parse(text: &str) -> Result<Self, OrgError> {
        if text.trim() == "all" {
            return Ok(Self::All);
        }
        let mut names = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let name = OrgName::parse(part)?;
            if !names.contains(&name) {
                names.push(name);
            }
        }
        if names.is_empty() {
            return Err(OrgError::NoneToServe);
        }
        Ok(Self::Named(names))
    }
}

/// Opens the store of every organization `which` names (each must be registered), by name.
pub async fn open_served(
    registry: &dyn OrgRegistry,
    which: &ServedOrgs,
) -> Result<Vec<(Organization, Arc<dyn Store>)>, OrgError> {
    let registered = registry.list_orgs().await?;
    let chosen: Vec<Organization> = match which {
        ServedOrgs::All => registered,
        ServedOrgs::Named(names) => {
            let mut chosen = Vec::new();
            for name in names {
                match registered.iter().find(|o| &o.name == name) {
                    Some(org) => chosen.push(org.clone()),
                    None => {
                        return Err(StoreError::Refused(format!(
                            "organization {name} is not registered: votebase org create {name}"
                        ))
                        .into());
                    }
                }
            }
            chosen
        }
    };
    if chosen.is_empty() {
        return Err(OrgError::NoneToServe);
    }
    let mut served = Vec::with_capacity(chosen.len());
    for org in chosen {
        let store = registry.open_org(&org.name).await?;
        served.push((org, store));
    }
    Ok(served)
}

/// Registers `name` after an archive import created its store outside the registry (the
/// display name is the name); true when it was not registered before.
pub async fn ensure_registered(
    registry: &dyn OrgRegistry,
    name: &OrgName,
) -> Result<bool, OrgError> {
    if registry.list_orgs().await?.iter().any(|o| &o.name == name) {
        return Ok(false);
    }
    registry.create_org(name, name.as_str()).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn served_orgs_parse() {
        assert_eq!(ServedOrgs::parse("all").unwrap(), ServedOrgs::All);
        assert_eq!(
            ServedOrgs::parse("camp_a, camp_b,camp_a").unwrap(),
            ServedOrgs::Named(vec![
                OrgName::parse("camp_a").unwrap(),
                OrgName::parse("camp_b").unwrap()
            ])
        );
        assert!(matches!(
            ServedOrgs::parse(" , "),
            Err(OrgError::NoneToServe)
        ));
        assert!(matches!(ServedOrgs::parse("Camp"), Err(OrgError::Name(_))));
    }
}
