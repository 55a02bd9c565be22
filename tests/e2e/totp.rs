//! The second factor end to end, against the real binary: a manager enrols on the account
//! page, the login then stops at the code step (no session cookie) until a right code, and
//! `rumbo user totp-reset` lets the password alone sign in again.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::util::Dir;

const PASSWORD: &str = "clave-larga-segura";
const CSRF: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A raw HTTP/1.1 request; returns (status, head, body). Pages are not chunked here because
/// the connection closes after one answer.
fn request(url: &str, method: &str, path: &str, cookie: &str, form: &str) -> (u16, String, String) {
    let host = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if !cookie.is_empty() {
        req.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if method == "POST" {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            form.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(form);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, head.to_string(), body.to_string())
}

/// `name=value` of the session cookie the answer sets, if it sets a non-empty one.
fn session_cookie(head: &str) -> Option<String> {
    head.lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .filter_map(|l| l.split_once(':').map(|(_, v)| v.trim()))
        .find(|c| c.starts_with("rumbo_session=") && !c.starts_with("rumbo_session=;"))
        .map(|c| c.split(';').next().unwrap().to_string())
}

/// The value of the first `name="<name>" value="…"` input of a page.
fn field(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {body:.500}"))
        + marker.len();
    body[at..].split('"').next().unwrap().to_string()
}

fn code(secret: &str, steps_ahead: i64) -> String {
    use rumbo_app::totp::{base32_decode, code_at_step, step_at};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    code_at_step(&base32_decode(secret).unwrap(), step_at(now) + steps_ahead)
}

fn login(url: &str) -> (u16, String, String) {
    request(
        url,
        "POST",
        "/login",
        &format!("rumbo_csrf={CSRF}"),
        &format!("_csrf={CSRF}&email=jefa%40bpo.cl&password={PASSWORD}"),
    )
}

#[test]
fn a_manager_with_a_second_factor_signs_in_only_with_the_code_until_the_operator_resets_it() {
    let dir = Dir::new();
    let out = dir.run_with_stdin(
        &[
            "user",
            "add",
            "jefa@bpo.cl",
            "--role",
            "manager",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = dir.serve(&["--no-demo"]);
    let url = server.url.clone();

    // Enrol on the account page.
    let (status, head, _) = login(&url);
    assert_eq!(status, 303);
    let session = session_cookie(&head).expect("a session without a second factor");
    let (_, _, page) = request(&url, "GET", "/account", &session, "");
    let csrf = field(&page, "_csrf");
    let (status, _, _) = request(
        &url,
        "POST",
        "/account/totp",
        &session,
        &format!("_csrf={csrf}"),
    );
    assert_eq!(status, 303);
    let (_, _, page) = request(&url, "GET", "/account", &session, "");
    let marker = "otpauth://totp/Rumbo:jefa%40bpo.cl?secret=";
    let at = page.find(marker).expect("the URI") + marker.len();
    let secret: String = page[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    assert_eq!(secret.len(), 32, "a 160-bit secret in base32");
    let (status, _, codes) = request(
        &url,
        "POST",
        "/account/totp/confirm",
        &session,
        &format!("_csrf={csrf}&code={}", code(&secret, 0)),
    );
    assert_eq!(status, 200);
    assert_eq!(codes.matches("<li><code>").count(), 10);

    // The password alone now leads to the code step, without a session.
    let (status, head, body) = login(&url);
    assert_eq!(status, 200);
    assert!(session_cookie(&head).is_none(), "a session before the code");
    let pending = field(&body, "pending");
    let step = |code: &str| {
        request(
            &url,
            "POST",
            "/login/code",
            &format!("rumbo_csrf={CSRF}"),
            &format!("_csrf={CSRF}&pending={pending}&code={code}"),
        )
    };
    let (status, head, _) = step("000000x");
    assert_eq!(status, 401);
    assert!(session_cookie(&head).is_none());
    let (status, head, _) = step(&code(&secret, 1));
    assert_eq!(status, 303);
    let session = session_cookie(&head).expect("a session after the code");
    let (status, _, _) = request(&url, "GET", "/account", &session, "");
    assert_eq!(status, 200);

    // The operator removes the second factor; the password alone signs in again.
    let said = dir.run_ok(&["user", "totp-reset", "jefa@bpo.cl"]);
    assert!(said.contains("second factor removed"), "{said}");
    let (status, head, _) = login(&url);
    assert_eq!(status, 303);
    assert!(session_cookie(&head).is_some());
    let said = dir.run_ok(&["user", "totp-reset", "jefa@bpo.cl"]);
    assert!(said.contains("had no second factor"), "{said}");
}
