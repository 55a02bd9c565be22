//! The keys that hash caller numbers, kept outside the database.
//!
//! A caller number is stored only as an HMAC-SHA256 under an installation key (and a mask
//! with the last four digits). The hash is worthless without the key only if the key is not
//! beside it: a copy of the database must not carry it. So the keys live in the file
//! `<data>/caller-keys` (mode 0600, created on first use) or, when several servers share a
//! PostgreSQL database, in the `RUMBO_CALLER_KEYS` environment variable that the binary
//! passes in [`crate::Settings::caller_keys`]. An installation that kept its key in the
//! database (older versions) has it moved to the file on first use and removed from the
//! database.
//!
//! Keys are versioned: one line `<version> <key>` each, the highest version is the current
//! key, which hashes new data; lookups (a person search) hash with every known key, so data
//! hashed before a rotation is still found. A key is the 64 hexadecimal characters of 32
//! random bytes, used as text (as the database-era key was, so its hashes stay valid).

use std::io::Write;
use std::path::{Path, PathBuf};

use rumbo_ingest::privacy::CallerHasher;

use crate::{App, Error, Result};

/// The name of the key file in the data folder.
pub const KEY_FILE: &str = "caller-keys";

/// Where older versions kept the key (removed once it is in the key file).
const LEGACY_SETTING: &str = "caller_hash_secret";

/// Serialises key creation and rotation inside one process (across processes the file is
/// created with a hard link, which fails if another process got there first).
static KEY_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The known caller-hashing keys, by version.
#[derive(Clone, PartialEq, Eq)]
pub struct CallerKeys {
    /// Ascending by version; never empty.
    keys: Vec<(u32, String)>,
}

impl std::fmt::Debug for CallerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let versions: Vec<u32> = self.keys.iter().map(|(v, _)| *v).collect();
        write!(
            f,
            "CallerKeys {{ versions: {versions:?}, keys: <redacted> }}"
        )
    }
}

impl CallerKeys {
    /// Parses the key file's text or the environment variable: entries `<version> <key>`
    /// (or `<version>:<key>`) separated by new lines or commas; `#` starts a comment; a lone
    /// key is version 1. A key is at least 32 hexadecimal characters.
    pub fn parse(text: &str) -> Result<CallerKeys> {
        let mut keys: Vec<(u32, String)> = Vec::new();
        for entry in text
            .lines()
            .map(|l| l.split('#').next().unwrap_or(""))
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (version, key) = match entry.split_once(|c: char| c == ':' || c.is_whitespace()) {
                Some((v, k)) => (
                    v.trim().parse::<u32>().map_err(|_| {
                        Error::internal_msg("caller keys: a version is not a number")
                    })?,
                    k.trim(),
                ),
                None => (1, entry),
            };
            if key.len() < 32 || !key.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(Error::internal_msg(
                    "caller keys: a key must be at least 32 hexadecimal characters",
                ));
            }
            if keys.iter().any(|(v, _)| *v == version) {
                return Err(Error::internal_msg("caller keys: a version appears twice"));
            }
            keys.push((version, key.to_string()));
        }
        if keys.is_empty() {
            return Err(Error::internal_msg("caller keys: no key"));
        }
        keys.sort_by_key(|(v, _)| *v);
        Ok(CallerKeys { keys })
    }

    /// One key of version 1.
    fn single(key: String) -> CallerKeys {
        CallerKeys {
            keys: vec![(1, key)],
        }
    }

    /// The text of the key file.
    fn to_text(&self) -> String {
        let mut s = String::from(
            "# Rumbo caller-number hashing keys: <version> <key>; the highest version hashes new data.\n\
             # Keep this file out of database copies. Losing it makes stored caller hashes unmatchable.\n",
        );
        for (v, k) in &self.keys {
            s.push_str(&format!("{v} {k}\n"));
        }
        s
    }

    /// The current key's version.
    pub fn current_version(&self) -> u32 {
        self.keys.last().map(|(v, _)| *v).unwrap_or(1)
    }

    /// The current key (hashes new data).
    pub fn current(&self) -> &[u8] {
        self.keys.last().map(|(_, k)| k.as_bytes()).unwrap_or(&[])
    }

    /// The key of `version`, if known.
    pub(crate) fn key(&self, version: u32) -> Option<&[u8]> {
        self.keys
            .iter()
            .find(|(v, _)| *v == version)
            .map(|(_, k)| k.as_bytes())
    }

    /// The versions known, ascending.
    pub fn versions(&self) -> Vec<u32> {
        self.keys.iter().map(|(v, _)| *v).collect()
    }

    /// A hasher per known key, the current one first.
    pub fn hashers(&self) -> Vec<CallerHasher> {
        self.keys
            .iter()
            .rev()
            .map(|(_, k)| CallerHasher::new(k.as_bytes()))
            .collect()
    }

    /// The keys plus a fresh one of the next version.
    fn rotated(&self) -> Result<CallerKeys> {
        let mut keys = self.keys.clone();
        keys.push((self.current_version() + 1, fresh_key()?));
        Ok(CallerKeys { keys })
    }
}

/// 32 bytes from the operating system's random source, or nothing: a guessable key would let
/// anyone with the data recover caller numbers from their hashes.
fn fresh_key() -> Result<String> {
    let mut fresh = [0u8; 32];
    rand::RngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut fresh).map_err(Error::internal)?;
    Ok(hex::encode(fresh))
}

/// Writes `text` to `path` with mode 0600, atomically: through a private temporary file that
/// is linked into place (`replace`: renamed over an existing file; otherwise the link fails if
/// the file appeared meanwhile, and `Ok(false)` says so).
fn write_private(path: &Path, text: &str, replace: bool) -> std::io::Result<bool> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{KEY_FILE}.{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let written = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    let placed = if replace {
        std::fs::rename(&tmp, path).map(|_| true)
    } else {
        let linked = match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        };
        let _ = std::fs::remove_file(&tmp);
        linked
    };
    if placed.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    placed
}

/// Reads the key file, making it private (0600) if someone loosened it.
fn read_key_file(path: &Path) -> Result<Option<CallerKeys>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::internal(e)),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(Error::internal)?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the caller key file was readable by others; made private");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(Error::internal)?;
        }
    }
    CallerKeys::parse(&text).map(Some)
}

impl App {
    /// Where the caller keys are kept when they do not come from the environment.
    pub fn caller_key_file(&self) -> PathBuf {
        self.settings.data_dir.join(KEY_FILE)
    }

    /// The caller-hashing keys: from the settings (environment) when given, else from the key
    /// file, which is created on first use — with the key an older version kept in the
    /// database, which is then removed from it, or with a fresh key.
    pub async fn caller_keys(&self) -> Result<CallerKeys> {
        if let Some(text) = &self.settings.caller_keys {
            let keys = CallerKeys::parse(text)?;
            if let Some(legacy) = self.store.setting(LEGACY_SETTING).await? {
                if keys.keys.iter().any(|(_, k)| *k == legacy) {
                    self.store.delete_setting(LEGACY_SETTING).await?;
                    tracing::info!("the caller key in the database is in the environment; removed from the database");
                } else {
                    tracing::warn!("the database holds a caller key that the environment's keys lack; data hashed with it cannot be matched");
                }
            }
            return Ok(keys);
        }
        let path = self.caller_key_file();
        if let Some(keys) = read_key_file(&path)? {
            self.forget_legacy_key(&keys).await?;
            return Ok(keys);
        }
        let _guard = KEY_LOCK.lock().await;
        if let Some(keys) = read_key_file(&path)? {
            return Ok(keys);
        }
        let keys = match self.store.setting(LEGACY_SETTING).await? {
            Some(legacy) => CallerKeys::single(legacy),
            None => CallerKeys::single(fresh_key()?),
        };
        let created = write_private(&path, &keys.to_text(), false).map_err(Error::internal)?;
        let keys = if created {
            tracing::info!(path = %path.display(), "caller key file created");
            keys
        } else {
            read_key_file(&path)?.ok_or_else(|| Error::internal_msg("caller key file vanished"))?
        };
        self.forget_legacy_key(&keys).await?;
        Ok(keys)
    }

    /// Removes the database-era key once the key file holds it.
    async fn forget_legacy_key(&self, keys: &CallerKeys) -> Result<()> {
        if let Some(legacy) = self.store.setting(LEGACY_SETTING).await? {
            if keys.keys.iter().any(|(_, k)| *k == legacy) {
                self.store.delete_setting(LEGACY_SETTING).await?;
                tracing::info!("caller key moved out of the database into the key file");
            }
        }
        Ok(())
    }

    /// The current caller-hashing key (new data is hashed with it).
    pub async fn installation_secret(&self) -> Result<Vec<u8>> {
        Ok(self.caller_keys().await?.current().to_vec())
    }

    /// Every hash a caller number may be stored under (one per known key, the current key's
    /// first): a lookup matches any of them. `None` for input with no number in it.
    pub async fn caller_hashes(&self, raw: &str) -> Result<Option<Vec<String>>> {
        let keys = self.caller_keys().await?;
        let hashes: Vec<String> = keys
            .hashers()
            .iter()
            .filter_map(|h| h.protect(raw).map(|p| p.hash))
            .collect();
        Ok((!hashes.is_empty()).then_some(hashes))
    }

    /// Adds a fresh key of the next version to the key file (`rumbo keys rotate`): new data
    /// is hashed with it, older keys stay for lookups. Returns the new version. Keys given in
    /// the environment are rotated there, not here.
    pub async fn rotate_caller_key(&self) -> Result<u32> {
        if self.settings.caller_keys.is_some() {
            return Err(Error::invalid("keys", "error.keys.from_environment"));
        }
        self.caller_keys().await?;
        let _guard = KEY_LOCK.lock().await;
        let path = self.caller_key_file();
        let keys = read_key_file(&path)?
            .ok_or_else(|| Error::internal_msg("caller key file vanished"))?
            .rotated()?;
        write_private(&path, &keys.to_text(), true).map_err(Error::internal)?;
        tracing::info!(version = keys.current_version(), "caller key rotated");
        Ok(keys.current_version())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    const K2: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

    #[test]
    fn the_highest_version_is_the_current_key_whatever_the_order() {
        let keys = CallerKeys::parse(&format!("# comment\n2 {K2}\n1 {K1}\n")).unwrap();
        assert_eq!(keys.current_version(), 2);
        assert_eq!(keys.current(), K2.as_bytes());
        assert_eq!(keys.versions(), vec![1, 2]);
        let env = CallerKeys::parse(&format!("1:{K1},2:{K2}")).unwrap();
        assert_eq!(env, keys);
        assert_eq!(CallerKeys::parse(K1).unwrap().versions(), vec![1]);
    }

    #[test]
    fn short_non_hex_repeated_or_missing_keys_are_refused() {
        assert!(CallerKeys::parse("1 abc").is_err());
        assert!(CallerKeys::parse(&format!("1 {}", "z".repeat(64))).is_err());
        assert!(CallerKeys::parse(&format!("1 {K1}\n1 {K2}")).is_err());
        assert!(CallerKeys::parse("# nothing\n").is_err());
        assert!(CallerKeys::parse(&format!("x {K1}")).is_err());
    }

    #[test]
    fn the_file_text_reads_back_as_the_same_keys() {
        let keys = CallerKeys::parse(&format!("1 {K1}"))
            .unwrap()
            .rotated()
            .unwrap();
        assert_eq!(CallerKeys::parse(&keys.to_text()).unwrap(), keys);
        assert_eq!(keys.current_version(), 2);
        assert_eq!(keys.hashers().len(), 2);
    }

    #[test]
    fn debug_output_shows_versions_but_no_key() {
        let keys = CallerKeys::parse(&format!("1 {K1}")).unwrap();
        let shown = format!("{keys:?}");
        assert!(shown.contains("[1]") && !shown.contains(K1));
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_private_and_never_replaced_by_a_racing_writer() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        assert!(write_private(&path, "one", false).unwrap());
        assert!(!write_private(&path, "two", false).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(write_private(&path, "three", true).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "three");
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }
}
