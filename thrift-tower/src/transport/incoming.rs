//! [`Connected`]: what a stream a server serves tells of itself, and so what each request
//! it carries knows of it.
//!
//! A server serves any stream of connections (`serve_with_incoming`): its own listeners,
//! TLS connections, in-memory pipes, sockets handed over by systemd. Each connection's
//! stream implements [`Connected`]; the server asks it once for its [`ConnectionInfo`] and
//! attaches that to every request the connection carries.

use crate::message::ConnectionInfo;

/// A connection that can say what it knows of itself: its peer's address, a TLS identity.
///
/// Implemented for tokio's TCP and Unix streams and for its in-memory
/// [`DuplexStream`](tokio::io::DuplexStream). A stream that wraps another (TLS, a byte
/// counter) implements it by asking the inner stream and adding what it knows.
///
/// ```
/// use thrift_tower::message::ConnectionInfo;
/// use thrift_tower::transport::Connected;
///
/// /// A TCP stream that knows which tenant it serves (its `AsyncRead` and `AsyncWrite`
/// /// pass through to `stream`).
/// struct Tenant {
///     stream: tokio::net::TcpStream,
///     tenant: &'static str,
/// }
///
/// #[derive(Clone)]
/// struct TenantName(&'static str);
///
/// impl Connected for Tenant {
///     fn connection_info(&self) -> ConnectionInfo {
///         let mut info = self.stream.connection_info();
///         info.extensions_mut().insert(TenantName(self.tenant));
///         info
///     }
/// }
/// ```
pub trait Connected {
    /// What the connection knows of itself.
    fn connection_info(&self) -> ConnectionInfo;
}

impl Connected for tokio::net::TcpStream {
    fn connection_info(&self) -> ConnectionInfo {
        let mut info = ConnectionInfo::new();
        if let Ok(addr) = self.peer_addr() {
            info = info.with_peer_addr(addr);
        }
        if let Ok(addr) = self.local_addr() {
            info = info.with_local_addr(addr);
        }
        info
    }
}

/// The address of the peer of a Unix domain socket connection, in
/// [`ConnectionInfo::extensions`], when the system names it (a client socket is usually
/// unnamed).
#[cfg(unix)]
#[derive(Debug, Clone)]
pub struct UnixPeerAddr(pub tokio::net::unix::SocketAddr);

#[cfg(unix)]
impl Connected for tokio::net::UnixStream {
    fn connection_info(&self) -> ConnectionInfo {
        let mut info = ConnectionInfo::new();
        if let Ok(addr) = self.peer_addr() {
            info.extensions_mut().insert(UnixPeerAddr(addr));
        }
        info
    }
}

/// An in-memory pipe knows nothing of itself.
impl Connected for tokio::io::DuplexStream {
    fn connection_info(&self) -> ConnectionInfo {
        ConnectionInfo::new()
    }
}

impl<T: Connected + ?Sized> Connected for Box<T> {
    fn connection_info(&self) -> ConnectionInfo {
        (**self).connection_info()
    }
}
