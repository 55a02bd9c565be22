//! `rumbo user add`, `rumbo token create`, `rumbo programs list`: account and data
//! administration from the shell, acting as the system.

use std::io::{BufRead, IsTerminal, Write};

use rumbo_app::accounts::NewAccount;
use rumbo_app::{credentials, App, Settings};
use rumbo_server::features::programmes::api::ProgrammeDto;

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
    /// Set a new password for an account (ends its sessions). Asks on a terminal, reads it
    /// from stdin with `--password-stdin`, or generates and prints one.
    Password {
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Generate a random password and print it.
        #[arg(long)]
        generate_password: bool,
    },
    /// Deactivate an account: it cannot log in, its sessions end and its tokens stop working.
    Deactivate { email: String },
    /// Reactivate a deactivated account.
    Activate { email: String },
    /// Remove an account's second factor (TOTP) and its recovery codes, e.g. when its owner
    /// lost the phone; recorded in the audit log. The password alone signs in again.
    TotpReset { email: String },
    /// List user accounts.
    List,
}

/// The password for `user add` / `user password`: from stdin, asked on a terminal, or
/// generated (then it is shown once).
fn read_password(password_stdin: bool, generate: bool) -> anyhow::Result<(String, bool)> {
    Ok(if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_string(), false)
    } else if !generate && std::io::stdin().is_terminal() {
        eprint!("Password (at least 10 characters; empty to generate one): ");
        std::io::stderr().flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let p = line.trim_end_matches(['\r', '\n']).to_string();
        if p.is_empty() {
            (credentials::generate_password(), true)
        } else {
            (p, false)
        }
    } else {
        (credentials::generate_password(), true)
    })
}

#[derive(clap::Subcommand, Debug)]
pub enum TokenCmd {
    /// Create an API token for a user; it is printed once and stored only as a hash.
    Create {
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until the token expires.
        #[arg(long, default_value_t = 90)]
        days: u32,
    },
    /// Revoke a user's tokens: the one named `--name`, or all of them.
    Revoke {
        email: String,
        #[arg(long)]
        name: Option<String>,
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

/// Opens the application on `db_url` (the data folder is not needed by these commands).
async fn open_app(db_url: &str) -> anyhow::Result<App> {
    App::open(db_url, Settings::default())
        .await
        .map_err(super::app_error)
}

pub fn user(db_url: &str, cmd: UserCmd) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let app = open_app(db_url).await?;
        match cmd {
            UserCmd::Add {
                email,
                role,
                name,
                client_id,
                password_stdin,
                generate_password,
            } => {
                let (password, show) = read_password(password_stdin, generate_password)?;
                let name =
                    name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_string());
                let u = app
                    .create_user(
                        None,
                        NewAccount {
                            email: &email,
                            name: &name,
                            role: &role,
                            client_id,
                            password: &password,
                            lang: "es",
                        },
                    )
                    .await
                    .map_err(super::app_error)?;
                out!("created user {} ({}) with id {}", u.email, u.role, u.id);
                if show {
                    out!("password: {password}");
                }
            }
            UserCmd::Password {
                email,
                password_stdin,
                generate_password,
            } => {
                let (password, show) = read_password(password_stdin, generate_password)?;
                app.set_password_as_operator(&email, &password)
                    .await
                    .map_err(|e| match e {
                        rumbo_app::Error::NotFound => anyhow::anyhow!("no user with email {email}"),
                        other => super::app_error(other),
                    })?;
                out!("password changed for {email}");
                if show {
                    out!("password: {password}");
                }
            }
            UserCmd::Deactivate { email } => {
                app.set_account_active(&email, false)
                    .await
                    .map_err(super::app_error)?;
                out!("deactivated {email}");
            }
            UserCmd::Activate { email } => {
                app.set_account_active(&email, true)
                    .await
                    .map_err(super::app_error)?;
                out!("activated {email}");
            }
            UserCmd::TotpReset { email } => {
                let removed = app
                    .reset_totp_as_operator(&email)
                    .await
                    .map_err(|e| match e {
                        rumbo_app::Error::NotFound => anyhow::anyhow!("no user with email {email}"),
                        other => super::app_error(other),
                    })?;
                if removed {
                    println!("second factor removed for {email}");
                } else {
                    println!("{email} had no second factor");
                }
            }
            UserCmd::List => {
                for u in app.users_for_operator().await.map_err(super::app_error)? {
                    out!("{}\t{}\t{}\t{}", u.id, u.email, u.role, u.name);
                }
            }
        }
        app.close().await;
        Ok(())
    })
}

pub fn token(db_url: &str, cmd: TokenCmd) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let app = open_app(db_url).await?;
        let no_user = |email: &str, e: rumbo_app::Error| match e {
            rumbo_app::Error::NotFound => anyhow::anyhow!("no user with email {email}"),
            other => super::app_error(other),
        };
        let (email, name, days) = match cmd {
            TokenCmd::Create { email, name, days } => (email, name, days),
            TokenCmd::Revoke { email, name } => {
                let n = app
                    .revoke_api_tokens(&email, name.as_deref())
                    .await
                    .map_err(|e| no_user(&email, e))?;
                out!("revoked {n} token(s) of {email}");
                app.close().await;
                return Ok(());
            }
        };
        let token = app
            .create_api_token(&email, &name, days)
            .await
            .map_err(|e| no_user(&email, e))?;
        out!("{token}");
        app.close().await;
        Ok(())
    })
}

pub fn programs(db_url: &str, cmd: ProgramsCmd) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let app = open_app(db_url).await?;
        let ProgramsCmd::List { format } = cmd;
        let rows = app
            .programmes_for_operator()
            .await
            .map_err(super::app_error)?;
        match format {
            Format::Json => {
                let json: Vec<ProgrammeDto> = rows.iter().map(ProgrammeDto::from).collect();
                out!("{}", serde_json::to_string_pretty(&json)?)
            }
            Format::Table => {
                out!(
                    "{:<16} {:<10} {:<12} {:<12} NAME",
                    "CODE",
                    "STATUS",
                    "START",
                    "END"
                );
                for p in &rows {
                    out!(
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
        app.close().await;
        Ok(())
    })
}
