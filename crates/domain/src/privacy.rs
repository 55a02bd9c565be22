//! Data protection rules of Ley 19.628 as amended by Ley 21.719 (`docs/domain/chile.md` §1):
//! the kinds of data-subject request and their legal deadlines, the data classes a retention
//! policy covers, the controller/processor role of a programme and the legal bases, and when a
//! breach must be told to the people affected.
//!
//! Deadlines are parameters ([`Deadlines`], defaults from the law) and business days come from
//! the caller as a predicate (the Chilean calendar lives in `rumbo-wfm`), so these rules stay
//! pure and are tested with plain dates.

use jiff::civil::{Date, Weekday};
use jiff::ToSpan;

use crate::Invalid;

crate::string_enum! {
    /// A right the person exercises (art. 4): access, rectification, erasure (supresión),
    /// objection, portability, blocking.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum RequestKind {
        Access = "access",
        Rectification = "rectification",
        Erasure = "erasure",
        Objection = "objection",
        Portability = "portability",
        Blocking = "blocking",
    }
    invalid("kind", "error.privacy.kind")
}

crate::string_enum! {
    /// Where a request is: open (received, maybe extended), answered, or denied with reasons.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum RequestStatus {
        Open = "open",
        Answered = "answered",
        Denied = "denied",
    }
    invalid("status", "error.privacy.status")
}

crate::string_enum! {
    /// Why a number is on the suppression list: an objection (never contact again) or a
    /// blocking (kept, processing paused while a request is pending).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum SuppressionReason {
        Objection = "objection",
        Blocking = "blocking",
    }
}

crate::string_enum! {
    /// A class of stored data with its own retention period.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum DataClass {
        /// Raw call (and sales) records kept for drill-down and recomputation.
        RawCalls = "raw_calls",
        /// Data-quality findings of imports, which may quote caller data.
        CallerIssues = "caller_issues",
        /// Raw QA evaluations.
        QaComments = "qa_comments",
        /// Raw survey answers.
        SurveyAnswers = "survey_answers",
        /// The audit log.
        AuditLog = "audit_log",
        /// Finished background jobs and their uploaded files.
        Reports = "reports",
    }
    invalid("class", "error.privacy.class")
}

impl DataClass {
    /// The default retention in days (minimisation, art. 3 c: the law sets none, so these
    /// are the installation's defaults, changed in the retention settings).
    pub fn default_days(self) -> u32 {
        match self {
            DataClass::RawCalls => 365,
            DataClass::CallerIssues => 180,
            DataClass::QaComments => 365,
            DataClass::SurveyAnswers => 365,
            DataClass::AuditLog => 1825,
            DataClass::Reports => 90,
        }
    }
}

crate::string_enum! {
    /// The BPO's role for a programme's data (art. 15 bis): usually the processor (encargado)
    /// of its client's customers' data, the controller (responsable) of its own staff's.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ProcessingRole {
        Controller = "controller",
        Processor = "processor",
    }
    invalid("role", "error.privacy.role")
}

crate::string_enum! {
    /// The legal basis of a processing (arts. 12, 13).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum LegalBasis {
        Consent = "consent",
        Commercial = "commercial",
        LegalObligation = "legal_obligation",
        Contract = "contract",
        LegitimateInterest = "legitimate_interest",
        LegalClaims = "legal_claims",
    }
    invalid("legal_basis", "error.privacy.legal_basis")
}

/// The deadlines of the law (arts. 10, 11), as parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// Calendar days to answer (días corridos).
    pub answer_days: i32,
    /// Calendar days one extension adds.
    pub extension_days: i32,
    /// Business days to answer a blocking request.
    pub blocking_business_days: i32,
    /// Business days the person has to complain to the Agencia after a denial.
    pub complaint_business_days: i32,
    /// Days before the due date from which an open request is shown as near its due date.
    pub warn_days: i32,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            answer_days: 30,
            extension_days: 30,
            blocking_business_days: 2,
            complaint_business_days: 30,
            warn_days: 5,
        }
    }
}

impl Deadlines {
    /// Deadlines with each value checked (0 to 365 days).
    pub fn new(
        answer_days: i32,
        extension_days: i32,
        blocking_business_days: i32,
        complaint_business_days: i32,
        warn_days: i32,
    ) -> Result<Deadlines, Invalid> {
        let ok = |v: i32| (0..=365).contains(&v);
        if !(ok(answer_days) && answer_days > 0) {
            return Err(Invalid::new("answer_days", "error.privacy.days"));
        }
        for (v, f) in [
            (extension_days, "extension_days"),
            (blocking_business_days, "blocking_business_days"),
            (complaint_business_days, "complaint_business_days"),
            (warn_days, "warn_days"),
        ] {
            if !ok(v) {
                return Err(Invalid::new(f, "error.privacy.days"));
            }
        }
        Ok(Deadlines {
            answer_days,
            extension_days,
            blocking_business_days,
            complaint_business_days,
            warn_days,
        })
    }

    /// The due date of a request received on `received`: blocking within business days,
    /// every other right within calendar days.
    pub fn due_on(
        &self,
        kind: RequestKind,
        received: Date,
        is_holiday: &dyn Fn(Date) -> bool,
    ) -> Date {
        match kind {
            RequestKind::Blocking => {
                add_business_days(received, self.blocking_business_days, is_holiday)
            }
            _ => add_days(received, self.answer_days),
        }
    }

    /// The due date after the one extension the law allows.
    pub fn extended(&self, due: Date) -> Date {
        add_days(due, self.extension_days)
    }

    /// The last day to complain to the Agencia after a denial given on `answered`.
    pub fn complain_until(&self, answered: Date, is_holiday: &dyn Fn(Date) -> bool) -> Date {
        add_business_days(answered, self.complaint_business_days, is_holiday)
    }

    /// How urgent an open request due on `due` is on `today`.
    pub fn urgency(&self, due: Date, today: Date) -> Urgency {
        if today > due {
            Urgency::Overdue
        } else if add_days(today, self.warn_days) >= due {
            Urgency::NearDue
        } else {
            Urgency::OnTime
        }
    }
}

crate::string_enum! {
    /// An open request's state against its due date (for the reminders list).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Urgency {
        Overdue = "overdue",
        NearDue = "near_due",
        OnTime = "on_time",
    }
}

fn add_days(d: Date, n: i32) -> Date {
    d.checked_add(n.days()).unwrap_or(d)
}

/// A business day: Monday to Friday and not a holiday.
pub fn is_business_day(d: Date, is_holiday: &dyn Fn(Date) -> bool) -> bool {
    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && !is_holiday(d)
}

/// The date `n` business days after `from` (the day itself does not count).
pub fn add_business_days(from: Date, n: i32, is_holiday: &dyn Fn(Date) -> bool) -> Date {
    let mut d = from;
    let mut left = n;
    while left > 0 {
        d = add_days(d, 1);
        if is_business_day(d, is_holiday) {
            left -= 1;
        }
    }
    d
}

/// Whether the people affected by a breach must be told (art. 14 sexies): sensitive data,
/// data of children under 14, or financial or commercial data.
pub fn people_must_be_notified(sensitive: bool, children: bool, financial: bool) -> bool {
    sensitive || children || financial
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn no_holidays(_: Date) -> bool {
        false
    }

    #[test]
    fn an_access_request_is_due_thirty_calendar_days_after_receipt_and_an_extension_adds_thirty() {
        let d = Deadlines::default();
        let due = d.due_on(RequestKind::Access, date(2026, 12, 1), &no_holidays);
        assert_eq!(due, date(2026, 12, 31));
        assert_eq!(d.extended(due), date(2027, 1, 30));
    }

    #[test]
    fn a_blocking_request_is_due_in_two_business_days_skipping_weekends_and_holidays() {
        let d = Deadlines::default();
        // Friday 4 Dec 2026 → Mon 7, and Tue 8 is a holiday (Inmaculada Concepción) → Wed 9.
        let holiday = |x: Date| x == date(2026, 12, 8);
        assert_eq!(
            d.due_on(RequestKind::Blocking, date(2026, 12, 4), &holiday),
            date(2026, 12, 9)
        );
        assert_eq!(
            d.due_on(RequestKind::Blocking, date(2026, 12, 4), &no_holidays),
            date(2026, 12, 8)
        );
    }

    #[test]
    fn a_denial_leaves_thirty_business_days_to_complain() {
        let d = Deadlines::default();
        // 30 business days from Monday 1 March 2027 without holidays: six weeks later.
        assert_eq!(
            d.complain_until(date(2027, 3, 1), &no_holidays),
            date(2027, 4, 12)
        );
    }

    #[test]
    fn urgency_is_overdue_after_the_due_date_and_near_due_within_the_warning_days() {
        let d = Deadlines::default();
        let due = date(2026, 12, 31);
        assert_eq!(d.urgency(due, date(2027, 1, 1)), Urgency::Overdue);
        assert_eq!(d.urgency(due, date(2026, 12, 31)), Urgency::NearDue);
        assert_eq!(d.urgency(due, date(2026, 12, 26)), Urgency::NearDue);
        assert_eq!(d.urgency(due, date(2026, 12, 25)), Urgency::OnTime);
    }

    #[test]
    fn deadlines_out_of_range_are_refused() {
        assert_eq!(
            Deadlines::new(0, 30, 2, 30, 5).unwrap_err().field,
            "answer_days"
        );
        assert_eq!(
            Deadlines::new(30, 400, 2, 30, 5).unwrap_err().field,
            "extension_days"
        );
        assert!(Deadlines::new(15, 15, 1, 30, 3).is_ok());
    }

    #[test]
    fn people_are_notified_only_for_sensitive_childrens_or_financial_data() {
        assert!(!people_must_be_notified(false, false, false));
        assert!(people_must_be_notified(true, false, false));
        assert!(people_must_be_notified(false, true, false));
        assert!(people_must_be_notified(false, false, true));
    }

    #[test]
    fn the_privacy_enums_round_trip_their_wire_names() {
        crate::assert_round_trips::<RequestKind>();
        crate::assert_round_trips::<RequestStatus>();
        crate::assert_round_trips::<DataClass>();
        crate::assert_round_trips::<SuppressionReason>();
        crate::assert_round_trips::<ProcessingRole>();
        crate::assert_round_trips::<LegalBasis>();
        crate::assert_round_trips::<Urgency>();
    }
}
