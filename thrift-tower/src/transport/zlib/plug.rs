//! Where [`ZlibStream`] plugs in: [`ZlibIncoming`] around a server's connections,
//! [`ZlibConnector`] (made by [`ZlibLayer`]) around a channel's connector.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use tower_layer::Layer;
use tower_service::Service;

use super::{DEFAULT_ZLIB_LEVEL, ZlibStream};
use crate::transport::Address;

pin_project_lite::pin_project! {
    /// The connections of `I` (any stream of connections: [`TcpIncoming`], `UnixIncoming`,
    /// a TLS acceptor's), each wrapped in a [`ZlibStream`], for
    /// [`Router::serve_with_incoming`](crate::server::Router::serve_with_incoming). Every
    /// connection must then speak zlib, as with Apache's `TZlibTransportFactory`.
    ///
    /// ```
    /// # use futures_core::Stream;
    /// use thrift_tower::transport::{
    ///     Address, TcpConnector, TcpIncoming, ZlibConnector, ZlibIncoming,
    /// };
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let listener = TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).await?;
    /// let incoming = ZlibIncoming::new(listener);
    /// let address = Address::from(incoming.get_ref().local_addr()?);
    /// let mut incoming = std::pin::pin!(incoming);
    ///
    /// // A client's connection, made by a zlib connector around the TCP one.
    /// let mut connector = ZlibConnector::new(TcpConnector::new());
    /// let mut client = tower::Service::call(&mut connector, address).await?;
    /// client.write_all(b"\x80\x01\x00\x01").await?;
    /// client.flush().await?;
    ///
    /// // The server's end inflates what came.
    /// let mut server = std::future::poll_fn(|cx| incoming.as_mut().poll_next(cx))
    ///     .await
    ///     .expect("a listener's connections do not end")?;
    /// let mut read = [0; 4];
    /// server.read_exact(&mut read).await?;
    /// assert_eq!(&read, b"\x80\x01\x00\x01");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// [`TcpIncoming`]: crate::transport::TcpIncoming
    #[derive(Debug)]
    pub struct ZlibIncoming<I> {
        #[pin]
        inner: I,
        level: u32,
    }
}

impl<I> ZlibIncoming<I> {
    /// Wraps each connection of `incoming`, compressing at [`DEFAULT_ZLIB_LEVEL`].
    pub fn new(incoming: I) -> Self {
        ZlibIncoming {
            inner: incoming,
            level: DEFAULT_ZLIB_LEVEL,
        }
    }

    /// Compresses replies at `level` (0 to 9; see [`ZlibStream::with_level`]).
    pub fn level(mut self, level: u32) -> Self {
        self.level = level;
        self
    }

    /// The connections it wraps (a listener's address, say).
    pub fn get_ref(&self) -> &I {
        &self.inner
    }

    /// The connections it wraps.
    pub fn into_inner(self) -> I {
        self.inner
    }
}

impl<I, IO, E> Stream for ZlibIncoming<I>
where
    I: Stream<Item = Result<IO, E>>,
{
    type Item = Result<ZlibStream<IO>, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        let level = *this.level;
        this.inner
            .poll_next(cx)
            .map(|next| next.map(|accepted| accepted.map(|io| ZlibStream::with_level(io, level))))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

/// A connector whose connections are those of `C` (any connector: [`TcpConnector`],
/// `UnixConnector`, a TLS one), each wrapped in a [`ZlibStream`], for
/// [`Endpoint::connect_with_connector`](crate::Endpoint::connect_with_connector). The server
/// must speak zlib on every connection, as a server with Apache's `TZlibTransportFactory`
/// does.
///
/// ```no_run
/// # async fn run() -> Result<(), thrift_tower::Error> {
/// use thrift_tower::Endpoint;
/// use thrift_tower::transport::{Framing, TcpConnector, ZlibConnector};
///
/// // Apache's cross tests' `zlib`: zlib over the socket, messages back to back inside.
/// let channel = Endpoint::from_static("127.0.0.1:9090")
///     .framing(Framing::Buffered)
///     .connect_with_connector(ZlibConnector::new(TcpConnector::new()))
///     .await?;
/// # drop(channel);
/// # Ok(())
/// # }
/// ```
///
/// [`TcpConnector`]: crate::transport::TcpConnector
#[derive(Debug, Clone, Copy)]
pub struct ZlibConnector<C> {
    inner: C,
    level: u32,
}

impl<C> ZlibConnector<C> {
    /// Wraps each connection `connector` makes, compressing at [`DEFAULT_ZLIB_LEVEL`].
    pub fn new(connector: C) -> Self {
        ZlibConnector {
            inner: connector,
            level: DEFAULT_ZLIB_LEVEL,
        }
    }

    /// Compresses calls at `level` (0 to 9; see [`ZlibStream::with_level`]).
    pub fn level(mut self, level: u32) -> Self {
        self.level = level;
        self
    }

    /// The connector it wraps.
    pub fn get_ref(&self) -> &C {
        &self.inner
    }

    /// The connector it wraps.
    pub fn into_inner(self) -> C {
        self.inner
    }
}

impl<C> Service<Address> for ZlibConnector<C>
where
    C: Service<Address>,
{
    type Response = ZlibStream<C::Response>;
    type Error = C::Error;
    type Future = ZlibConnect<C::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, address: Address) -> Self::Future {
        ZlibConnect {
            connecting: self.inner.call(address),
            level: self.level,
        }
    }
}

pin_project_lite::pin_project! {
    /// The connection a [`ZlibConnector`] is making.
    #[derive(Debug)]
    pub struct ZlibConnect<F> {
        #[pin]
        connecting: F,
        level: u32,
    }
}

impl<F, IO, E> Future for ZlibConnect<F>
where
    F: Future<Output = Result<IO, E>>,
{
    type Output = Result<ZlibStream<IO>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let io = ready!(this.connecting.poll(cx))?;
        Poll::Ready(Ok(ZlibStream::with_level(io, *this.level)))
    }
}

/// Wraps a connector in a [`ZlibConnector`], as a tower [`Layer`].
///
/// ```
/// use thrift_tower::transport::{TcpConnector, ZlibLayer};
///
/// let connector = tower::ServiceBuilder::new()
///     .layer(ZlibLayer::new().level(9))
///     .service(TcpConnector::new());
/// # let _ = connector;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ZlibLayer {
    level: u32,
}

impl ZlibLayer {
    /// Compresses at [`DEFAULT_ZLIB_LEVEL`].
    pub const fn new() -> Self {
        ZlibLayer {
            level: DEFAULT_ZLIB_LEVEL,
        }
    }

    /// Compresses at `level` (0 to 9; see [`ZlibStream::with_level`]).
    pub const fn level(mut self, level: u32) -> Self {
        self.level = level;
        self
    }
}

impl Default for ZlibLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<C> Layer<C> for ZlibLayer {
    type Service = ZlibConnector<C>;

    fn layer(&self, connector: C) -> ZlibConnector<C> {
        ZlibConnector::new(connector).level(self.level)
    }
}
