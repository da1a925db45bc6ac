//! Whole messages to and from a [`Message`]: the protocol of a connection, fixed or learned
//! from its first message, and the split of a message into its header and its body.
//!
//! Every framing finds where a message starts and ends; what is inside is the same for all
//! of them, and is read and written here.

use bytes::{Bytes, BytesMut};

use crate::error::Error;
use crate::message::Message;
use crate::protocol::envelope::{MessageLen, MessageScanner, detect, read_message, write_message};
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

    /// `protocol`, which a frame states (THeader's do): learned if the connection's is not
    /// known yet; refused if it is another.
    pub(super) fn stated(&mut self, protocol: Protocol) -> Result<Protocol, Error> {
        match self.0 {
            Some(p) if p != protocol => Err(ProtocolError::new(
                ProtocolErrorKind::BadVersion,
                format!("a frame says its message is {protocol}, but this connection speaks {p}"),
            )
            .into()),
            _ => {
                self.0 = Some(protocol);
                Ok(protocol)
            }
        }
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

/// The one message `bytes` hold whole, with nothing after it: what a transport that
/// delimits messages by other means (an HTTP body) reads. The protocol is `protocol`, or
/// told by the first byte.
///
/// Fails with a [`ProtocolError`] saying what is wrong when the bytes are empty, start with
/// no protocol's marker, end before the message does, go on after it, or break a limit.
/// The body shares `bytes`: nothing is copied.
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use thrift_tower::protocol::Limits;
/// use thrift_tower::transport::{decode_message, encode_message};
/// use thrift_tower::{MessageHeader, MessageType, Request};
///
/// let mut wire = BytesMut::new();
/// let call = Request::new(
///     MessageHeader::new("ping", MessageType::Call, 1),
///     thrift_tower::protocol::Protocol::Json,
///     Bytes::from_static(b"{}"),
/// );
/// encode_message(&call, &mut wire)?;
/// assert_eq!(&wire[..], b"[1,\"ping\",1,1,{}]");
/// let read: Request = decode_message(wire.freeze(), None, Limits::default())?;
/// assert_eq!(read.method(), "ping");
/// # Ok::<(), thrift_tower::Error>(())
/// ```
pub fn decode_message<K: Default>(
    bytes: Bytes,
    protocol: Option<Protocol>,
    limits: Limits,
) -> Result<Message<K>, Error> {
    let Some(&first) = bytes.first() else {
        return Err(ProtocolError::eof("a message").into());
    };
    let protocol = ProtocolSlot::new(protocol).at(first)?;
    if bytes.len() > limits.max_message_size() {
        return Err(ProtocolError::new(
            ProtocolErrorKind::SizeLimit,
            format!(
                "message of {} bytes exceeds the limit of {} bytes",
                bytes.len(),
                limits.max_message_size()
            ),
        )
        .into());
    }
    match MessageScanner::new(protocol, limits).scan(&bytes)? {
        MessageLen::Complete(len) if len == bytes.len() => read(protocol, bytes, limits),
        MessageLen::Complete(len) => Err(ProtocolError::invalid(format!(
            "{} bytes after the end of the message",
            bytes.len() - len
        ))
        .into()),
        MessageLen::Incomplete { at_least } => Err(ProtocolError::incomplete(
            format!(
                "the input ends after {} bytes, in the middle of a {protocol} message",
                bytes.len()
            ),
            at_least.saturating_sub(bytes.len()),
        )
        .into()),
    }
}

/// Appends `message` whole and unframed: its header, then its body. What a transport that
/// delimits messages by other means (an HTTP body) writes.
pub fn encode_message<K>(message: &Message<K>, dst: &mut BytesMut) -> Result<(), Error> {
    write(message, dst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Request;
    use crate::protocol::{MessageHeader, MessageType};

    fn call(protocol: Protocol) -> Bytes {
        let body = match protocol {
            Protocol::Json => Bytes::from_static(br#"{"1":{"i32":7}}"#),
            Protocol::Compact => Bytes::from_static(b"\x15\x0e\x00"),
            _ => Bytes::from_static(b"\x08\x00\x01\x00\x00\x00\x07\x00"),
        };
        let request = Request::new(
            MessageHeader::new("add", MessageType::Call, 3),
            protocol,
            body,
        );
        let mut out = BytesMut::new();
        encode_message(&request, &mut out).unwrap();
        out.freeze()
    }

    #[test]
    fn a_whole_message_and_nothing_else() {
        for protocol in [Protocol::Binary, Protocol::Compact, Protocol::Json] {
            let bytes = call(protocol);
            let read: Request = decode_message(bytes.clone(), None, Limits::default()).unwrap();
            assert_eq!((read.method(), read.protocol()), ("add", protocol));
            for cut in 0..bytes.len() {
                let e = decode_message::<crate::message::Call>(
                    bytes.slice(..cut),
                    Some(protocol),
                    Limits::default(),
                )
                .unwrap_err();
                let e = e.protocol_error().expect("a protocol error");
                assert!(e.is_eof(), "{protocol} cut at {cut}: {e}");
            }
            let mut longer = BytesMut::from(&bytes[..]);
            longer.extend_from_slice(b"xy");
            let e =
                decode_message::<crate::message::Call>(longer.freeze(), None, Limits::default())
                    .unwrap_err();
            assert_eq!(
                e.to_string(),
                "thrift protocol error: invalid data: 2 bytes after the end of the message"
            );
        }
        let e = decode_message::<crate::message::Call>(
            Bytes::from_static(b"GET / HTTP/1.1"),
            None,
            Limits::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("cannot tell the protocol"), "{e}");
        let e = decode_message::<crate::message::Call>(
            call(Protocol::Binary),
            None,
            Limits::default().with_max_message_size(8),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("exceeds the limit of 8 bytes"),
            "{e}"
        );
    }
}
