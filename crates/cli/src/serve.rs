//! The CLI's one door into the web server: the server's options from the environment and
//! the command line, then `votebase_server::serve_with`. `votebase serve`, the demo and the
//! benchmarks that need a running server all start it here, as does `bench lookup`'s
//! floor ([`fixed_answer`]).

use crate::options::Global;
use std::sync::Arc;
use votebase_domain::OrgName;
use votebase_store::{OrgRegistry, Store};
use votebase_vip::store::FeedDir;

/// Serves `store` on `bind` until the process stops: options from `VOTEBASE_*`, then the
/// public URL and trusted proxies given on the command line (none for the demo and the
/// benchmarks).
pub async fn serve(
    store: Arc<dyn Store>,
    bind: &str,
    feeds: FeedDir,
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

/// Serves several organizations on `bind`, each at its host under `base_domain`
/// (`votebase_server::orgs`) with its VIP feeds under the data directory; `other_hosts`
/// answers every other host. The public URL (option or `VOTEBASE_PUBLIC_URL`) is a
/// template with `{org}`. With `late` (serving every organization), one created in that
/// registry while the server runs is served from its host's first request.
#[allow(clippy::too_many_arguments)]
pub async fn serve_orgs(
    global: &Global,
    served: Vec<(OrgName, Arc<dyn Store>)>,
    bind: &str,
    base_domain: &str,
    other_hosts: Option<OrgName>,
    public_url: Option<String>,
    trusted_proxies: &[String],
    late: Option<Arc<dyn OrgRegistry>>,
) -> anyhow::Result<()> {
    let rules = votebase_server::orgs::HostRules::new(base_domain, other_hosts)?;
    let sites = served
        .into_iter()
        .map(|(org, store)| votebase_server::orgs::OrgSite {
            feeds: FeedDir::new(&global.data, &org),
            org,
            store,
        })
        .collect();
    let mut options = votebase_server::ServeOptions::from_env()?;
    options
        .trusted_proxies
        .extend(votebase_server::TrustedProxies::parse(trusted_proxies)?);
    options.public_url = public_url.or(options.public_url);
    let late = late.map(|registry| votebase_server::orgs::LateOrgs {
        registry,
        data_dir: global.data.clone(),
    });
    Ok(votebase_server::orgs::serve_orgs(sites, bind, options, rules, late).await?)
}

/// Serves `body` as JSON at `path` on `bind` through the server's own HTTP stack and
/// nothing else (`votebase_server::floor`): the baseline `bench lookup` measures.
pub async fn fixed_answer(bind: &str, path: &str, body: Vec<u8>) -> anyhow::Result<()> {
    Ok(votebase_server::floor::serve_fixed_answer(bind, path, body).await?)
}
