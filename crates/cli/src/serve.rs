//! The CLI's one door into the web server: the server's options from the environment and
//! the command line, then `votebase_server::serve_with`. `votebase serve`, the demo and the
//! benchmarks that need a running server all start it here.

use std::sync::Arc;
use votebase_store::Store;

/// Serves `store` on `bind` until the process stops: options from `VOTEBASE_*`, then the
/// public URL and trusted proxies given on the command line (none for the demo and the
/// benchmarks).
pub async fn serve(
    store: Arc<dyn Store>,
    bind: &str,
    feeds: votebase_vip::store::FeedDir,
    public_url: Option<String>,
    trusted_proxies: &[String],
) -> anyhow::Result<()> {
    let mut options = votebase_server::ServeOptions::from_env()?;
    options
        .trusted_proxies
        .extend(votebase_server::TrustedProxies::parse(trusted_proxies)?);
    options.public_url = public_url.or(options.public_url);
    Ok(votebase_server::serve_with(store, bind, feeds, options).await?)
}

/// Serves several organizations on `bind`, each at its host under the base domain
/// (`votebase_server::orgs`); the public URL (option or `VOTEBASE_PUBLIC_URL`) is a
/// template with `{org}`.
pub async fn serve_orgs(
    sites: Vec<votebase_server::orgs::OrgSite>,
    bind: &str,
    rules: votebase_server::orgs::HostRules,
    public_url: Option<String>,
    trusted_proxies: &[String],
) -> anyhow::Result<()> {
    let mut options = votebase_server::ServeOptions::from_env()?;
    options
        .trusted_proxies
        .extend(votebase_server::TrustedProxies::parse(trusted_proxies)?);
    options.public_url = public_url.or(options.public_url);
    Ok(votebase_server::orgs::serve_orgs(sites, bind, options, rules).await?)
}
