//! Transports: how messages travel as bytes, and the connections that carry them.
//!
//! Each part is a piece of its own that the server and the channel plug together; a new
//! transport is a new piece, not an edit of the connection drivers:
//!
//! - **Framing**: [`MessageCodec`] reads and writes whole messages on a byte stream,
//!   framed, buffered or in THeader frames ([`Framing`]), or whichever a peer's first bytes
//!   say, in any protocol, within [`Limits`](crate::protocol::Limits).
//! - **Incoming connections** (servers): any stream of byte streams that implement
//!   [`Connected`], which says what a connection knows of itself (its peer's address, a TLS
//!   identity) so that each request can carry it. [`TcpIncoming`] and `UnixIncoming` are two
//!   such streams; a TLS acceptor or an in-memory pipe is another.
//! - **Connectors** (clients): any `tower::Service` from an [`Address`] to a byte stream.
//!   [`TcpConnector`] and `UnixConnector` are two; a TLS connector wraps the TCP one.
//! - **Stream wrappers** wrap the byte stream between the connection source and the
//!   framing, on either side: [`ZlibStream`] compresses it (Apache's `TZlibTransport`),
//!   plugged in by [`ZlibIncoming`] around a server's connections and [`ZlibConnector`]
//!   around a channel's connector.
//! - **TLS** ([`tls`], feature `tls`): an incoming-connection wrapper and a connector
//!   wrapper on rustls, with the client's certificate identity in each request.
//!
//! Socket options (`TCP_NODELAY`, keepalive) are set in [`tcp`'s](TcpConnector) one place,
//! on accepted and connected sockets alike.

mod buffer;
mod codec;
mod connect;
mod incoming;
mod tcp;
#[cfg(feature = "tls")]
pub mod tls;
#[cfg(unix)]
mod unix;
mod zlib;

pub(crate) use self::buffer::IoBuffer;
pub use self::codec::{Framing, HeaderTransform, MessageCodec, decode_message, encode_message};
pub use self::connect::Address;
pub use self::incoming::Connected;
#[cfg(unix)]
pub use self::incoming::UnixPeerAddr;
pub(crate) use self::tcp::SocketOptions;
pub use self::tcp::{DEFAULT_TCP_KEEPALIVE, TcpConnector, TcpIncoming};
#[cfg(unix)]
pub use self::unix::{UnixConnector, UnixIncoming};
pub use self::zlib::{
    DEFAULT_ZLIB_LEVEL, ZlibConnect, ZlibConnector, ZlibIncoming, ZlibLayer, ZlibStream,
};
