//! The hello service with tower's middleware on both sides: what `tower_stack` runs.
//!
//! - Server: at most [`MAX_CONCURRENT`] calls at once, calls beyond that refused at once
//!   (load shedding: the caller gets an exception instead of waiting), and a time limit
//!   per call. These are tower's own layers, given to [`thrift_tower::Server::layer`].
//! - Client: calls spread over several servers by [`thrift_tower::client::Balanced`]
//!   (tower's power-of-two-choices balancer over [`Channel`](thrift_tower::Channel)s, which
//!   weigh themselves: a channel that could not connect lately ranks last, then fewer
//!   calls in flight wins), a time limit per call, and thrift-tower's
//!   [`RetryPolicy`], which sends a call that never
//!   reached a server (a refused connection) or that a server shed to another one, and
//!   counts what it sent again ([`RetryCounts`]). thrift-tower's [`TraceLayer`] makes a
//!   span per call on both sides (printed with `RUST_LOG=thrift_tower=debug`). The stack is
//!   boxed so its type can be named.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use thrift_tower::layer::{RetryCounts, RetryPolicy, TraceLayer};
use thrift_tower::{BoxError, Endpoint, Error, Request, Response, Server};
use tower::ServiceBuilder;
use tower::util::BoxCloneService;

use crate::hello::{HelloService, HelloServiceClient, HelloServiceServer, SayError};

/// Calls one server runs at once; more are shed.
pub const MAX_CONCURRENT: usize = 64;

/// How long a call may take, on either side.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// The hello service of one server among several: answers with its name, and counts.
#[derive(Debug, Clone)]
pub struct Counted {
    name: Arc<str>,
    calls: Arc<AtomicUsize>,
}

impl Counted {
    /// A handler answering as `name`.
    pub fn new(name: &str) -> Self {
        Counted {
            name: name.into(),
            calls: Arc::default(),
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many calls it has answered.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }
}

impl HelloService for Counted {
    async fn say(&self, msg: String) -> Result<String, SayError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Ok(format!("{} received: {msg}", self.name))
    }
}

/// Serves `handler` on `listener` behind tower's concurrency limit, load shedding and
/// timeout layers, until `shutdown` completes.
pub async fn serve_layered(
    listener: tokio::net::TcpListener,
    handler: Counted,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    Server::builder()
        // A span per call served, with its peer and outcome.
        .layer(TraceLayer::server())
        // Outermost first: a call over the limit is refused at once...
        .layer(tower::load_shed::LoadShedLayer::new())
        .layer(tower::limit::ConcurrencyLimitLayer::new(MAX_CONCURRENT))
        // ...and one admitted gets CALL_TIMEOUT to finish.
        .layer(tower::timeout::TimeoutLayer::new(CALL_TIMEOUT))
        .add_service(HelloServiceServer::new(handler))
        .serve_with_listener(listener, shutdown)
        .await
}

/// A layered hello server running on a task of its own.
#[derive(Debug)]
pub struct Running {
    /// Its handler, to count its calls.
    pub handler: Counted,
    /// The address it listens on.
    pub addr: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), Error>>,
}

impl Running {
    /// Starts [`serve_layered`] with a [`Counted`] handler named `name` on a free port of
    /// 127.0.0.1.
    pub async fn start(name: &str) -> std::io::Result<Running> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?.to_string();
        let handler = Counted::new(name);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve_layered(listener, handler.clone(), async {
            let _ = stopped.await;
        }));
        Ok(Running {
            handler,
            addr,
            stop,
            task,
        })
    }

    /// Shuts it down gracefully and waits until it has.
    pub async fn stop(self) -> Result<(), Error> {
        let _ = self.stop.send(());
        self.task
            .await
            .map_err(|e| Error::from(std::io::Error::other(e)))?
    }
}

/// The client's service stack, boxed.
pub type Balanced = BoxCloneService<Request, Response, BoxError>;

/// A hello client whose calls are balanced over `addrs`, time-limited, and retried on
/// another server (up to `retries` times) when that is safe: thrift-tower's `RetryPolicy`
/// sends again a call that never left or that a server shed, and (were `say` marked
/// idempotent in the IDL) one whose connection died. With it, the counts of what the
/// policy sent again.
pub async fn balanced_client(
    addrs: &[String],
    retries: usize,
) -> Result<(HelloServiceClient<Balanced>, RetryCounts), Error> {
    let mut endpoints = Vec::with_capacity(addrs.len());
    for addr in addrs {
        endpoints.push(Endpoint::new(addr.clone())?.connect_timeout(Duration::from_secs(1)));
    }
    // p2c over the servers' channels (each connects on its first call), behind a buffer.
    let servers = thrift_tower::client::Balanced::list(endpoints);
    let policy = RetryPolicy::new().max_retries(retries);
    let counts = policy.counts();
    let stack = ServiceBuilder::new()
        // A span per call, around its retries.
        .layer(TraceLayer::client())
        .layer(policy.layer())
        .timeout(CALL_TIMEOUT)
        .service(servers);
    Ok((HelloServiceClient::new(BoxCloneService::new(stack)), counts))
}
