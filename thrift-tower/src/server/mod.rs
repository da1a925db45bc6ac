//! The server: accepts connections, reads Thrift calls, and hands each to a
//! `tower::Service` — generated servers, behind any layers you add.
//!
//! ```no_run
//! # use std::time::Duration;
//! # async fn run<S>(my_service: S) -> Result<(), thrift_tower::Error>
//! # where S: thrift_tower::NamedService
//! #     + tower_service::Service<thrift_tower::Request, Response = thrift_tower::Response, Error = std::convert::Infallible>
//! #     + Clone + Send + Sync + 'static, S::Future: Send + 'static {
//! thrift_tower::Server::builder()
//!     .idle_timeout(Duration::from_secs(60))
//!     .add_service(my_service) // e.g. HelloServiceServer::new(handler)
//!     .serve("127.0.0.1:9090".parse().unwrap())
//!     .await
//! # }
//! ```
//!
//! One port serves every Apache client: framing (framed or buffered) and protocol (binary,
//! compact or JSON) are detected per connection unless fixed with [`Server::framing`] and
//! [`Server::protocol`]. Calls on one connection run concurrently and their replies go out
//! as they finish, each with its call's sequence id.
//!
//! # Limits
//!
//! [`Limits`] bound frames and messages; [`Server::max_connections`],
//! [`Server::max_in_flight`] and [`Server::max_in_flight_bytes`] (per connection),
//! [`Server::read_timeout`] (a peer that stops in the middle of a message),
//! [`Server::write_timeout`] (a peer that stops reading its replies),
//! [`Server::tcp_keepalive`] (a peer that vanished without closing) and
//! [`Server::idle_timeout`] bound the rest.
//!
//! # Shutdown
//!
//! [`Router::serve_with_shutdown`] stops accepting when the signal fires, lets each
//! connection finish the calls it has read (up to [`Server::shutdown_grace`]), and then
//! closes.

mod conn;
mod router;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower_layer::{Identity, Layer, Stack};
use tower_service::Service;
use tracing::{Instrument, debug, info_span, warn};

pub use self::conn::PeerAddr;
pub use self::router::Routes;
use crate::codegen::NamedService;
use crate::error::{BoxError, Error};
use crate::message::{Request, Response};
use crate::protocol::{Limits, Protocol};
use crate::transport::Framing;

/// Settings shared by every connection.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    framing: Framing,
    protocol: Option<Protocol>,
    limits: Limits,
    max_connections: Option<usize>,
    max_in_flight: usize,
    max_in_flight_bytes: usize,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    shutdown_grace: Duration,
    tcp_nodelay: bool,
    tcp_keepalive: Option<Duration>,
}

/// Builds a server: settings, then [`layer`](Server::layer)s, then services.
#[derive(Debug, Clone)]
pub struct Server<L = Identity> {
    config: Config,
    layer: L,
}

impl Server<Identity> {
    /// A server with the defaults: framing and protocol detected per connection, Apache's
    /// limits, 1,024 calls and 64 MiB of requests in flight per connection, 30 s read and
    /// write timeouts, no idle timeout, and 30 s for calls to finish at shutdown.
    pub fn builder() -> Self {
        Server {
            config: Config {
                framing: Framing::Auto,
                protocol: None,
                limits: Limits::default(),
                max_connections: None,
                max_in_flight: 1024,
                max_in_flight_bytes: 64 * 1024 * 1024,
                read_timeout: Some(Duration::from_secs(30)),
                write_timeout: Some(Duration::from_secs(30)),
                idle_timeout: None,
                shutdown_grace: Duration::from_secs(30),
                tcp_nodelay: true,
                tcp_keepalive: Some(crate::transport::DEFAULT_TCP_KEEPALIVE),
            },
            layer: Identity::new(),
        }
    }
}

impl<L> Server<L> {
    /// Fixes the framing instead of detecting it.
    pub fn framing(mut self, framing: Framing) -> Self {
        self.config.framing = framing;
        self
    }

    /// Fixes the protocol instead of detecting it.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.config.protocol = Some(protocol);
        self
    }

    /// The bounds on frames, messages, strings, containers and nesting.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// At most this many connections at once; more wait in the listen backlog.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.config.max_connections = Some(max);
        self
    }

    /// At most this many calls running at once on one connection; the connection is not
    /// read further until one finishes.
    pub fn max_in_flight(mut self, max: usize) -> Self {
        self.config.max_in_flight = max.max(1);
        self
    }

    /// At most this many bytes of requests held by the calls running on one connection
    /// (default 64 MiB); past it, the connection is not read further until calls finish.
    /// Without it, a client pipelining large requests to a slow service could make the
    /// server hold `max_in_flight` of them at once. The call that crosses the bound still
    /// runs: a message is never split.
    pub fn max_in_flight_bytes(mut self, max: usize) -> Self {
        self.config.max_in_flight_bytes = max.max(1);
        self
    }

    /// Drops a connection whose peer stops in the middle of a message for this long
    /// (`None`: never).
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.read_timeout = timeout;
        self
    }

    /// Drops a connection whose peer accepts none of a reply's bytes for this long: it has
    /// stopped reading, or vanished without closing (`None`: never). A large reply to a
    /// slow peer is fine as long as it keeps taking bytes.
    pub fn write_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.write_timeout = timeout;
        self
    }

    /// Closes a connection that has sent nothing and has nothing running for this long.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.idle_timeout = Some(timeout);
        self
    }

    /// How long calls that were read may keep running after shutdown begins.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.config.shutdown_grace = grace;
        self
    }

    /// Sets `TCP_NODELAY` on accepted sockets (default: on, so a reply is sent at once).
    pub fn tcp_nodelay(mut self, on: bool) -> Self {
        self.config.tcp_nodelay = on;
        self
    }

    /// TCP keepalive on accepted sockets: after this long without traffic the system
    /// probes the client, and a client that vanished without closing (power loss, a
    /// network partition) is dropped in about twice this time instead of holding its
    /// connection forever. `None` turns it off. Default:
    /// [`DEFAULT_TCP_KEEPALIVE`](crate::transport::DEFAULT_TCP_KEEPALIVE), 60 s. A live
    /// client, however idle, is never dropped by it.
    pub fn tcp_keepalive(mut self, idle: Option<Duration>) -> Self {
        self.config.tcp_keepalive = idle;
        self
    }

    /// Wraps every service in `layer` (the first layer added is the outermost, as in
    /// `tower::ServiceBuilder`).
    pub fn layer<N>(self, layer: N) -> Server<Stack<N, L>> {
        Server {
            config: self.config,
            layer: Stack::new(layer, self.layer),
        }
    }

    /// Adds a generated server. With one service, plain method names reach it; with
    /// several, `Service:method` names (Apache's multiplexed protocol) pick one, and plain
    /// names go to the first.
    pub fn add_service<S>(self, service: S) -> Router<L>
    where
        S: NamedService
            + Service<Request, Response = Response, Error = std::convert::Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        Router {
            server: self,
            routes: Routes::new().add(service),
        }
    }
}

/// A server with its services, ready to serve.
#[derive(Debug, Clone)]
pub struct Router<L = Identity> {
    server: Server<L>,
    routes: Routes,
}

impl<L> Router<L> {
    /// Adds another generated server (see [`Server::add_service`]).
    pub fn add_service<S>(mut self, service: S) -> Self
    where
        S: NamedService
            + Service<Request, Response = Response, Error = std::convert::Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.routes = self.routes.add(service);
        self
    }
}

impl<L> Router<L>
where
    L: Layer<Routes>,
    L::Service: Service<Request, Response = Response> + Clone + Send + 'static,
    <L::Service as Service<Request>>::Future: Send + 'static,
    <L::Service as Service<Request>>::Error: Into<BoxError>,
{
    /// The services behind the layers, as one `tower::Service`, to embed elsewhere.
    pub fn into_service(self) -> L::Service {
        self.server.layer.layer(self.routes)
    }

    /// Serves on `addr` until the process ends.
    pub async fn serve(self, addr: SocketAddr) -> Result<(), Error> {
        self.serve_with_shutdown(addr, std::future::pending()).await
    }

    /// Serves on `addr` until `signal` completes, then shuts down gracefully.
    pub async fn serve_with_shutdown(
        self,
        addr: SocketAddr,
        signal: impl Future<Output = ()>,
    ) -> Result<(), Error> {
        let listener = TcpListener::bind(addr).await?;
        self.serve_with_listener(listener, signal).await
    }

    /// Serves connections from a listener that is already bound.
    pub async fn serve_with_listener(
        self,
        listener: TcpListener,
        signal: impl Future<Output = ()>,
    ) -> Result<(), Error> {
        let nodelay = self.server.config.tcp_nodelay;
        let keepalive = self.server.config.tcp_keepalive;
        self.run(
            Tcp {
                listener,
                nodelay,
                keepalive,
            },
            signal,
        )
        .await
    }

    /// Serves on a Unix domain socket at `path` until `signal` completes, then removes the
    /// socket file. (A file left at `path` by a server that did not stop cleanly makes the
    /// bind fail with `AddrInUse`: remove it first if no server is using it.)
    #[cfg(unix)]
    pub async fn serve_unix(
        self,
        path: impl AsRef<std::path::Path>,
        signal: impl Future<Output = ()>,
    ) -> Result<(), Error> {
        let path = path.as_ref();
        let listener = tokio::net::UnixListener::bind(path)?;
        let served = self.run(listener, signal).await;
        if let Err(e) = std::fs::remove_file(path) {
            debug!(error = %e, path = %path.display(), "cannot remove the socket file");
        }
        served
    }

    async fn run<A: Accept>(
        self,
        acceptor: A,
        signal: impl Future<Output = ()>,
    ) -> Result<(), Error> {
        let config = Arc::new(self.server.config.clone());
        let service = self.server.layer.layer(self.routes);
        let (stop_tx, stop_rx) = watch::channel(false);
        let permits = config.max_connections.map(|n| Arc::new(Semaphore::new(n)));
        let mut connections = JoinSet::new();
        tokio::pin!(signal);
        loop {
            let permit = match &permits {
                Some(p) => tokio::select! {
                    biased;
                    () = &mut signal => break,
                    permit = Arc::clone(p).acquire_owned() => Some(permit.map_err(|e| Error::from(std::io::Error::other(e)))?),
                },
                None => None,
            };
            // In this order, not at random: once the signal has fired no connection is
            // accepted, however many are waiting; and a flood of connections cannot keep
            // finished ones from being reaped.
            let accepted = tokio::select! {
                biased;
                () = &mut signal => break,
                // Reap finished connections so the set does not grow without bound.
                Some(_) = connections.join_next(), if !connections.is_empty() => continue,
                accepted = acceptor.accept() => accepted,
            };
            let (io, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, keep serving.
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let span = info_span!("connection", peer = ?peer);
            let conn = conn::serve_connection(
                io,
                service.clone(),
                Arc::clone(&config),
                peer,
                stop_rx.clone(),
            );
            connections.spawn(
                async move {
                    conn.await;
                    drop(permit);
                }
                .instrument(span),
            );
        }
        // Stop listening now, not when the grace ends: a connection made in the meantime
        // would wait in the backlog, unserved, until then; with the listener closed it is
        // refused at once.
        drop(acceptor);
        debug!(connections = connections.len(), "shutting down");
        let _ = stop_tx.send(true);
        let drained = tokio::time::timeout(config.shutdown_grace, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            warn!(
                remaining = connections.len(),
                "shutdown grace elapsed; closing remaining connections"
            );
            connections.shutdown().await;
        }
        Ok(())
    }
}

/// Where connections come from.
trait Accept {
    type Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + 'static;
    fn accept(&self) -> impl Future<Output = std::io::Result<(Self::Io, Option<SocketAddr>)>>;
}

struct Tcp {
    listener: TcpListener,
    nodelay: bool,
    keepalive: Option<Duration>,
}

impl Accept for Tcp {
    type Io = tokio::net::TcpStream;

    async fn accept(&self) -> std::io::Result<(Self::Io, Option<SocketAddr>)> {
        let (stream, peer) = self.listener.accept().await?;
        if self.nodelay {
            // Best effort: a socket that refuses NODELAY still works, only slower.
            let _ = stream.set_nodelay(true);
        }
        if let Some(idle) = self.keepalive {
            // Best effort as well: without it, only a vanished client goes unnoticed.
            let _ = crate::transport::set_keepalive(&stream, idle);
        }
        Ok((stream, Some(peer)))
    }
}

#[cfg(unix)]
impl Accept for tokio::net::UnixListener {
    type Io = tokio::net::UnixStream;

    async fn accept(&self) -> std::io::Result<(Self::Io, Option<SocketAddr>)> {
        let (stream, _) = tokio::net::UnixListener::accept(self).await?;
        Ok((stream, None))
    }
}
