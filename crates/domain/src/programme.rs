//! Programmes: the core object a manager plans, coordinates and controls.
//!
//! A programme runs one client product on one or more channels between two dates, in a time zone,
//! and moves through `draft → planned → running → closed`.

use std::fmt;

use jiff::civil::Date;

use crate::{Invalid, Invalids};

/// A programme code: 2–32 characters, upper-case letters, digits, `-` and `_`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProgrammeCode(String);

impl ProgrammeCode {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim().to_ascii_uppercase();
        let ok = (2..=32).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Ok(Self(s))
        } else {
            Err(Invalid::new("code", "error.programme.code"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProgrammeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

crate::string_enum! {
    /// Where a programme is in its life.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Status {
        Draft = "draft",
        Planned = "planned",
        Running = "running",
        Closed = "closed",
    }
    invalid("status", "error.programme.status")
}

impl Status {
    /// The lifecycle moves forward one step at a time; a planned programme may go back to draft
    /// (re-planning), and nothing leaves `closed`.
    pub fn can_become(self, next: Status) -> bool {
        use Status::*;
        self == next
            || matches!(
                (self, next),
                (Draft, Planned) | (Planned, Draft) | (Planned, Running) | (Running, Closed)
            )
    }
}

crate::string_enum! {
    /// A contact channel a programme serves.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Channel {
        VoiceInbound = "voice_inbound",
        VoiceOutbound = "voice_outbound",
        Chat = "chat",
        Email = "email",
        WhatsApp = "whatsapp",
        Social = "social",
    }
    invalid("channels", "error.programme.channel")
}

/// The default time zone of a programme (docs/domain/chile.md §7).
pub const DEFAULT_TIME_ZONE: &str = "America/Santiago";

/// Raw programme input as it arrives from a form, the API or a template.
#[derive(Debug, Clone, Default)]
pub struct ProgrammeInput {
    pub code: String,
    pub name: String,
    pub client_id: Option<i64>,
    pub product_id: Option<i64>,
    pub channels: Vec<String>,
    pub start_date: String,
    pub end_date: Option<String>,
    pub status: Option<String>,
    pub time_zone: Option<String>,
    pub description: Option<String>,
}

/// A programme whose fields are all valid (references to client and product are checked by the
/// store, which knows what exists).
#[derive(Debug, Clone, PartialEq)]
pub struct NewProgramme {
    pub code: ProgrammeCode,
    pub name: String,
    pub client_id: i64,
    pub product_id: Option<i64>,
    pub channels: Vec<Channel>,
    pub start_date: Date,
    pub end_date: Option<Date>,
    pub status: Status,
    pub time_zone: String,
    pub description: String,
}

fn parse_date(field: &'static str, s: &str) -> Result<Date, Invalid> {
    s.trim()
        .parse::<Date>()
        .map_err(|_| Invalid::new(field, "error.date.format"))
}

impl TryFrom<ProgrammeInput> for NewProgramme {
    type Error = Invalids;

    fn try_from(input: ProgrammeInput) -> Result<Self, Invalids> {
        let mut errors = Vec::new();
        let code = ProgrammeCode::parse(&input.code)
            .map_err(|e| errors.push(e))
            .ok();
        let name = input.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            errors.push(Invalid::new("name", "error.programme.name"));
        }
        let client_id = input.client_id;
        if client_id.is_none() {
            errors.push(Invalid::new("client_id", "error.client.required"));
        }
        let mut channels = Vec::new();
        for c in &input.channels {
            match Channel::parse(c) {
                Ok(ch) if !channels.contains(&ch) => channels.push(ch),
                Ok(_) => {}
                Err(e) => {
                    errors.push(e);
                    break;
                }
            }
        }
        if input.channels.is_empty() {
            errors.push(Invalid::new("channels", "error.programme.channel_required"));
        }
        channels.sort();
        let start = parse_date("start_date", &input.start_date)
            .map_err(|e| errors.push(e))
            .ok();
        let end = match input.end_date.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => parse_date("end_date", s).map_err(|e| errors.push(e)).ok(),
        };
        if let (Some(s), Some(e)) = (start, end) {
            if e < s {
                errors.push(Invalid::new("end_date", "error.programme.end_before_start"));
            }
        }
        let status = match input.status.as_deref().map(str::trim) {
            None | Some("") => Status::Draft,
            Some(s) => Status::parse(s)
                .map_err(|e| errors.push(e))
                .unwrap_or(Status::Draft),
        };
        let time_zone = match input.time_zone.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_TIME_ZONE.to_string(),
            Some(tz) => {
                if jiff::tz::TimeZone::get(tz).is_err() {
                    errors.push(Invalid::new("time_zone", "error.programme.time_zone"));
                }
                tz.to_string()
            }
        };
        let description = input.description.unwrap_or_default().trim().to_string();
        match (code, client_id, start) {
            (Some(code), Some(client_id), Some(start_date)) if errors.is_empty() => {
                Ok(NewProgramme {
                    code,
                    name,
                    client_id,
                    product_id: input.product_id,
                    channels,
                    start_date,
                    end_date: end,
                    status,
                    time_zone,
                    description,
                })
            }
            _ => Err(Invalids(errors)),
        }
    }
}

impl NewProgramme {
    /// Checks a change of status against the lifecycle.
    pub fn check_transition(from: Status, to: Status) -> Result<(), Invalid> {
        if from.can_become(to) {
            Ok(())
        } else {
            Err(Invalid::new("status", "error.programme.transition"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ProgrammeInput {
        ProgrammeInput {
            code: "seg-vida-26".into(),
            name: "Seguro de vida".into(),
            client_id: Some(1),
            product_id: None,
            channels: vec!["voice_outbound".into()],
            start_date: "2026-01-05".into(),
            end_date: Some("2026-06-30".into()),
            status: None,
            time_zone: None,
            description: None,
        }
    }

    #[test]
    fn a_valid_input_becomes_a_draft_in_santiago_with_an_upper_case_code() {
        let p = NewProgramme::try_from(input()).unwrap();
        assert_eq!(p.code.as_str(), "SEG-VIDA-26");
        assert_eq!(p.status, Status::Draft);
        assert_eq!(p.time_zone, "America/Santiago");
    }

    #[test]
    fn end_before_start_is_rejected_on_the_end_field() {
        let mut i = input();
        i.end_date = Some("2025-12-31".into());
        let e = NewProgramme::try_from(i).unwrap_err();
        assert_eq!(
            e.0,
            vec![Invalid::new("end_date", "error.programme.end_before_start")]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let i = ProgrammeInput {
            code: "1".into(),
            ..Default::default()
        };
        let e = NewProgramme::try_from(i).unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|i| i.field).collect();
        for f in ["code", "name", "client_id", "channels", "start_date"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn unknown_time_zone_is_rejected() {
        let mut i = input();
        i.time_zone = Some("Mars/Olympus".into());
        assert_eq!(
            NewProgramme::try_from(i).unwrap_err().0[0].key,
            "error.programme.time_zone"
        );
    }

    #[test]
    fn lifecycle_moves_forward_and_never_leaves_closed() {
        use Status::*;
        assert!(Draft.can_become(Planned));
        assert!(Planned.can_become(Running));
        assert!(Running.can_become(Closed));
        assert!(!Draft.can_become(Closed));
        for s in Status::ALL {
            assert_eq!(Closed.can_become(s), s == Closed);
        }
    }
}
