//! `rumbo purge [--dry-run]` applies the retention policy; `rumbo privacy …` keeps the request
//! register and finds, exports or erases a person at the console (as the system operator).
//! The identifier may be given on standard input instead of the command line, so it stays out
//! of the shell history and the process list.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rumbo_app::privacy::{NewRequest, PersonQuery, Reply};
use rumbo_app::{App, Settings};

#[derive(clap::Args, Debug)]
pub struct PurgeArgs {
    /// Only count what would be removed.
    #[arg(long)]
    dry_run: bool,
}

#[derive(clap::Subcommand, Debug)]
pub enum PrivacyCmd {
    /// Register (and acknowledge) a data-subject request; prints its due date.
    Request {
        /// access, rectification, erasure, objection, portability or blocking.
        #[arg(long)]
        kind: String,
        /// Who asked, minimised (initials, or the number: it is kept masked).
        #[arg(long)]
        subject: String,
        /// How it arrived (e-mail, letter…).
        #[arg(long, default_value = "")]
        channel: String,
        /// Day received, YYYY-MM-DD (default today).
        #[arg(long, default_value = "")]
        received: String,
        /// The person's identity was checked.
        #[arg(long)]
        identity_checked: bool,
    },
    /// List the requests with their due dates and reminders.
    Requests,
    /// Close a request: answered (or --denied with the reasons), with the proof of the reply.
    Reply {
        /// Request number.
        id: i64,
        /// The answer, or the reasons of a denial.
        #[arg(long)]
        text: String,
        /// Evidence of the reply (reference, letter).
        #[arg(long)]
        proof: String,
        /// The request is denied (prints the last day to complain).
        #[arg(long)]
        denied: bool,
    },
    /// Find a person across every programme and store.
    Search(PersonArgs),
    /// Write a person's data as a ZIP of JSON and CSV.
    Export {
        #[command(flatten)]
        person: PersonArgs,
        /// Where to write the ZIP.
        #[arg(long)]
        out: PathBuf,
    },
    /// Erase a person everywhere (aggregates stay); needs --yes.
    Erase {
        #[command(flatten)]
        person: PersonArgs,
        /// Confirm the erasure.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(clap::Args, Debug)]
pub struct PersonArgs {
    /// phone, rut, email or name.
    #[arg(long, default_value = "phone")]
    by: String,
    /// The identifier; read from standard input when omitted.
    value: Option<String>,
    /// The request this serves.
    #[arg(long)]
    request: Option<i64>,
}

impl PersonArgs {
    fn value(&self) -> anyhow::Result<String> {
        match &self.value {
            Some(v) => Ok(v.clone()),
            None => {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading the identifier from standard input")?;
                Ok(line.trim().to_string())
            }
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

async fn open(db: &str, data_dir: &Path) -> anyhow::Result<App> {
    let settings = Settings {
        data_dir: data_dir.to_path_buf(),
        ..Settings::default()
    };
    App::open(db, settings)
        .await
        .map_err(super::app_error)
        .context("opening the database")
}

/// `rumbo purge`.
pub fn purge(db: &str, data_dir: &Path, args: PurgeArgs) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let app = open(db, data_dir).await?;
        let lines = app
            .purge(None, args.dry_run)
            .await
            .map_err(super::app_error)?;
        let verb = if args.dry_run {
            "would remove"
        } else {
            "removed"
        };
        for l in &lines {
            if l.days == 0 {
                out!("{:<15} kept for good", l.class.as_str());
            } else {
                out!(
                    "{:<15} {} days: {verb} {}",
                    l.class.as_str(),
                    l.days,
                    l.removed
                );
            }
        }
        app.close().await;
        Ok(())
    })
}

/// `rumbo privacy …`.
pub fn run(db: &str, data_dir: &Path, cmd: PrivacyCmd) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let app = open(db, data_dir).await?;
        match cmd {
            PrivacyCmd::Request {
                kind,
                subject,
                channel,
                received,
                identity_checked,
            } => {
                let v = app
                    .register_request(
                        None,
                        NewRequest {
                            kind: &kind,
                            subject: &subject,
                            channel: &channel,
                            received_on: &received,
                            identity_checked,
                        },
                    )
                    .await
                    .map_err(super::app_error)?;
                out!(
                    "request {}: {} for {}, due {}",
                    v.request.id,
                    v.request.kind,
                    v.request.subject,
                    v.request.due_on
                );
            }
            PrivacyCmd::Requests => {
                for v in app.rights_requests(None).await.map_err(super::app_error)? {
                    let r = &v.request;
                    out!(
                        "{:>4} {:<14} {:<10} due {} {}{}",
                        r.id,
                        r.kind.as_str(),
                        r.status.as_str(),
                        r.due_on,
                        v.urgency.map(|u| u.as_str()).unwrap_or(""),
                        if r.proof.is_empty() {
                            String::new()
                        } else {
                            format!(" proof: {}", r.proof)
                        }
                    );
                }
            }
            PrivacyCmd::Reply {
                id,
                text,
                proof,
                denied,
            } => {
                let reply = if denied {
                    Reply::Denied { reason: &text }
                } else {
                    Reply::Answered { answer: &text }
                };
                let v = app
                    .reply_request(None, id, reply, &proof, "")
                    .await
                    .map_err(super::app_error)?;
                print!("request {}: {}", id, v.request.status);
                if let Some(d) = v.request.complain_until {
                    print!(", complaint possible until {d}");
                }
                out!("");
            }
            PrivacyCmd::Search(p) => {
                let value = p.value()?;
                let f = app
                    .find_person(
                        None,
                        &PersonQuery {
                            kind: &p.by,
                            value: &value,
                            request_id: p.request,
                        },
                    )
                    .await
                    .map_err(super::app_error)?;
                out!(
                    "{} records in {} programme(s) {:?}; {} findings, {} audit entries, {} accounts, {} people",
                    f.records.len(),
                    f.programmes().len(),
                    f.programmes(),
                    f.issues.len(),
                    f.audit.len(),
                    f.users.len(),
                    f.people.len()
                );
            }
            PrivacyCmd::Export { person, out } => {
                let value = person.value()?;
                let zip = app
                    .export_person(
                        None,
                        &PersonQuery {
                            kind: &person.by,
                            value: &value,
                            request_id: person.request,
                        },
                    )
                    .await
                    .map_err(super::app_error)?;
                std::fs::write(&out, &zip)
                    .with_context(|| format!("writing {}", out.display()))?;
                out!("wrote {} ({} bytes)", out.display(), zip.len());
            }
            PrivacyCmd::Erase { person, yes } => {
                if !yes {
                    bail!("erasure cannot be undone: add --yes to confirm");
                }
                let value = person.value()?;
                let e = app
                    .erase_person(
                        None,
                        &PersonQuery {
                            kind: &person.by,
                            value: &value,
                            request_id: person.request,
                        },
                    )
                    .await
                    .map_err(super::app_error)?;
                out!(
                    "erased {} records in {} batches; redacted {} findings and {} audit entries; anonymised {} accounts and {} people; deleted {} uploads",
                    e.records, e.batches, e.issues, e.audit, e.users, e.people, e.uploads
                );
            }
        }
        app.close().await;
        Ok(())
    })
}
