//! One-time passwords for the optional second factor: HOTP (RFC 4226) and TOTP (RFC 6238) with
//! HMAC-SHA-1, 6 digits and a 30-second step, base32 secrets (RFC 4648, no padding) and
//! single-use recovery codes.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

/// Seconds per TOTP step.
pub const STEP_S: i64 = 30;
/// Steps accepted either side of the current one (clock drift).
pub const DRIFT_STEPS: i64 = 1;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Recovery codes handed out at enrolment.
pub const RECOVERY_CODES: usize = 10;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Base32 (RFC 4648) without padding.
pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in data {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Decodes base32, ignoring case, spaces and padding; `None` for any other character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = ALPHABET
            .iter()
            .position(|a| *a as char == c.to_ascii_uppercase())?;
        buf = (buf << 5) | v as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
        buf &= 0xff;
    }
    Some(out)
}

/// The HOTP value of `counter` (RFC 4226 §5.3), `digits` long.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        unreachable!("HMAC accepts keys of any length")
    };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = (h[19] & 0x0f) as usize;
    let bin = (u32::from(h[off] & 0x7f) << 24)
        | (u32::from(h[off + 1]) << 16)
        | (u32::from(h[off + 2]) << 8)
        | u32::from(h[off + 3]);
    bin % 10u32.pow(digits)
}

/// The TOTP step of Unix time `unix_s`.
pub fn step_at(unix_s: i64) -> i64 {
    unix_s.div_euclid(STEP_S)
}

/// The 6-digit code of `step`, zero-padded.
pub fn code_at_step(secret: &[u8], step: i64) -> String {
    format!(
        "{:0width$}",
        hotp(secret, step.max(0) as u64, DIGITS),
        width = DIGITS as usize
    )
}

/// The step within ±[`DRIFT_STEPS`] of `now_step` whose code is `code`, latest first; `None`
/// when the code matches none or is not 6 digits. Refusing a step already used is the
/// caller's job.
pub fn matching_step(secret: &[u8], code: &str, now_step: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    (now_step - DRIFT_STEPS..=now_step + DRIFT_STEPS)
        .rev()
        .find(|s| constant_time_eq(code_at_step(secret, *s).as_bytes(), code.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A new random secret of 20 bytes (160 bits, as RFC 4226 recommends), in base32.
pub fn new_secret() -> String {
    let mut b = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut b);
    base32_encode(&b)
}

/// The `otpauth://` URI authenticator apps read (issuer Rumbo, the account's e-mail).
pub fn otpauth_uri(email: &str, secret: &str) -> String {
    let label: String = email
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            b'@' => "%40".into(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("otpauth://totp/Rumbo:{label}?secret={secret}&issuer=Rumbo")
}

/// New recovery codes: 16 base32 characters (80 bits) each, written `XXXX-XXXX-XXXX-XXXX`.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut b = [0u8; 10];
            rand::thread_rng().fill_bytes(&mut b);
            let s = base32_encode(&b);
            format!("{}-{}-{}-{}", &s[0..4], &s[4..8], &s[8..12], &s[12..16])
        })
        .collect()
}

/// A recovery code as typed, reduced to the form that is hashed: upper case, no dashes or
/// spaces.
pub fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn hotp_matches_rfc_4226_appendix_d() {
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, want) in expected.iter().enumerate() {
            assert_eq!(
                hotp(RFC_SECRET, counter as u64, 6),
                *want,
                "counter {counter}"
            );
        }
    }

    #[test]
    fn totp_matches_rfc_6238_appendix_b_sha1() {
        for (t, want) in [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            let got = format!("{:08}", hotp(RFC_SECRET, step_at(t) as u64, 8));
            assert_eq!(got, want, "time {t}");
        }
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648_vectors() {
        for (raw, enc) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(raw.as_bytes()), enc);
            assert_eq!(base32_decode(enc).unwrap(), raw.as_bytes());
            assert_eq!(base32_decode(&enc.to_lowercase()).unwrap(), raw.as_bytes());
        }
        assert_eq!(base32_decode("MZXW6YQ="), Some(b"foob".to_vec()));
        assert_eq!(base32_decode("MZ1"), None);
        let s = new_secret();
        assert_eq!(base32_decode(&s).unwrap().len(), 20);
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_no_further() {
        let now = step_at(1_111_111_111);
        for d in -1..=1 {
            let c = code_at_step(RFC_SECRET, now + d);
            assert_eq!(matching_step(RFC_SECRET, &c, now), Some(now + d));
        }
        for d in [-3, -2, 2, 3] {
            let c = code_at_step(RFC_SECRET, now + d);
            assert_eq!(matching_step(RFC_SECRET, &c, now), None, "drift {d}");
        }
        assert_eq!(matching_step(RFC_SECRET, "12345", now), None);
        assert_eq!(matching_step(RFC_SECRET, "abcdef", now), None);
    }

    #[test]
    fn the_otpauth_uri_names_the_issuer_and_the_account() {
        assert_eq!(
            otpauth_uri("jefa@demo.cl", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/Rumbo:jefa%40demo.cl?secret=JBSWY3DPEHPK3PXP&issuer=Rumbo"
        );
    }

    #[test]
    fn recovery_codes_are_distinct_and_normalise_as_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let set: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(set.len(), RECOVERY_CODES);
        assert_eq!(codes[0].len(), 19);
        assert_eq!(
            normalise_recovery_code(&format!(" {} ", codes[0].to_lowercase())),
            codes[0].replace('-', "")
        );
    }
}
