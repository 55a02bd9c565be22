//! Caller numbers: keyed hash plus masked display form; the raw number never leaves.
//!
//! The hash is HMAC-SHA256 with a per-installation secret over the digits of the
//! number, so repeat callers (FCR) can be matched without storing the number and
//! the hash cannot be reversed by hashing every phone number without the secret.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Hashes and masks caller numbers with an installation secret.
#[derive(Clone)]
pub struct CallerHasher {
    key: Vec<u8>,
}

impl std::fmt::Debug for CallerHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallerHasher { key: <redacted> }")
    }
}

/// The privacy-safe form of a caller number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedCaller {
    /// Hex HMAC-SHA256 of the normalised number.
    pub hash: String,
    /// Display form with the middle digits hidden, e.g. `***** 1234`.
    pub masked: String,
}

impl CallerHasher {
    /// A hasher with the installation secret.
    pub fn new(secret: &[u8]) -> Self {
        CallerHasher {
            key: secret.to_vec(),
        }
    }

    /// Hashes and masks a caller number; `None` for anonymous / digit-less input.
    pub fn protect(&self, raw: &str) -> Option<ProtectedCaller> {
        let digits = normalise(raw)?;
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return None,
        };
        mac.update(digits.as_bytes());
        Some(ProtectedCaller {
            hash: hex::encode(mac.finalize().into_bytes()),
            masked: mask_digits(&digits),
        })
    }
}

/// Keeps the digits of a caller id such as `"Juan" <+56 9 8765 4321>`; a Chilean
/// national number (9 digits, mobile starting with 9) gets the 56 country code so
/// that `+56987654321` and `987654321` hash alike.
fn normalise(raw: &str) -> Option<String> {
    // Caller ids often look like `"Name" <number>`: prefer the part in angle brackets.
    let inner = match (raw.rfind('<'), raw.rfind('>')) {
        (Some(a), Some(b)) if a < b => &raw[a + 1..b],
        _ => raw,
    };
    let mut digits: String = inner.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() < 3 {
        return None;
    }
    if let Some(rest) = digits.strip_prefix("00") {
        digits = rest.to_string();
    } else if digits.len() == 9 && !inner.trim_start().starts_with('+') {
        digits = format!("56{digits}");
    }
    Some(digits)
}

/// Masks normalised digits: at most the last four digits stay (country and area codes are
/// hidden too, since with them the last four narrow a number to a few thousand candidates);
/// a number shorter than eight digits keeps only its last two.
fn mask_digits(d: &str) -> String {
    let n = d.len();
    if n <= 4 {
        return "*".repeat(n);
    }
    if n < 8 {
        return format!("*** {}", &d[n - 2..]);
    }
    format!("***** {}", &d[n - 4..])
}

/// Masks a raw number without hashing (for previews in the UI).
pub fn mask(raw: &str) -> Option<String> {
    normalise(raw).map(|d| mask_digits(&d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chilean_mobile_is_masked_down_to_its_last_four_digits() {
        let h = CallerHasher::new(b"secret");
        let p = h.protect("+56 9 8765 1234").unwrap();
        assert_eq!(p.masked, "***** 1234");
        assert_eq!(p.hash.len(), 64);
        assert!(!p.hash.contains("1234"));
    }

    #[test]
    fn national_and_international_forms_hash_alike() {
        let h = CallerHasher::new(b"secret");
        let a = h.protect("987651234").unwrap();
        let b = h.protect("\"Ana\" <+56987651234>").unwrap();
        let c = h.protect("0056987651234").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
    }

    #[test]
    fn another_secret_gives_another_hash() {
        let a = CallerHasher::new(b"one").protect("+56987651234").unwrap();
        let b = CallerHasher::new(b"two").protect("+56987651234").unwrap();
        assert_ne!(a.hash, b.hash);
    }

    #[test]
    fn masks_never_show_more_than_the_last_four_digits() {
        for raw in [
            "+56 9 8765 1234",
            "+1 415 555 1234",
            "22 345 1234",
            "0044 20 7946 1234",
        ] {
            let m = mask(raw).unwrap();
            let digits: String = m.chars().filter(|c| c.is_ascii_digit()).collect();
            assert_eq!(digits, "1234", "{raw} masked as {m}");
        }
        assert_eq!(mask("123456").unwrap(), "*** 56");
        assert_eq!(mask("1234").unwrap(), "****");
    }

    #[test]
    fn anonymous_callers_have_no_hash() {
        let h = CallerHasher::new(b"s");
        assert_eq!(h.protect("anonymous"), None);
        assert_eq!(h.protect(""), None);
    }

    #[test]
    fn debug_output_hides_the_secret() {
        assert!(!format!("{:?}", CallerHasher::new(b"topsecret")).contains("topsecret"));
    }
}
