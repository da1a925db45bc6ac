//! [`Endpoint`]: where a [`Channel`] connects, and how it talks.

use std::fmt;
use std::io;
#[cfg(unix)]
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
#[cfg(unix)]
use tokio::net::UnixStream;
use tokio::sync::Semaphore;

use super::Channel;
use crate::error::Error;
use crate::protocol::{Limits, Protocol};
use crate::transport::Framing;

/// Where a [`Channel`] connects, and how it talks: the builder of channels.
///
/// One method per setting, each returning the endpoint; then [`connect`](Endpoint::connect)
/// (connect now, fail if that fails) or [`connect_lazy`](Endpoint::connect_lazy) (connect
/// on the first call). The defaults are those of Apache's tutorial clients: the binary
/// protocol over an unframed (`TBufferedTransport`) connection.
///
/// ```no_run
/// use std::time::Duration;
/// use thrift_tower::protocol::Protocol;
/// use thrift_tower::transport::Framing;
/// use thrift_tower::Endpoint;
///
/// # async fn run() -> Result<(), thrift_tower::Error> {
/// // What a Python `TSocket` + `TBufferedTransport` + `TBinaryProtocol` client talks to.
/// let channel = Endpoint::from_static("127.0.0.1:9090").connect().await?;
///
/// // Any other server, with every knob turned.
/// let channel = Endpoint::new("calculator.internal:9090")?
///     .protocol(Protocol::Compact)
///     .framing(Framing::Framed)
///     .connect_timeout(Duration::from_secs(2))
///     .timeout(Duration::from_millis(500))
///     .max_in_flight(64)
///     .connect()
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub(super) target: Target,
    pub(super) protocol: Protocol,
    pub(super) framing: Framing,
    pub(super) connect_timeout: Option<Duration>,
    pub(super) timeout: Option<Duration>,
    pub(super) tcp_nodelay: bool,
    pub(super) limits: Limits,
    pub(super) max_in_flight: usize,
    pub(super) failure_penalty: Duration,
    pub(super) tcp_keepalive: Option<Duration>,
}

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    /// `host:port`, resolved at each connection.
    Tcp(String),
    /// A Unix domain socket.
    #[cfg(unix)]
    Unix(PathBuf),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Tcp(addr) => f.write_str(addr),
            #[cfg(unix)]
            Target::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

impl Endpoint {
    /// How many calls may wait for an answer at once on a channel, unless
    /// [`max_in_flight`](Endpoint::max_in_flight) says otherwise.
    pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;

    /// How long a channel counts as failing after it could not connect, by default: one
    /// second (see [`Endpoint::failure_penalty`]).
    pub const DEFAULT_FAILURE_PENALTY: Duration = Duration::from_secs(1);

    /// An endpoint for `addr`, a `host:port` (`"127.0.0.1:9090"`, `"[::1]:9090"`,
    /// `"example.com:9090"`). The host is resolved each time the channel connects.
    ///
    /// Fails ([`Error::is_config`]) if `addr` does not end in `:port`.
    pub fn new(addr: impl Into<String>) -> Result<Self, Error> {
        let addr = addr.into();
        let valid = addr
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !valid {
            return Err(Error::config(format!(
                "`{addr}` is not an address of the form host:port \
                 (like \"127.0.0.1:9090\", \"[::1]:9090\" or \"example.com:9090\")"
            )));
        }
        Ok(Self::with_target(Target::Tcp(addr)))
    }

    /// An endpoint for a `host:port` known when the program is written.
    ///
    /// # Panics
    ///
    /// If `addr` is not of the form `host:port` (see [`Endpoint::new`]).
    ///
    /// ```
    /// let endpoint = thrift_tower::Endpoint::from_static("127.0.0.1:9090");
    /// ```
    pub fn from_static(addr: &'static str) -> Self {
        match Self::new(addr) {
            Ok(endpoint) => endpoint,
            Err(e) => panic!("Endpoint::from_static: {e}"),
        }
    }

    /// An endpoint for the Unix domain socket at `path`.
    #[cfg(unix)]
    pub fn unix(path: impl Into<PathBuf>) -> Self {
        Self::with_target(Target::Unix(path.into()))
    }

    fn with_target(target: Target) -> Self {
        Endpoint {
            target,
            protocol: Protocol::Binary,
            framing: Framing::Buffered,
            connect_timeout: None,
            timeout: None,
            tcp_nodelay: true,
            limits: Limits::default(),
            max_in_flight: Self::DEFAULT_MAX_IN_FLIGHT,
            failure_penalty: Self::DEFAULT_FAILURE_PENALTY,
            tcp_keepalive: Some(crate::transport::DEFAULT_TCP_KEEPALIVE),
        }
    }

    /// The protocol of every message on the connection. Default: [`Protocol::Binary`].
    ///
    /// Requests must be encoded with it: give a generated client the same one
    /// (`with_protocol`), or use [`Channel::protocol`].
    pub fn protocol(self, protocol: Protocol) -> Self {
        Endpoint { protocol, ..self }
    }

    /// How messages are delimited: [`Framing::Buffered`] (the default, Apache's
    /// `TBufferedTransport`) or [`Framing::Framed`] (`TFramedTransport`).
    /// [`Framing::Auto`] is for servers: connecting with it fails.
    pub fn framing(self, framing: Framing) -> Self {
        Endpoint { framing, ..self }
    }

    /// Gives up connecting after `timeout` (the error is both
    /// [`is_connect`](Error::is_connect) and [`is_timeout`](Error::is_timeout)). Default:
    /// none, the operating system's.
    pub fn connect_timeout(self, timeout: Duration) -> Self {
        Endpoint {
            connect_timeout: Some(timeout),
            ..self
        }
    }

    /// Fails each call that has no answer `timeout` after it was made, time spent
    /// connecting included ([`Error::is_timeout`]). Default: none. Tower's `TimeoutLayer`
    /// around the channel does the same.
    pub fn timeout(self, timeout: Duration) -> Self {
        Endpoint {
            timeout: Some(timeout),
            ..self
        }
    }

    /// Sets `TCP_NODELAY`. Default: `true`, so that a call is sent when it is written,
    /// not when the previous one is acknowledged (with Nagle's algorithm and delayed
    /// acknowledgements, each call on a connection can wait ~40 ms).
    pub fn tcp_nodelay(self, enabled: bool) -> Self {
        Endpoint {
            tcp_nodelay: enabled,
            ..self
        }
    }

    /// TCP keepalive: after this long without traffic the system probes the server, and a
    /// server that vanished without closing (power loss, a network partition) fails the
    /// connection, and the calls waiting on it, in about twice this time. `None` turns it
    /// off. Default: [`DEFAULT_TCP_KEEPALIVE`](crate::transport::DEFAULT_TCP_KEEPALIVE),
    /// 60 s.
    pub fn tcp_keepalive(self, idle: Option<Duration>) -> Self {
        Endpoint {
            tcp_keepalive: idle,
            ..self
        }
    }

    /// Bounds on the replies: frame and message size, and what the generated client
    /// decodes (the channel puts them in each response's extensions). Default:
    /// [`Limits::default`], Apache's.
    pub fn limits(self, limits: Limits) -> Self {
        Endpoint { limits, ..self }
    }

    /// How many calls may wait for an answer at once; past it,
    /// [`poll_ready`](tower_service::Service::poll_ready) waits for a slot. Default:
    /// [`DEFAULT_MAX_IN_FLIGHT`](Endpoint::DEFAULT_MAX_IN_FLIGHT). At least 1.
    pub fn max_in_flight(self, calls: usize) -> Self {
        Endpoint {
            max_in_flight: calls.clamp(1, Semaphore::MAX_PERMITS),
            ..self
        }
    }

    /// How long the channel counts as failing after a connection attempt fails. Default:
    /// [`DEFAULT_FAILURE_PENALTY`](Endpoint::DEFAULT_FAILURE_PENALTY).
    ///
    /// Meanwhile its [`load`](tower::load::Load::load) ranks above every channel that has
    /// not failed, so a balancer (`tower::balance::p2c`) sends calls to servers it can reach
    /// and skips this one; once the time is up, the next call it gets tries to connect
    /// again. Calls made on the channel itself are not held back: they try to connect and
    /// fail as before.
    pub fn failure_penalty(self, penalty: Duration) -> Self {
        Endpoint {
            failure_penalty: penalty,
            ..self
        }
    }

    /// Connects now, and returns a [`Channel`] on the connection. Fails if the connection
    /// cannot be made ([`Error::is_connect`]) or the configuration cannot work
    /// ([`Error::is_config`]).
    ///
    /// If the connection breaks later, the channel connects again on its next call.
    pub async fn connect(&self) -> Result<Channel, Error> {
        let io = self.open().await?;
        Ok(Channel::spawn(self.clone(), Some(io)))
    }

    /// Returns a [`Channel`] that connects on its first call; connecting errors are then
    /// that call's errors.
    ///
    /// # Panics
    ///
    /// If called outside a Tokio runtime: the channel spawns its connection task now.
    pub fn connect_lazy(&self) -> Channel {
        Channel::spawn(self.clone(), None)
    }

    /// Opens a connection.
    pub(super) async fn open(&self) -> Result<Io, Error> {
        if self.framing == Framing::Auto {
            return Err(Error::config(
                "a client cannot use `Framing::Auto` (a server learns the framing from its \
                 clients): choose `Framing::Buffered` or `Framing::Framed`",
            ));
        }
        let connecting = self.target.open(self.tcp_nodelay, self.tcp_keepalive);
        let io = match self.connect_timeout {
            Some(limit) => tokio::time::timeout(limit, connecting)
                .await
                .unwrap_or_else(|_| {
                    Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("no connection within the connect timeout of {limit:?}"),
                    ))
                }),
            None => connecting.await,
        };
        io.map_err(|e| Error::connect(self.target.to_string(), e))
    }
}

impl Target {
    async fn open(&self, nodelay: bool, keepalive: Option<Duration>) -> io::Result<Io> {
        match self {
            Target::Tcp(addr) => {
                // Each address the name resolves to, in order, as `TcpStream::connect`
                // does; resolving here keeps the error of the last one.
                let mut last = None;
                for peer in tokio::net::lookup_host(addr.as_str()).await? {
                    match TcpStream::connect(peer).await {
                        Ok(stream) => {
                            stream.set_nodelay(nodelay)?;
                            if let Some(idle) = keepalive {
                                crate::transport::set_keepalive(&stream, idle)?;
                            }
                            return Ok(Io::Tcp(stream));
                        }
                        Err(e) => last = Some(e),
                    }
                }
                Err(last.unwrap_or_else(|| {
                    io::Error::new(io::ErrorKind::NotFound, "the name resolves to no address")
                }))
            }
            #[cfg(unix)]
            Target::Unix(path) => Ok(Io::Unix(UnixStream::connect(path).await?)),
        }
    }
}

impl TryFrom<String> for Endpoint {
    type Error = Error;

    /// [`Endpoint::new`].
    fn try_from(addr: String) -> Result<Self, Error> {
        Endpoint::new(addr)
    }
}

impl TryFrom<&str> for Endpoint {
    type Error = Error;

    /// [`Endpoint::new`].
    fn try_from(addr: &str) -> Result<Self, Error> {
        Endpoint::new(addr)
    }
}

impl From<std::net::SocketAddr> for Endpoint {
    /// An endpoint for a socket address, which needs no resolving.
    fn from(addr: std::net::SocketAddr) -> Self {
        Self::with_target(Target::Tcp(addr.to_string()))
    }
}

/// A connected stream: TCP or a Unix domain socket.
#[derive(Debug)]
pub(super) enum Io {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(UnixStream),
}

impl AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(unix)]
            Io::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(unix)]
            Io::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Tcp(s) => Pin::new(s).poll_flush(cx),
            #[cfg(unix)]
            Io::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(unix)]
            Io::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
