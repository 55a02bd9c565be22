//! No input makes a parser panic: arbitrary bytes, arbitrary pipe/comma lines and seeded
//! hostile workbooks and lines (`rumbo_ingest::hostile`) go through every parser.

use std::io::{BufReader, Cursor};

use proptest::prelude::*;
use rumbo_ingest::cdr::CdrReader;
use rumbo_ingest::mapping::{MappedCsv, Mapping, RecordKind};
use rumbo_ingest::queue_log::{QueueLogItem, QueueLogOptions, QueueLogParser};
use rumbo_ingest::std_calls::{parse_chunk, Layout};
use rumbo_ingest::CallerHasher;

fn run_all(bytes: &[u8]) {
    let opts = QueueLogOptions {
        hasher: Some(CallerHasher::new(b"k")),
        stitch_window_s: 5,
        ..QueueLogOptions::default()
    };
    for item in QueueLogParser::new(BufReader::new(bytes), opts) {
        // Every emitted call must be internally consistent.
        if let QueueLogItem::Call(c) = item {
            assert!(c.record.facts.wait_s >= 0.0 && c.record.stints as usize == c.stints.len());
        }
    }
    let _ = CdrReader::new(
        bytes,
        jiff::tz::TimeZone::UTC,
        Some(CallerHasher::new(b"k")),
    )
    .count();
    let _ = parse_chunk(&Layout::standard(), bytes, 1, |_, _| {});
    let _ = Layout::from_header(bytes);
    for kind in [
        RecordKind::Calls,
        RecordKind::Quality,
        RecordKind::Survey,
        RecordKind::Sales,
    ] {
        if let Ok(r) = MappedCsv::new(
            bytes,
            &Mapping::identity(kind),
            Some(CallerHasher::new(b"k")),
        ) {
            let _ = r.count();
        }
    }
    let _ = rumbo_ingest::xlsx::read_xlsx(
        Cursor::new(bytes.to_vec()),
        &Mapping::identity(RecordKind::Calls),
        None,
    );
}

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[0-9]{1,12}",
        "-?[0-9]{1,4}\\.[0-9]{0,3}",
        "(ENTERQUEUE|CONNECT|COMPLETECALLER|COMPLETEAGENT|ABANDON|EXITWITHTIMEOUT|EXITWITHKEY|EXITEMPTY|RINGNOANSWER|TRANSFER|BLINDTRANSFER|ATTENDEDTRANSFER|AGENTLOGIN|AGENTLOGOFF|ADDMEMBER|REMOVEMEMBER|PAUSE|UNPAUSE|PAUSEALL|UNPAUSEALL|answered|abandoned|X)",
        "c[0-3]",
        "(SIP/100[0-3]|Local/100[0-3]@from-queue/n|Agent/100[0-3]|Ana|Bob|Ana 1001|NONE)",
        "(ventas|soporte|NONE)",
        "\\x00{1,8}",
        "[ -~]{0,12}",
        "\\PC{0,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        run_all(&bytes);
    }

    #[test]
    fn arbitrary_structured_lines_never_panic(
        lines in proptest::collection::vec((proptest::collection::vec(field(), 0..11), prop_oneof![Just('|'), Just(',')]), 0..40)
    ) {
        let mut text = String::from("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n");
        for (fields, sep) in lines {
            text.push_str(&fields.join(&sep.to_string()));
            text.push('\n');
        }
        run_all(text.as_bytes());
    }
}

/// A call that enters, is answered and completes, as pipe lines.
fn call_lines(id: usize, t: i64) -> Vec<String> {
    vec![
        format!("{t}|k{id}|ventas|NONE|ENTERQUEUE||5691234{id:04}|1"),
        format!("{}|k{id}|ventas|Ana|CONNECT|4|x|1", t + 4),
        format!("{}|k{id}|ventas|Ana|COMPLETECALLER|4|60|1", t + 64),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Any run of NUL bytes (with or without a cut line before it) in front of valid events
    /// loses no call: each such line is reported as repaired and nothing is rejected.
    #[test]
    fn nul_runs_before_valid_events_are_repaired_and_lose_no_call(
        damage in proptest::collection::vec((0usize..9, 1usize..600, 0usize..20), 0..6),
        calls in 1usize..6,
    ) {
        let mut lines: Vec<String> = (0..calls).flat_map(|i| call_lines(i, 1000 + 100 * i as i64)).collect();
        let mut bytes = Vec::new();
        let mut damaged = std::collections::BTreeSet::new();
        for (n, line) in lines.drain(..).enumerate() {
            if let Some((_, nuls, cut)) = damage.iter().find(|(at, _, _)| *at == n) {
                bytes.extend_from_slice(&b"1999|cut|ventas|NONE|ENTERQ"[..*cut]);
                bytes.extend(std::iter::repeat_n(0u8, *nuls));
                damaged.insert(n as u64 + 1);
            }
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
        }
        let opts = QueueLogOptions { stitch_window_s: 5, ..QueueLogOptions::default() };
        let mut got_calls = 0;
        let mut repaired = std::collections::BTreeSet::new();
        for item in QueueLogParser::new(BufReader::new(&bytes[..]), opts) {
            match item {
                QueueLogItem::Call(c) => {
                    got_calls += 1;
                    prop_assert_eq!(c.record.facts.talk_s, 60.0);
                }
                QueueLogItem::Issue(i) => {
                    prop_assert_eq!(i.kind, rumbo_ingest::IssueKind::Repaired, "{}", i);
                    repaired.insert(i.line);
                }
                QueueLogItem::Session(_) => {}
            }
        }
        prop_assert_eq!(got_calls, calls);
        prop_assert_eq!(repaired, damaged);
    }
}

/// One event of a generated call history: (call, queue, agent, event, data).
fn event() -> impl Strategy<Value = (usize, usize, usize, usize, u32)> {
    (0usize..3, 0usize..3, 0usize..4, 0usize..12, 0u32..200)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// Whatever order call events come in (transfers between queues, legs closed out of
    /// order, orphans, member names and interfaces mixed), every emitted call is the sum of
    /// its stints and ends as its last stint did.
    #[test]
    fn every_stitched_call_is_the_sum_of_its_stints(events in proptest::collection::vec(event(), 0..60)) {
        const QUEUES: [&str; 3] = ["ventas", "soporte", "NONE"];
        const AGENTS: [&str; 4] = ["Ana", "SIP/1001", "Local/1002@from-queue/n", "NONE"];
        const EVENTS: [&str; 12] = [
            "ENTERQUEUE", "CONNECT", "COMPLETECALLER", "COMPLETEAGENT", "TRANSFER",
            "BLINDTRANSFER", "ATTENDEDTRANSFER", "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY",
            "EXITWITHKEY", "ADDMEMBER",
        ];
        let mut text = String::new();
        for (i, (c, q, a, e, d)) in events.iter().enumerate() {
            let ts = 1000 + 7 * i as i64;
            text.push_str(&format!(
                "{ts}|k{c}|{}|{}|{}|{d}|{d}|{d}|{d}|1\n",
                QUEUES[*q], AGENTS[*a], EVENTS[*e]
            ));
        }
        let opts = QueueLogOptions { stitch_window_s: 20, ..QueueLogOptions::default() };
        for item in QueueLogParser::new(BufReader::new(text.as_bytes()), opts) {
            if let QueueLogItem::Call(c) = item {
                let r = &c.record;
                prop_assert_eq!(r.stints as usize, c.stints.len());
                let wait: f64 = c.stints.iter().map(|s| s.wait_s).sum();
                let talk: f64 = c.stints.iter().map(|s| s.talk_s).sum();
                prop_assert_eq!(r.facts.wait_s, wait);
                prop_assert_eq!(r.facts.talk_s, talk);
                prop_assert!(c.stints.iter().all(|s| s.wait_s >= 0.0 && s.talk_s >= 0.0 && !s.end_event.is_empty()));
                let last = c.stints.last().unwrap();
                prop_assert_eq!(r.facts.outcome, last.outcome());
                prop_assert_eq!(&r.queue, &last.queue);
                let per_stint = c.stint_records();
                prop_assert_eq!(per_stint.len(), c.stints.len());
            }
        }
    }
}

proptest! {
    // A few hundred seeded hostile inputs per run; the fuzz example runs a million per parser
    // (`cargo run --release -p rumbo-ingest --example fuzz`).
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn hostile_workbooks_and_lines_never_panic(seed in any::<u64>()) {
        let mut g = rumbo_ingest::hostile::Gen::new(seed);
        run_all(&rumbo_ingest::hostile::xlsx(&mut g));
        run_all(&rumbo_ingest::hostile::lines(&mut g));
        run_all(&rumbo_ingest::hostile::bytes(&mut g));
    }
}
