//! Data-quality issues: every rejected or suspicious line, with its number.
//!
//! Nothing an import sees is lost silently: a line is either turned into a
//! record, or reported here as *rejected* (not imported) or *suspicious*
//! (imported but flagged: time going backwards, a call that never ended, an
//! attended transfer that may leave gaps, an agent session never closed...).

use std::fmt;

/// Whether the line was dropped or kept with a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The line was not imported.
    Rejected,
    /// The line (or the call/session it belongs to) was imported but needs a look.
    Suspicious,
}

impl Severity {
    /// Every severity (reports and catalogues enumerate them).
    pub const ALL: [Severity; 2] = [Severity::Rejected, Severity::Suspicious];

    /// Lower-case name for reports and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Rejected => "rejected",
            Severity::Suspicious => "suspicious",
        }
    }
}

/// Machine-readable reason code; the message carries the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueKind {
    /// The line cannot be parsed (too few fields, bad number, bad date).
    Unparseable,
    /// A value is out of range (negative duration, unknown outcome...).
    InvalidValue,
    /// The timestamp is earlier than the previous line's.
    TimeBackwards,
    /// An event name the parser does not know (kept in the report).
    UnknownEvent,
    /// A call that entered a queue and never ended within the file.
    CallNeverEnded,
    /// A call event for a call id that never entered a queue in this file.
    OrphanEvent,
    /// A transfer with no destination extension.
    TransferWithoutDestination,
    /// An attended transfer: queue_log may miss the transferred leg.
    AttendedTransfer,
    /// An agent session (login or membership) that is still open at the end of the file.
    SessionNeverClosed,
    /// An agent logoff or unpause without a matching login or pause.
    SessionUnmatched,
    /// The same natural key appeared twice in the file.
    DuplicateKey,
    /// A figure is derived, not logged (a CDR's wait includes time before the queue).
    ApproximateWait,
    /// The line was damaged and repaired before reading (a run of NUL bytes left by a
    /// crashed logger was removed and the event after it read).
    Repaired,
    /// A call event names an agent that no login or queue membership of the file could be
    /// joined to, so its talk time is missing from occupancy.
    AgentUnmatched,
    /// Control characters (NUL bytes included) were removed from a text field; the line
    /// was imported.
    TextCleaned,
}

impl IssueKind {
    /// Every kind, in declaration order: the catalogues hold a reason per kind, and a test
    /// there enumerates this list.
    pub const ALL: [IssueKind; 15] = [
        IssueKind::Unparseable,
        IssueKind::InvalidValue,
        IssueKind::TimeBackwards,
        IssueKind::UnknownEvent,
        IssueKind::CallNeverEnded,
        IssueKind::OrphanEvent,
        IssueKind::TransferWithoutDestination,
        IssueKind::AttendedTransfer,
        IssueKind::SessionNeverClosed,
        IssueKind::SessionUnmatched,
        IssueKind::DuplicateKey,
        IssueKind::ApproximateWait,
        IssueKind::Repaired,
        IssueKind::AgentUnmatched,
        IssueKind::TextCleaned,
    ];

    /// Stable snake_case code for storage.
    pub fn code(self) -> &'static str {
        match self {
            IssueKind::Unparseable => "unparseable",
            IssueKind::InvalidValue => "invalid_value",
            IssueKind::TimeBackwards => "time_backwards",
            IssueKind::UnknownEvent => "unknown_event",
            IssueKind::CallNeverEnded => "call_never_ended",
            IssueKind::OrphanEvent => "orphan_event",
            IssueKind::TransferWithoutDestination => "transfer_without_destination",
            IssueKind::AttendedTransfer => "attended_transfer",
            IssueKind::SessionNeverClosed => "session_never_closed",
            IssueKind::SessionUnmatched => "session_unmatched",
            IssueKind::DuplicateKey => "duplicate_key",
            IssueKind::ApproximateWait => "approximate_wait",
            IssueKind::Repaired => "repaired",
            IssueKind::AgentUnmatched => "agent_unmatched",
            IssueKind::TextCleaned => "text_cleaned",
        }
    }
}

/// One data-quality finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// 1-based line number in the source file (the header is line 1 in CSV files).
    pub line: u64,
    /// Rejected or suspicious.
    pub severity: Severity,
    /// Reason code.
    pub kind: IssueKind,
    /// Human-readable detail.
    pub message: String,
}

impl Issue {
    /// A rejected line.
    pub fn rejected(line: u64, kind: IssueKind, message: impl Into<String>) -> Self {
        Issue {
            line,
            severity: Severity::Rejected,
            kind,
            message: message.into(),
        }
    }

    /// A suspicious line, call or session.
    pub fn suspicious(line: u64, kind: IssueKind, message: impl Into<String>) -> Self {
        Issue {
            line,
            severity: Severity::Suspicious,
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}: {} ({}): {}",
            self.line,
            self.severity.as_str(),
            self.kind.code(),
            self.message
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ALL` lists every kind once: adding a variant breaks this match until it is listed.
    #[test]
    fn every_kind_is_listed_once_with_a_distinct_code() {
        let listed = |k: IssueKind| IssueKind::ALL.iter().filter(|&&x| x == k).count();
        for k in IssueKind::ALL {
            let declared = match k {
                IssueKind::Unparseable
                | IssueKind::InvalidValue
                | IssueKind::TimeBackwards
                | IssueKind::UnknownEvent
                | IssueKind::CallNeverEnded
                | IssueKind::OrphanEvent
                | IssueKind::TransferWithoutDestination
                | IssueKind::AttendedTransfer
                | IssueKind::SessionNeverClosed
                | IssueKind::SessionUnmatched
                | IssueKind::DuplicateKey
                | IssueKind::ApproximateWait
                | IssueKind::Repaired
                | IssueKind::AgentUnmatched
                | IssueKind::TextCleaned => true,
            };
            assert!(declared && listed(k) == 1, "{k:?}");
        }
        let mut codes: Vec<_> = IssueKind::ALL.iter().map(|k| k.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), IssueKind::ALL.len());
        for s in Severity::ALL {
            assert!(matches!(s, Severity::Rejected | Severity::Suspicious));
        }
    }
}
