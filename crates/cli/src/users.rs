//! `user add|list|disable|enable|role|passwd` and `token create|list|revoke`: accounts
//! of one organization, through `votebase_app::accounts`. Passwords are read from a
//! prompt (or standard input when piped) and stored as argon2 hashes; API tokens are
//! printed once, stored as SHA-256, and expire (90 days unless `--expires-in` says).

use crate::options::Global;
use crate::stores;
use crate::voters::cli_actor;
use anyhow::{Context, bail};
use chrono::Utc;
use clap::Subcommand;
use std::io::{BufRead, IsTerminal};
use votebase_app::{accounts, auth};
use votebase_domain::{AuditEntry, Role, User};
use votebase_store::ApiToken;

fn read_password() -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Again: ")?;
        if first != again {
            bail!("the two passwords differ");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if password.chars().count() < 10 {
        bail!("the password must be at least 10 characters long");
    }
    Ok(password)
}

pub async fn user(global: &Global, cmd: UserCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    match cmd {
        UserCommand::Add { name, role } => {
            let role: Role = role.parse()?;
            let name = name.trim().to_string();
            if name.is_empty() || name.len() > 64 || name.contains(char::is_whitespace) {
                bail!("user names are 1-64 characters without spaces");
            }
            let password = read_password()?;
            let hash = auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
            store
                .put_user(
                    &User {
                        name: name.clone(),
                        role,
                    },
                    &hash,
                )
                .await?;
            store
                .audit(&AuditEntry {
                    at: Utc::now(),
                    actor: cli_actor(),
                    action: "user.put".into(),
                    subject: name.clone(),
                    detail: role.code().into(),
                })
                .await?;
            println!("user {name} is {role}");
            Ok(())
        }
        UserCommand::List { json } => {
            let users = store.list_users().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                for a in users {
                    let state = if a.disabled { "disabled" } else { "enabled" };
                    println!("{}\t{}\t{state}", a.user.name, a.user.role);
                }
            }
            Ok(())
        }
        UserCommand::Disable { name } => {
            accounts::set_disabled(store.as_ref(), &cli_actor(), &name, true).await?;
            println!("user {name} is disabled; their sessions ended and their tokens are refused");
            Ok(())
        }
        UserCommand::Enable { name } => {
            accounts::set_disabled(store.as_ref(), &cli_actor(), &name, false).await?;
            println!("user {name} is enabled");
            Ok(())
        }
        UserCommand::Role { name, role } => {
            let role: Role = role.parse()?;
            accounts::set_role(store.as_ref(), &cli_actor(), &name, role).await?;
            println!("user {name} is {role}");
            Ok(())
        }
        UserCommand::Passwd { name } => {
            if store.account(&name).await?.is_none() {
                bail!("no user {name:?}");
            }
            let password = read_password()?;
            accounts::reset_password(store.as_ref(), &cli_actor(), &name, Some(password)).await?;
            println!(
                "password of {name} reset; their sessions ended and their tokens were revoked"
            );
            Ok(())
        }
    }
}

fn time(t: Option<chrono::DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}

fn token_line(t: &ApiToken) -> String {
    let state = if t.revoked_at.is_some() {
        "revoked"
    } else if t.expired_at(Utc::now()) {
        "expired"
    } else if t.user_disabled {
        "user disabled"
    } else {
        "active"
    };
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{state}",
        t.id,
        t.user.name,
        t.label,
        time(Some(t.created_at)),
        time(t.last_used_at),
        time(t.expires_at),
        time(t.revoked_at),
    )
}

pub async fn token(global: &Global, cmd: TokenCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    match cmd {
        TokenCommand::Create {
            name,
            label,
            expires_in,
        } => {
            let lifetime = auth::parse_lifetime(&expires_in).map_err(anyhow::Error::msg)?;
            if store.account(&name).await?.is_none() {
                bail!(
                    "no user {name:?}: add one first with `votebase user add {name} --role ROLE`"
                );
            }
            let t = accounts::create_token(store.as_ref(), &cli_actor(), &name, &label, lifetime)
                .await?;
            println!("{}", t.secret);
            eprintln!(
                "Token {} expires {}. Keep it: it is shown once. Send it as `Authorization: Bearer <token>`.",
                t.id,
                t.expires_at.format("%Y-%m-%d %H:%M UTC")
            );
            Ok(())
        }
        TokenCommand::List { json } => {
            let tokens = store.list_tokens().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&tokens)?);
            } else {
                println!("id\tuser\tlabel\tcreated\tlast_used\texpires\trevoked\tstate");
                for t in &tokens {
                    println!("{}", token_line(t));
                }
            }
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            accounts::revoke_token(store.as_ref(), &cli_actor(), id).await?;
            println!("token {id} revoked");
            Ok(())
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user (or reset their role and password); the password is read from a
    /// prompt, or from standard input when it is not a terminal.
    #[command(
        after_help = "Example: echo 's3cret-pass' | votebase user add alice --role organizer"
    )]
    Add {
        /// Login name.
        name: String,
        /// admin, data_manager, organizer, volunteer, coordinator, lawyer, observer or hotline_operator.
        #[arg(long)]
        role: String,
    },
    /// List users (name, role, enabled or disabled).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: they cannot sign in, and their sessions and tokens stop working at once.
    Disable {
        /// Login name.
        name: String,
    },
    /// Enable a disabled user again.
    Enable {
        /// Login name.
        name: String,
    },
    /// Change a user's role.
    #[command(after_help = "Example: votebase user role alice data_manager")]
    Role {
        /// Login name.
        name: String,
        /// The new role.
        role: String,
    },
    /// Reset a user's password (read like `user add`): ends their sessions and revokes
    /// their API tokens.
    Passwd {
        /// Login name.
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token for a user (printed once; send as `Authorization: Bearer`).
    #[command(after_help = "Example: votebase token create alice --label etl --expires-in 30d")]
    Create {
        /// The user the token acts as.
        name: String,
        /// A label to recognise the token by.
        #[arg(long, default_value = "cli")]
        label: String,
        /// Lifetime: days (90d), hours (12h), minutes (30m) or seconds (45s); at most 3650d.
        #[arg(long, default_value = "90d")]
        expires_in: String,
    },
    /// List tokens: id, user, label, created, last used, expiry, revoked.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by id (see `token list`).
    Revoke {
        /// The token's id.
        id: i64,
    },
}
