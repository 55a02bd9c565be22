//! A bounded data-quality report: the first lines of each reason in full, the rest counted.
//!
//! A file of three million bad lines must not become three million stored issue rows (nor
//! hold the database's write lock while they are written): [`IssueLog`] keeps the first
//! [`IssueLog::PER_REASON`] issues of each (severity, reason) with their line and message, and
//! only counts the others. The totals stay exact, so the batch's rejected and suspicious
//! counts and its "mostly not understood" mark do not depend on the bound.

use crate::issue::{Issue, IssueKind, Severity};
use crate::plausible::report_text;

/// Issues of one import, bounded per reason.
#[derive(Debug, Clone)]
pub struct IssueLog {
    per_reason: usize,
    kept: Vec<Issue>,
    totals: Vec<ReasonTotal>,
}

/// How many issues of one (severity, reason) the file had, and how many are kept in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReasonTotal {
    /// Rejected or suspicious.
    pub severity: Severity,
    /// The reason.
    pub kind: IssueKind,
    /// Every issue of this reason in the file.
    pub total: u64,
    /// How many of them are kept with their line and message (the first ones).
    pub kept: u64,
}

impl Default for IssueLog {
    fn default() -> Self {
        IssueLog::new(IssueLog::PER_REASON)
    }
}

impl IssueLog {
    /// Issues kept in full per (severity, reason).
    pub const PER_REASON: usize = 1_000;
    /// Longest message kept, in characters (longer ones are cut with an ellipsis).
    pub const MAX_MESSAGE_CHARS: usize = 300;

    /// An empty log keeping `per_reason` issues of each reason in full.
    pub fn new(per_reason: usize) -> Self {
        IssueLog {
            per_reason,
            kept: Vec::new(),
            totals: Vec::new(),
        }
    }

    /// Records one issue: kept in full while its reason has fewer than the bound, counted
    /// always. Messages lose control characters (a NUL byte fails a PostgreSQL text column)
    /// and are cut to a readable length.
    pub fn push(&mut self, mut issue: Issue) {
        let t = match self
            .totals
            .iter_mut()
            .position(|t| t.kind == issue.kind && t.severity == issue.severity)
        {
            Some(i) => &mut self.totals[i],
            None => {
                self.totals.push(ReasonTotal {
                    severity: issue.severity,
                    kind: issue.kind,
                    total: 0,
                    kept: 0,
                });
                self.totals.last_mut().expect("just pushed")
            }
        };
        t.total += 1;
        if (t.kept as usize) < self.per_reason {
            t.kept += 1;
            if let std::borrow::Cow::Owned(m) = report_text(&issue.message, Self::MAX_MESSAGE_CHARS)
            {
                issue.message = m;
            }
            self.kept.push(issue);
        }
    }

    /// Records every issue of `issues`.
    pub fn extend(&mut self, issues: impl IntoIterator<Item = Issue>) {
        for i in issues {
            self.push(i);
        }
    }

    /// Whether the file had any issue of `kind` and `severity` kept in full below the bound
    /// (callers that add their own issues use it to stay bounded).
    pub fn is_full(&self, severity: Severity, kind: IssueKind) -> bool {
        self.totals
            .iter()
            .any(|t| t.kind == kind && t.severity == severity && t.kept as usize >= self.per_reason)
    }

    /// The issues kept in full, in the order they were found.
    pub fn kept(&self) -> &[Issue] {
        &self.kept
    }

    /// The issues kept in full, taken out of the log (a log that keeps every issue hands
    /// them on to the bounded log of a whole file this way).
    pub fn into_kept(self) -> Vec<Issue> {
        self.kept
    }

    /// Totals per reason, in the order the reasons first appeared.
    pub fn totals(&self) -> &[ReasonTotal] {
        &self.totals
    }

    /// Every issue of `severity`, kept or counted.
    pub fn count(&self, severity: Severity) -> u64 {
        self.totals
            .iter()
            .filter(|t| t.severity == severity)
            .map(|t| t.total)
            .sum()
    }

    /// Lines the import did not understand: unreadable lines and unknown events (a value out
    /// of range was understood, and is only rejected). A batch where these are most of the
    /// lines read is marked as mostly not understood.
    pub fn not_understood(&self) -> u64 {
        self.totals
            .iter()
            .filter(|t| matches!(t.kind, IssueKind::Unparseable | IssueKind::UnknownEvent))
            .map(|t| t.total)
            .sum()
    }
}

/// Whether a batch that read `lines_read` lines, `not_understood` of them not understood,
/// is mostly not understood: more than half of its lines.
pub fn mostly_not_understood(lines_read: u64, not_understood: u64) -> bool {
    not_understood.saturating_mul(2) > lines_read
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_million_bad_lines_keep_the_first_ones_per_reason_and_count_all() {
        let mut log = IssueLog::new(1_000);
        for line in 1..=3_000_000u64 {
            let kind = if line % 2 == 0 {
                IssueKind::Unparseable
            } else {
                IssueKind::UnknownEvent
            };
            let i = if kind == IssueKind::Unparseable {
                Issue::rejected(line, kind, "bad")
            } else {
                Issue::suspicious(line, kind, "odd")
            };
            log.push(i);
        }
        assert_eq!(log.kept().len(), 2_000);
        assert_eq!(log.count(Severity::Rejected), 1_500_000);
        assert_eq!(log.count(Severity::Suspicious), 1_500_000);
        assert_eq!(log.not_understood(), 3_000_000);
        log.push(Issue::rejected(1, IssueKind::InvalidValue, "1e308 s"));
        assert_eq!(
            log.not_understood(),
            3_000_000,
            "an implausible value was understood"
        );
        assert_eq!(log.kept()[0].line, 1);
        assert!(log.is_full(Severity::Rejected, IssueKind::Unparseable));
        let t = log.totals()[0];
        assert_eq!((t.total, t.kept), (1_500_000, 1_000));
    }

    #[test]
    fn kept_messages_lose_nul_bytes_and_are_cut() {
        let mut log = IssueLog::default();
        log.push(Issue::rejected(
            1,
            IssueKind::Unparseable,
            format!("a\0b{}", "x".repeat(5000)),
        ));
        let m = &log.kept()[0].message;
        assert!(!m.contains('\0'));
        assert_eq!(m.chars().count(), IssueLog::MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn a_batch_is_mostly_not_understood_past_half_of_its_lines() {
        assert!(mostly_not_understood(1000, 1000));
        assert!(mostly_not_understood(1000, 501));
        assert!(!mostly_not_understood(1000, 500));
        assert!(!mostly_not_understood(0, 0));
        assert!(!mostly_not_understood(10, 1));
    }
}
