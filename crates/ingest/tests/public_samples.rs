//! Public sample files written by others (see `data/public/README.md` for their source,
//! licence and the hand check): each is recognised by content and imports with the counts
//! the hand check gives.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use rumbo_ingest::cdr::CdrReader;
use rumbo_ingest::detect::{detect, Detection, Layout};
use rumbo_ingest::queue_log::{QueueLogItem, QueueLogOptions, QueueLogParser};
use rumbo_ingest::queue_log_table;
use rumbo_kpi::Outcome;

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/data/public/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// `(offered, answered, abandoned)` per queue.
type PerQueue = BTreeMap<String, (u32, u32, u32)>;

/// The counts per queue of a `Master.csv` sample, and its rejected lines.
fn cdr_counts(name: &str) -> (PerQueue, Vec<u64>) {
    cdr_counts_as(name, "cdr-master")
}

/// The counts per queue of a CDR sample recognised as `layout`, and its rejected lines.
fn cdr_counts_as(name: &str, layout: &str) -> (PerQueue, Vec<u64>) {
    let bytes = sample(name);
    let Detection::Known(Layout::Cdr(cols)) = detect(&bytes) else {
        panic!("{name} not recognised as a CDR: {:?}", detect(&bytes))
    };
    assert_eq!(cols.name(), layout, "{name}");
    let mut per_queue = PerQueue::new();
    let mut rejected = Vec::new();
    for r in CdrReader::with_columns(&bytes[..], cols, TimeZone::UTC, None) {
        match r {
            Ok((_, c)) => {
                let e = per_queue.entry(c.queue.clone()).or_default();
                e.0 += 1;
                match c.facts.outcome {
                    Outcome::Answered => e.1 += 1,
                    _ => e.2 += 1,
                }
            }
            Err(i) if i.severity == rumbo_ingest::Severity::Rejected => rejected.push(i.line),
            Err(_) => {}
        }
    }
    (per_queue, rejected)
}

#[test]
fn the_asterisk_testsuite_master_csv_is_two_answered_calls_to_extension_1() {
    let (q, rejected) = cdr_counts("asterisk_testsuite_self_test_Master.csv");
    assert_eq!(q, BTreeMap::from([("1".to_string(), (2, 2, 0))]));
    assert!(rejected.is_empty());
}

#[test]
fn the_asterisk_testsuite_cdr_rows_of_one_uniqueid_are_one_answered_call() {
    let (q, rejected) = cdr_counts("asterisk_testsuite_cdrlib_good.csv");
    assert_eq!(q, BTreeMap::from([("100".to_string(), (1, 1, 0))]));
    assert!(rejected.is_empty());
}

/// What a hand check counts per queue in a `queue_log` sample: stints offered, answered,
/// abandoned, ended by the queue (system exits) and ended by a transfer.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    offered: u32,
    answered: u32,
    abandoned: u32,
    system_exits: u32,
    transfers: u32,
}

fn counts(
    offered: u32,
    answered: u32,
    abandoned: u32,
    system_exits: u32,
    transfers: u32,
) -> Counts {
    Counts {
        offered,
        answered,
        abandoned,
        system_exits,
        transfers,
    }
}

/// The layout `detect` recognises in a `queue_log` sample, its counts per queue, and the
/// calls it left out because they never ended in the file.
fn queue_log_counts(name: &str) -> (&'static str, BTreeMap<String, Counts>, u64) {
    let bytes = sample(name);
    let Detection::Known(layout) = detect(&bytes) else {
        panic!("{name} not recognised: {:?}", detect(&bytes))
    };
    let opts = QueueLogOptions::default();
    let items: Box<dyn Iterator<Item = QueueLogItem>> = match layout.clone() {
        Layout::QueueLogPipe => Box::new(QueueLogParser::new(&bytes[..], opts)),
        Layout::QueueLogTable(cols) => Box::new(queue_log_table::parser(&bytes[..], opts, cols)),
        other => panic!("{name} recognised as {other:?}, not a queue_log"),
    };
    let mut per_queue = BTreeMap::<String, Counts>::new();
    let mut never_ended = 0;
    for item in items {
        match item {
            QueueLogItem::Call(call) => {
                for st in &call.stints {
                    let c = per_queue.entry(st.queue.clone()).or_default();
                    c.offered += 1;
                    match st.outcome() {
                        Outcome::Answered => c.answered += 1,
                        Outcome::Abandoned => c.abandoned += 1,
                        Outcome::SystemExit => c.system_exits += 1,
                    }
                    if matches!(
                        st.end_event.as_str(),
                        "TRANSFER" | "BLINDTRANSFER" | "ATTENDEDTRANSFER"
                    ) {
                        c.transfers += 1;
                    }
                }
            }
            QueueLogItem::Issue(i) if i.kind == rumbo_ingest::IssueKind::CallNeverEnded => {
                never_ended += 1
            }
            _ => {}
        }
    }
    (layout.name(), per_queue, never_ended)
}

#[test]
fn the_pbxware_queue_log_export_counts_every_ended_call_of_queue_it() {
    let (layout, q, never_ended) = queue_log_counts("voipreports1_pbxware_queue_log.csv");
    assert_eq!(layout, "queue-log-pbxware");
    assert_eq!(
        q,
        BTreeMap::from([("IT".to_string(), counts(104, 91, 12, 1, 2))])
    );
    assert_eq!(never_ended, 4);
}

#[test]
fn the_asterisk_realtime_queue_log_table_counts_support_and_sales_apart() {
    let (layout, q, never_ended) = queue_log_counts("malariapbx_realtime_queue_log.csv");
    assert_eq!(layout, "queue-log-realtime");
    assert_eq!(
        q,
        BTreeMap::from([
            ("Support".to_string(), counts(7, 2, 4, 1, 0)),
            ("sales".to_string(), counts(1, 0, 1, 0, 0)),
        ])
    );
    assert_eq!(never_ended, 0);
}

#[test]
fn the_pbxware_cdr_export_has_the_seventeen_answered_calls_of_queue_it() {
    let (q, rejected) = cdr_counts_as("voipreports1_pbxware_cdr.csv", "cdr-header");
    assert_eq!(q.get("IT"), Some(&(17, 17, 0)));
    // The main number's calls (an AGI greeting, not a queue) and the totals of the file.
    assert_eq!(q.get("2484363600"), Some(&(84, 74, 10)));
    let calls: u32 = q.values().map(|c| c.0).sum();
    let answered: u32 = q.values().map(|c| c.1).sum();
    assert_eq!((calls, answered, q.len()), (636, 452, 160));
    assert!(rejected.is_empty(), "{rejected:?}");
}

#[test]
fn the_issabel_pipe_queue_log_has_three_answered_and_twenty_seven_abandoned_calls() {
    let (layout, q, never_ended) = queue_log_counts("issabel_synk_bug_queue_log-20220801");
    assert_eq!(layout, "queue-log-pipe");
    assert_eq!(
        q,
        BTreeMap::from([("500".to_string(), counts(30, 3, 27, 0, 0))])
    );
    assert_eq!(never_ended, 0);
}

#[test]
fn the_issabel_master_csv_counts_a_queue_call_answered_only_when_an_agent_was_bridged() {
    // The queue application answers every caller's channel ("ANSWERED"), abandons included.
    let (q, rejected) = cdr_counts("issabel_synk_bug_Master.csv");
    assert_eq!(q.get("500"), Some(&(33, 3, 30)));
    let calls: u32 = q.values().map(|c| c.0).sum();
    let answered: u32 = q.values().map(|c| c.1).sum();
    assert_eq!((calls, answered, q.len()), (465, 373, 16));
    assert!(rejected.is_empty(), "{rejected:?}");
}

#[test]
fn the_cdr_custom_master_csv_counts_the_calls_of_each_extension() {
    let (q, rejected) = cdr_counts_as("kelysaina_cdr_custom_Master.csv", "cdr-master-custom");
    assert_eq!(
        q,
        BTreeMap::from([
            ("1234".to_string(), (5, 3, 2)),
            ("6789".to_string(), (9, 8, 1)),
        ])
    );
    assert!(rejected.is_empty(), "{rejected:?}");
}

#[test]
fn the_master_csv_with_linkedid_counts_each_call_for_the_number_the_caller_dialled() {
    let (q, rejected) = cdr_counts("mineevburyat_Master.csv");
    assert_eq!(
        q,
        BTreeMap::from([
            ("211474".to_string(), (9, 8, 1)),
            ("211553".to_string(), (27, 23, 4)),
        ])
    );
    assert!(rejected.is_empty(), "{rejected:?}");
}

#[test]
fn the_grandstream_ucm_cdr_api_export_is_three_answered_calls_to_extension_5301() {
    // The UCM writes `lastdata` unquoted (`SIP/5301,60,`): each row has 24 fields under a
    // 22-column header, and the times must still be read from the right columns.
    let (q, rejected) = cdr_counts_as("grandstream_ucm6510_cdr_api.csv", "cdr-header");
    assert_eq!(q, BTreeMap::from([("5301".to_string(), (3, 3, 0))]));
    assert!(rejected.is_empty(), "{rejected:?}");

    let bytes = sample("grandstream_ucm6510_cdr_api.csv");
    let Detection::Known(Layout::Cdr(cols)) = detect(&bytes) else {
        panic!()
    };
    let calls: Vec<_> = CdrReader::with_columns(&bytes[..], cols, TimeZone::UTC, None)
        .filter_map(Result::ok)
        .map(|(line, c)| {
            (
                line,
                c.call_id.clone(),
                c.facts.wait_s,
                c.facts.talk_s,
                c.agent.clone(),
            )
        })
        .collect();
    let agent = Some("SIP/5301".to_string());
    assert_eq!(
        calls,
        vec![
            (2, "1386092800.0".to_string(), 3.0, 6.0, agent.clone()),
            (3, "1386100901.0".to_string(), 2.0, 3.0, agent.clone()),
            (4, "1386100943.2".to_string(), 4.0, 4.0, agent),
        ]
    );
}
