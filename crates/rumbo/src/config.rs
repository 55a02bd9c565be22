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
    /// Import jobs this server runs at once (0: none; other servers run them).
    pub job_workers: Option<usize>,
    /// Seconds without a heartbeat after which another server takes a running job over.
    pub job_stale_secs: Option<u64>,
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
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://rumbo.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
