//! The storage contract behind the links in volunteers' emails: the organization's
//! link-signing key (made once, kept in the database so every server and every command
//! signs alike) and whether an address has unsubscribed (checked before every delivery).

use async_trait::async_trait;

use crate::StoreResult;

/// Storage of the volunteers' link key and unsubscribe checks. Part of
/// [`Store`](crate::Store); every method is one transaction.
#[async_trait]
pub trait VolunteerLinkStore: Send + Sync {
    /// The organization's link-signing key: the stored one, or `candidate` stored now
    /// when there is none yet (two callers racing both get the one that was kept).
    async fn link_key(&self, candidate: &str) -> StoreResult<String>;

    /// Whether a person with this email address (lowercased) has unsubscribed.
    async fn email_unsubscribed(&self, email: &str) -> StoreResult<bool>;
}
