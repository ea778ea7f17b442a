//! The links in volunteers' emails, and what a volunteer does through them without an
//! account: every invitation and sign-up email carries a link to the volunteer's matches
//! page (where they answer yes or no) and an unsubscribe link. A link names the
//! volunteer and carries an HMAC-SHA256 of the purpose and the volunteer's id under the
//! organization's link key (made once, kept in the store), so it cannot be forged or
//! turned to another volunteer; links are built from the public URL, never from a
//! request's `Host` header.

use super::PeopleError;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use votebase_domain::people::{MatchStep, Project, ProjectMatch, Volunteer};
use votebase_store::Store;

/// Hex characters of a link's signature (128 bits).
const SIGNATURE_HEX: usize = 32;

/// What a link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Read one's matches and answer invitations.
    Matches,
    /// Stop all email.
    Unsubscribe,
}

impl LinkPurpose {
    fn code(self) -> &'static str {
        match self {
            LinkPurpose::Matches => "matches",
            LinkPurpose::Unsubscribe => "unsubscribe",
        }
    }

    fn path(self) -> &'static str {
        match self {
            LinkPurpose::Matches => "/volunteer/matches",
            LinkPurpose::Unsubscribe => "/volunteer/unsubscribe",
        }
    }
}

/// Signs and checks volunteers' links.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
    base: String,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkSigner")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl LinkSigner {
    /// A signer over the organization's key (made now if there is none), with links
    /// under `public_url` (`https://votebase.example.org`); without one, links are paths.
    pub async fn load(store: &dyn Store, public_url: Option<&str>) -> Result<Self, PeopleError> {
        let key = store.link_key(&crate::auth::new_secret()).await?;
        Ok(Self::new(key.as_bytes(), public_url))
    }

    /// A signer over an explicit key (tests).
    pub fn new(key: &[u8], public_url: Option<&str>) -> Self {
        Self {
            key: key.to_vec(),
            base: public_url
                .map(|u| u.trim().trim_end_matches('/').to_string())
                .unwrap_or_default(),
        }
    }

    fn mac(&self, purpose: LinkPurpose, volunteer: &str) -> Hmac<Sha256> {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(purpose.code().as_bytes());
        mac.update(b"\n");
        mac.update(volunteer.as_bytes());
        mac
    }

    /// The signature of a link.
    pub fn sign(&self, purpose: LinkPurpose, volunteer: &str) -> String {
        let bytes = self.mac(purpose, volunteer).finalize().into_bytes();
        hex::encode(bytes)[..SIGNATURE_HEX].to_string()
    }

    /// Whether `signature` is this link's (constant time).
    pub fn verify(&self, purpose: LinkPurpose, volunteer: &str, signature: &str) -> bool {
        if signature.len() != SIGNATURE_HEX {
            return false;
        }
        let Ok(bytes) = hex::decode(signature) else {
            return false;
        };
        self.mac(purpose, volunteer)
            .verify_truncated_left(&bytes)
            .is_ok()
    }

    /// The full link.
    pub fn url(&self, purpose: LinkPurpose, volunteer: &str) -> String {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("v", volunteer)
            .append_pair("t", &self.sign(purpose, volunteer))
            .finish();
        format!("{}{}?{query}", self.base, purpose.path())
    }

    fn check(
        &self,
        purpose: LinkPurpose,
        volunteer: &str,
        signature: &str,
    ) -> Result<(), PeopleError> {
        if self.verify(purpose, volunteer, signature) {
            Ok(())
        } else {
            Err(PeopleError::BadLink)
        }
    }
}

/// The lines every email to a volunteer ends with: their matches page and unsubscribe.
pub fn email_footer(links: &LinkSigner, volunteer: &str) -> String {
    format!(
        "\nYour matches (answer yes or no there): {}\n\nTo stop all email from us: {}\n",
        links.url(LinkPurpose::Matches, volunteer),
        links.url(LinkPurpose::Unsubscribe, volunteer)
    )
}

/// One of a volunteer's matches with its project.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MyMatch {
    /// The match and its state.
    #[serde(rename = "match")]
    pub project_match: ProjectMatch,
    /// The project.
    pub project: Project,
    /// Whether the volunteer can still answer (the match is `invited`).
    pub can_answer: bool,
}

/// What a volunteer sees through their matches link.
#[derive(Debug, Clone)]
pub struct MyMatches {
    /// Who.
    pub volunteer: Volunteer,
    /// Their matches, newest first.
    pub matches: Vec<MyMatch>,
}

async fn volunteer_of(
    store: &dyn Store,
    links: &LinkSigner,
    purpose: LinkPurpose,
    volunteer: &str,
    signature: &str,
) -> Result<Volunteer, PeopleError> {
    links.check(purpose, volunteer, signature)?;
    store
        .volunteer(volunteer)
        .await?
        .ok_or(PeopleError::BadLink)
}

/// A volunteer's matches, through their signed link.
pub async fn my_matches(
    store: &dyn Store,
    links: &LinkSigner,
    volunteer: &str,
    signature: &str,
) -> Result<MyMatches, PeopleError> {
    let v = volunteer_of(store, links, LinkPurpose::Matches, volunteer, signature).await?;
    let mut matches = Vec::new();
    for m in store.matches_of_volunteer(volunteer).await? {
        let Some(project) = store.project(&m.project).await? else {
            continue;
        };
        matches.push(MyMatch {
            can_answer: m.state == votebase_domain::people::MatchState::Invited,
            project_match: m,
            project,
        });
    }
    Ok(MyMatches {
        volunteer: v,
        matches,
    })
}

/// The volunteer answers an invitation through their signed link.
pub async fn answer(
    store: &dyn Store,
    links: &LinkSigner,
    volunteer: &str,
    signature: &str,
    project: &str,
    yes: bool,
) -> Result<ProjectMatch, PeopleError> {
    volunteer_of(store, links, LinkPurpose::Matches, volunteer, signature).await?;
    super::step(
        store,
        project,
        volunteer,
        MatchStep::VolunteerAnswers { yes },
    )
    .await
}

/// The volunteer unsubscribes through the link in an email: every address of theirs
/// stops receiving email (pending messages are withheld at delivery), and they are no
/// longer a candidate. Returns the volunteer.
pub async fn unsubscribe(
    store: &dyn Store,
    links: &LinkSigner,
    volunteer: &str,
    signature: &str,
) -> Result<Volunteer, PeopleError> {
    let v = volunteer_of(store, links, LinkPurpose::Unsubscribe, volunteer, signature).await?;
    for email in &v.person.emails {
        store.unsubscribe(email).await?;
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_signed_per_purpose_and_volunteer() {
        let s = LinkSigner::new(b"k1", Some("https://vb.example.org/"));
        let t = s.sign(LinkPurpose::Matches, "v1");
        assert_eq!(t.len(), SIGNATURE_HEX);
        assert!(s.verify(LinkPurpose::Matches, "v1", &t));
        assert!(!s.verify(LinkPurpose::Unsubscribe, "v1", &t));
        assert!(!s.verify(LinkPurpose::Matches, "v2", &t));
        assert!(!LinkSigner::new(b"k2", None).verify(LinkPurpose::Matches, "v1", &t));
        assert!(!s.verify(LinkPurpose::Matches, "v1", &t[..30]));
        assert!(!s.verify(LinkPurpose::Matches, "v1", "zz"));
        let url = s.url(LinkPurpose::Matches, "signup:a b");
        assert_eq!(
            url,
            format!(
                "https://vb.example.org/volunteer/matches?v=signup%3Aa+b&t={}",
                s.sign(LinkPurpose::Matches, "signup:a b")
            )
        );
        assert!(
            LinkSigner::new(b"k1", None)
                .url(LinkPurpose::Unsubscribe, "v1")
                .starts_with("/volunteer/unsubscribe?v=v1&t=")
        );
    }
}
