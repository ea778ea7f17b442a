//! The platform's organization registry: which organizations one deployment holds, and
//! the door to each one's [`Store`]. It sits beside the per-organization contract rather
//! than inside it: a registry belongs to the deployment (SQLite: `_platform.sqlite3` in the
//! data directory; PostgreSQL: the `votebase_platform` schema), each organization's data
//! stays in its own file or schema, and creating an organization creates and migrates
//! that file or schema before recording it.

use crate::{Store, StoreResult};
use async_trait::async_trait;
use std::sync::Arc;
use votebase_domain::{OrgName, Organization};

/// The organizations of one deployment (one implementation per backend).
#[async_trait]
pub trait OrgRegistry: Send + Sync {
    /// Creates and migrates the organization's store (keeping one that already exists,
    /// e.g. made by earlier `--org` commands), then records it. Refused
    /// ([`StoreError::Refused`](crate::StoreError::Refused)) when it is already registered.
    async fn create_org(&self, name: &OrgName, display_name: &str) -> StoreResult<Organization>;

    /// Every registered organization, by name.
    async fn list_orgs(&self) -> StoreResult<Vec<Organization>>;

    /// Opens (and migrates) a registered organization's store; refused for a name that is
    /// not registered.
    async fn open_org(&self, name: &OrgName) -> StoreResult<Arc<dyn Store>>;

    /// Opens a registered organization's store as [`OrgRegistry::open_org`] does but
    /// without applying its voter file subscription ([`crate::voter_file`]): it reads its
    /// own voter file tables. For the admin's work on the subscription itself (which must
    /// work when the source is gone), never for serving.
    async fn open_org_unshared(&self, name: &OrgName) -> StoreResult<Arc<dyn Store>>;
}
