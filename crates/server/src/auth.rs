//! Authentication and authorization: argon2 password hashes, API tokens and browser
//! sessions (both stored only as SHA-256), the extractors that resolve the caller on
//! every route, role checks, CSRF tokens for forms and the per-client login rate limit.
//! Tokens are refused when expired (`token_expired`), revoked or their owner disabled;
//! a disabled user's sessions are refused by the store.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
pub(crate) use votebase_app::auth::{
    new_secret, same_secret, sha256_hex, verify_password_or_dummy,
};
use votebase_domain::User;
use votebase_domain::users::Permission;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "vb_session";
/// Name of the pre-login CSRF cookie.
pub const LOGIN_CSRF_COOKIE: &str = "vb_login_csrf";

/// The client's address, as the request context resolved it (behind a trusted proxy, from
/// `X-Forwarded-For`; loopback when the server was not started with connection info, as
/// in router-level tests): the key of every per-client rate limit.
pub fn client_ip(extensions: &axum::http::Extensions) -> std::net::IpAddr {
    if let Some(ctx) = extensions.get::<crate::context::RequestContext>() {
        return ctx.client_ip;
    }
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
}

/// The authenticated caller of an API route (Bearer token or session cookie).
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who.
    pub user: User,
    /// The session's CSRF token (None for API tokens).
    pub csrf_token: Option<String>,
}

impl Caller {
    /// Fails with 403 unless the caller's role holds `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.user.role.allows(permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

async fn resolve(parts: &Parts, state: &AppState) -> Result<Option<Caller>, ApiError> {
    if let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let text = value.to_str().map_err(|_| ApiError::Unauthorized)?;
        let token = text
            .strip_prefix("Bearer ")
            .ok_or(ApiError::Unauthorized)?
            .trim();
        let user =
            votebase_app::auth::authenticate_token(state.store.as_ref(), token, chrono::Utc::now())
                .await?
                .map_err(|refusal| match refusal {
                    votebase_app::auth::TokenRefusal::Expired => ApiError::TokenExpired,
                    votebase_app::auth::TokenRefusal::Invalid => ApiError::Unauthorized,
                })?;
        return Ok(Some(Caller {
            user,
            csrf_token: None,
        }));
    }
    let jar = CookieJar::from_headers(&parts.headers);
    if let Some(cookie) = jar.get(SESSION_COOKIE)
        && let Some(session) = state.store.session(&sha256_hex(cookie.value())).await?
    {
        return Ok(Some(Caller {
            user: session.user,
            csrf_token: Some(session.csrf_token),
        }));
    }
    Ok(None)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        resolve(parts, state).await?.ok_or(ApiError::Unauthorized)
    }
}

/// The signed-in user of a web page; unauthenticated visitors are sent to /login.
#[derive(Debug, Clone)]
pub struct PageUser(pub Caller);

/// Where a page request goes when it is not signed in, or fails.
pub enum PageRejection {
    /// Go sign in.
    Login,
    /// Any other failure.
    Error(ApiError),
}

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Login => Redirect::to("/login").into_response(),
            Self::Error(e) => crate::pages::error_page(e),
        }
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = PageRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, PageRejection> {
        match resolve(parts, state).await {
            Ok(Some(c)) => Ok(PageUser(c)),
            Ok(None) | Err(ApiError::Unauthorized | ApiError::TokenExpired) => {
                Err(PageRejection::Login)
            }
            Err(e) => Err(PageRejection::Error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use votebase_app::auth::{hash_password, verify_password};

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn secrets_are_random_and_compared_in_full() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
        assert!(!same_secret("ab", "abc"));
        assert_eq!(sha256_hex("x").len(), 64);
    }
}
