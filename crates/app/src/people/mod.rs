//! Volunteers, projects and matching, as use cases: importing the built-in volunteer and
//! project CSV layouts all or nothing (rejects with line and reason, idempotent by the
//! file's `id`), the organization's skills taxonomy (built-in skills plus its own),
//! ranking a project's candidates with the matching engine, and the double opt-in
//! (invite with an email queued in the outbox, the volunteer's yes or no, the
//! campaign's accept or decline), the volunteer's side through signed links (`links`)
//! and the public sign-up (`signup`).

pub mod events;
pub mod geo;
pub mod import;
pub mod linkage;
pub mod links;
pub mod outbox;
pub mod signup;
pub mod sources;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::Path;
use votebase_domain::people::{BUILTIN_SKILLS, normalize_skill_name};
use votebase_ingest::rejects::RejectWriter;
use votebase_store::people::{Skill, UpsertOutcome};
use votebase_store::{Store, StoreError};

pub use geo::ZipCentroids;

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    /// The user's input is wrong (file, arguments): the message says what to fix.
    #[error("{0}")]
    Invalid(String),
    /// Something that should exist does not.
    #[error("{0}")]
    NotFound(String),
    /// The storage layer failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A volunteer's link is not valid (forged, altered, or for someone unknown).
    #[error("this link is not valid; use the latest link from your email")]
    BadLink,
}

/// The outcome of an import.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    /// Rows read.
    pub rows: u64,
    /// What the store did.
    pub outcome: UpsertOutcome,
}

/// Every volunteer for an export of their contact details, without those on the
/// do-not-contact list (by email, phone or the voter they are linked to) unless
/// `include_suppressed`; returns them and how many were left out.
pub async fn volunteers_for_export(
    store: &dyn Store,
    include_suppressed: bool,
) -> Result<(Vec<votebase_domain::people::Volunteer>, u64), PeopleError> {
    let rows = store.volunteers().await?;
    if include_suppressed {
        return Ok((rows, 0));
    }
    let suppressed = crate::suppression::suppressed_people(store).await?;
    Ok(suppressed.retain(rows, false, |v| {
        (
            v.person.external_id.as_str(),
            v.person.phones.iter().map(String::as_str).collect(),
            v.person.emails.iter().map(String::as_str).collect(),
        )
    }))
}

/// Whether a live do-not-contact entry covers the volunteer (their email, phone, or the
/// voter they are linked to): they are neither offered as a candidate nor invited.
fn on_do_not_contact(
    suppressed: &crate::suppression::SuppressedPeople,
    v: &votebase_domain::people::Volunteer,
) -> bool {
    suppressed.covers(
        &v.person.external_id,
        v.person.phones.iter().map(String::as_str),
        v.person.emails.iter().map(String::as_str),
    )
}

/// Makes sure the built-in skills are in the taxonomy, and returns the whole taxonomy.
pub async fn taxonomy(store: &dyn Store) -> Result<BTreeSet<String>, PeopleError> {
    let builtin: Vec<Skill> = BUILTIN_SKILLS
        .iter()
        .map(|(name, label)| Skill {
            name: (*name).into(),
            label: (*label).into(),
        })
        .collect();
    store.add_skills(&builtin).await?;
    Ok(store.skills().await?.into_iter().map(|s| s.name).collect())
}

/// Adds an organization's own skill; returns its canonical name.
pub async fn add_skill(store: &dyn Store, name: &str, label: &str) -> Result<String, PeopleError> {
    let canonical = normalize_skill_name(name).ok_or_else(|| {
        PeopleError::Invalid(format!(
            "{name:?}: a skill name has letters, digits, '_' or '-' only (at most 64)"
        ))
    })?;
    let label = if label.trim().is_empty() {
        name.trim().to_string()
    } else {
        label.trim().chars().take(100).collect()
    };
    taxonomy(store).await?;
    store
        .add_skills(&[Skill {
            name: canonical.clone(),
            label,
        }])
        .await?;
    Ok(canonical)
}

fn refuse(path: &Path, rejected: u64, rejects: &RejectWriter) -> PeopleError {
    PeopleError::Invalid(format!(
        "{}: {rejected} row(s) refused, nothing imported; see {} (line, column, reason)",
        path.display(),
        rejects.path().display()
    ))
}

/// Imports a volunteers file: all or nothing.
pub async fn import_volunteers(
    store: &dyn Store,
    path: &Path,
    centroids: &ZipCentroids,
    rejects: &mut RejectWriter,
) -> Result<ImportReport, PeopleError> {
    let taxonomy = taxonomy(store).await?;
    let source = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parsed = import::read_volunteers_csv(path, &taxonomy, centroids, &source, rejects)?;
    if parsed.rejected > 0 {
        return Err(refuse(path, parsed.rejected, rejects));
    }
    let rows: Vec<_> = parsed.rows.into_iter().map(|(_, v)| v).collect();
    let outcome = store.upsert_volunteers(&rows).await?;
    Ok(ImportReport {
        rows: rows.len() as u64,
        outcome,
    })
}

/// Imports a projects file: all or nothing.
pub async fn import_projects(
    store: &dyn Store,
    path: &Path,
    centroids: &ZipCentroids,
    rejects: &mut RejectWriter,
) -> Result<ImportReport, PeopleError> {
    let taxonomy = taxonomy(store).await?;
    let parsed = import::read_projects_csv(path, &taxonomy, centroids, rejects)?;
    if parsed.rejected > 0 {
        return Err(refuse(path, parsed.rejected, rejects));
    }
    let rows: Vec<_> = parsed.rows.into_iter().map(|(_, p)| p).collect();
    let outcome = store.upsert_projects(&rows).await?;
    Ok(ImportReport {
        rows: rows.len() as u64,
        outcome,
    })
}

/// One ranked candidate of a project.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = VolunteerCandidate))]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Candidate {
    /// The volunteer's import id.
    pub volunteer: String,
    /// "First Last".
    pub name: String,
    /// Score in 0..=1.
    pub score: f64,
    /// Why, in words.
    pub explanation: String,
    /// The match state if already invited.
    pub state: Option<votebase_domain::people::MatchState>,
}

/// A project's candidates, best first: every volunteer with all required skills who has
/// not unsubscribed and is not on the do-not-contact list, at most `top`.
pub async fn candidates(
    store: &dyn Store,
    project: &str,
    top: usize,
) -> Result<Vec<Candidate>, PeopleError> {
    let Some(project) = store.project(project).await? else {
        return Err(PeopleError::NotFound(format!("no project {project:?}")));
    };
    let volunteers = store.volunteers().await?;
    let states: std::collections::HashMap<String, votebase_domain::people::MatchState> = store
        .matches_of_project(&project.project.external_id)
        .await?
        .into_iter()
        .map(|m| (m.volunteer, m.state))
        .collect();
    let suppressed = crate::suppression::suppressed_people(store).await?;
    let matcher = votebase_matching::Matcher::new(&volunteers);
    let ranked = matcher.rank(&project.project, Some(top), &|v| {
        v.unsubscribed || on_do_not_contact(&suppressed, v)
    });
    Ok(ranked
        .iter()
        .map(|r| {
            let v = matcher.volunteer(r);
            Candidate {
                volunteer: v.person.external_id.clone(),
                name: v.person.display_name(),
                score: r.score,
                explanation: matcher.explain(&project.project, r),
                state: states.get(&v.person.external_id).copied(),
            }
        })
        .collect())
}

/// The invitation email of a match (with the volunteer's matches and unsubscribe links).
pub fn invitation_email(
    project: &votebase_domain::people::NewProject,
    volunteer: &votebase_domain::people::Volunteer,
    explanation: &str,
    links: &links::LinkSigner,
) -> Option<votebase_store::people::OutgoingEmail> {
    let to = volunteer.person.emails.first()?.clone();
    let mut body = format!(
        "Hello {},\n\n{} would like your help with \"{}\"",
        volunteer.person.first_name, project.organization, project.title
    );
    if !project.role.is_empty() {
        body.push_str(&format!(" as {}", project.role));
    }
    body.push_str(".\n\n");
    if let Some(h) = project.hours_per_week {
        body.push_str(&format!("It takes about {h} hours a week"));
        body.push_str(if project.remote {
            " and can be done remotely.\n"
        } else {
            ".\n"
        });
    }
    body.push_str(&format!("Why you: {explanation}.\n"));
    body.push_str(&links::email_footer(links, &volunteer.person.external_id));
    Some(votebase_store::people::OutgoingEmail {
        key: format!(
            "invite:{}:{}",
            project.external_id, volunteer.person.external_id
        ),
        to,
        subject: format!("{}: {}", project.organization, project.title)
            .chars()
            .take(150)
            .collect(),
        body,
    })
}

/// Invites a volunteer to a project: only one who has every required skill, has not
/// unsubscribed and is not on the do-not-contact list; the invitation email is queued in the same transaction, once. Returns
/// the match and whether it was new.
pub async fn invite(
    store: &dyn Store,
    project: &str,
    volunteer: &str,
    links: &links::LinkSigner,
) -> Result<(votebase_domain::people::ProjectMatch, bool), PeopleError> {
    let Some(p) = store.project(project).await? else {
        return Err(PeopleError::NotFound(format!("no project {project:?}")));
    };
    let Some(v) = store.volunteer(volunteer).await? else {
        return Err(PeopleError::NotFound(format!("no volunteer {volunteer:?}")));
    };
    if v.unsubscribed {
        return Err(PeopleError::Invalid(format!(
            "volunteer {volunteer:?} has unsubscribed: not invited"
        )));
    }
    if on_do_not_contact(&crate::suppression::suppressed_people(store).await?, &v) {
        return Err(PeopleError::Invalid(format!(
            "volunteer {volunteer:?} is on the do-not-contact list (by email, phone or the voter \
             they are linked to): not invited; see `votebase suppress list`"
        )));
    }
    let one = [v];
    let matcher = votebase_matching::Matcher::new(&one);
    let Some(r) = matcher.rank(&p.project, None, &|_| false).pop() else {
        return Err(PeopleError::Invalid(format!(
            "volunteer {volunteer:?} lacks a required skill of project {project:?}"
        )));
    };
    let explanation = matcher.explain(&p.project, &r);
    let email = invitation_email(&p.project, &one[0], &explanation, links);
    Ok(store
        .invite(project, volunteer, r.score, &explanation, email.as_ref())
        .await?)
}

/// A step of the double opt-in: the volunteer answers, or the campaign decides.
pub async fn step(
    store: &dyn Store,
    project: &str,
    volunteer: &str,
    step: votebase_domain::people::MatchStep,
) -> Result<votebase_domain::people::ProjectMatch, PeopleError> {
    let Some(m) = store.project_match(project, volunteer).await? else {
        return Err(PeopleError::NotFound(format!(
            "volunteer {volunteer:?} was not invited to project {project:?}"
        )));
    };
    let to = m
        .state
        .after(step)
        .map_err(|e| PeopleError::Invalid(e.to_string()))?;
    Ok(store
        .set_match_state(project, volunteer, m.state, to)
        .await?)
}

/// Every project's top `top` volunteer ids, best first (the engine indexes the
/// volunteers once and ranks the projects in parallel): `votebase bench match`.
pub fn rank_every_project(
    volunteers: &[votebase_domain::people::Volunteer],
    projects: &[votebase_domain::people::NewProject],
    top: usize,
) -> Vec<Vec<String>> {
    let matcher = votebase_matching::Matcher::new(volunteers);
    matcher
        .rank_all(projects, top)
        .iter()
        .map(|list| {
            list.iter()
                .map(|r| matcher.volunteer(r).person.external_id.clone())
                .collect()
        })
        .collect()
}

/// One project's top `top` volunteer ids, best first, indexing included.
pub fn rank_one_project(
    volunteers: &[votebase_domain::people::Volunteer],
    project: &votebase_domain::people::NewProject,
    top: usize,
) -> Vec<String> {
    let matcher = votebase_matching::Matcher::new(volunteers);
    matcher
        .rank(project, Some(top), &|_| false)
        .iter()
        .map(|r| matcher.volunteer(r).person.external_id.clone())
        .collect()
}
