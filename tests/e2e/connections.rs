//! The server under connection pressure: thousands of idle connections do not stop it
//! answering, a connection that sends nothing (or half a request) is closed after the header
//! timeout, and the connection cap holds newcomers until a place is free.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::util::{http, Dir};

fn host(url: &str) -> &str {
    url.trim_start_matches("http://")
}

/// Waits until the server closes `s` (read returns 0 or an error other than a timeout);
/// returns how long that took, or `None` if it stayed open for `within`.
fn closed_within(s: &mut TcpStream, within: Duration) -> Option<Duration> {
    let t = Instant::now();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 1024];
    while t.elapsed() < within {
        match s.read(&mut buf) {
            Ok(0) => return Some(t.elapsed()),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return Some(t.elapsed()),
        }
    }
    None
}

#[test]
fn two_thousand_idle_connections_do_not_stop_the_server_answering() {
    let dir = Dir::new();
    let server = dir.serve(&["--no-demo", "--header-timeout-secs", "30"]);
    let mut idle = Vec::new();
    for _ in 0..2000 {
        let mut s = TcpStream::connect(host(&server.url)).unwrap();
        // Half a request head: the worst kind of idle connection.
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        idle.push(s);
    }
    let t = Instant::now();
    let (status, body) = http(&server.url, "GET", "/healthz", &[], None);
    assert_eq!((status, body.as_str()), (200, "ok"));
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "answered in {:?} with 2,000 idle connections",
        t.elapsed()
    );
    drop(idle);
}

#[test]
fn a_connection_that_sends_no_complete_request_head_is_closed_after_the_header_timeout() {
    let dir = Dir::new();
    let server = dir.serve(&["--no-demo", "--header-timeout-secs", "1"]);
    let mut silent = TcpStream::connect(host(&server.url)).unwrap();
    let mut half = TcpStream::connect(host(&server.url)).unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // A keep-alive connection that got its answer and then says nothing more.
    let mut kept = TcpStream::connect(host(&server.url)).unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    for (name, s) in [
        ("silent", &mut silent),
        ("half", &mut half),
        ("kept", &mut kept),
    ] {
        let took = closed_within(s, Duration::from_secs(8));
        assert!(took.is_some(), "the {name} connection stayed open");
    }
    let (status, _) = http(&server.url, "GET", "/healthz", &[], None);
    assert_eq!(status, 200);
}

#[test]
fn beyond_the_connection_cap_newcomers_wait_for_a_free_place() {
    let dir = Dir::new();
    let server = dir.serve(&[
        "--no-demo",
        "--max-connections",
        "2",
        "--header-timeout-secs",
        "2",
    ]);
    let a = TcpStream::connect(host(&server.url)).unwrap();
    let b = TcpStream::connect(host(&server.url)).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // The third is in the kernel's backlog, not served, until one of the two goes away
    // (here: the header timeout closes them).
    let t = Instant::now();
    let (status, _) = http(&server.url, "GET", "/healthz", &[], None);
    assert_eq!(status, 200);
    assert!(
        t.elapsed() >= Duration::from_millis(1000),
        "served at once ({:?}) although two connections held the cap",
        t.elapsed()
    );
    drop((a, b));
}
