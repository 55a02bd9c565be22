//! Report distribution: schedules (a report, format and language sent weekly or monthly to
//! recipients: areas, people and client contacts), run as jobs of the server's job queue, the
//! e-mail with the report attached (through `notify`'s SMTP client), and the distribution
//! record with the stored copy.
//!
//! A schedule's next run is claimed by whichever server's worker first moves it forward
//! ([`rumbo_store::Store::advance_report_schedule`]); the claim enqueues a `report` job, so a
//! run survives a server that stops, like an import. Client contacts may only receive
//! client-safe reports, and client viewers see only the client-safe distributions.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use rumbo_domain::access::{Action, Role};
use rumbo_domain::{Invalid, Invalids};
pub use rumbo_store::reports::{Distribution, Schedule};
use rumbo_store::reports::{NewDistribution, NewSchedule};
use rumbo_store::Actor;
use serde::{Deserialize, Serialize};

use super::build::{Kind, Request};
use super::{Format, Lang};
use crate::model::Programme;
use crate::{App, Error, Principal, Result};

/// The kind of a report-distribution job.
pub const KIND_REPORT: &str = "report";

/// Local hour at which scheduled reports go out.
const SEND_HOUR: i8 = 7;

/// Who a recipient is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// An area or department of the BPO (a shared mailbox).
    Area,
    /// A person of the BPO.
    Person,
    /// A contact at the client.
    Client,
}

impl Audience {
    pub const ALL: [Audience; 3] = [Audience::Area, Audience::Person, Audience::Client];

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Area => "area",
            Audience::Person => "person",
            Audience::Client => "client",
        }
    }
}

/// One recipient of a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub email: String,
    pub audience: Audience,
}

/// How often a schedule runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// Mondays, with the seven days before.
    Weekly,
    /// The first of the month, with the month before.
    Monthly,
}

impl Frequency {
    pub const ALL: [Frequency; 2] = [Frequency::Weekly, Frequency::Monthly];

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
        }
    }

    pub fn parse(s: &str) -> Option<Frequency> {
        Frequency::ALL.into_iter().find(|f| f.as_str() == s.trim())
    }

    /// The first send time strictly after `after` (epoch seconds), at [`SEND_HOUR`] local time.
    pub fn next_run(self, after: i64, tz: &TimeZone) -> Result<i64> {
        let now = jiff::Timestamp::from_second(after)
            .map_err(Error::internal)?
            .to_zoned(tz.clone());
        let mut day = now.date();
        loop {
            let due = match self {
                Frequency::Weekly => day.weekday() == jiff::civil::Weekday::Monday,
                Frequency::Monthly => day.day() == 1,
            };
            if due {
                let at = day
                    .at(SEND_HOUR, 0, 0, 0)
                    .to_zoned(tz.clone())
                    .map_err(Error::internal)?
                    .timestamp()
                    .as_second();
                if at > after {
                    return Ok(at);
                }
            }
            day = day.tomorrow().map_err(Error::internal)?;
        }
    }

    /// The period a run on local day `run_day` reports: the seven days before it, or the
    /// month before it.
    pub fn period(self, run_day: Date) -> Result<(Date, Date)> {
        let to = run_day.yesterday().map_err(Error::internal)?;
        let from = match self {
            Frequency::Weekly => to
                .checked_sub(jiff::Span::new().days(6))
                .map_err(Error::internal)?,
            Frequency::Monthly => to.first_of_month(),
        };
        Ok((from, to))
    }
}

/// A new schedule as typed in a form or sent to the API: recipients one e-mail address per
/// line in each list.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduleInput {
    pub kind: String,
    pub format: String,
    pub lang: String,
    pub frequency: String,
    pub areas: String,
    pub people: String,
    pub client_contacts: String,
}

/// A schedule as shown: parsed recipients.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleView {
    pub schedule: Schedule,
    pub recipients: Vec<Recipient>,
}

fn looks_like_email(s: &str) -> bool {
    let Some((user, domain)) = s.split_once('@') else {
        return false;
    };
    !user.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.len() <= 254
        && s.chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | ',' | ';' | '"'))
        && s.matches('@').count() == 1
}

/// Parses a schedule's input, reporting every bad field.
fn parse_schedule(
    i: &ScheduleInput,
) -> std::result::Result<(Request, Frequency, Vec<Recipient>), Invalids> {
    let mut bad = Vec::new();
    let req = super::build::RequestInput {
        kind: i.kind.clone(),
        from: String::new(),
        to: String::new(),
        format: i.format.clone(),
        lang: i.lang.clone(),
    }
    .parse();
    let req = match req {
        Ok(r) => Some(r),
        Err(Error::Invalid(v)) => {
            bad.extend(v.0);
            None
        }
        Err(_) => None,
    };
    if let Some(r) = &req {
        if !r.kind.available() {
            bad.push(Invalid::new("kind", "error.report.not_available"));
        }
    }
    let frequency = Frequency::parse(&i.frequency);
    if frequency.is_none() {
        bad.push(Invalid::new("frequency", "error.report.frequency"));
    }
    let mut recipients = Vec::new();
    for (field, text, audience) in [
        ("areas", &i.areas, Audience::Area),
        ("people", &i.people, Audience::Person),
        ("client_contacts", &i.client_contacts, Audience::Client),
    ] {
        for line in text
            .split(['\n', ',', ';'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            if looks_like_email(line) {
                recipients.push(Recipient {
                    email: line.to_ascii_lowercase(),
                    audience,
                });
            } else {
                bad.push(Invalid::new(field, "error.report.email"));
                break;
            }
        }
    }
    if recipients.is_empty() && !bad.iter().any(|b| b.key == "error.report.email") {
        bad.push(Invalid::new("areas", "error.report.recipients"));
    }
    if let Some(r) = &req {
        if !r.kind.client_safe() && recipients.iter().any(|r| r.audience == Audience::Client) {
            bad.push(Invalid::new("client_contacts", "error.report.client_kind"));
        }
    }
    recipients.dedup();
    match (req, frequency) {
        (Some(r), Some(f)) if bad.is_empty() => Ok((r, f, recipients)),
        _ => Err(Invalids(bad)),
    }
}

fn view(s: Schedule) -> ScheduleView {
    let recipients = serde_json::from_str(&s.recipients).unwrap_or_default();
    ScheduleView {
        schedule: s,
        recipients,
    }
}

#[derive(Serialize, Deserialize)]
struct Payload {
    schedule_id: i64,
    /// The claimed run time (epoch seconds): its local day decides the period.
    at: i64,
}

impl App {
    /// Adds a distribution schedule (needs `Update`); its first run is the next Monday (or
    /// first of the month) at 07:00 in the programme's time zone.
    pub async fn create_report_schedule(
        &self,
        who: &Principal,
        code: &str,
        input: &ScheduleInput,
    ) -> Result<ScheduleView> {
        let p = self
            .programme_for(who, code, Action::Update)
            .await?
            .programme;
        let (req, frequency, recipients) = parse_schedule(input).map_err(Error::Invalid)?;
        let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
        let next = frequency.next_run(rumbo_store::now(), &tz)?;
        let recipients_json = serde_json::to_string(&recipients).map_err(Error::internal)?;
        let s = self
            .store()
            .create_report_schedule(
                &who.actor(),
                &NewSchedule {
                    programme_id: p.id,
                    kind: req.kind.as_str(),
                    format: req.format.as_str(),
                    lang: req.lang.as_str(),
                    frequency: frequency.as_str(),
                    recipients: &recipients_json,
                    next_run: next,
                    created_by: Some(who.user_id),
                },
            )
            .await?;
        Ok(view(s))
    }

    /// The programme's schedules (needs `Read`; not for client viewers).
    pub async fn report_schedules(&self, who: &Principal, code: &str) -> Result<Vec<ScheduleView>> {
        let p = self.programme_for(who, code, Action::Read).await?.programme;
        if who.role == Role::ClientViewer {
            return Ok(Vec::new());
        }
        Ok(self
            .store()
            .report_schedules(p.id)
            .await?
            .into_iter()
            .map(view)
            .collect())
    }

    /// Deletes a schedule (needs `Update`).
    pub async fn delete_report_schedule(&self, who: &Principal, code: &str, id: i64) -> Result<()> {
        let p = self
            .programme_for(who, code, Action::Update)
            .await?
            .programme;
        Ok(self
            .store()
            .delete_report_schedule(&who.actor(), p.id, id)
            .await?)
    }

    /// Queues a run of a schedule now (needs `Update`); returns the job's id.
    pub async fn run_report_schedule_now(
        &self,
        who: &Principal,
        code: &str,
        id: i64,
    ) -> Result<i64> {
        let p = self
            .programme_for(who, code, Action::Update)
            .await?
            .programme;
        let s = self.store().report_schedule(p.id, id).await?;
        self.enqueue_report_job(&s, rumbo_store::now(), Some(who.user_id))
            .await
    }

    async fn enqueue_report_job(&self, s: &Schedule, at: i64, by: Option<i64>) -> Result<i64> {
        let payload = serde_json::to_string(&Payload {
            schedule_id: s.id,
            at,
        })
        .map_err(Error::internal)?;
        Ok(self
            .store()
            .enqueue_job(&rumbo_store::jobs::NewJob {
                kind: KIND_REPORT,
                programme_id: Some(s.programme_id),
                created_by: by,
                payload: &payload,
                file_id: None,
                progress_total: 0,
                max_attempts: self.settings().jobs.max_attempts,
            })
            .await?)
    }

    /// Claims every due schedule and queues its run (the job worker's housekeeping); returns
    /// how many runs were queued by this server.
    pub async fn queue_due_report_schedules(&self) -> Result<usize> {
        let now = rumbo_store::now();
        let mut queued = 0;
        for s in self.store().due_report_schedules(now).await? {
            let Some(freq) = Frequency::parse(&s.frequency) else {
                continue;
            };
            let p = self.store().programme_by_id(s.programme_id).await?;
            let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
            let next = freq.next_run(now, &tz)?;
            if self
                .store()
                .advance_report_schedule(s.id, s.next_run, next)
                .await?
            {
                self.enqueue_report_job(&s, s.next_run, None).await?;
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// The body of a report job: renders the schedule's report for the period before the
    /// run, e-mails it with the file attached, and records the distribution (delivered or
    /// failed) with the stored copy. A missing schedule (deleted since) is not an error.
    pub(crate) async fn run_report_payload(&self, payload: &str) -> Result<Option<Distribution>> {
        let payload: Payload = serde_json::from_str(payload)
            .map_err(|_| Error::invalid("payload", "error.job.payload"))?;
        let s = match self
            .store()
            .report_schedule_by_id(payload.schedule_id)
            .await
        {
            Ok(s) => s,
            Err(rumbo_store::StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let p = self.store().programme_by_id(s.programme_id).await?;
        let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
        let run_day = jiff::Timestamp::from_second(payload.at)
            .map_err(Error::internal)?
            .to_zoned(tz)
            .date();
        let freq = Frequency::parse(&s.frequency)
            .ok_or_else(|| Error::invalid("frequency", "error.report.frequency"))?;
        let (from, to) = freq.period(run_day)?;
        let (kind, format, lang) = match (
            Kind::parse(&s.kind),
            Format::parse(&s.format),
            Lang::parse(&s.lang),
        ) {
            (Some(k), Some(f), Some(l)) => (k, f, l),
            _ => return Err(Error::invalid("kind", "error.report.kind")),
        };
        let req = Request {
            kind,
            from: Some(from),
            to: Some(to),
            format,
            lang,
        };
        let rendered = self.render_report(&p, &req).await?;
        let recipients: Vec<Recipient> = serde_json::from_str(&s.recipients).unwrap_or_default();
        let (status, error) = self.send_report(&p, &recipients, &rendered).await;
        let d = self
            .store()
            .record_distribution(
                &Actor::system("scheduler"),
                &NewDistribution {
                    programme_id: p.id,
                    schedule_id: Some(s.id),
                    kind: kind.as_str(),
                    format: format.as_str(),
                    lang: lang.as_str(),
                    period_from: &rendered.from.to_string(),
                    period_to: &rendered.to.to_string(),
                    sha256: &rendered.sha256,
                    file_name: &rendered.file_name,
                    content: &rendered.bytes,
                    recipients: &s.recipients,
                    status,
                    error,
                    client_safe: kind.client_safe(),
                    created_by: None,
                },
            )
            .await?;
        Ok(Some(d))
    }

    /// Sends the report; returns the distribution status and the failure's catalogue key.
    async fn send_report(
        &self,
        p: &Programme,
        recipients: &[Recipient],
        r: &super::build::Rendered,
    ) -> (&'static str, Option<&'static str>) {
        let Some(smtp) = self.settings().smtp.as_ref() else {
            return ("failed", Some("error.report.no_smtp"));
        };
        if recipients.is_empty() {
            return ("failed", Some("error.report.recipients"));
        }
        let words = self.settings().report_words.0.as_ref();
        let kind_name = words.t(r.lang, &format!("report.kind.{}", r.kind.as_str()));
        let period = format!(
            "{} – {}",
            super::text::date(r.from, r.lang),
            super::text::date(r.to, r.lang)
        );
        let fill = |t: String| {
            t.replace("{report}", &kind_name)
                .replace("{code}", &p.code)
                .replace("{name}", &p.name)
                .replace("{period}", &period)
                .replace("{sha256}", &r.sha256)
        };
        let mail = crate::notify::Mail {
            to: recipients.iter().map(|r| r.email.clone()).collect(),
            subject: fill(words.t(r.lang, "report.mail.subject")),
            body: fill(words.t(r.lang, "report.mail.body")),
        };
        let attachment = crate::notify::Attachment {
            file_name: r.file_name.clone(),
            content_type: r.format.content_type().to_string(),
            bytes: r.bytes.clone(),
        };
        match crate::notify::send_with_attachments(smtp, &mail, &[attachment]).await {
            Ok(()) => ("delivered", None),
            Err(e) => {
                tracing::warn!(programme = %p.code, error = %e, "report e-mail not sent");
                ("failed", Some("error.report.smtp"))
            }
        }
    }

    /// The programme's distribution record, newest first; client viewers see the client-safe
    /// reports only.
    pub async fn distributions(&self, who: &Principal, code: &str) -> Result<Vec<Distribution>> {
        let p = self.programme_for(who, code, Action::Read).await?.programme;
        let all = self.store().distributions(p.id).await?;
        Ok(all
            .into_iter()
            .filter(|d| who.role != Role::ClientViewer || d.client_safe)
            .collect())
    }

    /// The stored copy of a distributed report with its record.
    pub async fn distribution_file(
        &self,
        who: &Principal,
        code: &str,
        id: i64,
    ) -> Result<(Distribution, Vec<u8>)> {
        let p = self.programme_for(who, code, Action::Read).await?.programme;
        let d = self.store().distribution(p.id, id).await?;
        if who.role == Role::ClientViewer && !d.client_safe {
            return Err(Error::NotFound);
        }
        let bytes = self.store().distribution_content(p.id, id).await?;
        Ok((d, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn weekly_runs_go_out_on_monday_morning_with_the_week_before() {
        let tz = TimeZone::get("America/Santiago").unwrap();
        // Wednesday 2026-03-04 12:00 local.
        let now = date(2026, 3, 4)
            .at(12, 0, 0, 0)
            .to_zoned(tz.clone())
            .unwrap()
            .timestamp()
            .as_second();
        let next = Frequency::Weekly.next_run(now, &tz).unwrap();
        let local = jiff::Timestamp::from_second(next)
            .unwrap()
            .to_zoned(tz.clone());
        assert_eq!(local.date(), date(2026, 3, 9));
        assert_eq!(local.hour(), 7);
        assert_eq!(
            Frequency::Weekly.period(date(2026, 3, 9)).unwrap(),
            (date(2026, 3, 2), date(2026, 3, 8))
        );
        let monthly = Frequency::Monthly.next_run(now, &tz).unwrap();
        let local = jiff::Timestamp::from_second(monthly).unwrap().to_zoned(tz);
        assert_eq!(local.date(), date(2026, 4, 1));
        assert_eq!(
            Frequency::Monthly.period(date(2026, 4, 1)).unwrap(),
            (date(2026, 3, 1), date(2026, 3, 31))
        );
    }

    #[test]
    fn a_schedule_needs_valid_addresses_and_client_contacts_get_client_reports_only() {
        let base = ScheduleInput {
            kind: "kpi".into(),
            format: "pdf".into(),
            lang: "es".into(),
            frequency: "weekly".into(),
            areas: "finanzas@bpo.cl\noperaciones@bpo.cl".into(),
            ..ScheduleInput::default()
        };
        let (req, f, r) = parse_schedule(&base).unwrap();
        assert_eq!((req.kind, f, r.len()), (Kind::Kpi, Frequency::Weekly, 2));
        let bad = parse_schedule(&ScheduleInput {
            client_contacts: "gerente@cliente.cl".into(),
            people: "no es correo".into(),
            frequency: "daily".into(),
            ..base.clone()
        })
        .unwrap_err();
        let fields: Vec<(&str, &str)> = bad.0.iter().map(|i| (i.field, i.key)).collect();
        assert!(
            fields.contains(&("people", "error.report.email")),
            "{fields:?}"
        );
        assert!(fields.contains(&("client_contacts", "error.report.client_kind")));
        assert!(fields.contains(&("frequency", "error.report.frequency")));
        assert!(parse_schedule(&ScheduleInput {
            kind: "client".into(),
            areas: String::new(),
            client_contacts: "gerente@cliente.cl".into(),
            ..base.clone()
        })
        .is_ok());
        let none = parse_schedule(&ScheduleInput {
            areas: String::new(),
            ..base
        })
        .unwrap_err();
        assert_eq!(none.0[0].key, "error.report.recipients");
    }
}
