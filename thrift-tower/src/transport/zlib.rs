//! zlib compression of a connection's bytes, as Apache Thrift's `TZlibTransport`:
//! [`ZlibStream`] wraps any byte stream, [`ZlibIncoming`] a server's connections and
//! [`ZlibConnector`] (or [`ZlibLayer`]) a channel's connector.
//!
//! It is a stream wrapper: it sits between the connection and the framing, so messages are
//! delimited as usual (buffered, or framed) and the bytes that carry them are compressed.
//!
//! ```text
//! messages -> MessageCodec (buffered | framed) -> ZlibStream -> TCP, Unix, TLS...
//! ```
//!
//! How the bytes look on the wire, and how inflation is bounded: see [`ZlibStream`].

mod plug;
mod stream;

pub use self::plug::{ZlibConnect, ZlibConnector, ZlibIncoming, ZlibLayer};
pub use self::stream::ZlibStream;

/// zlib's default compression level (`Z_DEFAULT_COMPRESSION`), the default of Apache's C++
/// `TZlibTransport` and of ours.
pub const DEFAULT_ZLIB_LEVEL: u32 = 6;
