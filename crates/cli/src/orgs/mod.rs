//! `votebase org create|list|members|subscribe|unsubscribe|export|import` and `votebase serve --orgs`: the platform admin
//! (whoever runs the CLI on the server) creates organizations in the deployment's
//! registry, lists them and their accounts, and serves several at once, each at its own
//! host name, through `votebase_app::orgs`. Accounts stay per organization: add them with
//! `votebase --org NAME user add …`. Archives (`org export`, `org import`) are in [`archive`].

pub mod archive;

use crate::args::OrgCommand;
use crate::options::Global;
use crate::stores;
use crate::voters::cli_actor;
use votebase_app::orgs::{self, ServedOrgs};

/// Runs `votebase org …`.
pub async fn org(global: &Global, cmd: OrgCommand) -> anyhow::Result<()> {
    let registry = stores::registry(global).await?;
    match cmd {
        OrgCommand::Create { name, display_name } => {
            let org = orgs::create(
                registry.as_ref(),
                &name,
                display_name.as_deref(),
                &cli_actor(),
            )
            .await?;
            println!(
                "organization {} ({}) created; add its first admin with: votebase --org {} user add NAME --role admin",
                org.name, org.display_name, org.name
            );
        }
        OrgCommand::List { json } => {
            let all = orgs::list(registry.as_ref()).await?;
            let sources = orgs::voter_file::sources(registry.as_ref()).await?;
            let source_of = |name: &votebase_domain::OrgName| {
                sources
                    .iter()
                    .find(|s| &s.org == name)
                    .and_then(|s| s.source.as_ref())
                    .map(|s| s.source.to_string())
            };
            if json {
                let rows: Vec<serde_json::Value> = all
                    .iter()
                    .map(|o| {
                        let mut v = serde_json::to_value(o)?;
                        v["voter_file_from"] = serde_json::json!(source_of(&o.name));
                        Ok(v)
                    })
                    .collect::<Result<_, serde_json::Error>>()?;
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for o in all {
                    let file = source_of(&o.name)
                        .map(|s| format!("voter file of {s}"))
                        .unwrap_or_else(|| "own voter file".into());
                    println!(
                        "{}\t{}\t{}\t{}\t{file}",
                        o.name,
                        o.name.host_label(),
                        o.display_name,
                        o.created_at.format("%Y-%m-%d")
                    );
                }
            }
        }
        OrgCommand::Subscribe { org, voter_file } => {
            let done =
                orgs::voter_file::subscribe(registry.as_ref(), &org, &voter_file, &cli_actor())
                    .await?;
            println!(
                "organization {} now reads the voter file of {voter_file} (read-only) from its next start; \
                 restart a running `votebase serve` to apply it",
                done.org
            );
        }
        OrgCommand::Unsubscribe { org } => {
            let source =
                orgs::voter_file::unsubscribe(registry.as_ref(), &org, &cli_actor()).await?;
            println!(
                "organization {org} no longer reads the voter file of {source}; it reads its own \
                 (empty until it imports one) from its next start"
            );
        }
        OrgCommand::Export { org, out, json } => archive::export(global, &org, &out, json).await?,
        OrgCommand::Import { file, as_org, json } => {
            archive::import(global, &file, &as_org, json).await?;
            let name = votebase_domain::OrgName::parse(&as_org)?;
            if orgs::ensure_registered(registry.as_ref(), &name).await? {
                println!("organization {as_org} registered in the deployment's registry");
            }
        }
        OrgCommand::Members { org, json } => {
            let members = orgs::members(registry.as_ref(), &org).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&members)?);
            } else {
                for a in members {
                    let state = if a.disabled { "disabled" } else { "enabled" };
                    println!("{}\t{}\t{state}", a.user.name, a.user.role);
                }
            }
        }
    }
    Ok(())
}

/// The options of `votebase serve` that choose several organizations.
pub struct ServeOrgs {
    /// `all` or `a,b`.
    pub orgs: String,
    /// The domain the organizations' hosts sit under.
    pub base_domain: String,
    /// The organization answering every other host.
    pub other_hosts: Option<String>,
}

/// Opens every organization `serve --orgs` names and serves them by host.
pub async fn serve(
    global: &Global,
    which: ServeOrgs,
    bind: &str,
    public_url: Option<String>,
    trusted_proxies: &[String],
) -> anyhow::Result<()> {
    let registry = stores::registry(global).await?;
    let which_orgs = ServedOrgs::parse(&which.orgs)?;
    let served = orgs::open_served(registry.as_ref(), &which_orgs).await?;
    // `all`: organizations created while the server runs are served too.
    let late = (which_orgs == ServedOrgs::All).then(|| registry.clone());
    let other_hosts = which
        .other_hosts
        .as_deref()
        .map(votebase_domain::OrgName::parse)
        .transpose()?;
    let served = served
        .into_iter()
        .map(|(org, store)| (org.name, store))
        .collect();
    crate::serve::serve_orgs(
        global,
        served,
        bind,
        &which.base_domain,
        other_hosts,
        public_url,
        trusted_proxies,
        late,
    )
    .await
}
