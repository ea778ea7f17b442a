//! Who is asking and how: the [`RequestContext`] every request carries (a request id, the
//! client's address and whether it came over HTTPS), resolved once by [`middleware`] from
//! the connection, the configured [`TrustedProxies`] and the public URL. `X-Forwarded-For`
//! and `X-Forwarded-Proto` are believed only from a trusted proxy's address. The same
//! middleware applies the CSRF rule ([`crate::csrf::check`]) and finishes every response:
//! the request id header, the JSON error body for framework rejections
//! ([`crate::error::normalize`]) and the security headers ([`crate::headers::apply`]).

use crate::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use futures::FutureExt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Networks whose `X-Forwarded-*` headers are believed (`--trusted-proxy CIDR`,
/// `VOTEBASE_TRUSTED_PROXIES` comma-separated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

/// A `--trusted-proxy` value that is not an address or CIDR block.
#[derive(Debug, thiserror::Error)]
#[error("not an IP address or CIDR block: {0:?}")]
pub struct BadCidr(pub String);

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl TrustedProxies {
    /// Parses CIDR blocks or single addresses (`10.0.0.0/8`, `127.0.0.1`, `::1/128`).
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, BadCidr> {
        let mut nets = Vec::new();
        for item in items {
            let text = item.as_ref().trim();
            if text.is_empty() {
                continue;
            }
            let bad = || BadCidr(text.to_string());
            let (addr, bits) = match text.split_once('/') {
                Some((a, b)) => (a, Some(b.parse::<u8>().map_err(|_| bad())?)),
                None => (text, None),
            };
            let ip = canonical(addr.parse::<IpAddr>().map_err(|_| bad())?);
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = bits.unwrap_or(max);
            if bits > max {
                return Err(bad());
            }
            nets.push((ip, bits));
        }
        Ok(Self(nets))
    }

    /// From `VOTEBASE_TRUSTED_PROXIES` (comma-separated), none when unset.
    pub fn from_env() -> Result<Self, BadCidr> {
        let v = std::env::var("VOTEBASE_TRUSTED_PROXIES").unwrap_or_default();
        Self::parse(&v.split(',').collect::<Vec<_>>())
    }

    /// Adds the blocks of `other`.
    pub fn extend(&mut self, other: TrustedProxies) {
        self.0.extend(other.0);
    }

    /// Is `ip` inside a trusted block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|(net, bits)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*bits)).unwrap_or(0);
                u32::from(*n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*bits)).unwrap_or(0);
                u128::from(*n) & mask == u128::from(a) & mask
            }
            _ => false,
        })
    }

    /// The client behind `peer`: `peer` itself unless it is a trusted proxy, else the
    /// right-most `X-Forwarded-For` address that is not a trusted proxy.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return canonical(peer);
        }
        let hops: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|h| h.trim().parse::<IpAddr>().ok())
            .map(canonical)
            .collect();
        let mut client = canonical(peer);
        for hop in hops.into_iter().rev() {
            client = hop;
            if !self.contains(hop) {
                break;
            }
        }
        client
    }
}

/// What the server knows about one request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Random id, sent back as `X-Request-Id` and in error bodies.
    pub request_id: String,
    /// The client's address (see [`TrustedProxies::client`]).
    pub client_ip: IpAddr,
    /// Served over HTTPS: the public URL is https, or a trusted proxy said so.
    pub https: bool,
    /// This server's own origin (`scheme://host[:port]`), from the public URL or the
    /// `Host` header; None when the request names no host.
    pub origin: Option<String>,
}

/// `scheme://host[:port]` in lower case, without the scheme's default port.
pub fn normalize_origin(scheme: &str, host_port: &str) -> String {
    let scheme = scheme.to_ascii_lowercase();
    let host = host_port.trim().trim_end_matches('/').to_ascii_lowercase();
    let host = match (scheme.as_str(), host.rsplit_once(':')) {
        ("http", Some((h, "80"))) | ("https", Some((h, "443"))) => h.to_string(),
        _ => host,
    };
    format!("{scheme}://{host}")
}

/// The origin of a URL such as `https://results.example.org/path`.
pub fn origin_of_url(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| normalize_origin(scheme, host))
}

/// A random request id: 16 hex digits (it names a request in logs and error bodies; it
/// is no secret, so 64 bits from the thread's generator, not a token's 256).
fn request_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Resolves the request's context from the state's configuration.
pub fn resolve(state: &AppState, peer: IpAddr, headers: &HeaderMap) -> RequestContext {
    let proxied = state.trusted_proxies.contains(peer);
    let forwarded_https = proxied
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let public = state.public_url.as_deref().and_then(origin_of_url);
    let https = public.as_deref().is_some_and(|o| o.starts_with("https://")) || forwarded_https;
    let origin = public.or_else(|| {
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|v| v.to_str().ok())?;
        Some(normalize_origin(if https { "https" } else { "http" }, host))
    });
    RequestContext {
        request_id: request_id(),
        client_ip: state.trusted_proxies.client(peer, headers),
        https,
        origin,
    }
}

/// The first layer of every request: resolves the [`RequestContext`], then finishes the
/// response (request id, JSON errors, security headers).
pub async fn middleware(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let ctx = resolve(&state, peer, req.headers());
    let authenticated = crate::headers::is_authenticated(req.headers());
    let method = req.method().clone();
    // Shared, not copied: only an error's log line reads it.
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .cloned();
    req.extensions_mut().insert(ctx.clone());
    // The CSRF rule in this one layer (a layer per rule cost each request a boxed
    // future and a clone of the route's service); a panic in it answers as a handler's.
    let checked = std::panic::AssertUnwindSafe(crate::csrf::check(&state, req))
        .catch_unwind()
        .await;
    let response = match checked {
        Ok(Ok(req)) => next.run(req).await,
        Ok(Err(refusal)) => refusal,
        Err(panic) => crate::error::panic_response(panic),
    };
    let route = route.as_ref().map_or("", |p| p.as_str());
    let mut response = crate::error::normalize(response, &ctx, &method, route).await;
    if let Ok(id) = axum::http::HeaderValue::from_str(&ctx.request_id) {
        response.headers_mut().insert("x-request-id", id);
    }
    crate::headers::apply(&mut response, &ctx, authenticated);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_blocks_match() {
        let t = TrustedProxies::parse(&["10.0.0.0/8", "127.0.0.1", "fd00::/8"]).unwrap();
        assert!(t.contains(ip("10.1.2.3")));
        assert!(t.contains(ip("127.0.0.1")));
        assert!(t.contains(ip("::ffff:127.0.0.1")));
        assert!(!t.contains(ip("127.0.0.2")));
        assert!(t.contains(ip("fd12::1")));
        assert!(!t.contains(ip("fe80::1")));
        assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(&["proxy"]).is_err());
        assert!(
            TrustedProxies::parse(&["0.0.0.0/0"])
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let t = TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "1.2.3.4, 203.0.113.9, 10.0.0.5".parse().unwrap(),
        );
        assert_eq!(t.client(ip("10.0.0.1"), &h), ip("203.0.113.9"));
        assert_eq!(t.client(ip("198.51.100.1"), &h), ip("198.51.100.1"));
        assert_eq!(
            TrustedProxies::default().client(ip("127.0.0.1"), &h),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn origins_are_normalized() {
        assert_eq!(
            normalize_origin("HTTP", "Example.org:80"),
            "http://example.org"
        );
        assert_eq!(
            normalize_origin("http", "127.0.0.1:8080"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            origin_of_url("https://r.example.org:443/x?y").as_deref(),
            Some("https://r.example.org")
        );
        assert_eq!(origin_of_url("nonsense"), None);
    }
}
