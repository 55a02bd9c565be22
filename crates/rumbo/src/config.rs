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
    /// Data folder (raw import records, uploads); relative to the file's folder.
    pub data_dir: Option<PathBuf>,
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
}
