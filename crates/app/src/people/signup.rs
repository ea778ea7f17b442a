//! The public volunteer sign-up: what the form sends, checked field by field (bounded
//! lengths and counts, a real email address, skills from the organization's taxonomy
//! with levels 1 to 3, consent to email required and stored with the exact wording the
//! person saw, in their language, and when), stored as a new person with a volunteer
//! profile (source `signup`, a fresh id: a public form never overwrites an existing
//! record), and a welcome email queued with the links to their matches page and to
//! unsubscribe.

use super::links::{LinkPurpose, LinkSigner, email_footer};
use super::{PeopleError, ZipCentroids, import, taxonomy};
use chrono::{DateTime, Utc};
use votebase_domain::people::{
    Consent, MAX_LEVEL, NewPerson, NewVolunteer, SkillLevel, VolunteerProfile, normalize_email,
    normalize_skill_name, parse_tag_list,
};
use votebase_store::Store;
use votebase_store::people::OutgoingEmail;

/// Longest name, town or free-text field accepted.
pub const MAX_FIELD: usize = 100;
/// Most skills one sign-up may list.
pub const MAX_SKILLS: usize = 40;
/// Most issues or languages one sign-up may list.
pub const MAX_TAGS: usize = 20;

/// What the sign-up form sends (the server adds the consent wording it showed).
#[derive(Debug, Clone, Default)]
pub struct SignupRequest {
    /// Given name (required).
    pub first_name: String,
    /// Family name (required).
    pub last_name: String,
    /// Email address (required).
    pub email: String,
    /// Phone (optional).
    pub phone: String,
    /// Current five-digit ZIP (optional).
    pub zip: String,
    /// State they grew up in (optional).
    pub home_state: String,
    /// Town they grew up in (optional).
    pub home_town: String,
    /// Skills and levels as picked.
    pub skills: Vec<(String, u8)>,
    /// Hours a week (optional, at most 80).
    pub hours_per_week: Option<u32>,
    /// Will work remotely.
    pub remote: bool,
    /// Issues they care about (`a;b`).
    pub issues: String,
    /// Languages they speak (`a;b`).
    pub languages: String,
    /// Agreed to be emailed (required).
    pub consent_email: bool,
    /// Agreed to be texted.
    pub consent_text: bool,
    /// The consent text the form showed, in the language it was shown in.
    pub consent_wording: String,
}

/// A field the person has to fix.
fn bad(field: &str, message: impl Into<String>) -> PeopleError {
    PeopleError::Invalid(format!("{field}: {}", message.into()))
}

fn bounded(field: &str, text: &str) -> Result<String, PeopleError> {
    let t = text.trim();
    if t.chars().count() > MAX_FIELD {
        return Err(bad(field, format!("at most {MAX_FIELD} characters")));
    }
    if t.chars().any(char::is_control) {
        return Err(bad(field, "no control characters"));
    }
    Ok(t.to_string())
}

fn tags(field: &str, text: &str) -> Result<Vec<String>, PeopleError> {
    let list = parse_tag_list(&bounded(field, text)?);
    if list.len() > MAX_TAGS {
        return Err(bad(field, format!("at most {MAX_TAGS}")));
    }
    Ok(list)
}

/// Checks a sign-up and builds the volunteer (`external_id` is given by the caller).
pub fn prepare(
    request: &SignupRequest,
    external_id: &str,
    taxonomy: &std::collections::BTreeSet<String>,
    centroids: &ZipCentroids,
    now: DateTime<Utc>,
) -> Result<NewVolunteer, PeopleError> {
    let first_name = bounded("first_name", &request.first_name)?;
    let last_name = bounded("last_name", &request.last_name)?;
    if first_name.is_empty() || last_name.is_empty() {
        return Err(bad("first_name", "give your first and last name"));
    }
    let email = normalize_email(&request.email)
        .ok_or_else(|| bad("email", "give an email address such as ana@example.org"))?;
    let mut phones = Vec::new();
    let phone = bounded("phone", &request.phone)?;
    if !phone.is_empty() {
        let p = votebase_normalize::normalize_phone(&phone);
        if p.e164.is_empty() {
            return Err(bad("phone", format!("{phone:?} is not a phone number")));
        }
        phones.push(p.e164);
    }
    let zip = import::zip5(&bounded("zip", &request.zip)?, "zip").map_err(|(f, m)| bad(f, m))?;
    let home_state = import::state(&bounded("home_state", &request.home_state)?, "home_state")
        .map_err(|(f, m)| bad(f, m))?;
    if request.skills.len() > MAX_SKILLS {
        return Err(bad("skills", format!("at most {MAX_SKILLS}")));
    }
    let mut skills: Vec<SkillLevel> = Vec::new();
    for (name, level) in &request.skills {
        let skill = normalize_skill_name(name)
            .filter(|s| taxonomy.contains(s))
            .ok_or_else(|| bad("skills", format!("{name:?} is not a skill of this list")))?;
        if !(1..=MAX_LEVEL).contains(level) {
            return Err(bad(
                "skills",
                format!("{skill}: the level must be 1, 2 or 3"),
            ));
        }
        if skills.iter().any(|s| s.skill == skill) {
            return Err(bad("skills", format!("{skill} is listed twice")));
        }
        skills.push(SkillLevel {
            skill,
            level: *level,
        });
    }
    skills.sort();
    if request.hours_per_week.is_some_and(|h| h > 80) {
        return Err(bad("hours_per_week", "at most 80 hours a week"));
    }
    if !request.consent_email {
        return Err(bad(
            "consent_email",
            "tick the box to agree to be emailed: invitations come by email",
        ));
    }
    let wording = request.consent_wording.trim();
    if wording.is_empty() || wording.chars().count() > 2_000 {
        return Err(bad("consent_wording", "the consent wording is missing"));
    }
    let (lat, lon) = centroids.get(&zip).unzip();
    Ok(NewVolunteer {
        person: NewPerson {
            external_id: external_id.to_string(),
            source: "signup".into(),
            first_name,
            last_name,
            emails: vec![email],
            phones,
            address: String::new(),
            zip,
            consent: Consent {
                email: true,
                text: request.consent_text,
                given_at: Some(now),
                wording: wording.to_string(),
            },
        },
        profile: VolunteerProfile {
            skills,
            home_state,
            home_town: bounded("home_town", &request.home_town)?,
            lat,
            lon,
            hours_per_week: request.hours_per_week,
            remote: request.remote,
            issues: tags("issues", &request.issues)?,
            languages: tags("languages", &request.languages)?,
        },
    })
}

/// The welcome email of a sign-up.
pub fn welcome_email(volunteer: &NewVolunteer, links: &LinkSigner) -> Option<OutgoingEmail> {
    let to = volunteer.person.emails.first()?.clone();
    let id = &volunteer.person.external_id;
    Some(OutgoingEmail {
        key: format!("signup:{id}"),
        to,
        subject: "Thank you for volunteering".into(),
        body: format!(
            "Hello {},\n\nThank you for signing up. When a campaign needs your skills, we will email you an invitation; you answer yes or no on your matches page.\n{}",
            volunteer.person.first_name,
            email_footer(links, id)
        ),
    })
}

/// Stores a sign-up as a new volunteer and queues the welcome email. Returns the
/// volunteer's id and the link to their matches page.
pub async fn sign_up(
    store: &dyn Store,
    links: &LinkSigner,
    centroids: &ZipCentroids,
    request: &SignupRequest,
) -> Result<(String, String), PeopleError> {
    let taxonomy = taxonomy(store).await?;
    let id = format!("signup-{}", &crate::auth::new_secret()[..20]);
    let volunteer = prepare(request, &id, &taxonomy, centroids, Utc::now())?;
    store
        .upsert_volunteers(std::slice::from_ref(&volunteer))
        .await?;
    if let Some(email) = welcome_email(&volunteer, links) {
        store.enqueue_email(&email).await?;
    }
    Ok((id.clone(), links.url(LinkPurpose::Matches, &id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> SignupRequest {
        SignupRequest {
            first_name: "Ana".into(),
            last_name: "López".into(),
            email: " Ana@Example.org ".into(),
            zip: "53703".into(),
            home_state: "Wisconsin".into(),
            skills: vec![("Python".into(), 3), ("data-engineering".into(), 2)],
            hours_per_week: Some(10),
            remote: true,
            issues: "Climate; voting rights".into(),
            consent_email: true,
            consent_wording: "Sí, pueden escribirme.".into(),
            ..Default::default()
        }
    }

    fn taxonomy() -> std::collections::BTreeSet<String> {
        ["python", "data_engineering"]
            .into_iter()
            .map(String::from)
            .collect()
    }

    #[test]
    fn a_sign_up_is_checked_and_keeps_its_consent() {
        let now = Utc::now();
        let v = prepare(
            &request(),
            "signup-1",
            &taxonomy(),
            &ZipCentroids::default(),
            now,
        )
        .unwrap();
        assert_eq!(v.person.emails, ["ana@example.org"]);
        assert_eq!(v.profile.home_state, "WI");
        assert_eq!(v.profile.skills[0].skill, "data_engineering");
        assert_eq!(v.person.consent.wording, "Sí, pueden escribirme.");
        assert_eq!(v.person.consent.given_at, Some(now));
        assert_eq!(v.profile.issues, ["climate", "voting rights"]);

        let refused = |f: &dyn Fn(&mut SignupRequest)| {
            let mut r = request();
            f(&mut r);
            prepare(&r, "x", &taxonomy(), &ZipCentroids::default(), now)
                .unwrap_err()
                .to_string()
        };
        assert!(
            refused(&|r: &mut SignupRequest| r.consent_email = false).starts_with("consent_email")
        );
        assert!(refused(&|r: &mut SignupRequest| r.email = "nope".into()).starts_with("email"));
        assert!(
            refused(&|r: &mut SignupRequest| r.skills.push(("knitting".into(), 1)))
                .starts_with("skills")
        );
        assert!(refused(&|r: &mut SignupRequest| r.skills[0].1 = 4).contains("level"));
        assert!(
            refused(&|r: &mut SignupRequest| r.first_name = "x".repeat(101))
                .starts_with("first_name")
        );
        assert!(refused(&|r: &mut SignupRequest| r.zip = "12".into()).starts_with("zip"));
        assert!(
            refused(&|r: &mut SignupRequest| r.hours_per_week = Some(200))
                .starts_with("hours_per_week")
        );
        assert!(refused(&|r: &mut SignupRequest| r.last_name.clear()).starts_with("first_name"));
    }
}
