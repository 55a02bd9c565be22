//! queue_log sample files: every event type, both CONNECT formats, a transfer,
//! an overflow to a second queue, a never-ending call, an agent session across
//! midnight, garbage lines and an unknown event. Counts and KPIs follow the
//! standard definition; every bad line is reported with its number.

use std::collections::BTreeMap;
use std::io::BufReader;

use rumbo_ingest::occupancy::{add_session, AgentTime};
use rumbo_ingest::queue_log::{
    AgentSession, QueueLogItem, QueueLogOptions, QueueLogParser, StitchedCall,
};
use rumbo_ingest::{CallerHasher, Issue, IssueKind, Severity};
use rumbo_kpi::{Aggregator, Bucketer, Granularity, KpiDefinition, Outcome};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/queue_log_sample.log"
);
const DB_EXPORT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/queue_log_db_export.csv"
);

struct Parsed {
    calls: Vec<StitchedCall>,
    sessions: Vec<AgentSession>,
    issues: Vec<Issue>,
}

fn parse(path: &str, tz: &str) -> Parsed {
    let f = std::fs::File::open(path).unwrap();
    let opts = QueueLogOptions {
        hasher: Some(CallerHasher::new(b"test-secret")),
        tz: jiff::tz::TimeZone::get(tz).unwrap(),
        ..QueueLogOptions::default()
    };
    let mut p = Parsed {
        calls: vec![],
        sessions: vec![],
        issues: vec![],
    };
    for item in QueueLogParser::new(BufReader::new(f), opts) {
        match item {
            QueueLogItem::Call(c) => p.calls.push(c),
            QueueLogItem::Session(s) => p.sessions.push(s),
            QueueLogItem::Issue(i) => p.issues.push(i),
        }
    }
    p.calls.sort_by_key(|c| c.first_line);
    p.issues.sort_by_key(|i| i.line);
    p
}

fn call<'a>(p: &'a Parsed, id: &str) -> &'a StitchedCall {
    p.calls
        .iter()
        .find(|c| c.record.call_id == id)
        .unwrap_or_else(|| panic!("call {id} missing"))
}

#[test]
fn every_finished_call_is_emitted_once_and_the_never_ending_one_is_not() {
    let p = parse(SAMPLE, "UTC");
    let ids: Vec<&str> = p.calls.iter().map(|c| c.record.call_id.as_str()).collect();
    assert_eq!(
        ids,
        ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10"]
    );
}

#[test]
fn both_connect_formats_give_wait_talk_and_agent() {
    let p = parse(SAMPLE, "UTC");
    let c1 = call(&p, "c1");
    assert_eq!(c1.stints[0].ring_s, Some(3.0)); // Asterisk ≥ 1.6 CONNECT
    assert_eq!(
        (c1.record.facts.wait_s, c1.record.facts.talk_s),
        (15.0, 300.0)
    );
    assert_eq!(c1.record.agent.as_deref(), Some("SIP/1001"));
    let c2 = call(&p, "c2");
    assert_eq!(c2.stints[0].ring_s, None); // Asterisk ≤ 1.4 CONNECT
    assert_eq!(
        (c2.record.facts.wait_s, c2.record.facts.talk_s),
        (30.0, 120.0)
    );
    assert_eq!(c2.record.facts.outcome, Outcome::Answered);
}

#[test]
fn overflow_to_a_second_queue_is_one_call_with_summed_wait() {
    let p = parse(SAMPLE, "UTC");
    let c5 = call(&p, "c5");
    assert_eq!(c5.record.stints, 2);
    assert_eq!(c5.record.queue, "soporte");
    assert_eq!(c5.record.first_queue.as_deref(), Some("ventas"));
    assert_eq!(c5.record.facts.wait_s, 70.0);
    assert_eq!(c5.record.facts.outcome, Outcome::Answered);
    assert_eq!(c5.stints[0].end_event, "EXITWITHTIMEOUT");
}

#[test]
fn a_transfer_into_another_queue_is_stitched_by_call_id() {
    let p = parse(SAMPLE, "UTC");
    let c6 = call(&p, "c6");
    assert_eq!(c6.record.stints, 2);
    assert_eq!(c6.stints[0].transfer_to.as_deref(), Some("700"));
    assert_eq!(c6.record.facts.wait_s, 10.0);
    assert_eq!(c6.record.facts.talk_s, 160.0);
    assert_eq!(c6.record.agent.as_deref(), Some("SIP/3001"));
}

#[test]
fn abandons_exits_and_caller_privacy() {
    let p = parse(SAMPLE, "UTC");
    for (id, wait) in [("c3", 3.0), ("c4", 40.0), ("c7", 8.0), ("c8", 2.0)] {
        let c = call(&p, id);
        assert_eq!(c.record.facts.outcome, Outcome::Abandoned, "{id}");
        assert_eq!(c.record.facts.wait_s, wait, "{id}");
    }
    let c1 = call(&p, "c1");
    assert_eq!(c1.record.caller_masked.as_deref(), Some("***** 1234"));
    assert!(c1
        .record
        .caller_hash
        .as_deref()
        .is_some_and(|h| h.len() == 64));
    // Repeat caller (c3, c4) gets the same hash.
    assert_eq!(
        call(&p, "c3").record.caller_hash,
        call(&p, "c4").record.caller_hash
    );
}

#[test]
fn every_bad_or_suspicious_line_is_reported_with_its_number() {
    let p = parse(SAMPLE, "UTC");
    let got: Vec<(u64, Severity, IssueKind)> = p
        .issues
        .iter()
        .map(|i| (i.line, i.severity, i.kind))
        .collect();
    use IssueKind::*;
    use Severity::*;
    assert_eq!(
        got,
        vec![
            (5, Suspicious, SessionNeverClosed),
            (39, Suspicious, TransferWithoutDestination),
            (42, Suspicious, AttendedTransfer),
            (43, Rejected, Unparseable),
            (44, Rejected, Unparseable),
            (45, Rejected, Unparseable),
            (46, Suspicious, UnknownEvent),
            (47, Suspicious, TimeBackwards),
            (48, Suspicious, CallNeverEnded),
            (52, Rejected, OrphanEvent),
        ]
    );
    assert!(p.issues[6].message.contains("FROBNICATE"));
}

#[test]
fn kpis_per_queue_follow_the_standard_definition() {
    let p = parse(SAMPLE, "UTC");
    let def = KpiDefinition::standard();
    let mut agg = Aggregator::new(def.clone(), Bucketer::utc(Granularity::Day));
    for c in &p.calls {
        agg.add(&c.record).unwrap();
    }
    let rows = agg.sorted_rows();
    assert_eq!(rows.len(), 2);
    let (k, soporte) = rows[0];
    assert_eq!(k.0, "soporte");
    assert_eq!(
        (
            soporte.offered,
            soporte.answered,
            soporte.abandoned,
            soporte.short_abandons
        ),
        (4, 2, 2, 1)
    );
    let f = soporte.figures(&def);
    assert_eq!(f.sl, Some(1.0 / 3.0));
    assert_eq!(f.asa_s, Some(40.0));
    assert_eq!(f.aht_s, Some(130.0));
    let (k, ventas) = rows[1];
    assert_eq!(k.0, "ventas");
    assert_eq!(
        (
            ventas.offered,
            ventas.answered,
            ventas.abandoned,
            ventas.answered_within_t
        ),
        (6, 4, 2, 3)
    );
    let f = ventas.figures(&def);
    assert_eq!(f.sl, Some(3.0 / 5.0));
    assert_eq!(f.asa_s, Some(14.75));
    assert_eq!(f.aht_s, Some(135.0));
    assert_eq!(f.abandon_rate, Some(2.0 / 6.0));
}

#[test]
fn agent_sessions_survive_midnight_with_pauses_and_busy_time() {
    let p = parse(SAMPLE, "UTC");
    let s = |a: &str| {
        p.sessions
            .iter()
            .find(|s| s.agent == a)
            .unwrap_or_else(|| panic!("{a}"))
    };
    let a1 = s("SIP/1001");
    assert_eq!(
        (a1.login_ts, a1.logoff_ts),
        (1_767_222_001, Some(1_767_229_200))
    );
    assert_eq!(
        a1.pauses,
        vec![(1_767_223_400, 1_767_223_700, "Almuerzo".to_string())]
    );
    assert_eq!(a1.ring_no_answer, 1);
    assert_eq!(a1.busy.len(), 4);
    let a2 = s("Agent/2001");
    assert_eq!(
        (a2.login_ts, a2.logoff_ts),
        (1_767_222_002, Some(1_767_227_400))
    );
    assert_eq!(a2.pauses.len(), 1);
    assert_eq!(s("SIP/3001").logoff_ts, None);

    let mut b = Bucketer::utc(Granularity::Day);
    let mut by_day: BTreeMap<i64, AgentTime> = BTreeMap::new();
    add_session(a1, 0, &mut b, &mut by_day).unwrap();
    let midnight = 1_767_225_600;
    assert_eq!(by_day[&(midnight - 86_400)].staffed_s, 3599.0);
    assert_eq!(by_day[&midnight].staffed_s, 3600.0);
    assert_eq!(by_day[&(midnight - 86_400)].paused_s, 300.0);
    assert_eq!(
        by_day[&(midnight - 86_400)].busy_s,
        300.0 + 60.0 + 60.0 + 60.0
    );
}

#[test]
fn db_table_export_with_local_times_and_old_exit_format_parses() {
    let p = parse(DB_EXPORT, "America/Santiago");
    assert!(p.issues.is_empty(), "{:?}", p.issues);
    assert_eq!(p.calls.len(), 1);
    let c = &p.calls[0].record;
    assert_eq!(c.facts.enter_ts, 1_767_272_400); // 10:00 -03:00
    assert_eq!(c.facts.wait_s, 45.0 + 5.0); // ≤ 1.4 EXITWITHTIMEOUT: wait from timestamps
    assert_eq!(c.facts.talk_s, 120.0);
    assert_eq!(c.queue, "soporte");
}
