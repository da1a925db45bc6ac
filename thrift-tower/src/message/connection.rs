//! [`ConnectionInfo`]: what a connection knows of itself, attached to every message it
//! carries.

use std::net::SocketAddr;

use http::Extensions;

/// What a connection knows of itself: the addresses of its ends, when it has them, and
/// whatever else its transport adds (a TLS identity, a Unix socket's peer).
///
/// A server asks each connection it serves for this once, through the
/// [`Connected`](crate::transport::Connected) trait, and attaches it to every request the
/// connection carries ([`Request::connection`](super::Request::connection)); a handler of a
/// generated server reads it with [`server::with_request`](crate::server::with_request).
///
/// ```
/// use thrift_tower::message::ConnectionInfo;
///
/// let info = ConnectionInfo::new().with_peer_addr("10.0.0.7:52114".parse().unwrap());
/// assert_eq!(info.peer_addr().map(|a| a.port()), Some(52114));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConnectionInfo {
    peer_addr: Option<SocketAddr>,
    local_addr: Option<SocketAddr>,
    extensions: Extensions,
}

impl ConnectionInfo {
    /// Nothing known.
    pub fn new() -> Self {
        ConnectionInfo::default()
    }

    /// With the peer's address.
    pub fn with_peer_addr(mut self, addr: SocketAddr) -> Self {
        self.peer_addr = Some(addr);
        self
    }

    /// With the local address.
    pub fn with_local_addr(mut self, addr: SocketAddr) -> Self {
        self.local_addr = Some(addr);
        self
    }

    /// The peer's IP address and port, for a connection that has one.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer_addr
    }

    /// The local IP address and port, for a connection that has one.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// What the transport adds, by type.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// What the transport adds, to change.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }
}
