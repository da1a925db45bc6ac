//! Whole messages to and from a [`Message`]: the protocol of a connection, fixed or learned
//! from its first message, and the split of a message into its header and its body.
//!
//! Every framing finds where a message starts and ends; what is inside is the same for all
//! of them, and is read and written here.

use bytes::{Bytes, BytesMut};

use crate::error::Error;
use crate::message::Message;
use crate::protocol::envelope::{detect, read_message, write_message};
use crate::protocol::{Limits, Protocol, ProtocolError, ProtocolErrorKind};

/// The protocol of a connection's messages: fixed by configuration, or learned from the
/// first byte of its first message and then kept.
#[derive(Debug, Clone, Copy)]
pub(super) struct ProtocolSlot(Option<Protocol>);

impl ProtocolSlot {
    pub(super) fn new(protocol: Option<Protocol>) -> Self {
        ProtocolSlot(protocol)
    }

    pub(super) fn get(self) -> Option<Protocol> {
        self.0
    }

    /// The protocol of a message starting with `first`.
    pub(super) fn at(&mut self, first: u8) -> Result<Protocol, Error> {
        if let Some(p) = self.0 {
            return Ok(p);
        }
        let p = detect(first).ok_or_else(|| {
            ProtocolError::new(
                ProtocolErrorKind::BadVersion,
                format!(
                    "cannot tell the protocol of a message starting with byte {first:#04x} \
                     (expected 0x80 binary, 0x82 compact or '[' JSON)"
                ),
            )
        })?;
        self.0 = Some(p);
        Ok(p)
    }
}

/// The message `bytes` hold whole (header, then body), in `protocol`.
pub(super) fn read<K: Default>(
    protocol: Protocol,
    bytes: Bytes,
    limits: Limits,
) -> Result<Message<K>, Error> {
    let (header, body) = read_message(protocol, bytes, limits)?;
    Ok(Message::new(header, protocol, body))
}

/// Appends `message` whole: its header, then its body.
pub(super) fn write<K>(message: &Message<K>, dst: &mut BytesMut) -> Result<(), Error> {
    write_message(message.protocol(), message.header(), message.body(), dst)?;
    Ok(())
}
