//! Background work — imports and alarm evaluations — runs on threads of its own at a lower
//! CPU priority than requests.
//!
//! On two cores, a stream of imports and the evaluations after them would otherwise take
//! the CPU from the people reading the cockpit: an import parses and aggregates for as long
//! as it has CPU, and a request waits behind it. With a nice value [`NICE_STEP`] above the
//! process's, the scheduler gives requests the CPU first and background work every cycle
//! requests leave (on Linux the nice value is per thread, so the server's other threads keep
//! theirs). Nothing is dropped or delayed by a rule: a busy server imports more slowly, an
//! idle one at full speed. The database work an import asks for runs on the database
//! driver's threads, at normal priority, so a background thread never holds a write lock
//! while requests keep it off the CPU for long.

use std::future::Future;

use crate::{Error, Result};

/// How much lower (in nice steps) background threads run than the process.
pub const NICE_STEP: i32 = 10;

/// Runs `work` to completion on a new thread named `name` at background priority, driving
/// its async parts on the current runtime, and returns its output.
pub(crate) async fn run<F, T>(name: &str, work: F) -> Result<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handle = tokio::runtime::Handle::current();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            lower_priority();
            let _ = tx.send(handle.block_on(work));
        })
        .map_err(Error::internal)?;
    rx.await
        .map_err(|_| Error::internal_msg("background work stopped unexpectedly"))
}

/// Lowers the calling thread's CPU priority by [`NICE_STEP`] (best effort: a failure leaves
/// it as it was).
fn lower_priority() {
    #[cfg(unix)]
    {
        // `None`: the calling thread (Linux keeps the nice value per thread).
        if let Ok(now) = rustix::process::getpriority_process(None) {
            let _ = rustix::process::setpriority_process(None, (now + NICE_STEP).min(19));
        }
    }
}

/// The calling thread's nice value (for tests).
#[cfg(all(test, target_os = "linux"))]
fn nice() -> i32 {
    rustix::process::getpriority_process(None).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn background_work_runs_to_completion_and_returns_its_output() {
        let out = run("rumbo-test", async { 6 * 7 }).await.unwrap();
        assert_eq!(out, 42);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn background_work_runs_below_the_requests_priority_and_leaves_theirs_alone() {
        let before = nice();
        let inside = run("rumbo-test", async { nice() }).await.unwrap();
        assert_eq!(inside, (before + NICE_STEP).min(19), "background thread");
        assert_eq!(nice(), before, "the caller's thread keeps its priority");
    }

    #[tokio::test]
    async fn a_panic_in_background_work_is_an_error_not_a_hang() {
        let r: Result<()> = run("rumbo-test", async { panic!("boom") }).await;
        assert!(r.is_err());
    }
}
