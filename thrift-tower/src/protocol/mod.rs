//! Thrift's wire formats: [`binary`], [`compact`] and [`json`], byte-identical to Apache
//! Thrift's `TBinaryProtocol`, `TCompactProtocol` and `TJSONProtocol`.
//!
//! Each protocol has a reader (implementing [`ProtocolReader`]) and a writer (implementing
//! [`ProtocolWriter`]). Generated types implement [`Thrift`], whose `read` and `write` are
//! generic over those traits: the protocol is chosen once per message and every field call
//! is static, never a `dyn` call.
//!
//! Readers decode from a complete message held in [`Bytes`](bytes::Bytes): binary values come back as
//! slices of it, not copies. Writers append to any [`bytes::BufMut`], usually a
//! [`BytesMut`](bytes::BytesMut) that is then frozen into the message body.
//!
//! Apache's write-only SimpleJSON (`TSimpleJSONProtocol`: fields keyed by name, values
//! without types) has a writer and [`json::simple::encode`], but no reader and so no
//! [`Protocol`]: [`json::simple::decode`] refuses with an error that says so.
//!
//! Every reader enforces [`Limits`]: a declared length is checked against the bytes that
//! remain before anything is allocated, and nesting is bounded.
//!
//! ```
//! use bytes::Bytes;
//! use thrift_tower::protocol::{self, Protocol, Limits};
//!
//! let value: Vec<String> = vec!["hello".into(), "thrift".into()];
//! for protocol in [Protocol::Binary, Protocol::Compact, Protocol::Json] {
//!     let bytes: Bytes = protocol::encode(protocol, &value)?;
//!     let back: Vec<String> = protocol::decode(protocol, bytes, Limits::default())?;
//!     assert_eq!(back, value);
//! }
//! # Ok::<(), thrift_tower::ProtocolError>(())
//! ```

pub mod binary;
pub mod compact;
mod encode;
pub(crate) mod envelope;
mod error;
mod header;
mod input;
pub mod json;
mod limits;
mod scan;
mod traits;
mod transcode;
mod value;
mod wire;

pub use self::encode::{decode, encode};
pub use self::error::{
    ProtocolError, ProtocolErrorKind, missing_required_field, union_field_unset, union_value,
};
pub use self::header::{MessageHeader, MessageType};
pub use self::input::Input;
pub use self::limits::Limits;
pub use self::traits::{ProtocolReader, ProtocolWriter, Thrift, skip};
pub use self::transcode::transcode;
pub use self::wire::{FieldHeader, ListHeader, MapHeader, Protocol, WireType};
