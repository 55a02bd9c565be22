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
