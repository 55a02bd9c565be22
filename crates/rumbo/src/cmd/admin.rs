//! `rumbo user add`, `rumbo token create`, `rumbo programs list`: account and data
//! administration from the shell, acting as the system.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Context};
use rumbo_domain::access::Role;
use rumbo_server::api::ProgrammeDto;
use rumbo_store::users::NewUser;
use rumbo_store::{Actor, Store};

#[derive(clap::Subcommand, Debug)]
pub enum UserCmd {
    /// Create a user account. Asks for the password on a terminal, reads it from stdin with
    /// `--password-stdin`, or generates and prints one.
    Add {
        email: String,
        #[arg(long)]
        role: String,
        /// Display name (defaults to the part of the email before @).
        #[arg(long)]
        name: Option<String>,
        /// Client id (required for client_viewer).
        #[arg(long)]
        client_id: Option<i64>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Generate a random password and print it.
        #[arg(long)]
        generate_password: bool,
    },
    /// List user accounts.
    List,
}

#[derive(clap::Subcommand, Debug)]
pub enum TokenCmd {
    /// Create an API token for a user; it is printed once and stored only as a hash.
    Create {
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(clap::Subcommand, Debug)]
pub enum ProgramsCmd {
    /// List programmes (the same data as GET /api/v1/programs).
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

pub fn user(db_url: &str, cmd: UserCmd) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let store = Store::open(db_url).await?;
        match cmd {
            UserCmd::Add { email, role, name, client_id, password_stdin, generate_password } => {
                let role = Role::parse(&role).with_context(|| {
                    format!("unknown role {role:?}; one of admin, manager, supervisor, analyst, client_viewer")
                })?;
                if role == Role::ClientViewer && client_id.is_none() {
                    bail!("a client_viewer needs --client-id");
                }
                if !rumbo_server::service::looks_like_email(&email) {
                    bail!("{email:?} is not a valid email");
                }
                let (password, show) = if password_stdin {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    (line.trim_end_matches(['\r', '\n']).to_string(), false)
                } else if !generate_password && std::io::stdin().is_terminal() {
                    eprint!("Password (at least 10 characters; empty to generate one): ");
                    std::io::stderr().flush()?;
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    let p = line.trim_end_matches(['\r', '\n']).to_string();
                    if p.is_empty() {
                        (rumbo_server::auth::generate_password(), true)
                    } else {
                        (p, false)
                    }
                } else {
                    (rumbo_server::auth::generate_password(), true)
                };
                if password.chars().count() < 10 {
                    bail!("the password must have at least 10 characters");
                }
                let hash = rumbo_server::auth::hash_password(&password).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
                let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_string());
                let u = store
                    .create_user(
                        &Actor::system("cli"),
                        NewUser { email: &email, name: &name, password_hash: &hash, role, client_id, lang: "es" },
                    )
                    .await
                    .map_err(|e| match e {
                        rumbo_store::StoreError::Conflict(_) => anyhow::anyhow!("a user with email {email} already exists"),
                        rumbo_store::StoreError::UnknownReference(_) => anyhow::anyhow!("client {client_id:?} does not exist"),
                        other => other.into(),
                    })?;
                println!("created user {} ({}) with id {}", u.email, u.role, u.id);
                if show {
                    println!("password: {password}");
                }
            }
            UserCmd::List => {
                for u in store.users().await? {
                    println!("{}\t{}\t{}\t{}", u.id, u.email, u.role, u.name);
                }
            }
        }
        store.close().await;
        Ok(())
    })
}

pub fn token(db_url: &str, cmd: TokenCmd) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let store = Store::open(db_url).await?;
        let TokenCmd::Create { email, name } = cmd;
        let u = store
            .user_by_email(&email)
            .await
            .map_err(|_| anyhow::anyhow!("no user with email {email}"))?;
        let token = rumbo_server::auth::new_token();
        store
            .create_api_token(
                &Actor::system("cli"),
                u.user.id,
                &rumbo_server::auth::token_hash(&token),
                &name,
            )
            .await?;
        println!("{token}");
        store.close().await;
        Ok(())
    })
}

pub fn programs(db_url: &str, cmd: ProgramsCmd) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let store = Store::open(db_url).await?;
        let ProgramsCmd::List { format } = cmd;
        let rows: Vec<_> = store
            .programmes_for(None)
            .await?
            .into_iter()
            .map(|p| p.programme)
            .collect();
        match format {
            Format::Json => {
                let json: Vec<ProgrammeDto> = rows.iter().map(ProgrammeDto::from).collect();
                println!("{}", serde_json::to_string_pretty(&json)?)
            }
            Format::Table => {
                println!(
                    "{:<16} {:<10} {:<12} {:<12} NAME",
                    "CODE", "STATUS", "START", "END"
                );
                for p in &rows {
                    println!(
                        "{:<16} {:<10} {:<12} {:<12} {}",
                        p.code,
                        p.status,
                        p.start_date.to_string(),
                        p.end_date.map_or("-".into(), |d| d.to_string()),
                        p.name
                    );
                }
            }
        }
        store.close().await;
        Ok(())
    })
}
