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
