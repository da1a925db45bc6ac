//! The message header: [`MessageHeader`] and [`MessageType`].
//!
//! Every Thrift call and reply starts with a header naming the method, the kind of message
//! and a sequence id that pairs a reply with its call. Protocols read and write it with
//! [`ProtocolReader::read_message_begin`](super::ProtocolReader::read_message_begin) and
//! [`ProtocolWriter::write_message_begin`](super::ProtocolWriter::write_message_begin).

use super::error::ProtocolError;
use crate::bytestr::ByteStr;

/// The kind of a message, with Apache's wire codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// `CALL` (1): a request that expects a reply.
    Call,
    /// `REPLY` (2): a successful reply, or one carrying a declared exception.
    Reply,
    /// `EXCEPTION` (3): a reply carrying a `TApplicationException`.
    Exception,
    /// `ONEWAY` (4): a request that gets no reply.
    Oneway,
}

impl MessageType {
    /// The wire code.
    pub const fn code(self) -> u8 {
        match self {
            MessageType::Call => 1,
            MessageType::Reply => 2,
            MessageType::Exception => 3,
            MessageType::Oneway => 4,
        }
    }

    /// The message type of a wire code.
    pub fn from_code(code: u8) -> Result<Self, ProtocolError> {
        match code {
            1 => Ok(MessageType::Call),
            2 => Ok(MessageType::Reply),
            3 => Ok(MessageType::Exception),
            4 => Ok(MessageType::Oneway),
            other => Err(ProtocolError::invalid(format!(
                "unknown message type {other} (expected 1 call, 2 reply, 3 exception or 4 oneway)"
            ))),
        }
    }
}

/// The header of a Thrift message: method name, message type and sequence id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageHeader {
    /// The method name as on the wire (`Service:method` when multiplexed).
    pub name: ByteStr,
    /// Call, reply, exception or oneway.
    pub message_type: MessageType,
    /// Pairs a reply with its call.
    pub seqid: i32,
}

impl MessageHeader {
    /// A header.
    pub fn new(name: impl Into<ByteStr>, message_type: MessageType, seqid: i32) -> Self {
        MessageHeader {
            name: name.into(),
            message_type,
            seqid,
        }
    }
}
