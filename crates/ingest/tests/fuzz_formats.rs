//! No input makes format recognition or a layout's reader panic: arbitrary bytes, and lines
//! under every header the detector knows, go through `detect` and whichever reader it picks.

use std::io::BufReader;

use proptest::prelude::*;
use rumbo_ingest::cdr::CdrReader;
use rumbo_ingest::detect::{detect, Detection, Layout};
use rumbo_ingest::queue_log::QueueLogOptions;
use rumbo_ingest::vicidial::VicidialReader;
use rumbo_ingest::CallerHasher;

/// Recognises `bytes` and reads them with the layout found.
fn detect_and_read(bytes: &[u8]) {
    let tz = jiff::tz::TimeZone::UTC;
    let hasher = Some(CallerHasher::new(b"k"));
    match detect(bytes) {
        Detection::Known(Layout::QueueLogTable(cols)) => {
            let opts = QueueLogOptions {
                hasher,
                stitch_window_s: 5,
                ..QueueLogOptions::default()
            };
            let _ =
                rumbo_ingest::queue_log_table::parser(BufReader::new(bytes), opts, cols).count();
        }
        Detection::Known(Layout::Cdr(cols)) => {
            for r in CdrReader::with_columns(bytes, cols, tz, hasher).flatten() {
                assert!(r.1.facts.wait_s >= 0.0 && r.1.facts.talk_s >= 0.0);
            }
        }
        Detection::Known(Layout::Vicidial(cols)) => {
            let _ = VicidialReader::new(bytes, cols, tz, hasher).count();
        }
        Detection::Known(_) => {}
        Detection::Unrecognised { sample, .. } => assert!(sample.chars().count() <= 100),
    }
}

const HEADERS: [&str; 7] = [
    "time,callid,queuename,agent,event,data1,data2,data3,data4,data5",
    "time;callid;queuename;agent;event;data",
    "uid,date_time,callid,queue_name,type,event,param1,param2,param3",
    "calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,duration,billsec,disposition,amaflags,accountcode,uniqueid,userfield,linkedid",
    "closecallid,lead_id,list_id,campaign_id,call_date,start_epoch,end_epoch,length_in_sec,status,phone_code,phone_number,user,comments,processed,queue_seconds,user_group,xfercallid,term_reason,uniqueid",
    "uniqueid,lead_id,list_id,campaign_id,call_date,start_epoch,end_epoch,length_in_sec,status,phone_code,phone_number,user",
    "",
];

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[0-9]{1,12}",
        "[0-9]{10}\\.[0-9]{1,3}",
        "2026-0[1-9]-[12][0-9] [01][0-9]:[0-5][0-9]:[0-5][0-9]",
        "(ENTERQUEUE|CONNECT|COMPLETECALLER|ABANDON|EXITWITHTIMEOUT|ANSWERED|NO ANSWER|BUSY|Queue|Dial|VDCL|DROP|event)",
        "(SIP|Local|PJSIP)/[0-9]{3,4}-[0-9a-f]{4}(;1)?",
        "[ -~]{0,12}",
        "\\PC{0,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_are_recognised_or_refused_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..800)) {
        detect_and_read(&bytes);
    }

    #[test]
    fn arbitrary_rows_under_every_known_header_never_panic(
        header in 0..HEADERS.len(),
        rows in proptest::collection::vec((proptest::collection::vec(field(), 0..20), prop_oneof![Just(','), Just(';'), Just('|')]), 0..30),
        crlf in any::<bool>(),
    ) {
        let end = if crlf { "\r\n" } else { "\n" };
        let mut text = String::from(HEADERS[header]);
        text.push_str(end);
        for (fields, sep) in rows {
            text.push_str(&fields.join(&sep.to_string()));
            text.push_str(end);
        }
        detect_and_read(text.as_bytes());
    }
}
