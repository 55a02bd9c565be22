//! The standard call record every ingest source is converted to.
//!
//! Parsers (queue_log, CDR, vendor CSV/XLSX) produce [`CallRecord`]s; the engine
//! only needs the numeric [`CallFacts`] part, so hot paths can aggregate without
//! allocating strings.

/// How a call (all its queue stints stitched together) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The last stint was answered by an agent.
    Answered,
    /// The caller hung up before an answer.
    Abandoned,
    /// The queue let the caller out before an answer: the queue timed out
    /// (EXITWITHTIMEOUT), had no agents (EXITEMPTY) or the caller pressed an exit key
    /// (EXITWITHKEY). Kept apart from abandons; each definition says how it counts.
    SystemExit,
}

impl Outcome {
    /// Every outcome, in declaration order (catalogues and reports enumerate them).
    pub const ALL: [Outcome; 3] = [Outcome::Answered, Outcome::Abandoned, Outcome::SystemExit];

    /// Parses `answered` / `abandoned` / `system_exit` (ASCII case-insensitive).
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL
            .into_iter()
            .find(|o| s.eq_ignore_ascii_case(o.as_str()))
    }

    /// The canonical lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Abandoned => "abandoned",
            Outcome::SystemExit => "system_exit",
        }
    }
}

/// The numeric facts of a call needed by the aggregation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallFacts {
    /// When the call entered the (first) queue, epoch seconds.
    pub enter_ts: i64,
    /// Queue wait in seconds (summed over stints for multi-stint calls).
    pub wait_s: f64,
    /// Talk time in seconds.
    pub talk_s: f64,
    /// Hold time in seconds.
    pub hold_s: f64,
    /// After-call work (wrap-up) in seconds.
    pub wrap_s: f64,
    /// Final outcome.
    pub outcome: Outcome,
    /// Whether the call produced a sale (sales programmes).
    pub sale: bool,
}

/// A call as stored and drilled down to: facts plus identifying attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    /// Natural key from the source (Asterisk uniqueid, ACD call id, ...).
    pub call_id: String,
    /// Queue the call is counted in (the last stint's queue for stitched calls).
    pub queue: String,
    /// Numeric facts.
    pub facts: CallFacts,
    /// Agent who answered, if any.
    pub agent: Option<String>,
    /// Keyed hash of the caller number (never the raw number).
    pub caller_hash: Option<String>,
    /// Masked caller number for display, e.g. `***** 1234`.
    pub caller_masked: Option<String>,
    /// Disposition / wrap-up code.
    pub disposition: Option<String>,
    /// Number of queue stints (1 for a simple call; > 1 after overflow or transfer).
    pub stints: u32,
    /// First queue entered, when different from `queue`.
    pub first_queue: Option<String>,
}

impl CallRecord {
    /// A record with only the mandatory fields set.
    pub fn new(call_id: impl Into<String>, queue: impl Into<String>, facts: CallFacts) -> Self {
        CallRecord {
            call_id: call_id.into(),
            queue: queue.into(),
            facts,
            agent: None,
            caller_hash: None,
            caller_masked: None,
            disposition: None,
            stints: 1,
            first_queue: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_parses_back_from_its_name_in_any_case() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
            assert_eq!(Outcome::parse(&o.as_str().to_ascii_uppercase()), Some(o));
        }
        assert_eq!(Outcome::parse("timeout"), None);
    }
}
