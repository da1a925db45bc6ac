//! [`Endpoint`]: where a [`Channel`] connects, and how it talks.

use std::future::poll_fn;
use std::io;
#[cfg(unix)]
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Semaphore;
use tower_service::Service;

use super::Channel;
use crate::error::{BoxError, Error};
use crate::message::Response;
use crate::protocol::{Limits, Protocol};
#[cfg(unix)]
use crate::transport::UnixConnector;
use crate::transport::{
    Address, Framing, HeaderTransform, MessageCodec, SocketOptions, TcpConnector,
};

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
    pub(super) address: Address,
    pub(super) protocol: Protocol,
    pub(super) framing: Framing,
    header_transforms: Option<Vec<HeaderTransform>>,
    pub(super) connect_timeout: Option<Duration>,
    pub(super) timeout: Option<Duration>,
    pub(super) socket: SocketOptions,
    pub(super) limits: Limits,
    pub(super) max_in_flight: usize,
    pub(super) pipelining: usize,
    pub(super) max_connections: usize,
    pub(super) failure_penalty: Duration,
    #[cfg(feature = "tls")]
    pub(super) tls: Option<crate::transport::tls::TlsConnector<()>>,
}

impl Endpoint {
    /// How many calls may wait for an answer at once on a channel, unless
    /// [`max_in_flight`](Endpoint::max_in_flight) says otherwise.
    pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;

    /// How many connections a channel opens at most for calls made at once, unless
    /// [`max_connections`](Endpoint::max_connections) says otherwise. Few, because many
    /// servers give each connection a thread for its whole life from a bounded pool
    /// (Python's `TThreadPoolServer` has 10): a connection beyond their pool waits,
    /// unserved, for one to close.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 8;

    /// How long a channel counts as failing after it could not connect, by default: one
    /// second (see [`Endpoint::failure_penalty`]).
    pub const DEFAULT_FAILURE_PENALTY: Duration = Duration::from_secs(1);

    /// An endpoint for `addr`, a `host:port` (`"127.0.0.1:9090"`, `"[::1]:9090"`,
    /// `"example.com:9090"`). The host is resolved each time the channel connects.
    ///
    /// Fails ([`Error::is_config`]) if `addr` does not end in `:port`.
    pub fn new(addr: impl Into<String>) -> Result<Self, Error> {
        Ok(Self::with_address(Address::new(addr)?))
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
        Self::with_address(Address::unix(path))
    }

    /// An endpoint for `address`.
    pub fn with_address(address: Address) -> Self {
        Endpoint {
            address,
            protocol: Protocol::Binary,
            framing: Framing::Buffered,
            header_transforms: None,
            connect_timeout: None,
            timeout: None,
            socket: SocketOptions::default(),
            limits: Limits::default(),
            max_in_flight: Self::DEFAULT_MAX_IN_FLIGHT,
            pipelining: 1,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            failure_penalty: Self::DEFAULT_FAILURE_PENALTY,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Connects with TLS by `config` (feature `tls`): the server's certificate is checked
    /// for this endpoint's host (or the config's
    /// [`domain_name`](crate::transport::tls::ClientTlsConfig::domain_name)). Fails if the
    /// configuration does (no roots to trust, a key that does not match its certificate).
    ///
    /// ```no_run
    /// use thrift_tower::Endpoint;
    /// use thrift_tower::transport::tls::{Certificates, ClientTlsConfig};
    ///
    /// # fn main() -> Result<(), thrift_tower::Error> {
    /// let tls = ClientTlsConfig::new().ca_certificate(Certificates::from_pem_file("ca.pem")?);
    /// let endpoint = Endpoint::from_static("thrift.example.com:9443").tls(tls)?;
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: crate::transport::tls::ClientTlsConfig) -> Result<Self, Error> {
        self.tls = Some(crate::transport::tls::TlsConnector::new((), config)?);
        Ok(self)
    }

    /// An endpoint with these settings for another `host:port`: for servers found at run
    /// time (a discovery, a balancer's list) that share one configuration.
    ///
    /// Fails ([`Error::is_config`]) if `addr` does not end in `:port`.
    pub fn at(&self, addr: impl Into<String>) -> Result<Self, Error> {
        Ok(Endpoint {
            address: Address::new(addr)?,
            ..self.clone()
        })
    }

    /// Where the endpoint connects.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// The protocol of every message on the connection. Default: [`Protocol::Binary`].
    ///
    /// A request encoded with another (a generated client's default is binary) is
    /// re-encoded by the channel, between binary and compact; giving the client the same
    /// protocol (`with_protocol`, or [`Channel::protocol`]) saves that, and JSON needs it.
    pub fn protocol(self, protocol: Protocol) -> Self {
        Endpoint { protocol, ..self }
    }

    /// How messages are delimited: [`Framing::Buffered`] (the default, Apache's
    /// `TBufferedTransport`), [`Framing::Framed`] (`TFramedTransport`) or
    /// [`Framing::Header`] (`THeaderTransport`: each request's
    /// [`headers`](crate::message::Message::headers) are sent, and each reply's are read;
    /// binary or compact [`protocol`](Endpoint::protocol) only).
    /// [`Framing::Auto`] is for servers: connecting with it fails.
    ///
    /// ```no_run
    /// use thrift_tower::protocol::Protocol;
    /// use thrift_tower::transport::{Framing, HeaderTransform};
    /// use thrift_tower::Endpoint;
    ///
    /// # async fn run() -> Result<(), thrift_tower::Error> {
    /// // What a Python client with THeaderProtocol and a zlib transform talks to.
    /// let channel = Endpoint::from_static("127.0.0.1:9090")
    ///     .framing(Framing::Header)
    ///     .protocol(Protocol::Compact)
    ///     .header_transforms([HeaderTransform::Zlib])
    ///     .connect()
    ///     .await?;
    /// # drop(channel);
    /// # Ok(())
    /// # }
    /// ```
    pub fn framing(self, framing: Framing) -> Self {
        Endpoint { framing, ..self }
    }

    /// With [`Framing::Header`], the transforms every call's payload goes through (zlib
    /// compresses it). Default: those of the server's last reply, none until one comes
    /// (see [`MessageCodec::with_header_transforms`]).
    pub fn header_transforms(self, transforms: impl IntoIterator<Item = HeaderTransform>) -> Self {
        Endpoint {
            header_transforms: Some(transforms.into_iter().collect()),
            ..self
        }
    }

    /// The codec of a connection: the endpoint's framing, protocol, limits and transforms.
    pub(super) fn codec(&self) -> MessageCodec<Response> {
        let codec = MessageCodec::new(self.framing, Some(self.protocol), self.limits);
        match &self.header_transforms {
            Some(transforms) => codec.with_header_transforms(transforms.iter().copied()),
            None => codec,
        }
    }

    /// Gives up connecting after `timeout` (the error is both
    /// [`is_connect`](Error::is_connect) and [`is_timeout`](Error::is_timeout)). Default:
    /// none, the operating system's. Applies to any connector.
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

    /// Sets `TCP_NODELAY` on the connections the endpoint makes to a `host:port`. Default:
    /// `true`, so that a call is sent when it is written, not when the previous one is
    /// acknowledged (with Nagle's algorithm and delayed acknowledgements, each call on a
    /// connection can wait ~40 ms).
    pub fn tcp_nodelay(mut self, enabled: bool) -> Self {
        self.socket.nodelay = enabled;
        self
    }

    /// TCP keepalive on the connections the endpoint makes to a `host:port`: after this
    /// long without traffic the system probes the server, and a server that vanished
    /// without closing (power loss, a network partition) fails the connection, and the
    /// calls waiting on it, in about twice this time. `None` turns it off. Default:
    /// [`DEFAULT_TCP_KEEPALIVE`](crate::transport::DEFAULT_TCP_KEEPALIVE), 60 s.
    pub fn tcp_keepalive(mut self, idle: Option<Duration>) -> Self {
        self.socket.keepalive = idle;
        self
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

    /// How many calls one connection carries at once: 1 by default, so that calls made at
    /// once go out on connections of their own ([`max_connections`](Endpoint::max_connections)
    /// of them at most), which every Thrift server answers correctly. More sends calls back
    /// to back on a connection, matched to their replies by sequence id: for servers that
    /// answer that (this crate's, Apache's threaded and C++ servers); some lose such calls
    /// (Python's `TNonblockingServer`).
    pub fn pipelining(self, calls: usize) -> Self {
        Endpoint {
            pipelining: calls.clamp(1, Semaphore::MAX_PERMITS),
            ..self
        }
    }

    /// How many connections the channel opens at most, for calls made at once:
    /// [`DEFAULT_MAX_CONNECTIONS`](Endpoint::DEFAULT_MAX_CONNECTIONS) (8) by default. Opened
    /// as calls need them, and kept; more calls at once wait for a connection to be free. At most `max_connections` ×
    /// [`pipelining`](Endpoint::pipelining) calls are in flight, and no more than
    /// [`max_in_flight`](Endpoint::max_in_flight).
    pub fn max_connections(self, connections: usize) -> Self {
        Endpoint {
            max_connections: connections.clamp(1, 1 << 16),
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
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            #[cfg(unix)]
            if self.address.unix_path().is_some() {
                return self.connect_with_connector(tls.wrap(UnixConnector)).await;
            }
            return self.connect_with_connector(tls.wrap(self.tcp())).await;
        }
        #[cfg(unix)]
        if self.address.unix_path().is_some() {
            return self.connect_with_connector(UnixConnector).await;
        }
        self.connect_with_connector(self.tcp()).await
    }

    /// Returns a [`Channel`] that connects on its first call; connecting errors are then
    /// that call's errors.
    ///
    /// # Panics
    ///
    /// If called outside a Tokio runtime: the channel spawns its connection task now.
    pub fn connect_lazy(&self) -> Channel {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            #[cfg(unix)]
            if self.address.unix_path().is_some() {
                return self.connect_with_connector_lazy(tls.wrap(UnixConnector));
            }
            return self.connect_with_connector_lazy(tls.wrap(self.tcp()));
        }
        #[cfg(unix)]
        if self.address.unix_path().is_some() {
            return self.connect_with_connector_lazy(UnixConnector);
        }
        self.connect_with_connector_lazy(self.tcp())
    }

    /// The TCP connector, with this endpoint's socket options.
    fn tcp(&self) -> TcpConnector {
        TcpConnector::new().with_options(self.socket)
    }

    /// Connects now through `connector`, any `tower::Service` from the endpoint's
    /// [`Address`] to a byte stream: a TLS connector, an in-memory pipe in a test, a
    /// socket set up your way. The channel connects through it again whenever its
    /// connection breaks. The endpoint's TCP settings do not apply (the connector makes the
    /// stream); everything else does.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), thrift_tower::Error> {
    /// use thrift_tower::Endpoint;
    /// use thrift_tower::transport::{Address, TcpConnector};
    ///
    /// // A connector that logs each connection, then connects over TCP.
    /// let connector = tower::service_fn(|address: Address| async move {
    ///     println!("connecting to {address}");
    ///     tower::Service::call(&mut TcpConnector::new(), address).await
    /// });
    /// let channel = Endpoint::from_static("127.0.0.1:9090")
    ///     .connect_with_connector(connector)
    ///     .await?;
    /// # drop(channel);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect_with_connector<C>(&self, connector: C) -> Result<Channel, Error>
    where
        C: Service<Address> + Send + 'static,
        C::Response: AsyncRead + AsyncWrite + Send + Unpin + 'static,
        C::Error: Into<BoxError>,
        C::Future: Send,
    {
        let opener = SharedOpener::new(Opener {
            endpoint: self.clone(),
            connector,
        });
        let io = opener.open().await?;
        Ok(Channel::spawn(self.clone(), opener, Some(io)))
    }

    /// Returns a [`Channel`] that connects through `connector` (see
    /// [`connect_with_connector`](Endpoint::connect_with_connector)) on its first call.
    ///
    /// # Panics
    ///
    /// If called outside a Tokio runtime: the channel spawns its connection task now.
    pub fn connect_with_connector_lazy<C>(&self, connector: C) -> Channel
    where
        C: Service<Address> + Send + 'static,
        C::Response: AsyncRead + AsyncWrite + Send + Unpin + 'static,
        C::Error: Into<BoxError>,
        C::Future: Send,
    {
        let opener = SharedOpener::new(Opener {
            endpoint: self.clone(),
            connector,
        });
        Channel::spawn(self.clone(), opener, None)
    }
}

/// An [`Opener`] the connections of one channel share: each locks it only to connect.
pub(super) struct SharedOpener<C>(Arc<tokio::sync::Mutex<Opener<C>>>);

impl<C> Clone for SharedOpener<C> {
    fn clone(&self) -> Self {
        SharedOpener(Arc::clone(&self.0))
    }
}

impl<C> SharedOpener<C>
where
    C: Service<Address>,
    C::Error: Into<BoxError>,
{
    pub(super) fn new(opener: Opener<C>) -> Self {
        SharedOpener(Arc::new(tokio::sync::Mutex::new(opener)))
    }

    /// Opens a connection (one at a time for the channel's connections).
    pub(super) async fn open(&self) -> Result<C::Response, Error> {
        self.0.lock().await.open().await
    }
}

/// Opens a channel's connections: its connector, with the endpoint's connect timeout.
pub(super) struct Opener<C> {
    endpoint: Endpoint,
    connector: C,
}

impl<C> Opener<C>
where
    C: Service<Address>,
    C::Error: Into<BoxError>,
{
    /// Opens a connection.
    pub(super) async fn open(&mut self) -> Result<C::Response, Error> {
        if self.endpoint.framing == Framing::Auto {
            return Err(Error::config(
                "a client cannot use `Framing::Auto` (a server learns the framing from its \
                 clients): choose `Framing::Buffered`, `Framing::Framed` or `Framing::Header`",
            ));
        }
        if matches!(
            self.endpoint.framing,
            Framing::Header | Framing::FramedHeader
        ) && !matches!(self.endpoint.protocol, Protocol::Binary | Protocol::Compact)
        {
            return Err(Error::config(format!(
                "THeader framing carries the binary or compact protocol, not {}",
                self.endpoint.protocol
            )));
        }
        let address = self.endpoint.address.clone();
        let connector = &mut self.connector;
        let connecting = async {
            poll_fn(|cx| connector.poll_ready(cx)).await?;
            connector.call(address).await
        };
        let io = match self.endpoint.connect_timeout {
            Some(limit) => tokio::time::timeout(limit, connecting)
                .await
                .map_err(|_| -> BoxError {
                    io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("no connection within the connect timeout of {limit:?}"),
                    )
                    .into()
                })
                .and_then(|r| r.map_err(Into::into)),
            None => connecting.await.map_err(Into::into),
        };
        io.map_err(|e| {
            let source = match e.downcast::<io::Error>() {
                Ok(e) => *e,
                Err(e) => io::Error::other(e),
            };
            Error::connect(self.endpoint.address.to_string(), source)
        })
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
        Self::with_address(Address::from(addr))
    }
}
