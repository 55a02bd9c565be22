//! Agent time per interval from reconstructed queue_log sessions.
//!
//! Occupancy needs, per interval, the logged-in, paused and busy seconds of all
//! agents. Sessions (which may cross midnight) are split on interval boundaries
//! with the KPI engine's [`Bucketer`], so a session from 23:00 to 01:00 counts
//! one hour on each day instead of being "logged off at midnight".

use std::collections::BTreeMap;

use rumbo_kpi::{Bucketer, KpiError};

use crate::queue_log::AgentSession;

/// Logged-in, paused and busy seconds in one interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AgentTime {
    /// Logged-in seconds.
    pub staffed_s: f64,
    /// Paused seconds (within the session).
    pub paused_s: f64,
    /// Busy (talking) seconds (within the session).
    pub busy_s: f64,
}

/// Adds one session's time to `out` per interval start. `open_until` closes a
/// session that never closed (e.g. the last timestamp of the file).
pub fn add_session(
    s: &AgentSession,
    open_until: i64,
    bucketer: &mut Bucketer,
    out: &mut BTreeMap<i64, AgentTime>,
) -> Result<(), KpiError> {
    let end = s.logoff_ts.unwrap_or(open_until).max(s.login_ts);
    let clip = |a: i64, b: i64| (a.max(s.login_ts), b.min(end));
    for (iv, secs) in bucketer.split_span(s.login_ts, end)? {
        out.entry(iv).or_default().staffed_s += secs as f64;
    }
    for (a, b, _) in &s.pauses {
        let (a, b) = clip(*a, *b);
        for (iv, secs) in bucketer.split_span(a, b)? {
            out.entry(iv).or_default().paused_s += secs as f64;
        }
    }
    for (a, b) in &s.busy {
        let (a, b) = clip(*a, *b);
        for (iv, secs) in bucketer.split_span(a, b)? {
            out.entry(iv).or_default().busy_s += secs as f64;
        }
    }
    Ok(())
}
