//! Cookies, and how a request proves who it is (passwords and tokens: `rumbo_app::credentials`).
//!
//! Browsers carry an opaque session cookie (`HttpOnly`, `SameSite=Lax`); scripts send
//! `Authorization: Bearer <token>`. Only SHA-256 hashes of either token reach the database.

/// Cookie carrying the session token.
pub const SESSION_COOKIE: &str = "rumbo_session";
/// Cookie carrying the pre-login CSRF token (double-submit, for the login form only).
pub const CSRF_COOKIE: &str = "rumbo_csrf";
/// Cookie remembering the language of anonymous visitors.
pub const LANG_COOKIE: &str = "rumbo_lang";

/// Constant-time comparison of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// A `Set-Cookie` value with Rumbo's flags.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let h = "a=1; rumbo_session=abc; rumbo_session_x=zzz";
        assert_eq!(cookie(h, "rumbo_session"), Some("abc"));
        assert_eq!(cookie(h, "b"), None);
    }

    #[test]
    fn equal_tokens_match_and_different_ones_do_not() {
        assert!(same_token("abc", "abc") && !same_token("abc", "abd") && !same_token("abc", "ab"));
    }
}
