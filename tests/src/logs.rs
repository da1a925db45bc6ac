//! [`capture`]: what a `tracing` subscriber prints while a test runs, for the tests that
//! check what the server logs.

use std::future::Future;
use std::sync::{Arc, Mutex};

/// Everything logged at `filter` (an env-filter directive: `error`, `tower_http=debug`)
/// while `run` runs, as the plain `fmt` subscriber prints it. The subscriber is the
/// thread's default, so the code that logs must run on the test's thread: use a
/// current-thread runtime (`#[tokio::test]`).
pub async fn capture<F: Future>(filter: &str, run: F) -> (F::Output, String) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let output = {
        let _default = tracing::subscriber::set_default(subscriber);
        run.await
    };
    let bytes = captured.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
    (output, String::from_utf8_lossy(&bytes).into_owned())
}

/// Where the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
