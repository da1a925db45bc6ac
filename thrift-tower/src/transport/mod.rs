//! Transports: how messages are delimited on a byte stream, and the connections that carry
//! them.
//!
//! Apache Thrift peers delimit messages in one of two ways:
//!
//! ```text
//! framed    | length: 4 bytes, big-endian | message (length bytes) |
//! buffered  | message |   (no delimiter: the end is found by parsing the message)
//! ```
//!
//! [`MessageCodec`] reads and writes either, or detects per connection which one a peer
//! uses and in which protocol, from its first bytes, so one port serves every Apache
//! client. It is a `tokio_util` codec: the frame length is checked against
//! [`Limits::max_frame_size`](crate::protocol::Limits::max_frame_size) before anything is
//! allocated for it, and an unframed message may not grow past
//! [`Limits::max_message_size`](crate::protocol::Limits::max_message_size).

mod codec;

pub use self::codec::{Envelope, Framing, MessageCodec};

use std::time::Duration;

/// A connection's read or write buffer that carried a message larger than this (server or
/// channel) is replaced by a small one once it is empty again, so an idle connection does
/// not keep the allocation of the largest message it ever saw.
pub(crate) const KEEP_BUFFER: usize = 1024 * 1024;

/// How long a TCP connection may be idle before the system starts probing whether the peer
/// is still there, unless configured otherwise ([`Server::tcp_keepalive`](crate::Server::tcp_keepalive),
/// [`Endpoint::tcp_keepalive`](crate::Endpoint::tcp_keepalive)).
pub const DEFAULT_TCP_KEEPALIVE: Duration = Duration::from_secs(60);

/// Turns on TCP keepalive: after `idle` without traffic the system probes the peer, every
/// `idle / 6` (at least a second), and resets the connection after 5 unanswered probes. A
/// peer that vanished without closing (power loss, a network partition) is then noticed
/// in about twice `idle`, instead of holding the connection forever.
pub(crate) fn set_keepalive(stream: &tokio::net::TcpStream, idle: Duration) -> std::io::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keepalive_is_set_as_asked() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stream = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
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
}
