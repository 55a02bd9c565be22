//! The AMI client against a test manager interface: a loopback TCP listener replays a recorded
//! event script (written for this test: two connections, the first dropped by the server) and
//! the live state the watcher stores equals the one computed offline from the same events,
//! and the figures a person would count by hand.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rumbo_app::live::ami::{AmiOptions, Secret};
use rumbo_app::{App, Settings};
use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
use rumbo_kpi::live::{ami_event, AgentState, LiveEvent, LiveState};
use rumbo_store::{Actor, Store};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const SECRET: &str = "s3cr3t-de-prueba";

/// The first connection's answer to `QueueStatus`, then its events; `@N` is the script's
/// start plus N seconds.
const STATUS_1: &str = "\
Response: Success
ActionID: rumbo-status
Timestamp: @0
Message: Queue status will follow

Event: QueueParams
ActionID: rumbo-status
Queue: ventas
Calls: 0
Completed: 812
Abandoned: 40

Event: QueueMember
ActionID: rumbo-status
Timestamp: @0
Queue: ventas
Name: Ana
Location: SIP/201
Status: 1
Paused: 0
CallsTaken: 130

Event: QueueMember
ActionID: rumbo-status
Timestamp: @0
Queue: ventas
Name: Beto
Location: SIP/202
Status: 1
Paused: 0

Event: QueueStatusComplete
ActionID: rumbo-status
";

const EVENTS_1: &str = "\
Event: QueueCallerJoin
Timestamp: @10
Queue: ventas
Uniqueid: u1
CallerIDNum: +56911110001
Position: 1

Event: QueueCallerJoin
Timestamp: @12
Queue: ventas
Uniqueid: u2
CallerIDNum: +56911110002
Position: 2

Event: AgentCalled
Timestamp: @14
Queue: ventas
MemberName: Ana
Interface: SIP/201
Uniqueid: u1

Event: QueueCallerLeave
Timestamp: @15
Queue: ventas
Uniqueid: u1

Event: AgentConnect
Timestamp: @15
Queue: ventas
MemberName: Ana
Uniqueid: u1
HoldTime: 5

Event: QueueCallerAbandon
Timestamp: @52
Queue: ventas
Uniqueid: u2
HoldTime: 40

Event: QueueCallerLeave
Timestamp: @52
Queue: ventas
Uniqueid: u2

Event: QueueMemberPause
Timestamp: @60
Queue: ventas
MemberName: Beto
Paused: 1
PausedReason: colación

Event: QueueCallerJoin
Timestamp: @70
Queue: ventas
Uniqueid: u3
CallerIDNum: +56911110003
Position: 1
";

/// After the reconnect (Asterisk reloaded meanwhile: its own counters are back to zero).
const STATUS_2: &str = "\
Response: Success
ActionID: rumbo-status
Timestamp: @100
Message: Queue status will follow

Event: QueueParams
ActionID: rumbo-status
Queue: ventas
Calls: 2
Completed: 0
Abandoned: 0

Event: QueueMember
ActionID: rumbo-status
Timestamp: @100
Queue: ventas
Name: Ana
Location: SIP/201
Status: 2
InCall: 1
Paused: 0

Event: QueueMember
ActionID: rumbo-status
Timestamp: @100
Queue: ventas
Name: Beto
Location: SIP/202
Status: 1
Paused: 1
PausedReason: colación

Event: QueueEntry
ActionID: rumbo-status
Timestamp: @100
Queue: ventas
Position: 1
Uniqueid: u3
CallerIDNum: +56911110003
Wait: 30

Event: QueueEntry
ActionID: rumbo-status
Timestamp: @100
Queue: ventas
Position: 2
Uniqueid: u4
CallerIDNum: +56911110004
Wait: 5

Event: QueueStatusComplete
ActionID: rumbo-status
";

const EVENTS_2: &str = "\
Event: AgentComplete
Timestamp: @105
Queue: ventas
MemberName: Ana
Uniqueid: u1
TalkTime: 80

Event: QueueMemberPause
Timestamp: @110
Queue: ventas
MemberName: Beto
Paused: 0

Event: AgentConnect
Timestamp: @112
Queue: ventas
MemberName: Beto
Uniqueid: u3
HoldTime: 42

Event: QueueCallerLeave
Timestamp: @112
Queue: ventas
Uniqueid: u3

Event: QueueCallerAbandon
Timestamp: @120
Queue: ventas
Uniqueid: u4
HoldTime: 15

Event: QueueMemberAdded
Timestamp: @125
Queue: ventas
MemberName: Caro
Interface: SIP/203

Event: AgentRingNoAnswer
Timestamp: @127
Queue: ventas
MemberName: Ana
Uniqueid: u5
";

fn stamped(text: &str, base: i64) -> String {
    text.lines()
        .map(|l| match l.strip_prefix("Timestamp: @") {
            Some(n) => format!("Timestamp: {}.000001", base + n.parse::<i64>().unwrap()),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\n\r\n"
}

fn messages(text: &str) -> Vec<Vec<(String, String)>> {
    text.split("\r\n\r\n")
        .filter(|b| !b.trim().is_empty())
        .map(|b| {
            b.lines()
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect()
        })
        .collect()
}

/// Reads one client action (up to its blank line).
async fn read_action<R: AsyncBufReadExt + Unpin>(r: &mut R) -> String {
    let mut out = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await.unwrap() == 0 {
            return out;
        }
        if line.trim().is_empty() {
            if !out.is_empty() {
                return out;
            }
            continue;
        }
        out.push_str(&line);
    }
}

/// The test manager interface: connection 1 replays its status and events and hangs up;
/// connection 2 does the same and stays open.
async fn ami_server(listener: TcpListener, base: i64, logins: tokio::sync::mpsc::Sender<String>) {
    for conn in 0..2 {
        let (sock, _) = listener.accept().await.unwrap();
        let (rd, mut wr) = sock.into_split();
        let mut rd = BufReader::new(rd);
        wr.write_all(b"Asterisk Call Manager/9.0.0\r\n")
            .await
            .unwrap();
        let login = read_action(&mut rd).await;
        logins.send(login.clone()).await.unwrap();
        let ok = login.contains(&format!("Secret: {SECRET}"));
        let answer = if ok {
            "Response: Success\r\nActionID: rumbo-login\r\nMessage: Authentication accepted\r\n\r\n"
        } else {
            "Response: Error\r\nActionID: rumbo-login\r\nMessage: Authentication failed\r\n\r\n"
        };
        wr.write_all(answer.as_bytes()).await.unwrap();
        let status = read_action(&mut rd).await;
        assert!(status.contains("Action: QueueStatus"), "{status}");
        let (s, e) = if conn == 0 {
            (STATUS_1, EVENTS_1)
        } else {
            (STATUS_2, EVENTS_2)
        };
        wr.write_all(stamped(s, base).as_bytes()).await.unwrap();
        // Events arrive in a few pieces, as a network delivers them.
        let events = stamped(e, base);
        for chunk in events.as_bytes().chunks(97) {
            wr.write_all(chunk).await.unwrap();
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if conn == 1 {
            // Stay connected until the test ends.
            let _ = read_action(&mut rd).await;
        }
    }
}

/// The state computed offline from the same script: what the client applies, in order.
fn offline(base: i64, tz: &jiff::tz::TimeZone) -> LiveState {
    let mut s = LiveState::new(20);
    for text in [STATUS_1, EVENTS_1, STATUS_2, EVENTS_2] {
        for m in messages(&stamped(text, base)) {
            let at = m
                .iter()
                .find(|(k, _)| k == "Timestamp")
                .map(|(_, v)| v.split('.').next().unwrap().parse::<i64>().unwrap())
                .unwrap_or(base);
            let day = rumbo_app::live::local_day(at, tz);
            if m.iter().any(|(k, _)| k == "Response") {
                s.apply(at, &day, LiveEvent::StatusBegin);
            } else if let Some(ev) = ami_event(&m) {
                s.apply(at, &day, ev);
            }
        }
    }
    s
}

async fn programme(store: &Store, code: &str) {
    let sys = Actor::system("test");
    let client = store
        .create_client(&sys, "Banco Austral", Rut::parse("76.086.428-5").unwrap())
        .await
        .unwrap();
    let today = jiff::Zoned::now().date();
    let p = NewProgramme::try_from(ProgrammeInput {
        code: code.into(),
        name: "Mesa de ayuda".into(),
        client_id: Some(client.id),
        channels: vec!["voice_inbound".into()],
        start_date: today
            .checked_sub(jiff::Span::new().days(10))
            .unwrap()
            .to_string(),
        ..Default::default()
    })
    .unwrap();
    store.create_programme(&sys, &p).await.unwrap();
}

#[tokio::test]
async fn a_replayed_ami_script_with_a_reconnect_gives_the_figures_computed_offline() {
    let store = rumbo_store::testing::fresh_store().await.unwrap();
    programme(&store, "AMI1").await;
    let data = tempfile::tempdir().unwrap();
    let app = App::new(
        store.clone(),
        Settings {
            data_dir: data.path().to_path_buf(),
            ..Settings::default()
        },
    );
    let p = app.programme_for_operator("AMI1").await.unwrap();
    let tz = jiff::tz::TimeZone::get(&p.time_zone).unwrap();
    // Two minutes ago, so the whole script is today's (unless it straddles midnight).
    let mut base = jiff::Timestamp::now().as_second() - 200;
    if rumbo_app::live::local_day(base, &tz) != rumbo_app::live::local_day(base + 200, &tz) {
        base += 200;
    }

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (logins_tx, mut logins) = tokio::sync::mpsc::channel(4);
    let server = tokio::spawn(ami_server(listener, base, logins_tx));
    let mut opts = AmiOptions::new(
        "127.0.0.1",
        port,
        "rumbo",
        Secret::new(&format!("{SECRET}\n")),
    );
    opts.backoff_min = Duration::from_millis(50);
    opts.publish_every = Duration::from_millis(20);
    assert!(
        !format!("{opts:?}").contains(SECRET),
        "the secret never shows in debug output"
    );
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let watcher = {
        let app = app.clone();
        tokio::spawn(async move {
            app.watch_ami("AMI1", opts, async move {
                let _ = stop_rx.await;
            })
            .await
            .unwrap()
        })
    };

    let expected = offline(base, &tz);
    let deadline = Instant::now() + Duration::from_secs(20);
    let stored = loop {
        if let Some(row) = store.live_state(p.id).await.unwrap() {
            let s: LiveState = serde_json::from_str(&row.state_json).unwrap();
            if s.events == expected.events {
                break s;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the watcher did not apply every event"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    stop_tx.send(()).unwrap();
    let stats = watcher.await.unwrap();
    server.abort();
    assert_eq!(stats.logins, 2, "{stats:?}");
    assert!(logins.recv().await.unwrap().contains("Events: on"));

    // The stored state equals the offline one (callers are sealed in the store).
    assert_eq!(stored.counters, expected.counters);
    assert_eq!(stored.agents, expected.agents);
    let strip = |s: &LiveState| -> Vec<(i64, String, String, i64)> {
        s.abandoned
            .iter()
            .map(|a| (a.at, a.queue.clone(), a.call.clone(), a.wait_s))
            .collect()
    };
    assert_eq!(strip(&stored), strip(&expected));
    let waiting = |s: &LiveState| -> BTreeMap<String, i64> {
        s.waiting
            .iter()
            .map(|(k, w)| (k.clone(), w.joined_at))
            .collect()
    };
    assert_eq!(waiting(&stored), waiting(&expected));
    assert!(stored
        .abandoned
        .iter()
        .all(|a| !a.caller.as_deref().unwrap_or("").contains("1110")));

    // And the figures counted by hand: four callers offered (one joined while the connection
    // was down), u1 answered in 5 s, u3 in 42 s, u2 and u4 abandoned; Asterisk's own counters
    // (812 completed, then 0 after its reload) are never used.
    let c = &expected.counters["ventas"];
    assert_eq!(
        (c.offered, c.answered, c.answered_in_sl, c.abandoned),
        (4, 2, 1, 2)
    );
    assert_eq!(c.service_level(), Some(0.25));
    assert_eq!(c.talk_s, 80);
    assert!(expected.waiting.is_empty());
    let ana = &expected.agents["Ana"];
    assert_eq!(
        (ana.answered, ana.missed, ana.state),
        (1, 1, AgentState::Available)
    );
    let beto = &expected.agents["Beto"];
    assert_eq!((beto.answered, beto.state), (1, AgentState::OnCall));
    assert_eq!(expected.agents["Caro"].state, AgentState::Available);

    // The board a supervisor reads says the same.
    let board = app
        .live_board(
            &rumbo_app::Principal {
                user_id: 0,
                email: "sistema".into(),
                role: rumbo_domain::access::Role::Admin,
                client_id: None,
            },
            "AMI1",
            base + 130,
        )
        .await
        .unwrap();
    assert_eq!(board.total.counters.offered, 4);
    assert_eq!(board.abandoned.len(), 2);
    assert_eq!(board.abandoned[0].number.as_deref(), Some("***** 0004"));
    assert!(!board.abandoned[0].full);
}

#[tokio::test]
async fn calls_waiting_over_the_limit_for_a_minute_raise_one_live_alarm() {
    let store = rumbo_store::testing::fresh_store().await.unwrap();
    programme(&store, "AMI2").await;
    let data = tempfile::tempdir().unwrap();
    let app = App::new(
        store.clone(),
        Settings {
            data_dir: data.path().to_path_buf(),
            ..Settings::default()
        },
    );
    let mut feed = app.live_feed("AMI2", "ami").await.unwrap();
    let t = jiff::Timestamp::now().as_second() - 120;
    for i in 0..10 {
        feed.apply(
            t,
            LiveEvent::CallerJoin {
                queue: "ventas".into(),
                call: format!("w{i}"),
                caller: None,
            },
        );
    }
    assert_eq!(feed.check_breaches(t).await.unwrap(), 0, "not yet a minute");
    assert_eq!(feed.check_breaches(t + 59).await.unwrap(), 0);
    assert_eq!(feed.check_breaches(t + 60).await.unwrap(), 1);
    assert_eq!(
        feed.check_breaches(t + 90).await.unwrap(),
        1,
        "the same alarm again"
    );
    let p = app.programme_for_operator("AMI2").await.unwrap();
    let alarms = store.alarms(p.id, true).await.unwrap();
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert_eq!(alarms[0].kind, "live_waiting");
    assert_eq!(alarms[0].subject, "ventas");
    assert_eq!(alarms[0].observed, 10.0);
    assert_eq!(alarms[0].period_end, t + 90);
    // One call answered: under the limit, the watch starts again.
    feed.apply(
        t + 91,
        LiveEvent::AgentConnect {
            queue: "ventas".into(),
            agent: "Ana".into(),
            call: "w0".into(),
            wait_s: None,
        },
    );
    assert_eq!(feed.check_breaches(t + 200).await.unwrap(), 0);
}
