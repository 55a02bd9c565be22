//! A database outage (PostgreSQL restarting, its port closed, every connection cut) answers
//! `Unavailable` quickly — within the acquire timeout, never a hang and never an internal
//! error — and the store recovers by itself when the database is back. The outage is made by a
//! TCP proxy in the test between the store and the server, so nothing global is stopped. On
//! SQLite there is no server to lose: the test runs with a PostgreSQL `DATABASE_URL`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rumbo_store::testing::fresh_url;
use rumbo_store::{Store, StoreError, ACQUIRE_TIMEOUT};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A proxy to `target` on a fixed local port that can go down (port closed, connections cut)
/// and come back.
struct Proxy {
    addr: SocketAddr,
    target: String,
    accept: Option<JoinHandle<()>>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut p = Proxy {
            addr: listener.local_addr().unwrap(),
            target: target.to_string(),
            accept: None,
            conns: Arc::default(),
        };
        p.serve(listener);
        p
    }

    fn serve(&mut self, listener: TcpListener) {
        let (target, conns) = (self.target.clone(), self.conns.clone());
        self.accept = Some(tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                conns.lock().unwrap().push(task);
            }
        }));
    }

    /// The database goes away: the port closes and every connection is cut.
    fn down(&mut self) {
        if let Some(a) = self.accept.take() {
            a.abort();
        }
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    /// The database is back on the same port.
    async fn up(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("cannot listen again on {}: {e}", self.addr),
            }
        };
        self.serve(listener);
    }
}

#[tokio::test]
async fn a_database_outage_answers_unavailable_within_the_acquire_timeout_and_recovers() {
    let url = fresh_url().await.unwrap();
    if !url.starts_with("postgres") {
        eprintln!("SQLite: no database server to lose; run with a PostgreSQL DATABASE_URL");
        return;
    }
    // postgres://user@host:port/db → the same through the proxy.
    let (scheme_user, rest) = url.split_once('@').unwrap();
    let (host_port, db) = rest.split_once('/').unwrap();
    let mut proxy = Proxy::start(host_port).await;
    let store = Store::open(&format!("{scheme_user}@{}/{db}", proxy.addr))
        .await
        .unwrap();
    store.ping().await.unwrap();
    store.set_setting("before", "1").await.unwrap();

    proxy.down();
    for attempt in 0..2 {
        let t = Instant::now();
        let read = store.ping().await;
        let took = t.elapsed();
        assert!(
            matches!(read, Err(StoreError::Unavailable(_))),
            "attempt {attempt}: {read:?}"
        );
        assert!(
            took <= ACQUIRE_TIMEOUT + Duration::from_millis(500),
            "attempt {attempt}: unavailable after {took:?}"
        );
        assert!(took <= Duration::from_secs(2), "{took:?}");
        let write = store.set_setting("during", "1").await;
        assert!(
            matches!(write, Err(StoreError::Unavailable(_))),
            "{write:?}"
        );
    }

    proxy.up().await;
    let t = Instant::now();
    loop {
        match store.ping().await {
            Ok(()) => break,
            Err(e) => assert!(
                t.elapsed() < Duration::from_secs(10),
                "not recovered after {:?}: {e:?}",
                t.elapsed()
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    store.set_setting("after", "1").await.unwrap();
    assert_eq!(store.setting("before").await.unwrap().as_deref(), Some("1"));
    assert_eq!(store.setting("during").await.unwrap(), None);
}
