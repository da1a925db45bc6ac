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
//! One port serves every Apache client: framing (framed, buffered or THeader) and protocol
//! (binary, compact or JSON) are detected per connection unless fixed with
//! [`Server::framing`] and [`Server::protocol`]. A THeader call's info headers are its
//! request's [`headers`](crate::message::Message::headers), and the headers a layer sets on
//! the response go back in the reply's frame. Calls on one connection run concurrently, and their replies go out
//! in the order the calls came, as Apache's servers send them (clients that pipeline rely on
//! it); [`Server::out_of_order_replies`] sends each as soon as it is ready instead.
//!
//! A call is first polled on its connection's task: one that does not wait (a handler that
//! computes its answer) is answered there and then, with no task of its own. A call that
//! waits (on I/O, a timer, a lock) goes on in a task of its own, so that the connection
//! reads and starts the calls after it meanwhile. A handler with long work to do and
//! nothing to wait on belongs in `spawn_blocking` (see below): until it returns, its
//! connection starts no other call. After every 64 KiB of requests answered in place, a
//! connection lets the other tasks of its thread run, so that a client keeping its
//! pipeline full does not hold up the connections beside it.
//!
//! A client that sends calls and then closes its side of the connection (a half-close) is
//! answered every call that fully arrived; then the server closes the connection.
//!
//! # Connections
//!
//! [`Router::serve`] and its siblings listen on TCP or a Unix socket;
//! [`Router::serve_with_incoming`] serves any stream of connections (TLS, in-memory pipes,
//! sockets from systemd). Each connection tells what it knows of itself through
//! [`crate::transport::Connected`], and every request it carries has that
//! ([`Request::connection`](crate::message::Message::connection)); a generated server's
//! handler reads the request it serves with [`with_request`], and gives its reply
//! transport headers with [`with_reply_headers`].
//!
//! # Failures
//!
//! Every call gets an answer: [`AlwaysReply`], around the layers and services, turns a
//! layer's error, a panic or an unknown method into the `TApplicationException` Apache's
//! clients expect (its docs list each cause, kind and wording). To serve the same stack
//! elsewhere, [`Router::into_service`] returns it.
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
//!
//! # Coming from Apache's Python servers
//!
//! One `Server` does what Python's server classes each do, with settings for the
//! behaviour one of them had and an application relied on. Every connection is a task
//! and every call may be one, so no setting costs a thread per connection.
//!
//! | Python | here |
//! |---|---|
//! | `TSimpleServer`: one connection, one call at a time | `.max_connections(1).max_in_flight(1)` |
//! | `TThreadedServer`: a thread per connection, its calls one at a time | `.max_in_flight(1)` |
//! | `TThreadPoolServer`: N threads, each serving a connection | `.max_connections(N).max_in_flight(1)` |
//! | `TNonblockingServer`: framed only, N worker threads for the calls of all connections | `.framing(Framing::Framed)` and `.layer(tower::limit::ConcurrencyLimitLayer::new(N))` |
//! | `TForkingServer`, `TProcessPoolServer`: a process per connection or a pool of them, so that a crash stays in one | the defaults: a panic is caught in its call, answered with `INTERNAL_ERROR` and logged, and the connection and the others go on |
//!
//! The defaults serve any number of connections, each with up to 1,024 calls running at
//! once (their replies in order), and tell framing and protocol apart per connection.
//!
//! A handler that blocks (a synchronous database driver, a long computation) must not
//! run on the runtime's threads, where it would stall every other call: move the work to
//! Tokio's blocking pool and await it.
//!
//! ```
//! # fn count_rows() -> Result<i64, std::io::Error> { Ok(0) }
//! # struct Handler;
//! # impl Handler {
//! async fn rows(&self) -> Result<i64, thrift_tower::Error> {
//!     let rows = tokio::task::spawn_blocking(count_rows)
//!         .await
//!         .map_err(thrift_tower::Error::internal)?;
//!     Ok(rows?)
//! }
//! # }
//! ```
//!
//! On the client side, [`Blocking`](crate::client::Blocking) gives code that is not async a
//! client whose calls block, as the Python client's do.

mod calls;
mod conn;
mod context;
mod registry;
mod reply;
mod router;

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures_core::Stream;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower_layer::{Identity, Layer, Stack};
use tower_service::Service;
use tracing::{Instrument, debug, info, info_span, warn};

pub(crate) use self::context::scope as scope_request;
pub use self::context::{with_reply_headers, with_request};
pub use self::registry::Registry;
pub use self::reply::{AlwaysReply, AlwaysReplyFuture, AlwaysReplyLayer};
pub(crate) use self::reply::{
    CatchUnwind, bad_arguments, bad_result, exception_for, exception_reply, panicked,
    told_of_internal, unknown_method,
};
pub use self::router::{NamedService, NoRoute, Optional, Route, RouteFuture, RouteList, Routes};
use crate::error::{BoxError, Error};
use crate::message::{Request, Response};
use crate::protocol::{Limits, Protocol};
use crate::transport::{Connected, Framing, SocketOptions, TcpIncoming};

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
    socket: SocketOptions,
    out_of_order_replies: bool,
    error_details: bool,
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
                socket: SocketOptions::default(),
                out_of_order_replies: false,
                error_details: false,
            },
            layer: Identity::new(),
        }
    }
}

impl<L> Server<L> {
    /// Fixes the framing instead of detecting it: [`Framing::Header`] accepts THeader
    /// clients only, say.
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

    /// Sends each reply as soon as its call finishes, instead of in the order the calls
    /// came on the connection (the default, and what Apache's servers do).
    ///
    /// A slow call then holds up no other reply, but only clients that match replies to
    /// calls by sequence id can pipeline calls to such a server: this crate's
    /// [`Channel`](crate::Channel) does; Apache's clients, which send one call at a time
    /// per connection, are served the same either way. Calls run concurrently in both
    /// cases.
    pub fn out_of_order_replies(mut self, on: bool) -> Self {
        self.config.out_of_order_replies = on;
        self
    }

    /// Sends clients the whole message of an internal error (a handler's undeclared error, a
    /// panic's message) instead of `Internal error`, which Apache's servers send too. For
    /// development; either way the server logs the error at `error` level. See
    /// [`AlwaysReply`]'s docs for what each failure becomes.
    pub fn error_details(mut self, on: bool) -> Self {
        self.config.error_details = on;
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
        self.config.socket.nodelay = on;
        self
    }

    /// TCP keepalive on accepted sockets: after this long without traffic the system
    /// probes the client, and a client that vanished without closing (power loss, a
    /// network partition) is dropped in about twice this time instead of holding its
    /// connection forever. `None` turns it off. Default:
    /// [`DEFAULT_TCP_KEEPALIVE`](crate::transport::DEFAULT_TCP_KEEPALIVE), 60 s. A live
    /// client, however idle, is never dropped by it.
    pub fn tcp_keepalive(mut self, idle: Option<Duration>) -> Self {
        self.config.socket.keepalive = idle;
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
    pub fn add_service<S>(self, service: S) -> Router<L, Route<S, NoRoute>>
    where
        S: NamedService + Service<Request, Response = Response, Error = Infallible>,
    {
        Router {
            server: self,
            routes: Routes::new().add(service),
        }
    }

    /// Adds a generated server if there is one: the server's type is the same either way,
    /// so a service chosen at run time needs no two branches. Without one, its calls are
    /// answered `UNKNOWN_METHOD`.
    pub fn add_optional_service<S>(
        self,
        service: Option<S>,
    ) -> Router<L, Route<Optional<S>, NoRoute>>
    where
        S: NamedService + Service<Request, Response = Response, Error = Infallible>,
    {
        self.add_service(Optional::new(service))
    }
}

/// A server with its services, ready to serve.
#[derive(Clone)]
pub struct Router<L = Identity, R = NoRoute> {
    server: Server<L>,
    routes: Routes<R>,
}

impl<L: std::fmt::Debug, R: RouteList> std::fmt::Debug for Router<L, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("server", &self.server)
            .field("routes", &self.routes)
            .finish()
    }
}

impl<L, R: RouteList> Router<L, R> {
    /// Adds another generated server (see [`Server::add_service`]).
    pub fn add_service<S>(self, service: S) -> Router<L, Route<S, R>>
    where
        S: NamedService + Service<Request, Response = Response, Error = Infallible>,
    {
        Router {
            server: self.server,
            routes: self.routes.add(service),
        }
    }

    /// Adds a generated server if there is one (see [`Server::add_optional_service`]).
    pub fn add_optional_service<S>(self, service: Option<S>) -> Router<L, Route<Optional<S>, R>>
    where
        S: NamedService + Service<Request, Response = Response, Error = Infallible>,
    {
        self.add_service(Optional::new(service))
    }
}

impl<L, R> Router<L, R>
where
    R: RouteList,
    L: Layer<Routes<R>>,
    L::Service: Service<Request, Response = Response> + Clone + Send + 'static,
    <L::Service as Service<Request>>::Future: Send + 'static,
    <L::Service as Service<Request>>::Error: Into<BoxError>,
{
    /// The services behind the layers, as one `tower::Service` that answers every call
    /// ([`AlwaysReply`]), to serve over a transport of your own.
    pub fn into_service(self) -> AlwaysReply<L::Service> {
        AlwaysReply::new(self.server.layer.layer(self.routes))
            .error_details(self.server.config.error_details)
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

    /// Serves connections from `listener` as [`serve_with_listener`](Self::serve_with_listener)
    /// does, listed in `registry` while it serves: registered before the first connection is
    /// taken, deregistered when `signal` fires, before the listener closes.
    pub async fn serve_registered(
        self,
        listener: TcpListener,
        mut registry: impl Registry,
        signal: impl Future<Output = ()>,
    ) -> Result<(), Error> {
        registry.register(listener.local_addr()?).await?;
        let signal = async move {
            signal.await;
            registry.deregister().await;
        };
        self.serve_with_listener(listener, signal).await
    }

    /// Serves connections from a listener that is already bound, until `signal`
    /// completes.
    pub async fn serve_with_listener(
        self,
        listener: TcpListener,
        signal: impl Future<Output = ()>,
    ) -> Result<(), Error> {
        let socket = self.server.config.socket;
        match listener.local_addr() {
            Ok(addr) => info!(%addr, "serving Thrift"),
            Err(e) => info!(error = %e, "serving Thrift on a listener whose address is unknown"),
        }
        let incoming = TcpIncoming::from_listener(listener).with_options(socket);
        self.serve_with_incoming(incoming, signal).await
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
        let incoming = crate::transport::UnixIncoming::bind(path)?;
        info!(path = %path.display(), "serving Thrift");
        let served = self.serve_with_incoming(incoming, signal).await;
        if let Err(e) = std::fs::remove_file(path) {
            debug!(error = %e, path = %path.display(), "cannot remove the socket file");
        }
        served
    }

    /// Serves the connections `incoming` yields, until `signal` completes or `incoming`
    /// ends; then shuts down gracefully.
    ///
    /// Any stream of connections will do: a TLS acceptor's, in-memory pipes in a test,
    /// sockets handed over by systemd. Each connection says what it knows of itself
    /// through [`Connected`], and every request it carries has that
    /// ([`Request::connection`](crate::message::Message::connection)). An `Err` from the
    /// stream (a failed accept, a failed handshake) is logged and the server goes on,
    /// after a pause of 50 ms so that a stream that fails at once again and again (out of
    /// file descriptors) does not spin.
    ///
    /// ```
    /// # async fn run<S>(service: S) -> Result<(), thrift_tower::Error>
    /// # where S: thrift_tower::NamedService
    /// #     + tower_service::Service<thrift_tower::Request, Response = thrift_tower::Response, Error = std::convert::Infallible>
    /// #     + Clone + Send + 'static, S::Future: Send + 'static {
    /// use thrift_tower::Server;
    ///
    /// // An in-memory connection: one end served, the other a client's.
    /// let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    /// let incoming = tokio_stream_once(server_end);
    /// Server::builder()
    ///     .add_service(service)
    ///     .serve_with_incoming(incoming, std::future::pending())
    ///     .await?;
    /// # drop(client_end);
    /// # Ok(())
    /// # }
    /// # fn tokio_stream_once<T: Unpin>(t: T) -> impl futures_core::Stream<Item = Result<T, std::io::Error>> {
    /// #     struct Once<T>(Option<T>);
    /// #     impl<T: Unpin> futures_core::Stream for Once<T> {
    /// #         type Item = Result<T, std::io::Error>;
    /// #         fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<Self::Item>> {
    /// #             std::task::Poll::Ready(self.0.take().map(Ok))
    /// #         }
    /// #     }
    /// #     Once(Some(t))
    /// # }
    /// ```
    pub async fn serve_with_incoming<I, IO, IE>(
        self,
        incoming: I,
        signal: impl Future<Output = ()>,
    ) -> Result<(), Error>
    where
        I: Stream<Item = Result<IO, IE>>,
        IO: AsyncRead + AsyncWrite + Connected + Send + 'static,
        IE: Into<BoxError>,
    {
        let config = Arc::new(self.server.config.clone());
        let service = self.into_service();
        let (stop_tx, stop_rx) = watch::channel(false);
        let permits = config.max_connections.map(|n| Arc::new(Semaphore::new(n)));
        let mut connections = JoinSet::new();
        let mut signal = pin!(signal);
        // Boxed (once per server) rather than pinned on the stack, so that it can be dropped
        // below, which closes a listener.
        let mut incoming = Box::pin(incoming);
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
                accepted = poll_fn(|cx| incoming.as_mut().poll_next(cx)) => accepted,
            };
            let io = match accepted {
                Some(Ok(io)) => io,
                Some(Err(e)) => {
                    // Out of file descriptors and the like: wait a little, keep serving.
                    let e: BoxError = e.into();
                    warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                None => {
                    debug!("no more connections to serve");
                    break;
                }
            };
            let info = Arc::new(io.connection_info());
            let span = info_span!("connection", peer = ?info.peer_addr());
            let conn = conn::serve_connection(
                io,
                service.clone(),
                Arc::clone(&config),
                info,
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
        drop(incoming);
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
