//! [`MessageCodec`]: framed, buffered and auto-detected message boundaries.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::error::Error;
use crate::protocol::envelope::{MessageLen, MessageScanner, detect, read_message, write_message};
use crate::protocol::{Limits, Protocol};
use crate::protocol::{MessageHeader, ProtocolError, ProtocolErrorKind};

/// The most buffer room reserved ahead of bytes that have not come yet.
const RESERVE_AHEAD: usize = 64 * 1024;

/// How messages are delimited on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Framing {
    /// Apache's `TFramedTransport`: each message preceded by its length.
    Framed,
    /// Apache's `TBufferedTransport` (and plain `TSocket`): messages back to back.
    Buffered,
    /// Whatever the peer's first message uses (for servers; a client must choose).
    #[default]
    Auto,
}

/// A message whose body is still encoded: what a transport reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The message header.
    pub header: MessageHeader,
    /// The protocol of the header and body.
    pub protocol: Protocol,
    /// The encoded struct (arguments, result or exception).
    pub body: Bytes,
}

/// Reads and writes [`Envelope`]s on a byte stream, framed or buffered, in any protocol;
/// with [`Framing::Auto`] and no fixed protocol, both are learned from the first message
/// and kept for the connection.
#[derive(Debug, Clone)]
pub struct MessageCodec {
    framing: Framing,
    protocol: Option<Protocol>,
    limits: Limits,
    /// On a buffered connection, the buffer length below which scanning the message that
    /// is arriving cannot get further: a 10 MB string arriving in 64 KB reads is looked at
    /// once, not 160 times.
    resume_at: usize,
    /// On a buffered connection, how far the message that is arriving has been scanned, so
    /// that each read scans only the bytes it brought.
    scanner: Option<MessageScanner>,
}

impl MessageCodec {
    /// A codec with `framing`, for `protocol` (`None`: detect it), within `limits`.
    pub fn new(framing: Framing, protocol: Option<Protocol>, limits: Limits) -> Self {
        MessageCodec {
            framing,
            protocol,
            limits,
            resume_at: 0,
            scanner: None,
        }
    }

    /// The framing in use: the configured one, or what was detected (`Auto` until then).
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// The protocol in use, once configured or detected.
    pub fn protocol(&self) -> Option<Protocol> {
        self.protocol
    }

    /// The protocol of a message starting with `first`: the fixed one, or the detected one,
    /// which is then kept.
    fn protocol_at(&mut self, first: u8) -> Result<Protocol, Error> {
        if let Some(p) = self.protocol {
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
        self.protocol = Some(p);
        Ok(p)
    }

    /// Learns the framing from the first bytes. `None`: not enough bytes yet.
    fn detect_framing(src: &[u8]) -> Option<Framing> {
        let first = *src.first()?;
        if matches!(first, 0x80 | 0x82 | b'[') {
            return Some(Framing::Buffered);
        }
        // A frame length's first byte is 0 for any frame under 16 MiB; the message inside
        // then starts at byte 4 with a protocol marker, or with the 0 of an old binary
        // header's name length. An unframed old binary message has its method name there.
        let fifth = *src.get(4)?;
        Some(if matches!(fifth, 0x80 | 0x82 | b'[' | 0x00) {
            Framing::Framed
        } else {
            Framing::Buffered
        })
    }

    fn decode_framed(&mut self, src: &mut BytesMut) -> Result<Option<Envelope>, Error> {
        let Some(len) = src.first_chunk::<4>().map(|b| i32::from_be_bytes(*b)) else {
            return Ok(None);
        };
        let len = usize::try_from(len).map_err(|_| {
            ProtocolError::new(
                ProtocolErrorKind::NegativeSize,
                format!("negative frame length {len}"),
            )
        })?;
        if len > self.limits.max_frame_size() {
            return Err(ProtocolError::new(
                ProtocolErrorKind::SizeLimit,
                format!(
                    "frame of {len} bytes exceeds the limit of {} bytes",
                    self.limits.max_frame_size()
                ),
            )
            .into());
        }
        if len == 0 {
            return Err(ProtocolError::invalid("empty frame").into());
        }
        if src.len() < 4 + len {
            // Room grows as bytes come, not to what a peer declares: a 4-byte header
            // must not make every connection hold a frame-sized buffer.
            src.reserve((4 + len - src.len()).min(RESERVE_AHEAD));
            return Ok(None);
        }
        src.advance(4);
        let frame = src.split_to(len).freeze();
        let protocol = self.protocol_at(frame[0])?;
        let (header, body) = read_message(protocol, frame, self.limits)?;
        Ok(Some(Envelope {
            header,
            protocol,
            body,
        }))
    }

    fn decode_buffered(&mut self, src: &mut BytesMut) -> Result<Option<Envelope>, Error> {
        let Some(&first) = src.first() else {
            return Ok(None);
        };
        let protocol = self.protocol_at(first)?;
        if src.len() < self.resume_at {
            return Ok(None);
        }
        // The message ends where its body struct ends. A message that is still arriving is
        // scanned further as bytes come, from where the scan stopped.
        let scanner = self
            .scanner
            .get_or_insert_with(|| MessageScanner::new(protocol, self.limits));
        let scanned = scanner.scan(src);
        if scanned.is_err() || matches!(scanned, Ok(MessageLen::Complete(_))) {
            scanner.reset(protocol);
        }
        match scanned? {
            MessageLen::Complete(len) => {
                self.resume_at = 0;
                let message = src.split_to(len).freeze();
                let (header, body) = read_message(protocol, message, self.limits)?;
                Ok(Some(Envelope {
                    header,
                    protocol,
                    body,
                }))
            }
            MessageLen::Incomplete { at_least } if at_least > self.limits.max_message_size() => {
                Err(ProtocolError::new(
                    ProtocolErrorKind::SizeLimit,
                    format!(
                        "unframed message of at least {at_least} bytes, more than the limit of {} bytes",
                        self.limits.max_message_size()
                    ),
                )
                .into())
            }
            MessageLen::Incomplete { at_least } => {
                self.resume_at = at_least;
                src.reserve(at_least.saturating_sub(src.len()).min(RESERVE_AHEAD));
                Ok(None)
            }
        }
    }
}

impl Decoder for MessageCodec {
    type Item = Envelope;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Envelope>, Error> {
        if self.framing == Framing::Auto {
            match Self::detect_framing(src) {
                Some(f) => self.framing = f,
                None => return Ok(None),
            }
        }
        match self.framing {
            Framing::Framed => self.decode_framed(src),
            _ => self.decode_buffered(src),
        }
    }
}

impl Encoder<Envelope> for MessageCodec {
    type Error = Error;

    fn encode(&mut self, item: Envelope, dst: &mut BytesMut) -> Result<(), Error> {
        if self.framing == Framing::Framed {
            // Length and message go out together: one buffer, so one write.
            let start = dst.len();
            dst.put_u32(0);
            write_message(item.protocol, &item.header, &item.body, dst)?;
            let len = dst.len() - start - 4;
            let len = u32::try_from(len)
                .ok()
                .filter(|&l| l as usize <= self.limits.max_frame_size())
                .ok_or_else(|| {
                    ProtocolError::new(
                        ProtocolErrorKind::SizeLimit,
                        format!(
                            "frame of {len} bytes exceeds the limit of {} bytes",
                            self.limits.max_frame_size()
                        ),
                    )
                })?;
            dst[start..start + 4].copy_from_slice(&len.to_be_bytes());
        } else {
            write_message(item.protocol, &item.header, &item.body, dst)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MessageType;

    fn envelope(protocol: Protocol) -> Envelope {
        Envelope {
            header: MessageHeader::new("testString", MessageType::Call, 3),
            protocol,
            body: match protocol {
                Protocol::Json => Bytes::from_static(br#"{"1":{"str":"hi"}}"#),
                Protocol::Binary => Bytes::from_static(b"\x0b\x00\x01\x00\x00\x00\x02hi\x00"),
                Protocol::Compact => Bytes::from_static(b"\x18\x02hi\x00"),
            },
        }
    }

    fn encoded(framing: Framing, protocol: Protocol) -> BytesMut {
        let mut buf = BytesMut::new();
        MessageCodec::new(framing, Some(protocol), Limits::default())
            .encode(envelope(protocol), &mut buf)
            .unwrap();
        buf
    }

    #[test]
    fn detects_framing_and_protocol_byte_by_byte() {
        for framing in [Framing::Framed, Framing::Buffered] {
            for protocol in [Protocol::Binary, Protocol::Compact, Protocol::Json] {
                // Two messages back to back, fed one byte at a time.
                let mut wire = encoded(framing, protocol);
                wire.extend_from_slice(&encoded(framing, protocol));
                let mut codec = MessageCodec::new(Framing::Auto, None, Limits::default());
                let mut src = BytesMut::new();
                let mut got = Vec::new();
                for b in wire.iter() {
                    src.put_u8(*b);
                    while let Some(e) = codec.decode(&mut src).unwrap() {
                        got.push(e);
                    }
                }
                assert_eq!(
                    got,
                    vec![envelope(protocol), envelope(protocol)],
                    "{framing:?} {protocol}"
                );
                assert_eq!(codec.framing(), framing);
                assert_eq!(codec.protocol(), Some(protocol));
                assert!(src.is_empty());
            }
        }
    }

    #[test]
    fn framed_writes_length_then_message() {
        let buf = encoded(Framing::Framed, Protocol::Compact);
        let len = u32::from_be_bytes(buf[..4].try_into().unwrap()) as usize;
        assert_eq!(len, buf.len() - 4);
        assert_eq!(buf[4], 0x82);
    }

    #[test]
    fn hostile_frames_fail_before_allocating() {
        let limits = Limits::default();
        let mut codec = MessageCodec::new(Framing::Framed, None, limits);
        let mut src = BytesMut::from(&b"\x7f\xff\xff\xff\x80"[..]);
        let err = codec.decode(&mut src).unwrap_err();
        assert!(
            err.to_string().contains("exceeds the limit of 16384000"),
            "{err}"
        );
        assert!(src.capacity() < 1024);
        let mut src = BytesMut::from(&b"\xff\xff\xff\xff"[..]);
        assert!(
            MessageCodec::new(Framing::Framed, None, limits)
                .decode(&mut src)
                .is_err()
        );
        let mut src = BytesMut::from(&b"\x00\x00\x00\x00"[..]);
        assert!(
            MessageCodec::new(Framing::Framed, None, limits)
                .decode(&mut src)
                .is_err()
        );
        // An unframed message declaring a string past the message size limit fails at once,
        // before its bytes are waited for or buffered.
        let small = limits.with_max_message_size(64);
        let header = b"\x80\x01\x00\x01\x00\x00\x00\x01m\x00\x00\x00\x01";
        let mut codec = MessageCodec::new(Framing::Buffered, Some(Protocol::Binary), small);
        let mut src = BytesMut::from(&header[..]);
        src.extend_from_slice(b"\x0b\x00\x01\x7f\xff\xff\xff");
        let err = codec.decode(&mut src).unwrap_err();
        assert!(
            err.to_string().contains("more than the limit of 64"),
            "{err}"
        );
        // One that never ends is cut off at the limit.
        let mut codec = MessageCodec::new(Framing::Buffered, Some(Protocol::Binary), small);
        let mut src = BytesMut::from(&header[..]);
        let mut failed = false;
        for _ in 0..32 {
            src.extend_from_slice(b"\x03\x00\x01\x05");
            match codec.decode(&mut src) {
                Ok(None) => continue,
                Ok(Some(e)) => panic!("decoded {e:?}"),
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        assert!(failed && src.len() <= 64 + 4, "{}", src.len());
        // A frame within the limit that has not come yet: the buffer grows as bytes come,
        // not to the declared 16 MB at once.
        let mut codec = MessageCodec::new(Framing::Framed, None, limits);
        let mut src = BytesMut::from(&b"\x00\xf4\x24\x00\x80"[..]);
        assert!(codec.decode(&mut src).unwrap().is_none());
        assert!(src.capacity() <= 2 * RESERVE_AHEAD, "{}", src.capacity());
        // Likewise an unframed message declaring a long string.
        let mut codec = MessageCodec::new(Framing::Buffered, Some(Protocol::Binary), limits);
        let mut src = BytesMut::from(&header[..]);
        src.extend_from_slice(b"\x0b\x00\x01\x00\xf4\x24\x00");
        assert!(codec.decode(&mut src).unwrap().is_none());
        assert!(src.capacity() <= 2 * RESERVE_AHEAD, "{}", src.capacity());
        // Bytes that are no protocol.
        let mut src = BytesMut::from(&b"GET / HTTP/1.1\r\n"[..]);
        let err = MessageCodec::new(Framing::Auto, None, limits)
            .decode(&mut src)
            .unwrap_err();
        assert!(
            err.to_string().contains("cannot tell the protocol"),
            "{err}"
        );
    }
}
