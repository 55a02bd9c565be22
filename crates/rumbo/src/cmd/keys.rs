//! `rumbo keys`: the caller-number hashing keys, which live outside the database.

use anyhow::Context;
use clap::Subcommand;

/// Caller-key commands.
#[derive(Subcommand, Debug)]
pub enum KeysCmd {
    /// Where the keys are and which versions exist (never the keys themselves).
    Status,
    /// Adds a new key version: new data is hashed with it, older keys stay for lookups.
    Rotate,
}

/// Runs a `keys` command against the database at `db` and the data folder `data_dir`.
pub fn run(db: &str, data_dir: &std::path::Path, cmd: KeysCmd) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let settings = super::app_settings(data_dir);
        let from_env = settings.caller_keys.is_some();
        let app = rumbo_app::App::open(db, settings)
            .await
            .map_err(super::app_error)
            .context("opening the database")?;
        let out = match cmd {
            KeysCmd::Status => {
                let keys = app.caller_keys().await.map_err(super::app_error)?;
                let place = if from_env {
                    "RUMBO_CALLER_KEYS".to_string()
                } else {
                    app.caller_key_file().display().to_string()
                };
                out!(
                    "keys: {place}\nversions: {:?}\ncurrent: {}",
                    keys.versions(),
                    keys.current_version()
                );
                Ok(())
            }
            KeysCmd::Rotate => {
                let v = app.rotate_caller_key().await.map_err(super::app_error)?;
                out!("caller key version {v} is now current; older versions stay for lookups");
                Ok(())
            }
        };
        app.close().await;
        out
    })
}
