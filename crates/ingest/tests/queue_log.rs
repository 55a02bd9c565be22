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
    parse_bytes(&std::fs::read(path).unwrap(), tz)
}

fn parse_bytes(bytes: &[u8], tz: &str) -> Parsed {
    let f = bytes;
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

fn parse_text(text: &str) -> Parsed {
    parse_bytes(text.as_bytes(), "UTC")
}

fn kinds(p: &Parsed) -> Vec<(u64, IssueKind)> {
    p.issues.iter().map(|i| (i.line, i.kind)).collect()
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
    for (id, wait, outcome) in [
        ("c3", 3.0, Outcome::Abandoned),
        ("c4", 40.0, Outcome::Abandoned),
        ("c7", 8.0, Outcome::SystemExit),
        ("c8", 2.0, Outcome::SystemExit),
    ] {
        let c = call(&p, id);
        assert_eq!(c.record.facts.outcome, outcome, "{id}");
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

// --- calls and stints: close events matched on (call id, queue, agent) -------------------

/// An attended transfer from `ventas` to `soporte` under one call id: the second leg
/// enters and is answered while the first is still connected, and the first leg's
/// ATTENDEDTRANSFER comes before the second leg's COMPLETECALLER.
const ATTENDED_TWO_QUEUES: &str = "\
1000|x1|ventas|NONE|ENTERQUEUE||56911112222|1
1005|x1|ventas|Ana|CONNECT|5|x1.2|3
1060|x1|soporte|NONE|ENTERQUEUE||56911112222|1
1070|x1|soporte|Bob|CONNECT|10|x1.3|2
1075|x1|ventas|Ana|ATTENDEDTRANSFER|BRIDGE|x1.3|5|70|1
1200|x1|soporte|Bob|COMPLETECALLER|10|130|1
";

#[test]
fn an_attended_transfer_between_two_queues_gives_each_leg_its_own_talk_and_agent() {
    let p = parse_text(ATTENDED_TWO_QUEUES);
    assert_eq!(kinds(&p), vec![(5, IssueKind::AttendedTransfer)]);
    assert_eq!(p.calls.len(), 1, "one call in programme totals");
    let c = &p.calls[0];
    let legs: Vec<(&str, Option<&str>, f64, f64, &str)> = c
        .stints
        .iter()
        .map(|s| {
            (
                s.queue.as_str(),
                s.agent.as_deref(),
                s.wait_s,
                s.talk_s,
                s.end_event.as_str(),
            )
        })
        .collect();
    assert_eq!(
        legs,
        vec![
            ("ventas", Some("Ana"), 5.0, 70.0, "ATTENDEDTRANSFER"),
            ("soporte", Some("Bob"), 10.0, 130.0, "COMPLETECALLER"),
        ]
    );
    let r = &c.record;
    assert_eq!(
        (r.queue.as_str(), r.agent.as_deref()),
        ("soporte", Some("Bob"))
    );
    assert_eq!((r.facts.wait_s, r.facts.talk_s), (15.0, 200.0));
    assert_eq!(r.facts.outcome, Outcome::Answered);
}

#[test]
fn each_queue_counts_its_own_stint_of_a_two_queue_call() {
    let p = parse_text(ATTENDED_TWO_QUEUES);
    let stints = p.calls[0].stint_records();
    let def = KpiDefinition::standard();
    let mut agg = Aggregator::new(def.clone(), Bucketer::utc(Granularity::Day));
    for r in &stints {
        agg.add(r).unwrap();
    }
    let rows = agg.sorted_rows();
    type Row<'a> = (&'a str, u64, u64, Option<f64>, Option<f64>);
    let got: Vec<Row> = rows
        .iter()
        .map(|(k, a)| {
            let f = a.figures(&def);
            (k.0.as_str(), a.offered, a.answered, f.asa_s, f.aht_s)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("soporte", 1, 1, Some(10.0), Some(130.0)),
            ("ventas", 1, 1, Some(5.0), Some(70.0)),
        ]
    );
    assert_eq!(stints[1].first_queue.as_deref(), Some("ventas"));
    assert_eq!(stints[0].agent.as_deref(), Some("Ana"));
}

#[test]
fn a_leg_closed_after_the_next_one_still_gets_its_own_event() {
    // The second leg completes first; the first leg's COMPLETEAGENT follows.
    let p = parse_text(
        "\
1000|x2|ventas|NONE|ENTERQUEUE||1|1
1004|x2|ventas|Ana|CONNECT|4|a|1
1050|x2|soporte|NONE|ENTERQUEUE||1|1
1052|x2|soporte|Bob|CONNECT|2|b|1
1100|x2|soporte|Bob|COMPLETEAGENT|2|48|1
1101|x2|ventas|Ana|COMPLETEAGENT|4|97|1
",
    );
    assert_eq!(kinds(&p), vec![]);
    let talks: Vec<f64> = p.calls[0].stints.iter().map(|s| s.talk_s).collect();
    assert_eq!(talks, vec![97.0, 48.0]);
}

#[test]
fn two_connected_legs_in_one_queue_are_told_apart_by_agent() {
    // Ana transfers the caller back into ventas, where Bob answers; Bob's leg ends first.
    let p = parse_text(
        "\
1000|x3|ventas|NONE|ENTERQUEUE||1|1
1003|x3|ventas|Ana|CONNECT|3|a|1
1040|x3|ventas|NONE|ENTERQUEUE||1|2
1046|x3|ventas|Bob|CONNECT|6|b|1
1090|x3|ventas|Bob|COMPLETECALLER|6|44|1
1091|x3|ventas|Ana|BLINDTRANSFER|800|from-internal|3|88|1
",
    );
    let legs: Vec<(Option<&str>, f64, &str)> = p.calls[0]
        .stints
        .iter()
        .map(|s| (s.agent.as_deref(), s.talk_s, s.end_event.as_str()))
        .collect();
    assert_eq!(
        legs,
        vec![
            (Some("Ana"), 88.0, "BLINDTRANSFER"),
            (Some("Bob"), 44.0, "COMPLETECALLER")
        ]
    );
    assert_eq!(p.calls[0].stints[0].transfer_to.as_deref(), Some("800"));
}

#[test]
fn a_close_event_of_a_queue_the_call_is_not_connected_in_is_an_orphan() {
    let p = parse_text(
        "\
1000|x4|ventas|NONE|ENTERQUEUE||1|1
1003|x4|ventas|Ana|CONNECT|3|a|1
1050|x4|soporte|Ana|COMPLETECALLER|3|47|1
1060|x4|ventas|Ana|COMPLETECALLER|3|57|1
",
    );
    assert_eq!(kinds(&p), vec![(3, IssueKind::OrphanEvent)]);
    assert_eq!(p.calls[0].stints[0].talk_s, 57.0);
}

#[test]
fn a_leg_left_open_when_the_call_moved_on_ends_where_the_next_stint_began() {
    let p = parse_text(
        "\
1000|x5|ventas|NONE|ENTERQUEUE||1|1
1003|x5|ventas|Ana|CONNECT|3|a|1
1050|x5|soporte|NONE|ENTERQUEUE||1|1
1055|x5|soporte|Bob|CONNECT|5|b|1
1100|x5|soporte|Bob|COMPLETECALLER|5|45|1
",
    );
    assert_eq!(kinds(&p), vec![(3, IssueKind::AttendedTransfer)]);
    let st = &p.calls[0].stints[0];
    assert_eq!((st.talk_s, st.end_event.as_str()), (47.0, "GAP"));
}

// --- agent identity across interface and member name ----------------------------------

fn busy_s(s: &AgentSession) -> i64 {
    s.busy.iter().map(|(a, b)| b - a).sum()
}

fn session<'a>(p: &'a Parsed, agent: &str) -> &'a AgentSession {
    p.sessions
        .iter()
        .find(|s| s.agent == agent)
        .unwrap_or_else(|| panic!("no session {agent}"))
}

#[test]
fn member_names_in_call_events_join_the_sessions_logged_by_interface() {
    // ADDMEMBER logs interfaces; call events log member names. Beto is the only member of
    // soporte, so Beto is SIP/1002; then Ana can only be SIP/1001. "Caro 1003" carries the
    // extension of Local/1003@from-queue/n.
    let p = parse_text(
        "\
1000|NONE|ventas|SIP/1001|ADDMEMBER|
1000|NONE|ventas|SIP/1002|ADDMEMBER|
1000|NONE|soporte|SIP/1002|ADDMEMBER|
1000|NONE|ventas|Local/1003@from-queue/n|ADDMEMBER|
1100|m1|soporte|NONE|ENTERQUEUE||1|1
1102|m1|soporte|Beto|CONNECT|2|a|1
1162|m1|soporte|Beto|COMPLETECALLER|2|60|1
1200|m2|ventas|NONE|ENTERQUEUE||2|1
1201|m2|ventas|Ana|RINGNOANSWER|1000
1204|m2|ventas|Ana|CONNECT|4|b|1
1304|m2|ventas|Ana|COMPLETEAGENT|4|100|1
1400|m3|ventas|NONE|ENTERQUEUE||3|1
1401|m3|ventas|Caro 1003|CONNECT|1|c|1
1431|m3|ventas|Caro 1003|COMPLETEAGENT|1|30|1
5000|NONE|ventas|SIP/1001|REMOVEMEMBER|
5000|NONE|ventas|SIP/1002|REMOVEMEMBER|
5000|NONE|soporte|SIP/1002|REMOVEMEMBER|
5000|NONE|ventas|Local/1003@from-queue/n|REMOVEMEMBER|
",
    );
    assert_eq!(kinds(&p), vec![]);
    let ana = session(&p, "SIP/1001");
    assert_eq!(
        (busy_s(ana), ana.names.clone()),
        (100, vec!["Ana".to_string()])
    );
    assert_eq!(ana.ring_no_answer, 1);
    assert_eq!(busy_s(session(&p, "SIP/1002")), 60);
    assert_eq!(busy_s(session(&p, "Local/1003@from-queue/n")), 30);
    // Occupancy is no longer zero while agents talk.
    let mut b = Bucketer::utc(Granularity::Day);
    let mut t: BTreeMap<i64, AgentTime> = BTreeMap::new();
    for s in &p.sessions {
        add_session(s, 5000, &mut b, &mut t).unwrap();
    }
    assert_eq!(t[&0].busy_s, 190.0);
    assert_eq!(t[&0].staffed_s, 3.0 * 4000.0);
}

#[test]
fn an_agent_login_joins_the_channel_that_call_events_name() {
    let p = parse_text(
        "\
1000|NONE|NONE|Agent/2001|AGENTLOGIN|SIP/2001-0000000a
1100|g1|ventas|NONE|ENTERQUEUE||1|1
1105|g1|ventas|SIP/2001|CONNECT|5|a|1
1185|g1|ventas|SIP/2001|COMPLETECALLER|5|80|1
2000|NONE|NONE|Agent/2001|AGENTLOGOFF|SIP/2001-0000000a|1000
",
    );
    assert_eq!(kinds(&p), vec![]);
    assert_eq!(busy_s(session(&p, "Agent/2001")), 80);
}

#[test]
fn a_call_event_name_no_session_can_be_is_reported_and_others_are_not_guessed() {
    // Two members of ventas, one name: which one is Zoe cannot be told.
    let p = parse_text(
        "\
1000|NONE|ventas|SIP/1001|ADDMEMBER|
1000|NONE|ventas|SIP/1002|ADDMEMBER|
1100|z1|ventas|NONE|ENTERQUEUE||1|1
1102|z1|ventas|Zoe|CONNECT|2|a|1
1162|z1|ventas|Zoe|COMPLETECALLER|2|60|1
",
    );
    assert!(p.sessions.iter().all(|s| s.busy.is_empty()));
    let unmatched: Vec<_> = p
        .issues
        .iter()
        .filter(|i| i.kind == IssueKind::AgentUnmatched)
        .collect();
    assert_eq!(unmatched.len(), 1);
    assert_eq!(unmatched[0].line, 4);
    assert!(unmatched[0].message.contains("Zoe"));
}

// --- system exits -----------------------------------------------------------------------

const EXITS: &str = "\
1000|e1|ventas|NONE|ENTERQUEUE||1|1
1010|e1|ventas|Ana|CONNECT|10|a|1
1100|e1|ventas|Ana|COMPLETECALLER|10|90|1
1200|e2|ventas|NONE|ENTERQUEUE||2|1
1230|e2|ventas|NONE|ABANDON|1|1|30
1300|e3|ventas|NONE|ENTERQUEUE||3|1
1360|e3|ventas|NONE|EXITWITHTIMEOUT|1|1|60
1400|e4|ventas|NONE|ENTERQUEUE||4|1
1403|e4|ventas|NONE|EXITWITHKEY|9|1|1|3
1500|e5|ventas|NONE|ENTERQUEUE||5|1
1501|e5|ventas|NONE|EXITEMPTY|1|1|1
";

#[test]
fn system_exits_are_their_own_outcome_counted_as_each_definition_says() {
    let p = parse_text(EXITS);
    let outcomes: Vec<Outcome> = p.calls.iter().map(|c| c.record.facts.outcome).collect();
    use Outcome::*;
    assert_eq!(
        outcomes,
        vec![Answered, Abandoned, SystemExit, SystemExit, SystemExit]
    );
    let reg = rumbo_kpi::Registry::builtin();
    let figures = |spec: &str| {
        let def = reg.resolve(spec).unwrap().clone();
        let mut agg = Aggregator::new(def.clone(), Bucketer::utc(Granularity::Day));
        for c in &p.calls {
            agg.add(&c.record).unwrap();
        }
        let rows = agg.sorted_rows();
        let a = *rows[0].1;
        assert_eq!((a.offered, a.caller_abandons(), a.system_exits), (5, 1, 3));
        a.figures(&def)
    };
    // Version 1 (as before): every exit is an abandon; e4 and e5 are short ones.
    let v1 = figures("rumbo-standard@v1");
    assert_eq!(v1.sl, Some(1.0 / 3.0));
    assert_eq!(v1.abandon_rate, Some(4.0 / 5.0));
    // Version 2: exits are not abandons but were not served: in the SL denominator.
    let v2 = figures("rumbo-standard@v2");
    assert_eq!(v2.sl, Some(1.0 / 5.0));
    assert_eq!(v2.abandon_rate, Some(1.0 / 5.0));
}

// --- NUL recovery -------------------------------------------------------------------------

#[test]
fn a_nul_run_before_a_valid_event_is_removed_and_the_line_reported_as_repaired() {
    let mut text = Vec::new();
    text.extend_from_slice(b"1000|n1|ventas|NONE|ENTERQUEUE||1|1\n");
    // A crash cut line 2 and left NULs; the next event was written after them.
    text.extend_from_slice(b"1005|n1|ventas|Ana|CONN");
    text.extend_from_slice(&[0u8; 300]);
    text.extend_from_slice(b"1004|n2|ventas|NONE|ENTERQUEUE||2|1\n");
    text.extend_from_slice(&[0u8; 40]);
    text.extend_from_slice(b"\n");
    text.extend_from_slice(&[0u8; 5]);
    text.extend_from_slice(b"1010|n2|ventas|NONE|ABANDON|1|1|6\n");
    text.extend_from_slice(b"1020|n1|ventas|NONE|ABANDON|1|1|20\n");
    let p = parse_bytes(&text, "UTC");
    let repaired: Vec<(u64, Severity, &str)> = p
        .issues
        .iter()
        .filter(|i| i.kind == IssueKind::Repaired)
        .map(|i| (i.line, i.severity, i.message.as_str()))
        .collect();
    assert_eq!(
        repaired,
        vec![
            (
                2,
                Severity::Suspicious,
                "300 NUL bytes and 23 bytes of a cut line before them removed; the event after them was read"
            ),
            (3, Severity::Suspicious, "40 NUL bytes removed; nothing followed them"),
            (4, Severity::Suspicious, "5 NUL bytes removed; the event after them was read"),
        ]
    );
    assert!(
        p.issues.iter().all(|i| i.severity != Severity::Rejected),
        "{:?}",
        p.issues
    );
    let ids: Vec<(&str, f64)> = p
        .calls
        .iter()
        .map(|c| (c.record.call_id.as_str(), c.record.facts.wait_s))
        .collect();
    assert_eq!(ids, vec![("n1", 20.0), ("n2", 6.0)]);
}

#[test]
fn a_call_ending_after_its_agent_logged_off_is_not_given_to_another_member() {
    // Ana's own session (member name logged as agent) closed before her call ended; Bob is
    // the only open member, but the late event is Ana's, not his.
    let p = parse_text(
        "\
1000|NONE|ventas|Ana|ADDMEMBER|
1000|NONE|ventas|SIP/1002|ADDMEMBER|
1100|l1|ventas|NONE|ENTERQUEUE||1|1
1102|l1|ventas|Ana|CONNECT|2|a|1
1150|NONE|ventas|Ana|REMOVEMEMBER|
1162|l1|ventas|Ana|COMPLETECALLER|2|60|1
2000|NONE|ventas|SIP/1002|REMOVEMEMBER|
",
    );
    assert!(session(&p, "SIP/1002").busy.is_empty());
    assert!(session(&p, "SIP/1002").names.is_empty());
}
