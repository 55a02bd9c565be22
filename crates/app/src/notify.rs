//! E-mail: a minimal SMTP client over tokio (plain text, or multipart with attachments for
//! reports), and the mail sent to a programme's team when an evaluation opens alarms.
//!
//! Why our own client: `lettre` with TLS brings rustls and a crypto backend, a large build on
//! these machines for the few commands a notification needs (EHLO, AUTH PLAIN, MAIL, RCPT,
//! DATA, QUIT). This client speaks plain SMTP, so it is meant for a relay on the same host
//! or network (Postfix, an SMTP gateway) that forwards with TLS; a user and password are only
//! ever sent to a relay on the loopback interface, never in clear across a network. The
//! password is never logged (`Debug` redacts it). The mail's words come from the caller
//! ([`MailTexts`], the server's catalogues), one set per language, chosen by each recipient's
//! language.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::model::Programme;

/// How long one SMTP exchange (connect, or a command and its reply) may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// The words of an alarm notification in one language.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MailTexts {
    /// Subject; `{code}` and `{count}` are replaced.
    pub subject: String,
    /// First paragraph; `{code}`, `{name}` and `{count}` are replaced.
    pub intro: String,
    /// The name of each alarm kind (`target_breach` → "Meta incumplida").
    pub kinds: BTreeMap<String, String>,
}

/// Where and how notifications are sent.
#[derive(Clone, Default, PartialEq)]
pub struct SmtpSettings {
    /// Relay host name or address.
    pub host: String,
    /// Relay port (25 or 587 on a local relay).
    pub port: u16,
    /// Sender address.
    pub from: String,
    /// User for AUTH PLAIN (only sent to a loopback relay).
    pub user: Option<String>,
    /// Password for AUTH PLAIN; never logged.
    pub password: Option<String>,
    /// Texts per language code (`es`, `en`); `es` when a recipient's language has none.
    pub texts: BTreeMap<String, MailTexts>,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Why a mail was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The connection or a read/write failed.
    #[error("smtp connection: {0}")]
    Io(#[from] std::io::Error),
    /// The relay took too long.
    #[error("smtp timeout")]
    Timeout,
    /// The relay refused a command (its reply code and the command's verb).
    #[error("smtp relay answered {code} to {command}")]
    Refused { code: u16, command: &'static str },
    /// Credentials are set but the relay is not on the loopback interface.
    #[error("smtp credentials are only sent to a relay on this host")]
    CredentialsOverNetwork,
}

/// One message: recipients, subject and plain-text body.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    /// Recipient addresses.
    pub to: Vec<String>,
    /// Subject (any Unicode; encoded for the header).
    pub subject: String,
    /// Body, plain text.
    pub body: String,
}

async fn timed<T>(
    f: impl std::future::Future<Output = std::io::Result<T>>,
) -> Result<T, MailError> {
    tokio::time::timeout(STEP_TIMEOUT, f)
        .await
        .map_err(|_| MailError::Timeout)?
        .map_err(MailError::Io)
}

/// Reads one (possibly multi-line) reply; returns its code and text.
async fn reply(r: &mut BufReader<TcpStream>) -> Result<(u16, String), MailError> {
    let mut text = String::new();
    loop {
        let mut line = String::new();
        let n = timed(r.read_line(&mut line)).await?;
        if n == 0 {
            return Err(MailError::Io(std::io::ErrorKind::UnexpectedEof.into()));
        }
        text.push_str(&line);
        // "250-..." continues, "250 ..." ends.
        if line.len() < 4 || line.as_bytes()[3] != b'-' {
            let code = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
            return Ok((code, text));
        }
    }
}

async fn command(
    r: &mut BufReader<TcpStream>,
    line: &str,
    verb: &'static str,
    expect: u16,
) -> Result<String, MailError> {
    timed(r.get_mut().write_all(format!("{line}\r\n").as_bytes())).await?;
    let (code, text) = reply(r).await?;
    if code != expect {
        return Err(MailError::Refused {
            code,
            command: verb,
        });
    }
    Ok(text)
}

/// Standard base64 (for AUTH PLAIN and encoded-word subjects).
pub(crate) fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Removes CR and LF so a value cannot add header lines or SMTP commands.
fn one_line(s: &str) -> String {
    s.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}

/// A file attached to a mail (a report).
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    /// File name shown to the reader (ASCII; quotes and line breaks are removed).
    pub file_name: String,
    /// Media type, e.g. `application/pdf`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Separates the parts of a multipart message; base64 text never contains `_`, so the boundary
/// cannot occur inside an attachment, and the text body is checked for it.
const BOUNDARY: &str = "=_rumbo_part_7f3a";

fn push_body(m: &mut String, body: &str) {
    for line in body.lines() {
        if line.starts_with('.') {
            m.push('.');
        }
        m.push_str(line);
        m.push_str("\r\n");
    }
}

/// The message as sent after DATA: headers, body with CRLF line ends and dot-stuffing, the
/// attachments as base64 parts of a `multipart/mixed` message, and the closing dot line.
fn message(from: &str, mail: &Mail, attachments: &[Attachment]) -> String {
    let mut m = format!(
        "From: {}\r\nTo: {}\r\nSubject: =?UTF-8?B?{}?=\r\nMIME-Version: 1.0\r\n",
        one_line(from),
        one_line(&mail.to.join(", ")),
        base64(one_line(&mail.subject).as_bytes()),
    );
    if attachments.is_empty() {
        m.push_str(
            "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        );
        push_body(&mut m, &mail.body);
    } else {
        m.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"{BOUNDARY}\"\r\n\r\n--{BOUNDARY}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        ));
        push_body(&mut m, &mail.body.replace(BOUNDARY, ""));
        for a in attachments {
            let name: String = one_line(&a.file_name)
                .chars()
                .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\')
                .collect();
            m.push_str(&format!(
                "--{BOUNDARY}\r\nContent-Type: {}; name=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n",
                one_line(&a.content_type)
            ));
            let encoded = base64(&a.bytes);
            for chunk in encoded.as_bytes().chunks(76) {
                m.push_str(std::str::from_utf8(chunk).unwrap_or_default());
                m.push_str("\r\n");
            }
        }
        m.push_str(&format!("--{BOUNDARY}--\r\n"));
    }
    m.push_str(".\r\n");
    m
}

/// Sends `mail` through the relay of `s`.
pub async fn send(s: &SmtpSettings, mail: &Mail) -> Result<(), MailError> {
    send_with_attachments(s, mail, &[]).await
}

/// Sends `mail` with `attachments` through the relay of `s`.
pub async fn send_with_attachments(
    s: &SmtpSettings,
    mail: &Mail,
    attachments: &[Attachment],
) -> Result<(), MailError> {
    let auth = match (&s.user, &s.password) {
        (Some(u), Some(p)) => Some((u, p)),
        _ => None,
    };
    let stream = timed(TcpStream::connect((s.host.as_str(), s.port))).await?;
    if auth.is_some() && !stream.peer_addr()?.ip().is_loopback() {
        return Err(MailError::CredentialsOverNetwork);
    }
    let mut r = BufReader::new(stream);
    let (code, _) = reply(&mut r).await?;
    if code != 220 {
        return Err(MailError::Refused {
            code,
            command: "connect",
        });
    }
    command(&mut r, "EHLO rumbo", "EHLO", 250).await?;
    if let Some((u, p)) = auth {
        let token = base64(format!("\0{u}\0{p}").as_bytes());
        command(&mut r, &format!("AUTH PLAIN {token}"), "AUTH", 235).await?;
    }
    command(
        &mut r,
        &format!("MAIL FROM:<{}>", one_line(&s.from)),
        "MAIL",
        250,
    )
    .await?;
    for to in &mail.to {
        command(&mut r, &format!("RCPT TO:<{}>", one_line(to)), "RCPT", 250).await?;
    }
    command(&mut r, "DATA", "DATA", 354).await?;
    timed(
        r.get_mut()
            .write_all(message(&s.from, mail, attachments).as_bytes()),
    )
    .await?;
    let (code, _) = reply(&mut r).await?;
    if code != 250 {
        return Err(MailError::Refused {
            code,
            command: "DATA",
        });
    }
    // The message is accepted; a failed QUIT changes nothing.
    let _ = command(&mut r, "QUIT", "QUIT", 221).await;
    Ok(())
}

/// The notification of `alarms` (kind, period start, period end) newly opened on programme
/// `p`, in the words of `texts`.
pub fn alarm_mail(
    texts: &MailTexts,
    p: &Programme,
    to: Vec<String>,
    alarms: &[&rumbo_store::control::Alarm],
) -> Mail {
    let fill = |t: &str| {
        t.replace("{code}", &p.code)
            .replace("{name}", &p.name)
            .replace("{count}", &alarms.len().to_string())
    };
    let tz = jiff::tz::TimeZone::get(&p.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let at = |ts: i64| {
        jiff::Timestamp::from_second(ts)
            .map(|t| {
                t.to_zoned(tz.clone())
                    .strftime("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let mut body = fill(&texts.intro);
    body.push_str("\n\n");
    for a in alarms {
        let kind = texts.kinds.get(&a.kind).unwrap_or(&a.kind);
        body.push_str(&format!(
            "- {kind}: {} – {} (/programs/{}/alarms/{})\n",
            at(a.period_start),
            at(a.period_end),
            p.code,
            a.id
        ));
    }
    Mail {
        to,
        subject: fill(&texts.subject),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_4648_test_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn a_message_cannot_inject_headers_and_its_dot_lines_are_stuffed() {
        let m = message(
            "rumbo@x.cl",
            &Mail {
                to: vec!["a@x.cl\r\nBcc: b@y.cl".into()],
                subject: "Hola\r\nBcc: c@y.cl".into(),
                body: "uno\n.\ndos".into(),
            },
            &[],
        );
        assert!(!m.contains("\r\nBcc:"), "{m}");
        assert!(m.contains("\r\n..\r\ndos\r\n.\r\n"), "{m}");
    }

    #[test]
    fn an_attachment_travels_as_a_base64_part_of_a_multipart_message() {
        let bytes: Vec<u8> = (0..200u8).collect();
        let m = message(
            "rumbo@x.cl",
            &Mail {
                to: vec!["a@x.cl".into()],
                subject: "Informe".into(),
                body: "Adjunto el informe.".into(),
            },
            &[Attachment {
                file_name: "P1-kpi.pdf\r\n\"x".into(),
                content_type: "application/pdf".into(),
                bytes: bytes.clone(),
            }],
        );
        assert!(
            m.contains("Content-Type: multipart/mixed; boundary="),
            "{m}"
        );
        assert!(
            m.contains("Content-Disposition: attachment; filename=\"P1-kpi.pdfx\""),
            "{m}"
        );
        let start = m.find("filename=").unwrap();
        let part = &m[start..];
        let b64: String = part
            .split("\r\n\r\n")
            .nth(1)
            .unwrap()
            .split("--")
            .next()
            .unwrap()
            .replace("\r\n", "");
        assert_eq!(b64, base64(&bytes));
        assert!(m.lines().all(|l| l.len() <= 998));
        assert!(m.ends_with("--\r\n.\r\n"));
    }

    #[test]
    fn the_password_never_appears_in_debug_output() {
        let s = SmtpSettings {
            password: Some("s3creto".into()),
            ..Default::default()
        };
        assert!(!format!("{s:?}").contains("s3creto"));
    }
}
