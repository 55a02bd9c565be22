//! Public sample files written by others (see `data/public/README.md` for their source,
//! licence and the hand check): each is recognised by content and imports with the counts
//! the hand check gives.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use rumbo_ingest::cdr::CdrReader;
use rumbo_ingest::detect::{detect, Detection, Layout};
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

/// The counts per queue of a CDR sample, and its rejected lines.
fn cdr_counts(name: &str) -> (PerQueue, Vec<u64>) {
    let bytes = sample(name);
    let Detection::Known(Layout::Cdr(cols)) = detect(&bytes) else {
        panic!("{name} not recognised as a CDR: {:?}", detect(&bytes))
    };
    assert_eq!(cols.name(), "cdr-master", "{name}");
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
