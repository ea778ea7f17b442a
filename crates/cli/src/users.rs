//! `user add`, `user list` and `token create`: accounts of one organization. Passwords
//! are read from a prompt (or standard input when piped) and stored as argon2 hashes;
//! API tokens are printed once and stored as SHA-256.

use crate::args::{Global, TokenCommand, UserCommand};
use crate::stores;
use crate::voters::cli_actor;
use anyhow::{Context, bail};
use chrono::Utc;
use std::io::{BufRead, IsTerminal};
use votebase_app::auth;
use votebase_domain::{AuditEntry, Role, User};

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
        UserCommand::List => {
            for u in store.list_users().await? {
                println!("{}\t{}", u.name, u.role);
            }
            Ok(())
        }
    }
}

pub async fn token(global: &Global, cmd: TokenCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    let TokenCommand::Create { name, label } = cmd;
    if store.user_with_password(&name).await?.is_none() {
        bail!("no user {name:?}: add one first with `votebase user add {name} --role ROLE`");
    }
    let token = auth::new_secret();
    store
        .add_token(&name, &auth::sha256_hex(&token), &label)
        .await?;
    store
        .audit(&AuditEntry {
            at: Utc::now(),
            actor: cli_actor(),
            action: "token.create".into(),
            subject: name.clone(),
            detail: label,
        })
        .await?;
    println!("{token}");
    eprintln!("Keep this token: it is shown once. Send it as `Authorization: Bearer <token>`.");
    Ok(())
}
