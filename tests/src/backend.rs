//! Servers for the fault tests: a `Store` service (thrift-codegen's golden IDL, where `get`
//! and `ping` are marked idempotent) on a runtime of its own, so that a test can kill it
//! the way a crashed process dies (every task dropped, every socket closed at once), stop
//! it gracefully, slow it down, restart it on the same port, and count what it ran.
//!
//! Also what the leak checks count: the process's open file descriptors and its resident
//! memory.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use thrift_tower::Server;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use crate::golden::service::{ForgetError, GetError, PingError, PutError, Store, StoreServer};

/// What one backend ran, shared with the test. `get` answers the backend's name, so a
/// client can tell who answered.
#[derive(Debug, Clone)]
pub struct Tally {
    name: Arc<str>,
    started: Arc<AtomicUsize>,
    finished: Arc<AtomicUsize>,
    delay_us: Arc<AtomicU64>,
}

impl Tally {
    fn new(name: &str) -> Self {
        Tally {
            name: name.into(),
            started: Arc::default(),
            finished: Arc::default(),
            delay_us: Arc::default(),
        }
    }

    /// The backend's name, as `get` answers it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Calls whose handler began.
    pub fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }

    /// Calls whose handler returned.
    pub fn finished(&self) -> usize {
        self.finished.load(Ordering::SeqCst)
    }

    /// Makes every call from now on take `delay` in its handler.
    pub fn set_delay(&self, delay: Duration) {
        let micros = u64::try_from(delay.as_micros()).unwrap_or(u64::MAX);
        self.delay_us.store(micros, Ordering::SeqCst);
    }

    async fn run<T>(&self, answer: T) -> T {
        self.started.fetch_add(1, Ordering::SeqCst);
        let delay = self.delay_us.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_micros(delay)).await;
        }
        self.finished.fetch_add(1, Ordering::SeqCst);
        answer
    }
}

impl Store for Tally {
    async fn get(&self, _key: String) -> Result<Bytes, GetError> {
        let name = Bytes::copy_from_slice(self.name.as_bytes());
        Ok(self.run(name).await)
    }
    async fn put(&self, _key: String, _value: Bytes) -> Result<(), PutError> {
        self.run(()).await;
        Ok(())
    }
    async fn forget(&self, _key: String) -> Result<(), ForgetError> {
        self.run(()).await;
        Ok(())
    }
    async fn ping(&self) -> Result<bool, PingError> {
        Ok(self.run(true).await)
    }
}

/// A `Store` server on a runtime of its own (one worker thread), with the server's defaults.
#[derive(Debug)]
pub struct Backend {
    /// What it ran; kept across restarts.
    pub tally: Tally,
    /// Where it listens; the same after a restart.
    pub addr: SocketAddr,
    running: Option<Running>,
}

#[derive(Debug)]
struct Running {
    runtime: Runtime,
    stop: oneshot::Sender<()>,
    stopped: oneshot::Receiver<()>,
}

impl Backend {
    /// Starts a backend named `name` on a free port of 127.0.0.1.
    pub fn start(name: &str) -> io::Result<Backend> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let tally = Tally::new(name);
        let running = Running::start(listener, tally.clone())?;
        Ok(Backend {
            tally,
            addr,
            running: Some(running),
        })
    }

    /// Whether it is serving (not killed or stopped).
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Kills it as a crash would: its tasks are dropped where they stand and its sockets,
    /// listener and connections alike, close at once. Calls it was running get no answer.
    pub fn kill(&mut self) {
        if let Some(running) = self.running.take() {
            running.runtime.shutdown_background();
        }
    }

    /// Shuts it down gracefully (the server's own shutdown: it stops accepting and reading,
    /// finishes the calls it has read and answers them) and waits until it has.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.stop.send(());
            let _ = running.stopped.await;
            running.runtime.shutdown_background();
        }
    }

    /// Starts it again on the same address (killing it first if it runs), with the same
    /// tally.
    pub async fn restart(&mut self) -> io::Result<()> {
        self.kill();
        // The old listener closes as its runtime winds down: the port may take a moment.
        let mut tries = 0;
        let listener = loop {
            match std::net::TcpListener::bind(self.addr) {
                Ok(listener) => break listener,
                Err(e) if tries < 200 && e.kind() == io::ErrorKind::AddrInUse => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(e) => return Err(e),
            }
        };
        self.running = Some(Running::start(listener, self.tally.clone())?);
        Ok(())
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Running {
    fn start(listener: std::net::TcpListener, tally: Tally) -> io::Result<Running> {
        listener.set_nonblocking(true)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("backend")
            .enable_all()
            .build()?;
        let (stop, stop_signal) = oneshot::channel::<()>();
        let (done, stopped) = oneshot::channel::<()>();
        runtime.spawn(async move {
            let listener = match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => listener,
                Err(e) => panic!("backend listener: {e}"),
            };
            let served = Server::builder()
                .shutdown_grace(Duration::from_secs(10))
                .add_service(StoreServer::new(tally))
                .serve_with_listener(listener, async {
                    let _ = stop_signal.await;
                })
                .await;
            if let Err(e) = served {
                panic!("backend failed: {e}");
            }
            let _ = done.send(());
        });
        Ok(Running {
            runtime,
            stop,
            stopped,
        })
    }
}

/// The file descriptors this process has open.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|dir| dir.count())
        .unwrap_or_else(|e| panic!("/proc/self/fd: {e}"))
}

/// This process's resident memory, in bytes.
pub fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm")
        .unwrap_or_else(|e| panic!("/proc/self/statm: {e}"));
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .unwrap_or_else(|| panic!("/proc/self/statm: {statm:?}"));
    // Linux pages are 4 KiB on the machines this runs on (x86-64, and arm64's default).
    pages * 4096
}
