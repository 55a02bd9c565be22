//! Data protection under Ley 19.628 as amended by Ley 21.719 (`docs/domain/chile.md` §1, §8):
//! the record of processing per programme and the public information policy it produces, the
//! register of data-subject requests with their legal due dates, the person search across
//! every store (through the keyed caller hash for numbers), export as a ZIP of JSON and CSV,
//! erasure that leaves the KPI aggregates untouched, the suppression list, the breach
//! register, the DPO's contact, and retention with its purge.
//!
//! **Access:** only admins act here (the DPO is given an admin account): search, export and
//! erasure reach every programme, so no narrower role may. The console operator (`rumbo
//! privacy …`, `rumbo purge`) acts as the system. Every action is audited, and no audit entry
//! of this module holds the identifier searched for or its hash.

pub mod find;
pub mod zip;

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::civil::Date;
use rumbo_domain::access::Role;
use rumbo_domain::privacy::{
    DataClass, Deadlines, LegalBasis, ProcessingRole, RequestKind, RequestStatus,
    SuppressionReason, Urgency,
};
use rumbo_domain::rut::Rut;
use rumbo_domain::{Invalid, Invalids};
use rumbo_ingest::privacy::CallerHasher;
use rumbo_store::privacy::{IssueText, PurgeEntry, RawPart, RightsRequest};
use rumbo_store::users::{Person, User};
use rumbo_store::{now, Actor, AuditEntry};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{App, Error, Principal, Result};
use find::{national_digits, split_csv, Needle};

/// The roles that may search, export, erase and keep the privacy registers.
pub const PRIVACY_OFFICERS: &[Role] = &[Role::Admin];

/// Setting keys of this module.
const DPO_KEY: &str = "privacy.dpo";
const DEADLINES_KEY: &str = "privacy.deadlines";
const RETENTION_KEY: &str = "privacy.retention";
const PURGE_DAY_KEY: &str = "privacy.purge_day";

/// The kind of background job that applies the retention policy.
pub const KIND_PURGE: &str = "purge";

rumbo_domain::string_enum! {
    /// What a person is searched by.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum IdKind {
        Phone = "phone",
        Rut = "rut",
        Email = "email",
        Name = "name",
    }
    invalid("id_kind", "error.privacy.id_kind")
}

/// A search for a person: by what, the identifier itself, and the request it serves.
#[derive(Debug, Clone)]
pub struct PersonQuery<'a> {
    pub kind: &'a str,
    pub value: &'a str,
    pub request_id: Option<i64>,
}

/// One stored record of the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundRecord {
    /// Code of the programme the record belongs to.
    pub programme: String,
    pub batch_id: i64,
    /// Source of the batch (`queue-log`, `calls`, `quality`, …).
    pub source: String,
    /// CSV header of the record.
    pub header: String,
    /// The record, one CSV line.
    pub record: String,
    /// True for records found through a call of the person (QA, survey, sale of that call).
    pub linked: bool,
}

/// Everything stored about a person.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    pub records: Vec<FoundRecord>,
    pub issues: Vec<IssueText>,
    pub audit: Vec<AuditEntry>,
    pub users: Vec<User>,
    pub people: Vec<Person>,
    /// Whether the number is on the suppression list, and why.
    pub suppressed: Option<SuppressionReason>,
    /// Per batch, the indices (in stored order) of the person's records.
    hits: BTreeMap<i64, HashSet<usize>>,
    programme_codes: BTreeMap<i64, String>,
}

impl Findings {
    /// Codes of the programmes the person's records are in.
    pub fn programmes(&self) -> Vec<String> {
        let mut v: Vec<String> = self.records.iter().map(|r| r.programme.clone()).collect();
        v.sort();
        v.dedup();
        v
    }

    /// Nothing was found.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
            && self.issues.is_empty()
            && self.audit.is_empty()
            && self.users.is_empty()
            && self.people.is_empty()
    }
}

/// What an erasure removed or redacted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Erased {
    /// Raw records removed (calls and records linked to them).
    pub records: u64,
    /// Batches whose raw records were rewritten.
    pub batches: u64,
    /// Data-quality findings redacted.
    pub issues: u64,
    /// Audit entries redacted.
    pub audit: u64,
    pub users: u64,
    pub people: u64,
    /// Stored uploads of finished jobs deleted.
    pub uploads: u64,
}

/// A request with its state against its due date.
#[derive(Debug, Clone)]
pub struct RequestView {
    pub request: RightsRequest,
    /// For open requests: overdue, near its due date, or on time.
    pub urgency: Option<Urgency>,
}

/// The fields of a new request, as typed.
#[derive(Debug, Clone, Default)]
pub struct NewRequest<'a> {
    pub kind: &'a str,
    /// Who asked, minimised: a number is kept masked; a full identifier is refused.
    pub subject: &'a str,
    pub channel: &'a str,
    /// `YYYY-MM-DD`; empty = today (America/Santiago).
    pub received_on: &'a str,
    pub identity_checked: bool,
}

/// How a request was closed.
#[derive(Debug, Clone)]
pub enum Reply<'a> {
    /// Answered: what was done.
    Answered { answer: &'a str },
    /// Denied, with the reasons (the 30 business days to complain follow).
    Denied { reason: &'a str },
}

/// The record of processing activities of one programme (art. 15 bis, `chile.md` §8).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessingRecord {
    pub purpose: String,
    /// A [`LegalBasis`] wire name.
    pub legal_basis: String,
    /// A [`ProcessingRole`] wire name: the BPO as controller or processor.
    pub role: String,
    /// The controller when the BPO is the processor (the client), with the contract.
    pub controller: String,
    pub contract_ref: String,
    /// Categories of data and of people.
    pub data_classes: String,
    pub recipients: String,
    /// International transfers (country, safeguard), or none.
    pub transfers: String,
    pub retention: String,
    /// What happens to the data when the contract ends (return, deletion).
    pub end_action: String,
    /// Roles (wire names) that see callers' full numbers on the live board's callback list;
    /// everyone else sees them masked.
    #[serde(default)]
    pub callback_roles: Vec<String>,
}

impl ProcessingRecord {
    /// Checks the required fields and the enumerated ones.
    pub fn checked(mut self) -> Result<ProcessingRecord> {
        let mut bad = Vec::new();
        for (v, f) in [
            (&mut self.purpose, "purpose"),
            (&mut self.data_classes, "data_classes"),
            (&mut self.retention, "retention"),
        ] {
            *v = v.trim().to_string();
            if v.is_empty() || v.chars().count() > 2000 {
                bad.push(Invalid::new(f, "error.privacy.text"));
            }
        }
        match LegalBasis::parse(&self.legal_basis) {
            Ok(b) => self.legal_basis = b.as_str().to_string(),
            Err(e) => bad.push(e),
        }
        match ProcessingRole::parse(&self.role) {
            Ok(r) => self.role = r.as_str().to_string(),
            Err(e) => bad.push(e),
        }
        self.callback_roles.sort();
        self.callback_roles.dedup();
        for r in &self.callback_roles {
            if rumbo_domain::access::Role::parse(r).is_err() {
                bad.push(Invalid::new("callback_roles", "error.live.callback_roles"));
            }
        }
        for v in [
            &self.controller,
            &self.contract_ref,
            &self.recipients,
            &self.transfers,
            &self.end_action,
        ] {
            if v.chars().count() > 2000 {
                bad.push(Invalid::new("text", "error.privacy.text"));
            }
        }
        if bad.is_empty() {
            Ok(self)
        } else {
            Err(Invalids(bad).into())
        }
    }
}

/// The DPO's contact, shown in the public policy and the breach notices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DpoContact {
    pub name: String,
    pub email: String,
    pub phone: String,
}

/// The settings of this module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivacySettings {
    pub dpo: DpoContact,
    pub deadlines: Deadlines,
    /// Days each data class is kept; 0 keeps it for good.
    pub retention: BTreeMap<DataClass, u32>,
}

impl PrivacySettings {
    /// Days `class` is kept (0 = for good).
    pub fn days(&self, class: DataClass) -> u32 {
        self.retention
            .get(&class)
            .copied()
            .unwrap_or(class.default_days())
    }
}

/// A breach as registered (art. 14 sexies).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breach {
    #[serde(default)]
    pub id: i64,
    /// What happened.
    pub what: String,
    /// When it happened and when it was detected (`YYYY-MM-DD`).
    pub occurred_on: String,
    pub detected_on: String,
    /// Categories of data affected.
    pub data_classes: String,
    /// Approximate number of people affected.
    pub people_affected: i64,
    /// Measures taken.
    pub measures: String,
    /// A reasonable risk to the people: the Agencia must be told.
    pub risk: bool,
    pub sensitive: bool,
    pub children: bool,
    pub financial: bool,
    /// When the Agencia and the people were notified, if they were.
    pub agency_notified_on: Option<String>,
    pub people_notified_on: Option<String>,
}

impl Breach {
    /// Must the people affected be told?
    pub fn people_must_be_notified(&self) -> bool {
        rumbo_domain::privacy::people_must_be_notified(
            self.sensitive,
            self.children,
            self.financial,
        )
    }

    fn checked(mut self) -> Result<Breach> {
        let mut bad = Vec::new();
        for (v, f) in [
            (&mut self.what, "what"),
            (&mut self.data_classes, "data_classes"),
            (&mut self.measures, "measures"),
        ] {
            *v = v.trim().to_string();
            if v.is_empty() || v.chars().count() > 4000 {
                bad.push(Invalid::new(f, "error.privacy.text"));
            }
        }
        for (v, f) in [
            (Some(&self.occurred_on), "occurred_on"),
            (Some(&self.detected_on), "detected_on"),
            (self.agency_notified_on.as_ref(), "agency_notified_on"),
            (self.people_notified_on.as_ref(), "people_notified_on"),
        ] {
            if let Some(v) = v {
                if v.trim().parse::<Date>().is_err() {
                    bad.push(Invalid::new(f, "error.privacy.date"));
                }
            }
        }
        if !(0..=100_000_000).contains(&self.people_affected) {
            bad.push(Invalid::new("people_affected", "error.privacy.people"));
        }
        if bad.is_empty() {
            Ok(self)
        } else {
            Err(Invalids(bad).into())
        }
    }
}

/// The public information policy: the DPO and what each programme processes.
#[derive(Debug, Clone)]
pub struct Policy {
    pub dpo: DpoContact,
    /// (programme name, its record), for programmes with a record.
    pub records: Vec<(String, ProcessingRecord)>,
}

/// One data class of a purge: where the cut was and how much went (or would go).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeLine {
    pub class: DataClass,
    /// Retention in days (0: kept for good, nothing purged).
    pub days: u32,
    /// Data stored before this instant (epoch seconds) is removed.
    pub cutoff: i64,
    pub removed: i64,
}

fn actor_of(who: Option<&Principal>) -> Result<Actor> {
    match who {
        Some(p) => {
            p.require_role(PRIVACY_OFFICERS)?;
            Ok(p.actor())
        }
        None => Ok(Actor::system("cli")),
    }
}

fn today() -> Date {
    jiff::Timestamp::now()
        .to_zoned(
            jiff::tz::TimeZone::get(rumbo_domain::programme::DEFAULT_TIME_ZONE)
                .unwrap_or(jiff::tz::TimeZone::UTC),
        )
        .date()
}

/// Chilean public holidays around `d` (the calendar of `rumbo-wfm`).
fn chilean_holidays(d: Date) -> HashSet<Date> {
    rumbo_wfm::holidays::chile_dates(d.year() - 1, d.year() + 2)
        .map(|v| v.into_iter().collect())
        .unwrap_or_default()
}

/// The subject of a request as kept: a number is masked; another identifier in clear is
/// refused (the register must not become a copy of the data it protects).
fn minimised_subject(subject: &str) -> Result<String> {
    let s = subject.trim();
    if s.is_empty() || s.chars().count() > 200 {
        return Err(Error::invalid("subject", "error.privacy.subject"));
    }
    let letters = s.chars().any(|c| c.is_alphabetic());
    if !letters {
        if let Some(m) = rumbo_ingest::privacy::mask(s) {
            return Ok(m);
        }
    }
    // Five digits or more, however separated, may be a RUT or a number.
    let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
    if digits >= 5 || s.contains('@') {
        return Err(Error::invalid("subject", "error.privacy.subject_clear"));
    }
    Ok(s.to_string())
}

fn parse_day(text: &str, field: &'static str) -> Result<Date> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(today());
    }
    let d: Date = t
        .parse()
        .map_err(|_| Error::invalid(field, "error.privacy.date"))?;
    if d.year() < 2000 || d > today() {
        return Err(Error::invalid(field, "error.privacy.date"));
    }
    Ok(d)
}

impl App {
    /// The caller hashers of this installation (one per known key, the current one first is
    /// not assumed): the same keys imports hash with, so data hashed before a key rotation
    /// is found too.
    async fn caller_hashers(&self) -> Result<Vec<CallerHasher>> {
        Ok(self.caller_keys().await?.hashers())
    }

    /// The module's settings (defaults where nothing was saved).
    pub async fn privacy_settings(&self, who: Option<&Principal>) -> Result<PrivacySettings> {
        actor_of(who)?;
        self.load_privacy_settings().await
    }

    async fn load_privacy_settings(&self) -> Result<PrivacySettings> {
        let dpo = match self.store.setting(DPO_KEY).await? {
            Some(t) => serde_json::from_str(&t).unwrap_or_default(),
            None => DpoContact::default(),
        };
        let deadlines = match self.store.setting(DEADLINES_KEY).await? {
            Some(t) => serde_json::from_str::<[i32; 5]>(&t)
                .ok()
                .and_then(|a| Deadlines::new(a[0], a[1], a[2], a[3], a[4]).ok())
                .unwrap_or_default(),
            None => Deadlines::default(),
        };
        let mut retention = BTreeMap::new();
        if let Some(t) = self.store.setting(RETENTION_KEY).await? {
            let map: BTreeMap<String, u32> = serde_json::from_str(&t).unwrap_or_default();
            for (k, v) in map {
                if let Ok(c) = k.parse::<DataClass>() {
                    retention.insert(c, v);
                }
            }
        }
        for c in DataClass::ALL {
            retention.entry(c).or_insert(c.default_days());
        }
        Ok(PrivacySettings {
            dpo,
            deadlines,
            retention,
        })
    }

    /// Saves the module's settings (DPO contact, deadlines, retention per class).
    pub async fn save_privacy_settings(
        &self,
        who: Option<&Principal>,
        s: &PrivacySettings,
    ) -> Result<()> {
        let actor = actor_of(who)?;
        let d = s.deadlines;
        Deadlines::new(
            d.answer_days,
            d.extension_days,
            d.blocking_business_days,
            d.complaint_business_days,
            d.warn_days,
        )?;
        if s.retention.values().any(|&v| v > 36_500) {
            return Err(Error::invalid("retention", "error.privacy.days"));
        }
        if s.dpo.name.chars().count() > 200
            || s.dpo.email.chars().count() > 200
            || s.dpo.phone.chars().count() > 50
        {
            return Err(Error::invalid("dpo", "error.privacy.text"));
        }
        let dpo = serde_json::to_string(&s.dpo).map_err(Error::internal)?;
        let deadlines = json!([
            d.answer_days,
            d.extension_days,
            d.blocking_business_days,
            d.complaint_business_days,
            d.warn_days
        ]);
        let retention: BTreeMap<&str, u32> =
            s.retention.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let retention = serde_json::to_string(&retention).map_err(Error::internal)?;
        self.store.set_setting(DPO_KEY, &dpo).await?;
        self.store
            .set_setting(DEADLINES_KEY, &deadlines.to_string())
            .await?;
        self.store.set_setting(RETENTION_KEY, &retention).await?;
        self.store
            .audit_privacy_action(
                &actor,
                "settings",
                None,
                json!({ "dpo": s.dpo.name, "deadlines": deadlines, "retention": serde_json::from_str::<serde_json::Value>(&retention).unwrap_or_default() }),
            )
            .await?;
        Ok(())
    }

    // ---- record of processing and the public policy ----

    /// The record of processing of programme `code`, if written.
    pub async fn processing_record(
        &self,
        who: &Principal,
        code: &str,
    ) -> Result<Option<ProcessingRecord>> {
        who.require_role(PRIVACY_OFFICERS)?;
        let p = self.store.programme_for(code, None).await?.programme;
        Ok(match self.store.processing_record(p.id).await? {
            Some(d) => Some(serde_json::from_value(d.data).map_err(Error::internal)?),
            None => None,
        })
    }

    /// Writes the record of processing of programme `code`.
    pub async fn save_processing_record(
        &self,
        who: &Principal,
        code: &str,
        record: ProcessingRecord,
    ) -> Result<ProcessingRecord> {
        who.require_role(PRIVACY_OFFICERS)?;
        let record = record.checked()?;
        let p = self.store.programme_for(code, None).await?.programme;
        let data = serde_json::to_value(&record).map_err(Error::internal)?;
        self.store
            .set_processing_record(&who.actor(), p.id, &data)
            .await?;
        Ok(record)
    }

    /// The public information policy (no login needed): the DPO and every programme's
    /// record of processing.
    pub async fn public_policy(&self) -> Result<Policy> {
        let s = self.load_privacy_settings().await?;
        let mut records = Vec::new();
        for p in self.store.programmes_for(None).await? {
            if let Some(d) = self.store.processing_record(p.programme.id).await? {
                if let Ok(r) = serde_json::from_value(d.data) {
                    records.push((p.programme.name.clone(), r));
                }
            }
        }
        Ok(Policy {
            dpo: s.dpo,
            records,
        })
    }

    // ---- rights requests ----

    /// Every request, with reminders (overdue, near due) for the open ones.
    pub async fn rights_requests(&self, who: Option<&Principal>) -> Result<Vec<RequestView>> {
        actor_of(who)?;
        let s = self.load_privacy_settings().await?;
        let t = today();
        Ok(self
            .store
            .rights_requests()
            .await?
            .into_iter()
            .map(|r| view(r, &s.deadlines, t))
            .collect())
    }

    /// One request.
    pub async fn rights_request(&self, who: Option<&Principal>, id: i64) -> Result<RequestView> {
        actor_of(who)?;
        let s = self.load_privacy_settings().await?;
        Ok(view(
            self.store.rights_request(id).await?,
            &s.deadlines,
            today(),
        ))
    }

    /// Registers (and acknowledges) a request; its due date follows the law's deadlines.
    pub async fn register_request(
        &self,
        who: Option<&Principal>,
        n: NewRequest<'_>,
    ) -> Result<RequestView> {
        let actor = actor_of(who)?;
        let mut bad = Vec::new();
        let kind = RequestKind::parse(n.kind).map_err(|e| bad.push(e)).ok();
        let subject = match minimised_subject(n.subject) {
            Ok(s) => Some(s),
            Err(Error::Invalid(i)) => {
                bad.extend(i.0);
                None
            }
            Err(e) => return Err(e),
        };
        let received = match parse_day(n.received_on, "received_on") {
            Ok(d) => Some(d),
            Err(Error::Invalid(i)) => {
                bad.extend(i.0);
                None
            }
            Err(e) => return Err(e),
        };
        if n.channel.chars().count() > 100 {
            bad.push(Invalid::new("channel", "error.privacy.text"));
        }
        let (Some(kind), Some(subject), Some(received), true) =
            (kind, subject, received, bad.is_empty())
        else {
            return Err(Invalids(bad).into());
        };
        let s = self.load_privacy_settings().await?;
        let holidays = chilean_holidays(received);
        let due_on = s
            .deadlines
            .due_on(kind, received, &|d| holidays.contains(&d));
        let q = RightsRequest {
            id: 0,
            kind,
            subject,
            channel: n.channel.trim().to_string(),
            received_on: received,
            acknowledged_at: Some(now()),
            identity_checked: n.identity_checked,
            due_on,
            extended: false,
            extension_reason: String::new(),
            status: RequestStatus::Open,
            answered_on: None,
            answer: String::new(),
            denial_reason: String::new(),
            complain_until: None,
            proof: String::new(),
            created_at: 0,
        };
        let saved = self.store.insert_rights_request(&actor, &q).await?;
        tracing::info!(
            request = saved.id,
            kind = kind.as_str(),
            "rights request registered"
        );
        Ok(view(saved, &s.deadlines, today()))
    }

    /// Uses the one extension the law allows (with its reason).
    pub async fn extend_request(
        &self,
        who: Option<&Principal>,
        id: i64,
        reason: &str,
    ) -> Result<RequestView> {
        let actor = actor_of(who)?;
        let mut q = self.store.rights_request(id).await?;
        if q.status != RequestStatus::Open || q.extended {
            return Err(Error::Conflict(
                Invalid::new("extended", "error.privacy.extension").into(),
            ));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(Error::invalid("reason", "error.privacy.text"));
        }
        let s = self.load_privacy_settings().await?;
        q.extended = true;
        q.extension_reason = reason.to_string();
        q.due_on = s.deadlines.extended(q.due_on);
        self.store.update_rights_request(&actor, &q).await?;
        Ok(view(q, &s.deadlines, today()))
    }

    /// Closes a request with its reply and the proof that it was sent; a denial gets the last
    /// day to complain to the Agencia.
    pub async fn reply_request(
        &self,
        who: Option<&Principal>,
        id: i64,
        reply: Reply<'_>,
        proof: &str,
        answered_on: &str,
    ) -> Result<RequestView> {
        let actor = actor_of(who)?;
        let mut q = self.store.rights_request(id).await?;
        if q.status != RequestStatus::Open {
            return Err(Error::Conflict(
                Invalid::new("status", "error.privacy.closed").into(),
            ));
        }
        let day = parse_day(answered_on, "answered_on")?;
        if day < q.received_on {
            return Err(Error::invalid("answered_on", "error.privacy.date"));
        }
        let proof = proof.trim();
        if proof.is_empty() || proof.chars().count() > 2000 {
            return Err(Error::invalid("proof", "error.privacy.proof"));
        }
        let s = self.load_privacy_settings().await?;
        match reply {
            Reply::Answered { answer } => {
                let a = answer.trim();
                if a.is_empty() || a.chars().count() > 4000 {
                    return Err(Error::invalid("answer", "error.privacy.text"));
                }
                q.status = RequestStatus::Answered;
                q.answer = a.to_string();
            }
            Reply::Denied { reason } => {
                let r = reason.trim();
                if r.is_empty() || r.chars().count() > 4000 {
                    return Err(Error::invalid("reason", "error.privacy.denial"));
                }
                let holidays = chilean_holidays(day);
                q.status = RequestStatus::Denied;
                q.denial_reason = r.to_string();
                q.complain_until =
                    Some(s.deadlines.complain_until(day, &|d| holidays.contains(&d)));
            }
        }
        q.answered_on = Some(day);
        q.proof = proof.to_string();
        self.store.update_rights_request(&actor, &q).await?;
        Ok(view(q, &s.deadlines, today()))
    }

    // ---- person search, export, erasure ----

    fn needle(kind: IdKind, value: &str) -> Result<Needle> {
        let v = value.trim();
        Ok(match kind {
            IdKind::Phone => Needle::Phone {
                national: national_digits(v)
                    .ok_or_else(|| Error::invalid("value", "error.privacy.phone"))?,
            },
            IdKind::Rut => Needle::Rut(
                Rut::parse(v).map_err(|_| Error::invalid("value", "error.privacy.rut"))?,
            ),
            IdKind::Email => {
                if !v.contains('@') || v.len() < 3 || v.len() > 200 {
                    return Err(Error::invalid("value", "error.privacy.email"));
                }
                Needle::Email(v.to_lowercase())
            }
            IdKind::Name => {
                let n = v.split_whitespace().collect::<Vec<_>>().join(" ");
                if n.chars().count() < 3 || n.chars().count() > 200 {
                    return Err(Error::invalid("value", "error.privacy.name"));
                }
                Needle::Name(n.to_lowercase())
            }
        })
    }

    /// Everything stored about the person (no audit: the public entry points audit).
    async fn collect(&self, q: &PersonQuery<'_>) -> Result<(IdKind, Needle, Findings)> {
        let kind = IdKind::parse(q.kind)?;
        let needle = Self::needle(kind, q.value)?;
        let mut f = Findings::default();
        for p in self.store.programmes_for(None).await? {
            f.programme_codes
                .insert(p.programme.id, p.programme.code.to_string());
        }
        if kind == IdKind::Phone {
            let hashers = self.caller_hashers().await?;
            let targets: HashSet<String> = hashers
                .iter()
                .filter_map(|h| h.protect(q.value).map(|p| p.hash))
                .collect();
            if targets.is_empty() {
                return Err(Error::invalid("value", "error.privacy.phone"));
            }
            for t in &targets {
                if let Some(r) = self.store.suppression_of(t).await? {
                    f.suppressed = Some(r);
                }
            }
            self.find_records(&hashers, &targets, &mut f).await?;
        }
        let pre = needle.prefilter();
        for i in self.store.issues_containing(&pre).await? {
            if needle.found_in(&i.message) {
                f.issues.push(i);
            }
        }
        for a in self.store.audit_containing(&pre).await? {
            let text = format!(
                "{} {} {}",
                a.actor,
                a.before.as_ref().map(|v| v.to_string()).unwrap_or_default(),
                a.after.as_ref().map(|v| v.to_string()).unwrap_or_default()
            );
            if needle.found_in(&text) {
                f.audit.push(a);
            }
        }
        match &needle {
            Needle::Email(e) => {
                f.users = self
                    .store
                    .users()
                    .await?
                    .into_iter()
                    .filter(|u| u.email.to_lowercase() == *e)
                    .collect();
                f.people = self
                    .store
                    .people()
                    .await?
                    .into_iter()
                    .filter(|p| p.email.as_deref().map(str::to_lowercase).as_deref() == Some(e))
                    .collect();
            }
            Needle::Name(n) => {
                let norm = |s: &str| {
                    s.split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .to_lowercase()
                };
                f.users = self
                    .store
                    .users()
                    .await?
                    .into_iter()
                    .filter(|u| norm(&u.name) == *n)
                    .collect();
                f.people = self
                    .store
                    .people()
                    .await?
                    .into_iter()
                    .filter(|p| norm(&p.name) == *n)
                    .collect();
            }
            _ => {}
        }
        Ok((kind, needle, f))
    }

    /// Raw records of the caller (by the hash column, or by a caller column kept in clear),
    /// then the records linked to those calls by call id (QA, surveys, sales).
    async fn find_records(
        &self,
        hashers: &[CallerHasher],
        targets: &HashSet<String>,
        f: &mut Findings,
    ) -> Result<()> {
        let dir = self.settings.data_dir.clone();
        let batches = self.store.raw_batch_refs().await?;
        let mut calls: HashMap<i64, HashSet<String>> = HashMap::new();
        let mut linked_batches = Vec::new();
        for b in &batches {
            let cols = split_csv(&b.header);
            let pos = |name: &str| cols.iter().position(|c| c.trim() == name);
            let (hash_col, clear_col, id_col) = (pos("caller_hash"), pos("caller"), pos("call_id"));
            if hash_col.is_none() && clear_col.is_none() {
                if id_col.is_some() {
                    linked_batches.push((b, id_col.unwrap_or(0)));
                }
                continue;
            }
            let parts = self.store.raw_parts(&dir, b.batch_id).await?;
            let mut cache: HashMap<String, bool> = HashMap::new();
            for (i, line) in lines_of(&parts).enumerate() {
                let fields = split_csv(line);
                let hit = match (hash_col, clear_col) {
                    (Some(h), _) if fields.get(h).is_some_and(|v| targets.contains(v)) => true,
                    (_, Some(c)) => match fields.get(c) {
                        Some(v) if !v.is_empty() => *cache.entry(v.clone()).or_insert_with(|| {
                            hashers
                                .iter()
                                .any(|h| h.protect(v).is_some_and(|p| targets.contains(&p.hash)))
                        }),
                        _ => false,
                    },
                    _ => false,
                };
                if hit {
                    if let Some(id) = id_col.and_then(|c| fields.get(c)) {
                        if !id.is_empty() {
                            calls.entry(b.programme_id).or_default().insert(id.clone());
                        }
                    }
                    f.hits.entry(b.batch_id).or_default().insert(i);
                    f.records.push(FoundRecord {
                        programme: f
                            .programme_codes
                            .get(&b.programme_id)
                            .cloned()
                            .unwrap_or_default(),
                        batch_id: b.batch_id,
                        source: b.source.clone(),
                        header: b.header.clone(),
                        record: line.to_string(),
                        linked: false,
                    });
                }
            }
        }
        for (b, id_col) in linked_batches {
            let Some(ids) = calls.get(&b.programme_id) else {
                continue;
            };
            let parts = self.store.raw_parts(&dir, b.batch_id).await?;
            for (i, line) in lines_of(&parts).enumerate() {
                let fields = split_csv(line);
                if fields.get(id_col).is_some_and(|id| ids.contains(id)) {
                    f.hits.entry(b.batch_id).or_default().insert(i);
                    f.records.push(FoundRecord {
                        programme: f
                            .programme_codes
                            .get(&b.programme_id)
                            .cloned()
                            .unwrap_or_default(),
                        batch_id: b.batch_id,
                        source: b.source.clone(),
                        header: b.header.clone(),
                        record: line.to_string(),
                        linked: true,
                    });
                }
            }
        }
        Ok(())
    }

    /// Finds everything stored about a person (audited without the identifier).
    pub async fn find_person(
        &self,
        who: Option<&Principal>,
        q: &PersonQuery<'_>,
    ) -> Result<Findings> {
        let actor = actor_of(who)?;
        if let Some(id) = q.request_id {
            self.store.rights_request(id).await?;
        }
        let (kind, _, f) = self.collect(q).await?;
        self.store
            .audit_privacy_action(&actor, "search", q.request_id, summary(kind, &f))
            .await?;
        Ok(f)
    }

    /// The person's data as a ZIP of JSON (everything) and CSV (one file per record layout).
    pub async fn export_person(
        &self,
        who: Option<&Principal>,
        q: &PersonQuery<'_>,
    ) -> Result<Vec<u8>> {
        let actor = actor_of(who)?;
        if let Some(id) = q.request_id {
            self.store.rights_request(id).await?;
        }
        let (kind, _, f) = self.collect(q).await?;
        let zip = export_zip(&f)?;
        self.store
            .audit_privacy_action(&actor, "export", q.request_id, summary(kind, &f))
            .await?;
        Ok(zip)
    }

    /// Erases the person everywhere: their raw records and the records linked to them are
    /// removed (batch files rewritten), finding texts and audit values that mention them are
    /// redacted, accounts and people anonymised, finished uploads deleted. Batches, keys and
    /// KPI aggregates are untouched, so every figure stays byte-identical.
    pub async fn erase_person(
        &self,
        who: Option<&Principal>,
        q: &PersonQuery<'_>,
    ) -> Result<Erased> {
        let actor = actor_of(who)?;
        if let Some(id) = q.request_id {
            self.store.rights_request(id).await?;
        }
        let (kind, needle, f) = self.collect(q).await?;
        let mut out = Erased::default();
        let dir = self.settings.data_dir.clone();
        for (batch, hits) in &f.hits {
            let parts = self.store.raw_parts(&dir, *batch).await?;
            let (kept, removed) = without_lines(&parts, hits);
            self.store
                .rewrite_raw_batch(&dir, &actor, *batch, &kept, removed, "erasure")
                .await?;
            out.records += removed;
            out.batches += 1;
        }
        for i in &f.issues {
            self.store
                .redact_issue(i, &needle.redact(&i.message))
                .await?;
            out.issues += 1;
        }
        for a in &f.audit {
            let mut before = a.before.clone();
            let mut after = a.after.clone();
            if let Some(v) = before.as_mut() {
                needle.redact_json(v);
            }
            if let Some(v) = after.as_mut() {
                needle.redact_json(v);
            }
            self.store
                .redact_audit_entry(
                    a.id,
                    &needle.redact(&a.actor),
                    before.as_ref(),
                    after.as_ref(),
                )
                .await?;
            out.audit += 1;
        }
        for u in &f.users {
            self.store.anonymise_user(&actor, u.id, "***").await?;
            out.users += 1;
        }
        for p in &f.people {
            self.store.anonymise_person(&actor, p.id, "***").await?;
            out.people += 1;
        }
        if kind == IdKind::Phone {
            // A stored upload of a finished job may still hold the number as sent.
            let t = now();
            out.uploads = self.store.prune_jobs(i64::MIN, t + 1).await?.files;
        }
        // Deleted bytes must not linger in free pages of the database file.
        self.store.compact().await?;
        self.store
            .audit_privacy_action(
                &actor,
                "erase",
                q.request_id,
                json!({ "by": kind.as_str(), "erased": out, "programmes": f.programmes().len() }),
            )
            .await?;
        tracing::info!(
            records = out.records,
            batches = out.batches,
            "person erased"
        );
        Ok(out)
    }

    /// Puts a number on the suppression list: future imports leave its calls out of the raw
    /// records (they still count in the figures) and flag them.
    pub async fn suppress_number(
        &self,
        who: Option<&Principal>,
        number: &str,
        reason: &str,
        request_id: Option<i64>,
    ) -> Result<bool> {
        let actor = actor_of(who)?;
        let reason: SuppressionReason = reason
            .trim()
            .parse()
            .map_err(|_| Error::invalid("reason", "error.privacy.suppression"))?;
        if let Some(id) = request_id {
            self.store.rights_request(id).await?;
        }
        // Imports hash with the current key, so that is the hash they will meet.
        let p = CallerHasher::new(&self.installation_secret().await?)
            .protect(number)
            .filter(|_| national_digits(number).is_some())
            .ok_or_else(|| Error::invalid("number", "error.privacy.phone"))?;
        Ok(self
            .store
            .suppress_caller(&actor, &p.hash, reason, request_id)
            .await?)
    }

    /// How many numbers are suppressed, by reason.
    pub async fn suppression_counts(
        &self,
        who: Option<&Principal>,
    ) -> Result<Vec<(SuppressionReason, i64)>> {
        actor_of(who)?;
        Ok(self.store.suppression_counts().await?)
    }

    // ---- breaches ----

    /// Every breach, newest first.
    pub async fn breaches(&self, who: &Principal) -> Result<Vec<Breach>> {
        who.require_role(PRIVACY_OFFICERS)?;
        self.store
            .breaches()
            .await?
            .into_iter()
            .map(|d| breach_of(d.id, d.data))
            .collect()
    }

    /// One breach.
    pub async fn breach(&self, who: &Principal, id: i64) -> Result<Breach> {
        who.require_role(PRIVACY_OFFICERS)?;
        let d = self.store.breach(id).await?;
        breach_of(d.id, d.data)
    }

    /// Registers a breach.
    pub async fn register_breach(&self, who: &Principal, b: Breach) -> Result<Breach> {
        who.require_role(PRIVACY_OFFICERS)?;
        let mut b = b.checked()?;
        let data = serde_json::to_value(&b).map_err(Error::internal)?;
        b.id = self.store.insert_breach(&who.actor(), &data).await?;
        Ok(b)
    }

    /// Replaces a breach's record (measures, notification dates…).
    pub async fn update_breach(&self, who: &Principal, id: i64, b: Breach) -> Result<Breach> {
        who.require_role(PRIVACY_OFFICERS)?;
        let mut b = b.checked()?;
        b.id = id;
        let data = serde_json::to_value(&b).map_err(Error::internal)?;
        self.store.update_breach(&who.actor(), id, &data).await?;
        Ok(b)
    }

    /// The DPO's contact (for notices).
    pub async fn dpo_contact(&self) -> Result<DpoContact> {
        Ok(self.load_privacy_settings().await?.dpo)
    }

    // ---- retention ----

    /// Applies the retention policy: per data class, what was stored before its period is
    /// removed (`dry_run`: only counted). Batches and KPI aggregates always stay. Each class
    /// purged is recorded in the purge log.
    pub async fn purge(&self, who: Option<&Principal>, dry_run: bool) -> Result<Vec<PurgeLine>> {
        let actor = actor_of(who)?;
        self.purge_as(&actor, dry_run).await
    }

    async fn purge_as(&self, actor: &Actor, dry_run: bool) -> Result<Vec<PurgeLine>> {
        let s = self.load_privacy_settings().await?;
        let t = now();
        let dir = self.settings.data_dir.clone();
        let mut out = Vec::new();
        let batches = self.store.raw_batch_refs().await?;
        for class in DataClass::ALL {
            let days = s.days(class);
            let cutoff = t - i64::from(days) * 86_400;
            let mut removed = 0i64;
            if days > 0 {
                match class {
                    DataClass::RawCalls | DataClass::QaComments | DataClass::SurveyAnswers => {
                        for b in batches.iter().filter(|b| {
                            b.created_at < cutoff && class_of_source(&b.source) == class
                        }) {
                            let parts = self.store.raw_parts(&dir, b.batch_id).await?;
                            let n = lines_of(&parts).count() as u64;
                            if n == 0 {
                                continue;
                            }
                            removed += n as i64;
                            if !dry_run {
                                self.store
                                    .rewrite_raw_batch(&dir, actor, b.batch_id, &[], n, "retention")
                                    .await?;
                            }
                        }
                    }
                    DataClass::CallerIssues => {
                        removed = self.store.purge_issues_before(cutoff, dry_run).await?;
                    }
                    DataClass::AuditLog => {
                        removed = self.store.purge_audit_before(cutoff, dry_run).await?;
                    }
                    DataClass::Reports => {
                        if dry_run {
                            removed = self.store.count_finished_jobs_before(cutoff).await?;
                        } else {
                            let p = self.store.prune_jobs(cutoff, cutoff).await?;
                            removed = (p.jobs + p.files) as i64;
                        }
                    }
                }
            }
            if !dry_run && removed > 0 {
                self.store
                    .record_purge(actor, class, cutoff, removed)
                    .await?;
            }
            out.push(PurgeLine {
                class,
                days,
                cutoff,
                removed,
            });
        }
        if !dry_run && out.iter().any(|l| l.removed > 0) {
            self.store.compact().await?;
        }
        Ok(out)
    }

    /// The purge log, newest first.
    pub async fn purge_log(&self, who: Option<&Principal>, limit: i64) -> Result<Vec<PurgeEntry>> {
        actor_of(who)?;
        Ok(self.store.purge_log(limit).await?)
    }

    /// Queues the day's purge job once a day across every server (called by the worker's
    /// housekeeping); true when this call queued it.
    pub async fn schedule_daily_purge(&self) -> Result<bool> {
        let day = today().to_string();
        if !self.store.advance_setting(PURGE_DAY_KEY, &day).await? {
            return Ok(false);
        }
        self.store
            .enqueue_job(&rumbo_store::jobs::NewJob {
                kind: KIND_PURGE,
                programme_id: None,
                created_by: None,
                payload: "{}",
                file_id: None,
                progress_total: 0,
                max_attempts: self.settings.jobs.max_attempts,
            })
            .await?;
        Ok(true)
    }

    /// Runs the retention purge as the scheduler (the body of a purge job).
    pub(crate) async fn run_scheduled_purge(&self) -> Result<Vec<PurgeLine>> {
        let sys = Actor::system("scheduler");
        // Programmes archived longer than they can be restored go first.
        self.purge_archived_programmes(&sys, now()).await?;
        self.purge_as(&sys, false).await
    }
}

/// The data class of a batch's raw records.
fn class_of_source(source: &str) -> DataClass {
    match source {
        "quality" => DataClass::QaComments,
        "survey" => DataClass::SurveyAnswers,
        _ => DataClass::RawCalls,
    }
}

fn view(r: RightsRequest, d: &Deadlines, today: Date) -> RequestView {
    let urgency = (r.status == RequestStatus::Open).then(|| d.urgency(r.due_on, today));
    RequestView {
        request: r,
        urgency,
    }
}

fn breach_of(id: i64, data: serde_json::Value) -> Result<Breach> {
    let mut b: Breach = serde_json::from_value(data).map_err(Error::internal)?;
    b.id = id;
    Ok(b)
}

/// The lines of a batch's parts, in stored order.
fn lines_of(parts: &[RawPart]) -> impl Iterator<Item = &str> {
    parts.iter().flat_map(|p| {
        std::str::from_utf8(&p.bytes)
            .unwrap_or("")
            .split_terminator('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
    })
}

/// The parts without the lines at `hits` (indices in stored order), and how many went.
fn without_lines(parts: &[RawPart], hits: &HashSet<usize>) -> (Vec<RawPart>, u64) {
    let mut i = 0usize;
    let mut removed = 0u64;
    let mut out = Vec::with_capacity(parts.len());
    for p in parts {
        let mut bytes = Vec::with_capacity(p.bytes.len());
        for line in p.bytes.split_inclusive(|&c| c == b'\n') {
            if hits.contains(&i) {
                removed += 1;
            } else {
                bytes.extend_from_slice(line);
            }
            i += 1;
        }
        out.push(RawPart {
            queue: p.queue.clone(),
            interval_start: p.interval_start,
            bytes,
        });
    }
    (out, removed)
}

/// What an audit entry of a search or export says: counts, never the identifier.
fn summary(kind: IdKind, f: &Findings) -> serde_json::Value {
    json!({
        "by": kind.as_str(),
        "records": f.records.len(),
        "programmes": f.programmes().len(),
        "issues": f.issues.len(),
        "audit": f.audit.len(),
        "users": f.users.len(),
        "people": f.people.len(),
    })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The export archive: `person.json` with everything, and CSV files of the records (one per
/// record layout), the findings, the audit entries, accounts and people.
fn export_zip(f: &Findings) -> Result<Vec<u8>> {
    let audit: Vec<serde_json::Value> = f
        .audit
        .iter()
        .map(|a| {
            json!({ "id": a.id, "at": a.at, "actor": a.actor, "entity": a.entity, "entity_id": a.entity_id,
                    "action": a.action, "before": a.before, "after": a.after })
        })
        .collect();
    let issues: Vec<serde_json::Value> = f
        .issues
        .iter()
        .map(|i| json!({ "batch_id": i.batch_id, "line": i.line, "kind": i.kind, "message": i.message }))
        .collect();
    let users: Vec<serde_json::Value> = f
        .users
        .iter()
        .map(|u| json!({ "id": u.id, "email": u.email, "name": u.name, "role": u.role.as_str() }))
        .collect();
    let people: Vec<serde_json::Value> = f
        .people
        .iter()
        .map(|p| json!({ "id": p.id, "name": p.name, "email": p.email, "org_role": p.org_role }))
        .collect();
    let records: Vec<serde_json::Value> = f
        .records
        .iter()
        .map(|r| {
            let cols = split_csv(&r.header);
            let vals = split_csv(&r.record);
            let fields: serde_json::Map<String, serde_json::Value> = cols
                .into_iter()
                .zip(vals)
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect();
            json!({ "programme": r.programme, "batch_id": r.batch_id, "source": r.source, "linked": r.linked, "fields": fields })
        })
        .collect();
    let all = json!({
        "records": records, "issues": issues, "audit": audit, "users": users, "people": people,
        "suppressed": f.suppressed.map(|s| s.as_str()),
    });
    let mut entries = vec![(
        "person.json".to_string(),
        serde_json::to_vec_pretty(&all).map_err(Error::internal)?,
    )];
    let mut by_layout: BTreeMap<(String, String), String> = BTreeMap::new();
    for r in &f.records {
        let e = by_layout
            .entry((r.source.clone(), r.header.clone()))
            .or_insert_with(|| format!("programme,batch_id,{}\n", r.header));
        e.push_str(&format!(
            "{},{},{}\n",
            csv_field(&r.programme),
            r.batch_id,
            r.record
        ));
    }
    for (i, ((source, _), text)) in by_layout.into_iter().enumerate() {
        entries.push((
            format!("records-{}-{}.csv", i + 1, source),
            text.into_bytes(),
        ));
    }
    let mut issues_csv = String::from("batch_id,line,kind,message\n");
    for i in &f.issues {
        issues_csv.push_str(&format!(
            "{},{},{},{}\n",
            i.batch_id,
            i.line,
            csv_field(&i.kind),
            csv_field(&i.message)
        ));
    }
    entries.push(("issues.csv".into(), issues_csv.into_bytes()));
    let mut audit_csv = String::from("id,at,actor,entity,entity_id,action,before,after\n");
    for a in &f.audit {
        audit_csv.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            a.id,
            a.at,
            csv_field(&a.actor),
            csv_field(&a.entity),
            csv_field(&a.entity_id),
            csv_field(&a.action),
            csv_field(&a.before.as_ref().map(|v| v.to_string()).unwrap_or_default()),
            csv_field(&a.after.as_ref().map(|v| v.to_string()).unwrap_or_default())
        ));
    }
    entries.push(("audit.csv".into(), audit_csv.into_bytes()));
    let mut accounts = String::from("kind,id,name,email\n");
    for u in &f.users {
        accounts.push_str(&format!(
            "user,{},{},{}\n",
            u.id,
            csv_field(&u.name),
            csv_field(&u.email)
        ));
    }
    for p in &f.people {
        accounts.push_str(&format!(
            "person,{},{},{}\n",
            p.id,
            csv_field(&p.name),
            csv_field(p.email.as_deref().unwrap_or(""))
        ));
    }
    entries.push(("accounts.csv".into(), accounts.into_bytes()));
    Ok(zip::stored_zip(&entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_given_as_a_number_is_kept_masked_and_other_identifiers_are_refused() {
        assert_eq!(minimised_subject("+56 9 8765 1234").unwrap(), "***** 1234");
        assert_eq!(
            minimised_subject("A. R., por correo").unwrap(),
            "A. R., por correo"
        );
        assert!(minimised_subject("Ana, ana@example.cl").is_err());
        assert!(minimised_subject("RUT 12345678-5").is_err());
        assert!(minimised_subject("Ana 12.345.678-5").is_err());
        assert!(minimised_subject("Ana 9 8765 1234").is_err());
        assert!(minimised_subject(" ").is_err());
    }

    #[test]
    fn removing_lines_keeps_every_other_record_of_every_segment_in_order() {
        let parts = vec![
            RawPart {
                queue: "q".into(),
                interval_start: 0,
                bytes: b"a\nb\n".to_vec(),
            },
            RawPart {
                queue: "q".into(),
                interval_start: 900,
                bytes: b"c\nd\n".to_vec(),
            },
        ];
        let hits: HashSet<usize> = [1, 2].into_iter().collect();
        let (kept, removed) = without_lines(&parts, &hits);
        assert_eq!(removed, 2);
        assert_eq!(kept[0].bytes, b"a\n");
        assert_eq!(kept[1].bytes, b"d\n");
        assert_eq!(lines_of(&parts).collect::<Vec<_>>(), ["a", "b", "c", "d"]);
    }

    #[test]
    fn batches_are_purged_under_the_class_of_their_source() {
        assert_eq!(class_of_source("quality"), DataClass::QaComments);
        assert_eq!(class_of_source("survey"), DataClass::SurveyAnswers);
        assert_eq!(class_of_source("queue-log"), DataClass::RawCalls);
        assert_eq!(class_of_source("sales"), DataClass::RawCalls);
    }

    #[test]
    fn a_processing_record_needs_purpose_data_retention_and_known_basis_and_role() {
        let bad = ProcessingRecord::default().checked().unwrap_err();
        let Error::Invalid(i) = bad else { panic!() };
        let fields: Vec<_> = i.0.iter().map(|e| e.field).collect();
        for f in [
            "purpose",
            "data_classes",
            "retention",
            "legal_basis",
            "role",
        ] {
            assert!(fields.contains(&f), "{f}");
        }
        let ok = ProcessingRecord {
            purpose: "Atención de clientes".into(),
            legal_basis: "contract".into(),
            role: "processor".into(),
            data_classes: "Número, grabación".into(),
            retention: "12 meses".into(),
            ..Default::default()
        };
        assert!(ok.checked().is_ok());
    }
}
