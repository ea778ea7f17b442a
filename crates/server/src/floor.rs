//! The HTTP stack's floor, for `votebase bench lookup`: the same listener, tokio runtime,
//! hyper connection handling and axum routing as [`crate::serve_with`], answering one GET
//! route with fixed bytes and nothing else (no state, no middleware, no lookup). Beside
//! the real lookup and nginx in one run it shows how much of the gap to nginx is the
//! stack every votebase route stands on and how much is votebase's own work.

use crate::{ServeError, bind_listener, serve_router};
use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;

/// Serves `body` as `application/json` at `path` on `bind` until the process stops.
pub async fn serve_fixed_answer(bind: &str, path: &str, body: Vec<u8>) -> Result<(), ServeError> {
    let body = axum::body::Bytes::from(body);
    let app = Router::new().route(
        path,
        get(move || {
            let body = body.clone();
            async move { ([(CONTENT_TYPE, "application/json")], body) }
        }),
    );
    let listener = bind_listener(bind).await?;
    serve_router(listener, app).await
}
