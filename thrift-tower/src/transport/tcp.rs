//! TCP, on both sides: [`TcpIncoming`], the connections a server accepts, and
//! [`TcpConnector`], the connections a channel makes, with their socket options set in one
//! place.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use tokio::net::{TcpListener, TcpStream};
use tower_service::Service;

use super::connect::Address;

/// How long a TCP connection may be idle before the system starts probing whether the peer
/// is still there, unless configured otherwise ([`Server::tcp_keepalive`](crate::Server::tcp_keepalive),
/// [`Endpoint::tcp_keepalive`](crate::Endpoint::tcp_keepalive)).
pub const DEFAULT_TCP_KEEPALIVE: Duration = Duration::from_secs(60);

/// The options every TCP socket of ours gets, accepted or connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SocketOptions {
    /// `TCP_NODELAY`: a message is sent when it is written, not when the previous one is
    /// acknowledged (with Nagle's algorithm and delayed acknowledgements, each call on a
    /// connection can wait ~40 ms).
    pub(crate) nodelay: bool,
    /// TCP keepalive after this long idle (`None`: off).
    pub(crate) keepalive: Option<Duration>,
}

impl Default for SocketOptions {
    fn default() -> Self {
        SocketOptions {
            nodelay: true,
            keepalive: Some(DEFAULT_TCP_KEEPALIVE),
        }
    }
}

impl SocketOptions {
    /// Sets the options on `stream`.
    pub(crate) fn apply(&self, stream: &TcpStream) -> io::Result<()> {
        stream.set_nodelay(self.nodelay)?;
        if let Some(idle) = self.keepalive {
            set_keepalive(stream, idle)?;
        }
        Ok(())
    }
}

/// Turns on TCP keepalive: after `idle` without traffic the system probes the peer, every
/// `idle / 6` (at least a second), and resets the connection after 5 unanswered probes. A
/// peer that vanished without closing (power loss, a network partition) is then noticed
/// in about twice `idle`, instead of holding the connection forever.
fn set_keepalive(stream: &TcpStream, idle: Duration) -> io::Result<()> {
    let keepalive = socket2::TcpKeepalive::new().with_time(idle);
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "netbsd",
        windows
    ))]
    let keepalive = keepalive.with_interval((idle / 6).max(Duration::from_secs(1)));
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "netbsd"
    ))]
    let keepalive = keepalive.with_retries(5);
    socket2::SockRef::from(stream).set_tcp_keepalive(&keepalive)
}

/// The connections a TCP listener accepts, as a stream for
/// [`Router::serve_with_incoming`](crate::server::Router::serve_with_incoming), each with
/// `TCP_NODELAY` and keepalive set (by default; see [`nodelay`](Self::nodelay) and
/// [`keepalive`](Self::keepalive)).
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use thrift_tower::transport::TcpIncoming;
///
/// let incoming = TcpIncoming::bind("127.0.0.1:9090".parse().unwrap()).await?;
/// println!("listening on {}", incoming.local_addr()?);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct TcpIncoming {
    listener: TcpListener,
    options: SocketOptions,
}

impl TcpIncoming {
    /// Listens on `addr`.
    pub async fn bind(addr: SocketAddr) -> io::Result<Self> {
        Ok(Self::from_listener(TcpListener::bind(addr).await?))
    }

    /// The connections of a listener that is already bound.
    pub fn from_listener(listener: TcpListener) -> Self {
        TcpIncoming {
            listener,
            options: SocketOptions::default(),
        }
    }

    /// Sets `TCP_NODELAY` on accepted sockets (default: on, so a reply is sent at once).
    pub fn nodelay(mut self, on: bool) -> Self {
        self.options.nodelay = on;
        self
    }

    /// TCP keepalive on accepted sockets after `idle` without traffic (`None`: off).
    /// Default: [`DEFAULT_TCP_KEEPALIVE`].
    pub fn keepalive(mut self, idle: Option<Duration>) -> Self {
        self.options.keepalive = idle;
        self
    }

    pub(crate) fn with_options(mut self, options: SocketOptions) -> Self {
        self.options = options;
        self
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

impl Stream for TcpIncoming {
    type Item = io::Result<TcpStream>;

    /// The next connection, or the error of accepting one (out of file descriptors, say;
    /// the stream goes on after it).
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let (stream, _) = match this.listener.poll_accept(cx) {
            Poll::Ready(Ok(accepted)) => accepted,
            Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(e))),
            Poll::Pending => return Poll::Pending,
        };
        // Best effort: a socket that refuses an option still works (only slower, or without
        // noticing a vanished peer).
        let _ = this.options.apply(&stream);
        Poll::Ready(Some(Ok(stream)))
    }
}

/// Connects to a `host:port` [`Address`]: each address the name resolves to, in order,
/// until one answers; then sets the socket options. What an
/// [`Endpoint`](crate::Endpoint) for a `host:port` uses, and what a TLS connector wraps.
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpConnector {
    options: SocketOptions,
}

impl TcpConnector {
    /// A connector with `TCP_NODELAY` on and [`DEFAULT_TCP_KEEPALIVE`].
    pub fn new() -> Self {
        TcpConnector::default()
    }

    /// Sets `TCP_NODELAY` (default: on).
    pub fn nodelay(mut self, on: bool) -> Self {
        self.options.nodelay = on;
        self
    }

    /// TCP keepalive after `idle` without traffic (`None`: off).
    pub fn keepalive(mut self, idle: Option<Duration>) -> Self {
        self.options.keepalive = idle;
        self
    }

    pub(crate) fn with_options(mut self, options: SocketOptions) -> Self {
        self.options = options;
        self
    }
}

impl Service<Address> for TcpConnector {
    type Response = TcpStream;
    type Error = io::Error;
    /// Boxed: one allocation per connection made, not per call.
    type Future = Pin<Box<dyn Future<Output = io::Result<TcpStream>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, address: Address) -> Self::Future {
        let options = self.options;
        Box::pin(async move {
            let Some(target) = address.host_port() else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{address} is not a host:port to connect to over TCP"),
                ));
            };
            // Each address the name resolves to, in order, as `TcpStream::connect` does;
            // resolving here keeps the error of the last one.
            let mut last = None;
            for peer in tokio::net::lookup_host(target).await? {
                match TcpStream::connect(peer).await {
                    Ok(stream) => {
                        options.apply(&stream)?;
                        return Ok(stream);
                    }
                    Err(e) => last = Some(e),
                }
            }
            Err(last.unwrap_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, "the name resolves to no address")
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keepalive_is_set_as_asked() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let socket = socket2::SockRef::from(&stream);
        assert!(!socket.keepalive().unwrap());
        set_keepalive(&stream, Duration::from_secs(42)).unwrap();
        assert!(socket.keepalive().unwrap());
        #[cfg(target_os = "linux")]
        {
            assert_eq!(
                socket.tcp_keepalive_time().unwrap(),
                Duration::from_secs(42)
            );
            assert_eq!(
                socket.tcp_keepalive_interval().unwrap(),
                Duration::from_secs(7)
            );
            assert_eq!(socket.tcp_keepalive_retries().unwrap(), 5);
        }
    }

    #[tokio::test]
    async fn both_sides_set_the_options() {
        use std::future::poll_fn;
        let mut incoming = TcpIncoming::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap()
            .keepalive(Some(Duration::from_secs(30)));
        let addr = Address::from(incoming.local_addr().unwrap());
        let mut connector = TcpConnector::new().nodelay(false).keepalive(None);
        let client = connector.call(addr).await.unwrap();
        let server = poll_fn(|cx| Pin::new(&mut incoming).poll_next(cx))
            .await
            .unwrap()
            .unwrap();
        assert!(server.nodelay().unwrap());
        assert!(socket2::SockRef::from(&server).keepalive().unwrap());
        assert!(!client.nodelay().unwrap());
        assert!(!socket2::SockRef::from(&client).keepalive().unwrap());
        let refused = connector.call(Address::new("127.0.0.1:1").unwrap()).await;
        assert!(refused.is_err());
    }
}
