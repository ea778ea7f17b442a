//! The admin users page (`/admin/users`, administrators only): every account with its
//! role and state, every API token with its last use and expiry, and forms to disable
//! or enable a user, change a role and reset a password (the new password is shown
//! once). Forms carry the session's CSRF token like every other form; the changes
//! themselves are `votebase_app::accounts` use cases, audited under the admin's name.

use crate::AppState;
use crate::auth::{Caller, PageRejection, PageUser, same_secret};
use crate::error::ApiError;
use crate::pages::{error_page, nav, render};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;
use votebase_app::accounts::{self, AccountError};
use votebase_domain::Role;
use votebase_domain::users::Permission;
use votebase_store::UserAccount;

/// The page's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users_page))
        .route("/admin/users/{name}/disable", post(disable))
        .route("/admin/users/{name}/enable", post(enable))
        .route("/admin/users/{name}/role", post(change_role))
        .route("/admin/users/{name}/password", post(reset_password))
}

struct TokenRow {
    id: i64,
    user: String,
    label: String,
    created: String,
    last_used: String,
    expires: String,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    user_name: String,
    role: String,
    csrf: String,
    message: Option<String>,
    /// Each account with its role choices (code, selected).
    accounts: Vec<(UserAccount, Vec<(&'static str, bool)>)>,
    tokens: Vec<TokenRow>,
}

#[derive(Template)]
#[template(path = "admin_password.html")]
struct PasswordPage {
    user_name: String,
    role: String,
    csrf: String,
    name: String,
    password: String,
}

#[derive(Deserialize)]
struct Message {
    done: Option<String>,
}

fn page_error(e: ApiError) -> PageRejection {
    PageRejection::Error(e)
}

fn account_error(e: AccountError) -> ApiError {
    match e {
        AccountError::NoUser(_) | AccountError::NoToken(_) => ApiError::NotFound(e.to_string()),
        AccountError::LastAdmin(_) | AccountError::Invalid(_) => {
            ApiError::BadRequest(e.to_string())
        }
        AccountError::Hash(h) => ApiError::Internal(h.to_string()),
        AccountError::Store(s) => s.into(),
    }
}

fn when(t: Option<chrono::DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "—".into())
}

async fn users_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Query(q): Query<Message>,
) -> Result<Response, PageRejection> {
    caller
        .require(Permission::ManageUsers)
        .map_err(page_error)?;
    let accounts = state
        .store
        .list_users()
        .await
        .map_err(|e| page_error(e.into()))?;
    let now = Utc::now();
    let tokens = state
        .store
        .list_tokens()
        .await
        .map_err(|e| page_error(e.into()))?
        .into_iter()
        .map(|t| TokenRow {
            state: if t.revoked_at.is_some() {
                "revoked"
            } else if t.expired_at(now) {
                "expired"
            } else if t.user_disabled {
                "user disabled"
            } else {
                "active"
            },
            id: t.id,
            user: t.user.name,
            label: t.label,
            created: when(Some(t.created_at)),
            last_used: when(t.last_used_at),
            expires: when(t.expires_at),
        })
        .collect();
    let message = q.done.map(|d| match d.as_str() {
        "disabled" => "User disabled.".to_string(),
        "enabled" => "User enabled.".to_string(),
        "role" => "Role changed.".to_string(),
        _ => "Done.".to_string(),
    });
    let (user_name, role, csrf) = nav(&caller);
    Ok(render(&UsersPage {
        user_name,
        role,
        csrf,
        message,
        accounts: accounts
            .into_iter()
            .map(|a| {
                let options = Role::ALL
                    .iter()
                    .map(|r| (r.code(), *r == a.user.role))
                    .collect();
                (a, options)
            })
            .collect(),
        tokens,
    }))
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

#[derive(Deserialize)]
struct RoleForm {
    csrf: String,
    role: String,
}

/// The error page to show unless the caller is an admin with the session's CSRF token.
fn refusal(caller: &Caller, csrf: &str) -> Option<Response> {
    if let Err(e) = caller.require(Permission::ManageUsers) {
        return Some(error_page(e));
    }
    if !caller
        .csrf_token
        .as_deref()
        .is_some_and(|t| same_secret(t, csrf))
    {
        return Some(error_page(ApiError::CsrfFailed));
    }
    None
}

async fn set_disabled(
    state: AppState,
    caller: Caller,
    name: String,
    csrf: String,
    disabled: bool,
) -> Response {
    if let Some(r) = refusal(&caller, &csrf) {
        return r;
    }
    match accounts::set_disabled(state.store.as_ref(), &caller.user.name, &name, disabled).await {
        Ok(()) => Redirect::to(if disabled {
            "/admin/users?done=disabled"
        } else {
            "/admin/users?done=enabled"
        })
        .into_response(),
        Err(e) => error_page(account_error(e)),
    }
}

async fn disable(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    set_disabled(state, caller, name, form.csrf, true).await
}

async fn enable(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    set_disabled(state, caller, name, form.csrf, false).await
}

async fn change_role(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(name): Path<String>,
    Form(form): Form<RoleForm>,
) -> Response {
    if let Some(r) = refusal(&caller, &form.csrf) {
        return r;
    }
    let Ok(role) = form.role.parse::<Role>() else {
        return error_page(ApiError::BadRequest(format!(
            "unknown role {:?}",
            form.role
        )));
    };
    match accounts::set_role(state.store.as_ref(), &caller.user.name, &name, role).await {
        Ok(()) => Redirect::to("/admin/users?done=role").into_response(),
        Err(e) => error_page(account_error(e)),
    }
}

async fn reset_password(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(r) = refusal(&caller, &form.csrf) {
        return r;
    }
    match accounts::reset_password(state.store.as_ref(), &caller.user.name, &name, None).await {
        Ok(password) => {
            // Resetting one's own password ends one's own session too: the page still
            // shows the new password once, then the next click asks to sign in.
            let (user_name, role, csrf) = nav(&caller);
            let mut r = render(&PasswordPage {
                user_name,
                role,
                csrf,
                name,
                password,
            });
            r.headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => error_page(account_error(e)),
    }
}
