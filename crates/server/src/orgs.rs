//! One server, many organizations: each organization gets its own whole application
//! ([`start_site`]: its own state, so its own sessions, tokens, rate limits, universe
//! index and live channels) and a top-level service picks it by the request's host,
//! `<label>.<base domain>` where the label is the organization's name with `-` for `_`
//! (`camp_a` at `camp-a.votebase.example`). A host under the base domain that names no
//! served organization gets a 404 `unknown_organization`; so does any other host (an
//! address, the bare base domain) unless one organization is named to answer it
//! (`--other-hosts`). Cookies are host-only, so a session of one organization is never
//! sent to another's host. Each organization's public URL comes from one template with
//! `{org}` (`https://{org}.votebase.example`), so the CSRF origin and printed links are
//! per organization. Serving every registered organization ([`LateOrgs`], `serve --orgs
//! all`), a host naming an organization not served yet is looked up in the registry:
//! one created since the start is opened then, started once, and kept for the next
//! requests, without a restart.

use crate::error::ApiError;
use crate::{ServeError, ServeOptions, bind_listener, serve_router, start_site};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use tower::ServiceExt;
use votebase_domain::OrgName;
use votebase_store::{OrgRegistry, Store};

/// One organization to serve.
pub struct OrgSite {
    /// Its name.
    pub org: OrgName,
    /// Its store.
    pub store: Arc<dyn Store>,
    /// Its VIP feeds (the public polling-place lookup).
    pub feeds: votebase_vip::store::FeedDir,
}

/// Where organizations created after the start come from (`serve --orgs all`): the
/// deployment's registry, and the data directory holding each one's VIP feeds.
#[derive(Clone)]
pub struct LateOrgs {
    /// The registry.
    pub registry: Arc<dyn OrgRegistry>,
    /// The data directory (`<data>/<org>.vip` holds an organization's feeds).
    pub data_dir: PathBuf,
}

/// How hosts map to organizations.
#[derive(Debug, Clone)]
pub struct HostRules {
    /// The domain every organization's host sits under (`votebase.example`, `localhost`).
    pub base_domain: String,
    /// The organization answering hosts outside the base domain (e.g.
    /// `http://127.0.0.1:8080`), if any.
    pub other_hosts: Option<OrgName>,
}

impl HostRules {
    /// Checks the base domain: lowercase DNS labels separated by dots, no port.
    pub fn new(base_domain: &str, other_hosts: Option<OrgName>) -> Result<Self, ServeError> {
        let base = base_domain
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let ok = !base.is_empty()
            && base.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !ok {
            return Err(ServeError::Config(format!(
                "invalid base domain {base_domain:?}: a DNS name such as votebase.example"
            )));
        }
        Ok(Self {
            base_domain: base,
            other_hosts,
        })
    }

    /// What `host` (a Host header value, maybe with a port) names.
    pub fn org_of_host(&self, host: &str) -> HostMatch {
        let host = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
        match host.strip_suffix(&self.base_domain) {
            Some("") => HostMatch::Outside,
            Some(prefix) => match prefix.strip_suffix('.') {
                Some(label) if !label.contains('.') => OrgName::from_host_label(label)
                    .map(HostMatch::Org)
                    .unwrap_or(HostMatch::NoSuchOrg),
                Some(_) => HostMatch::NoSuchOrg,
                None => HostMatch::Outside,
            },
            None => HostMatch::Outside,
        }
    }

    /// The host of `org` (`camp-a.votebase.example`).
    pub fn host_of(&self, org: &OrgName) -> String {
        format!("{}.{}", org.host_label(), self.base_domain)
    }
}

/// What a request's host names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostMatch {
    /// `<label>.<base>`: this organization (served or not).
    Org(OrgName),
    /// A host outside the base domain, or the bare base domain.
    Outside,
    /// A host under the base domain that no organization name maps to.
    NoSuchOrg,
}

/// `host:port` → `host`; `[v6]:port` → `[v6]`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host)
}

/// An organization's public URL from a template: `{org}` becomes its host label. A
/// template without `{org}` is refused when several organizations share it (its origin
/// would be right for one of them only).
pub fn public_url_for(
    template: Option<&str>,
    org: &OrgName,
    several: bool,
) -> Result<Option<String>, ServeError> {
    match template {
        None => Ok(None),
        Some(t) if t.contains("{org}") => Ok(Some(t.replace("{org}", &org.host_label()))),
        Some(_) if several => Err(ServeError::Config(
            "with several organizations the public URL must contain {org}, e.g. https://{org}.votebase.example"
                .into(),
        )),
        Some(t) => Ok(Some(t.to_string())),
    }
}

/// The applications by organization, and the rules choosing one.
struct Dispatch {
    rules: HostRules,
    sites: RwLock<HashMap<OrgName, Router>>,
    late: Option<Late>,
}

/// Opening organizations created since the start: the registry, the options each site
/// starts with, and one lock so an organization is started once.
struct Late {
    orgs: LateOrgs,
    options: ServeOptions,
    opening: tokio::sync::Mutex<()>,
}

impl Dispatch {
    fn host_of(request: &Request) -> String {
        // HTTP/2 carries the host in the URI's authority, HTTP/1.1 in the Host header.
        request
            .uri()
            .authority()
            .map(|a| a.as_str().to_string())
            .or_else(|| {
                request
                    .headers()
                    .get(header::HOST)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            })
            .unwrap_or_default()
    }

    fn cached(&self, org: &OrgName) -> Option<Router> {
        self.sites
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(org)
            .cloned()
    }

    async fn pick(&self, host: &str) -> Result<Option<Router>, ServeError> {
        match self.rules.org_of_host(host) {
            HostMatch::Org(org) => match self.cached(&org) {
                Some(site) => Ok(Some(site)),
                None => self.open_late(&org).await,
            },
            HostMatch::Outside => Ok(self.rules.other_hosts.as_ref().and_then(|o| self.cached(o))),
            HostMatch::NoSuchOrg => Ok(None),
        }
    }

    /// An organization not served yet: when the registry holds it (created since the
    /// start), its store opened and its site started, kept for the next requests.
    async fn open_late(&self, org: &OrgName) -> Result<Option<Router>, ServeError> {
        let Some(late) = &self.late else {
            return Ok(None);
        };
        let _one_at_a_time = late.opening.lock().await;
        if let Some(site) = self.cached(org) {
            return Ok(Some(site));
        }
        let registered = late.orgs.registry.list_orgs().await?;
        if !registered.iter().any(|o| &o.name == org) {
            return Ok(None);
        }
        let store = late.orgs.registry.open_org(org).await?;
        let mut options = late.options.clone();
        options.public_url = public_url_for(late.options.public_url.as_deref(), org, true)?;
        let site = start_site(
            store,
            votebase_vip::store::FeedDir::new(&late.orgs.data_dir, org),
            &options,
        )
        .await?;
        self.sites
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(org.clone(), site.clone());
        eprintln!("  {org}: created since the start, now served");
        Ok(Some(site))
    }
}

async fn dispatch(State(dispatch): State<Arc<Dispatch>>, request: Request) -> Response {
    // The host first: a request is not shared across an await (its body is not `Sync`).
    let host = Dispatch::host_of(&request);
    match dispatch.pick(&host).await {
        Ok(Some(site)) => match site.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        },
        Ok(None) => error_response(ApiError::UnknownOrganization),
        Err(e) => {
            eprintln!("opening an organization created since the start: {e}");
            error_response(ApiError::Internal(e.to_string()))
        }
    }
}

/// The 404 `unknown_organization` (or a 500 when a late organization failed to open),
/// with a request id like every other error (no organization's layers ran, so it is made
/// here).
fn error_response(e: ApiError) -> Response {
    let request_id = crate::auth::new_secret()[..16].to_string();
    let mut response = (
        e.status(),
        axum::Json(crate::error::ErrorBody {
            error: e.code().into(),
            message: e.to_string(),
            request_id: Some(request_id.clone()),
        }),
    )
        .into_response();
    let headers = response.headers_mut();
    if let Ok(id) = header::HeaderValue::from_str(&request_id) {
        headers.insert("x-request-id", id);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    response
}

/// The top-level service: each request to the application of the organization its host
/// names (see [`HostRules`]).
pub fn host_router(rules: HostRules, sites: Vec<(OrgName, Router)>) -> Router {
    router_of(Dispatch {
        rules,
        sites: RwLock::new(sites.into_iter().collect()),
        late: None,
    })
}

fn router_of(rules_and_sites: Dispatch) -> Router {
    Router::new()
        .fallback(dispatch)
        .with_state(Arc::new(rules_and_sites))
}

/// Starts every organization's application (each with its own public URL from the
/// template in `options`), binds `bind`, prints each organization's address, and serves
/// until the process is stopped. With `late`, a host naming an organization created in
/// the registry since then is served too, from its first request.
pub async fn serve_orgs(
    sites: Vec<OrgSite>,
    bind: &str,
    options: ServeOptions,
    rules: HostRules,
    late: Option<LateOrgs>,
) -> Result<(), ServeError> {
    if let Some(other) = &rules.other_hosts
        && !sites.iter().any(|s| &s.org == other)
    {
        return Err(ServeError::Config(format!(
            "--other-hosts {other}: that organization is not among those served"
        )));
    }
    // Serving every organization, more may come: each needs its own public URL.
    let several = sites.len() > 1 || late.is_some();
    let mut routers = Vec::with_capacity(sites.len());
    let mut names = Vec::with_capacity(sites.len());
    for site in sites {
        let mut org_options = options.clone();
        org_options.public_url = public_url_for(options.public_url.as_deref(), &site.org, several)?;
        routers.push((
            site.org.clone(),
            start_site(site.store, site.feeds, &org_options).await?,
        ));
        names.push(site.org);
    }
    let listener = bind_listener(bind).await?;
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    for org in &names {
        let other = if rules.other_hosts.as_ref() == Some(org) {
            " (and every other host)"
        } else {
            ""
        };
        eprintln!("  {org}: http://{}:{port}/{other}", rules.host_of(org));
    }
    let dispatch = Dispatch {
        rules,
        sites: RwLock::new(routers.into_iter().collect()),
        late: late.map(|orgs| Late {
            orgs,
            options,
            opening: tokio::sync::Mutex::new(()),
        }),
    };
    serve_router(listener, router_of(dispatch)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::StatusCode;

    fn org(name: &str) -> OrgName {
        OrgName::parse(name).unwrap()
    }

    #[test]
    fn hosts_name_organizations() {
        let rules = HostRules::new("Votebase.Example.", None).unwrap();
        let of = |h: &str| rules.org_of_host(h);
        assert_eq!(of("camp-a.votebase.example"), HostMatch::Org(org("camp_a")));
        assert_eq!(
            of("CAMP-A.votebase.example:8443"),
            HostMatch::Org(org("camp_a"))
        );
        assert_eq!(
            of("camp-a.votebase.example."),
            HostMatch::Org(org("camp_a"))
        );
        assert_eq!(of("votebase.example"), HostMatch::Outside);
        assert_eq!(of("127.0.0.1:8080"), HostMatch::Outside);
        assert_eq!(of("[::1]:8080"), HostMatch::Outside);
        assert_eq!(of("evilvotebase.example"), HostMatch::Outside);
        assert_eq!(of("x.camp-a.votebase.example"), HostMatch::NoSuchOrg);
        assert_eq!(of("camp_a.votebase.example"), HostMatch::NoSuchOrg);
        assert_eq!(rules.host_of(&org("camp_a")), "camp-a.votebase.example");
        assert!(HostRules::new("bad domain", None).is_err());
        assert!(HostRules::new("a..b", None).is_err());
    }

    #[test]
    fn public_urls_per_organization() {
        let a = org("camp_a");
        assert_eq!(
            public_url_for(Some("https://{org}.votebase.example"), &a, true).unwrap(),
            Some("https://camp-a.votebase.example".into())
        );
        assert!(public_url_for(Some("https://votebase.example"), &a, true).is_err());
        assert_eq!(
            public_url_for(Some("https://votebase.example"), &a, false).unwrap(),
            Some("https://votebase.example".into())
        );
        assert_eq!(public_url_for(None, &a, true).unwrap(), None);
    }

    #[tokio::test]
    async fn requests_reach_only_their_host_organization() {
        let site = |text: &'static str| {
            Router::new().route("/", axum::routing::get(move || async move { text }))
        };
        let rules = HostRules::new("localhost", Some(org("default"))).unwrap();
        let app = host_router(
            rules,
            vec![
                (org("camp_a"), site("a")),
                (org("camp_b"), site("b")),
                (org("default"), site("d")),
            ],
        );
        let get = |host: &'static str| {
            let app = app.clone();
            async move {
                let r = app
                    .oneshot(
                        Request::builder()
                            .uri("/")
                            .header("host", host)
                            .body(Body::empty())
                            .unwrap(),
                    )
                    .await
                    .unwrap();
                let status = r.status();
                let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
                (status, String::from_utf8_lossy(&body).into_owned())
            }
        };
        assert_eq!(
            get("camp-a.localhost:8080").await,
            (StatusCode::OK, "a".into())
        );
        assert_eq!(get("camp-b.localhost").await, (StatusCode::OK, "b".into()));
        assert_eq!(get("127.0.0.1:8080").await, (StatusCode::OK, "d".into()));
        let (status, body) = get("camp-z.localhost").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("\"unknown_organization\""), "{body}");
        assert!(body.contains("\"request_id\""), "{body}");
    }
}
