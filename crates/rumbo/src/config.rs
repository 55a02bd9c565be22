//! Configuration: command-line flags win over environment variables (both via clap), which win
//! over an optional `rumbo.toml` in the working folder, which wins over the defaults.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// Settings read from `rumbo.toml`; every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub bind: Option<String>,
    pub secure_cookies: Option<bool>,
    pub demo: Option<bool>,
    pub log_format: Option<String>,
    /// The largest import file accepted, in MiB.
    pub max_upload_mb: Option<u64>,
    /// Import jobs this server runs at once (0: none; other servers run them).
    pub job_workers: Option<usize>,
    /// Seconds without a heartbeat after which another server takes a running job over.
    pub job_stale_secs: Option<u64>,
    /// Connections served at once.
    pub max_connections: Option<usize>,
    /// Seconds a connection has to send a request's headers (first or next).
    pub header_timeout_secs: Option<u64>,
    /// Bearer token for `/metrics` (`RUMBO_METRICS_TOKEN`); none: no `/metrics`.
    pub metrics_token: Option<String>,
    /// Data folder (raw import records, uploads); relative to the file's folder.
    pub data_dir: Option<PathBuf>,
    /// SMTP relay for alarm e-mails (`RUMBO_SMTP_HOST`); none: no e-mail.
    pub smtp_host: Option<String>,
    /// Its port (`RUMBO_SMTP_PORT`; default 25).
    pub smtp_port: Option<u16>,
    /// Sender address (`RUMBO_SMTP_FROM`).
    pub smtp_from: Option<String>,
    /// User for AUTH PLAIN (`RUMBO_SMTP_USER`), only sent to a relay on this host.
    pub smtp_user: Option<String>,
    /// Password (`RUMBO_SMTP_PASSWORD`, preferred over the file); never logged.
    pub smtp_password: Option<String>,
    /// The folder of the file read (for relative paths in it).
    #[serde(skip)]
    pub base: PathBuf,
}

impl FileConfig {
    /// Reads `path` if given, else `./rumbo.toml` if it exists.
    pub fn load(path: Option<&Path>) -> anyhow::Result<FileConfig> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from("rumbo.toml"), false),
        };
        if !path.exists() {
            if required {
                anyhow::bail!("config file {} not found", path.display());
            }
            return Ok(FileConfig::default());
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let mut cfg: FileConfig =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        cfg.base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(cfg)
    }

    /// The data folder, absolute: `--data-dir` / `RUMBO_DATA_DIR`, else `data_dir` in this
    /// file (relative to it), else beside an SQLite database (`x.db` → `x-data/`), else
    /// `./rumbo-data`. `serve`, `import`, `kpi` and `backup` all use this one answer.
    pub fn data_dir(&self, flag: Option<&Path>, database_url: &str) -> PathBuf {
        match (flag, &self.data_dir) {
            (Some(p), _) => rumbo_app::imports::absolute(p),
            (None, Some(p)) => rumbo_app::imports::absolute(&self.base.join(p)),
            (None, None) => rumbo_app::imports::default_data_dir(database_url),
        }
    }
}

impl FileConfig {
    /// The SMTP settings of alarm e-mails: each `RUMBO_SMTP_*` variable over its field in this
    /// file; `None` without a host. Without a sender, `rumbo@` the host.
    pub fn smtp(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Option<rumbo_app::notify::SmtpSettings>> {
        let pick = |var: &str, file: &Option<String>| {
            env(var)
                .filter(|v| !v.trim().is_empty())
                .or_else(|| file.clone())
        };
        let Some(host) = pick("RUMBO_SMTP_HOST", &self.smtp_host) else {
            return Ok(None);
        };
        let port = match env("RUMBO_SMTP_PORT").filter(|v| !v.trim().is_empty()) {
            Some(p) => p
                .trim()
                .parse()
                .with_context(|| format!("RUMBO_SMTP_PORT `{p}` is not a port"))?,
            None => self.smtp_port.unwrap_or(25),
        };
        Ok(Some(rumbo_app::notify::SmtpSettings {
            from: pick("RUMBO_SMTP_FROM", &self.smtp_from)
                .unwrap_or_else(|| format!("rumbo@{host}")),
            user: pick("RUMBO_SMTP_USER", &self.smtp_user),
            password: pick("RUMBO_SMTP_PASSWORD", &self.smtp_password),
            host,
            port,
            texts: rumbo_server::features::control::alarm_mail_texts(),
        }))
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://rumbo.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_folder_is_absolute_and_a_relative_file_setting_follows_the_file() {
        let mut f = FileConfig::default();
        let beside = f.data_dir(None, "sqlite://some/where/x.db");
        assert!(beside.is_absolute());
        assert!(beside.ends_with("some/where/x-data"));
        f.base = PathBuf::from("/etc/rumbo");
        f.data_dir = Some(PathBuf::from("data"));
        assert_eq!(
            f.data_dir(None, "sqlite://x.db"),
            PathBuf::from("/etc/rumbo/data")
        );
        assert_eq!(
            f.data_dir(Some(Path::new("/srv/d")), "sqlite://x.db"),
            PathBuf::from("/srv/d")
        );
        assert!(f.data_dir(Some(Path::new("rel")), "x").is_absolute());
    }

    #[test]
    fn smtp_settings_take_the_environment_over_the_file_and_need_a_host() {
        let none = |_: &str| None;
        assert!(FileConfig::default().smtp(none).unwrap().is_none());
        let f: FileConfig = toml::from_str(
            "smtp_host = \"relay.local\"\nsmtp_port = 587\nsmtp_user = \"rumbo\"\nsmtp_password = \"del-archivo\"",
        )
        .unwrap();
        let env = |v: &str| match v {
            "RUMBO_SMTP_PASSWORD" => Some("del-entorno".to_string()),
            "RUMBO_SMTP_FROM" => Some("alarmas@bpo.cl".to_string()),
            _ => None,
        };
        let s = f.smtp(env).unwrap().unwrap();
        assert_eq!((s.host.as_str(), s.port), ("relay.local", 587));
        assert_eq!(s.from, "alarmas@bpo.cl");
        assert_eq!(s.user.as_deref(), Some("rumbo"));
        assert_eq!(s.password.as_deref(), Some("del-entorno"));
        assert!(!format!("{s:?}").contains("del-entorno"));
        assert_eq!(s.texts["es"].kinds["data_gap"], "Datos faltantes");
        assert_eq!(s.texts.len(), 2, "Spanish and English");
        let bad = |v: &str| (v == "RUMBO_SMTP_PORT").then(|| "veinticinco".to_string());
        assert!(f.smtp(bad).is_err());
    }
}
