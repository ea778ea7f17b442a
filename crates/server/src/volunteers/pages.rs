//! The campaign's pages: every project (`/projects`), and one project with its ranked,
//! explained candidates, the state of each match, and the invite, accept and decline
//! buttons (forms under the one CSRF rule).

use super::*;
use crate::auth::{PageRejection, PageUser};
use crate::universes::urlencode;
use askama::Template;
use axum::extract::Form;
use axum::response::{IntoResponse, Redirect, Response};
use votebase_domain::people::{MatchState, render_skill_list};

/// A project as the list shows it.
struct ProjectRow {
    id: String,
    id_url: String,
    organization: String,
    title: String,
    place: String,
    required: String,
    seats: u32,
}

#[derive(Template)]
#[template(path = "volunteers_projects.html")]
struct ProjectsPage {
    user_name: String,
    role: String,
    csrf: String,
    projects: Vec<ProjectRow>,
}

pub(super) async fn projects_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
) -> Result<Response, PageRejection> {
    caller
        .require(Permission::ManageVolunteers)
        .map_err(PageRejection::Error)?;
    let projects = state
        .store
        .projects()
        .await
        .map_err(|e| PageRejection::Error(e.into()))?
        .into_iter()
        .map(|p| {
            let p = p.project;
            ProjectRow {
                id_url: urlencode(&p.external_id),
                id: p.external_id,
                organization: p.organization,
                title: p.title,
                place: match (p.remote, p.state.is_empty()) {
                    (true, _) => "remote".into(),
                    (false, false) => format!("{} {}", p.state, p.zip),
                    (false, true) => p.zip,
                },
                required: render_skill_list(&p.required_skills),
                seats: p.seats,
            }
        })
        .collect();
    let (user_name, role, csrf) = crate::pages::nav(&caller);
    Ok(crate::pages::render(&ProjectsPage {
        user_name,
        role,
        csrf,
        projects,
    }))
}

/// A candidate as the project page shows it.
struct CandidateRow {
    volunteer: String,
    name: String,
    score: String,
    explanation: String,
    state: String,
    can_invite: bool,
    can_decide: bool,
}

/// A match of a volunteer not among the candidates shown.
struct OtherMatch {
    volunteer: String,
    state: String,
    can_decide: bool,
}

#[derive(Template)]
#[template(path = "volunteers_project.html")]
struct ProjectPage {
    user_name: String,
    role: String,
    csrf: String,
    id: String,
    id_url: String,
    project: votebase_domain::people::NewProject,
    required: String,
    nice: String,
    candidates: Vec<CandidateRow>,
    /// Matches of volunteers no longer among the candidates (unsubscribed, or ranked
    /// lower than shown).
    others: Vec<OtherMatch>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ProjectPageParams {
    top: Option<usize>,
    done: Option<String>,
}

pub(super) async fn project_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<String>,
    Query(p): Query<ProjectPageParams>,
) -> Result<Response, PageRejection> {
    let top = p.top.unwrap_or(50).clamp(1, MAX_TOP);
    let rows = candidates(&state, &caller, &id, top)
        .await
        .map_err(PageRejection::Error)?;
    let project = state
        .store
        .project(&id)
        .await
        .map_err(|e| PageRejection::Error(e.into()))?
        .ok_or_else(|| PageRejection::Error(ApiError::NotFound(format!("no project {id:?}"))))?
        .project;
    let matches = state
        .store
        .matches_of_project(&id)
        .await
        .map_err(|e| PageRejection::Error(e.into()))?;
    let shown: std::collections::HashSet<&str> =
        rows.iter().map(|c| c.volunteer.as_str()).collect();
    let others = matches
        .iter()
        .filter(|m| !shown.contains(m.volunteer.as_str()))
        .map(|m| OtherMatch {
            volunteer: m.volunteer.clone(),
            state: m.state.code().to_string(),
            can_decide: m.state == MatchState::VolunteerYes,
        })
        .collect();
    let candidates = rows
        .iter()
        .map(|c| CandidateRow {
            volunteer: c.volunteer.clone(),
            name: c.name.clone(),
            score: format!("{:.3}", c.score),
            explanation: c.explanation.clone(),
            state: c.state.map(|s| s.code().to_string()).unwrap_or_default(),
            can_invite: c.state.is_none(),
            can_decide: c.state == Some(MatchState::VolunteerYes),
        })
        .collect();
    let notice = p.done.as_deref().map(|d| match d {
        "invited" => "Invited: the email is queued.".to_string(),
        "already" => "Already invited: no second email.".to_string(),
        "accepted" => "Accepted.".to_string(),
        "declined" => "Declined.".to_string(),
        _ => String::new(),
    });
    let (user_name, role, csrf) = crate::pages::nav(&caller);
    Ok(crate::pages::render(&ProjectPage {
        user_name,
        role,
        csrf,
        id_url: urlencode(&id),
        id,
        required: render_skill_list(&project.required_skills),
        nice: render_skill_list(&project.nice_skills),
        project,
        candidates,
        others,
        notice: notice.filter(|n| !n.is_empty()),
    }))
}

#[derive(Deserialize)]
pub(super) struct InviteForm {
    volunteer: String,
}

pub(super) async fn invite_submit(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<String>,
    Form(form): Form<InviteForm>,
) -> Result<Response, PageRejection> {
    let (_, created) = invite(&state, &caller, &id, &form.volunteer)
        .await
        .map_err(PageRejection::Error)?;
    let done = if created { "invited" } else { "already" };
    Ok(Redirect::to(&format!("/projects/{}?done={done}", urlencode(&id))).into_response())
}

#[derive(Deserialize)]
pub(super) struct DecideForm {
    volunteer: String,
    decision: String,
}

pub(super) async fn decide_submit(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<String>,
    Form(form): Form<DecideForm>,
) -> Result<Response, PageRejection> {
    let accept = match form.decision.as_str() {
        "accept" => true,
        "decline" => false,
        _ => {
            return Err(PageRejection::Error(ApiError::BadRequest(
                "decision: accept or decline".into(),
            )));
        }
    };
    decide(&state, &caller, &id, &form.volunteer, accept)
        .await
        .map_err(PageRejection::Error)?;
    let done = if accept { "accepted" } else { "declined" };
    Ok(Redirect::to(&format!("/projects/{}?done={done}", urlencode(&id))).into_response())
}
