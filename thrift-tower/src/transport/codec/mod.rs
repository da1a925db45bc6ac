//! [`MessageCodec`]: whole Thrift messages on a byte stream, framed, buffered, in THeader
//! frames, or whichever the peer's first bytes say.
//!
//! Apache Thrift peers delimit messages in one of three ways:
//!
//! ```text
//! framed    | length: 4 bytes, big-endian | message (length bytes) |
//! buffered  | message |   (no delimiter: the end is found by parsing the message)
//! THeader   | length | 0x0FFF | flags | seqid | header section | message |
//! ```
//!
//! Each way is a piece of its own ([`framed`], [`buffered`], [`header`]), and so is telling
//! them apart from a peer's first bytes ([`detect`]); what is inside a message, whatever
//! delimits it, is read and written by [`message`]. A framing that joins later is a new
//! piece and a new [`Framing`]; the others do not change.
//!
//! The codec is a `tokio_util` [`Decoder`] and [`Encoder`]: every length a peer declares is
//! checked against the [`Limits`] before anything is allocated for it.

mod buffered;
mod detect;
mod foreign;
mod framed;
mod header;
mod message;

pub use self::header::HeaderTransform;
pub use self::message::{decode_message, encode_message};
use std::fmt;
use std::marker::PhantomData;

use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

use self::buffered::Buffered;
use self::framed::Framed;
use self::header::Header;
use self::message::ProtocolSlot;
use crate::error::Error;
use crate::message::Message;
use crate::protocol::{Limits, Protocol};

/// The most buffer room reserved ahead of bytes that have not come yet.
const RESERVE_AHEAD: usize = 64 * 1024;

/// How messages are delimited on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Framing {
    /// Apache's `TFramedTransport`: each message preceded by its length.
    Framed,
    /// Apache's `TBufferedTransport` (and plain `TSocket`): messages back to back.
    Buffered,
    /// Apache's THeader (`THeaderTransport`, `THeaderProtocol`): each message in a frame
    /// with key-value headers (the message's [`Headers`](crate::message::Headers)) and
    /// payload transforms ([`HeaderTransform`]), in the binary or compact protocol. See
    /// [`MessageCodec::with_header_transforms`].
    Header,
    /// THeader frames, each inside a [`Framed`](Framing::Framed) frame: what Apache's
    /// `THeaderTransport` sends over a `TFramedTransport` (its cross-test programs with
    /// `--transport framed --protocol header`).
    FramedHeader,
    /// Whatever the peer's first message uses, any of the above (for servers; a client
    /// must choose).
    #[default]
    Auto,
}

/// The piece that delimits messages, once known.
#[derive(Debug, Clone)]
enum Delimiter {
    /// Waiting for the first bytes to tell.
    Detect,
    Framed(Framed),
    Buffered(Buffered),
    Header(Header),
}

/// Reads and writes whole messages on a byte stream: it decodes `M` ([`Request`]s on a
/// server, [`Response`]s on a client) and encodes messages of either direction.
///
/// With [`Framing::Auto`] and no fixed protocol, both are learned from the first message
/// and kept for the connection.
///
/// ```
/// use bytes::BytesMut;
/// use thrift_tower::protocol::{Limits, Protocol};
/// use thrift_tower::transport::{Framing, MessageCodec};
/// use thrift_tower::{MessageHeader, MessageType, Request};
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let call = Request::new(
///     MessageHeader::new("ping", MessageType::Call, 1),
///     Protocol::Compact,
///     bytes::Bytes::from_static(b"\x00"),
/// );
/// let mut wire = BytesMut::new();
/// MessageCodec::<Request>::new(Framing::Framed, Some(Protocol::Compact), Limits::default())
///     .encode(call, &mut wire)?;
/// assert_eq!(&wire[..], b"\x00\x00\x00\x09\x82\x21\x01\x04ping\x00");
///
/// // A server's codec learns the framing and the protocol from these bytes.
/// let mut server = MessageCodec::<Request>::new(Framing::Auto, None, Limits::default());
/// let read = server.decode(&mut wire)?.expect("a whole message");
/// assert_eq!(read.method(), "ping");
/// assert_eq!((server.framing(), server.protocol()), (Framing::Framed, Some(Protocol::Compact)));
/// # Ok::<(), thrift_tower::Error>(())
/// ```
///
/// [`Request`]: crate::Request
/// [`Response`]: crate::Response
pub struct MessageCodec<M> {
    delimiter: Delimiter,
    protocol: ProtocolSlot,
    limits: Limits,
    /// The THeader transforms configured, for a THeader framing detected later.
    header_transforms: Option<Vec<HeaderTransform>>,
    /// A message was decoded: the peer speaks Thrift.
    decoded_one: bool,
    _decodes: PhantomData<fn() -> M>,
}

impl<M> MessageCodec<M> {
    /// A codec with `framing`, for `protocol` (`None`: detect it), within `limits`.
    pub fn new(framing: Framing, protocol: Option<Protocol>, limits: Limits) -> Self {
        MessageCodec {
            delimiter: Self::delimiter(framing, limits, None),
            protocol: ProtocolSlot::new(protocol),
            limits,
            header_transforms: None,
            decoded_one: false,
            _decodes: PhantomData,
        }
    }

    /// With THeader framing, applies `transforms` (in order) to the payload of every frame
    /// written, whatever the peer's frames had. Without this, a codec repeats the
    /// transforms of the last frame it read: a server compresses its replies to a client
    /// that compresses its calls. An empty list sends every payload as it is.
    ///
    /// ```
    /// use thrift_tower::protocol::{Limits, Protocol};
    /// use thrift_tower::transport::{Framing, HeaderTransform, MessageCodec};
    ///
    /// let codec = MessageCodec::<thrift_tower::Response>::new(
    ///     Framing::Header,
    ///     Some(Protocol::Compact),
    ///     Limits::default(),
    /// )
    /// .with_header_transforms([HeaderTransform::Zlib]);
    /// # let _ = codec;
    /// ```
    pub fn with_header_transforms(
        mut self,
        transforms: impl IntoIterator<Item = HeaderTransform>,
    ) -> Self {
        let transforms: Vec<_> = transforms.into_iter().collect();
        if let Delimiter::Header(header) = &mut self.delimiter {
            header.set_transforms(Some(transforms.clone()));
        }
        self.header_transforms = Some(transforms);
        self
    }

    fn delimiter(
        framing: Framing,
        limits: Limits,
        header_transforms: Option<Vec<HeaderTransform>>,
    ) -> Delimiter {
        match framing {
            Framing::Framed => Delimiter::Framed(Framed::new(limits)),
            Framing::Buffered => Delimiter::Buffered(Buffered::new(limits)),
            Framing::Header => Delimiter::Header(Header::new(limits, false, header_transforms)),
            Framing::FramedHeader => {
                Delimiter::Header(Header::new(limits, true, header_transforms))
            }
            Framing::Auto => Delimiter::Detect,
        }
    }

    /// The framing in use: the configured one, or what was detected (`Auto` until then).
    pub fn framing(&self) -> Framing {
        match self.delimiter {
            Delimiter::Detect => Framing::Auto,
            Delimiter::Framed(_) => Framing::Framed,
            Delimiter::Buffered(_) => Framing::Buffered,
            Delimiter::Header(ref header) if header.nested() => Framing::FramedHeader,
            Delimiter::Header(_) => Framing::Header,
        }
    }

    /// The protocol in use, once configured or detected.
    pub fn protocol(&self) -> Option<Protocol> {
        self.protocol.get()
    }
}

impl<M> Clone for MessageCodec<M> {
    fn clone(&self) -> Self {
        MessageCodec {
            delimiter: self.delimiter.clone(),
            protocol: self.protocol,
            limits: self.limits,
            header_transforms: self.header_transforms.clone(),
            decoded_one: self.decoded_one,
            _decodes: PhantomData,
        }
    }
}

impl<M> fmt::Debug for MessageCodec<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageCodec")
            .field("framing", &self.framing())
            .field("protocol", &self.protocol())
            .field("limits", &self.limits)
            .finish()
    }
}

impl<K: Default> Decoder for MessageCodec<Message<K>> {
    type Item = Message<K>;
    type Error = Error;

    /// The next whole message, taken out of `src`. When a connection's first message does
    /// not decode because the peer speaks something else (TLS, HTTP, zlib...) or frames its
    /// messages otherwise (THeader on a codec set to framed), the error says what.
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Message<K>>, Error> {
        if let Delimiter::Detect = self.delimiter {
            match detect::framing(src) {
                Some(framing) => {
                    self.delimiter =
                        Self::delimiter(framing, self.limits, self.header_transforms.clone());
                }
                None => return Ok(None),
            }
        }
        // The first bytes, kept until a message decodes: a framing takes a frame out of
        // `src` before it finds that the frame holds no message it reads.
        let mut first = [0u8; foreign::LOOKS_AT];
        let kept = if self.decoded_one {
            0
        } else {
            let n = src.len().min(first.len());
            first[..n].copy_from_slice(&src[..n]);
            n
        };
        let decoded = match &mut self.delimiter {
            Delimiter::Framed(framed) => framed.decode(src, &mut self.protocol),
            Delimiter::Buffered(buffered) => buffered.decode(src, &mut self.protocol),
            Delimiter::Header(header) => header.decode(src, &mut self.protocol),
            Delimiter::Detect => Ok(None),
        };
        match decoded {
            Ok(Some(message)) => {
                self.decoded_one = true;
                Ok(Some(message))
            }
            Err(e) if !self.decoded_one => Err(foreign::explain(e, &first[..kept])),
            other => other,
        }
    }
}

impl<M, K> Encoder<Message<K>> for MessageCodec<M> {
    type Error = Error;

    /// Appends `item`. Before the framing is known (nothing decoded yet with
    /// [`Framing::Auto`]), messages go out unframed.
    fn encode(&mut self, item: Message<K>, dst: &mut BytesMut) -> Result<(), Error> {
        match &mut self.delimiter {
            Delimiter::Framed(framed) => framed.encode(&item, dst),
            Delimiter::Buffered(buffered) => buffered.encode(&item, dst),
            Delimiter::Header(header) => header.encode(&item, dst),
            Delimiter::Detect => message::write(&item, dst),
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::{BufMut, Bytes};

    use super::*;
    use crate::message::{Request, Response};
    use crate::protocol::{MessageHeader, MessageType};

    fn request(protocol: Protocol) -> Request {
        Request::new(
            MessageHeader::new("testString", MessageType::Call, 3),
            protocol,
            match protocol {
                Protocol::Json => Bytes::from_static(br#"{"1":{"str":"hi"}}"#),
                Protocol::Binary => Bytes::from_static(b"\x0b\x00\x01\x00\x00\x00\x02hi\x00"),
                Protocol::Compact => Bytes::from_static(b"\x18\x02hi\x00"),
            },
        )
    }

    /// What the tests compare of a decoded request: all it carries from the wire.
    fn parts(r: &Request) -> (MessageHeader, Protocol, Bytes) {
        (r.header().clone(), r.protocol(), r.body().clone())
    }

    fn encoded(framing: Framing, protocol: Protocol) -> BytesMut {
        let mut buf = BytesMut::new();
        MessageCodec::<Request>::new(framing, Some(protocol), Limits::default())
            .encode(request(protocol), &mut buf)
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
                let mut codec =
                    MessageCodec::<Request>::new(Framing::Auto, None, Limits::default());
                let mut src = BytesMut::new();
                let mut got = Vec::new();
                for b in wire.iter() {
                    src.put_u8(*b);
                    while let Some(r) = codec.decode(&mut src).unwrap() {
                        got.push(parts(&r));
                    }
                }
                assert_eq!(
                    got,
                    vec![parts(&request(protocol)), parts(&request(protocol))],
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
    fn a_peer_that_speaks_something_else_is_told_apart_on_every_framing() {
        // A TLS ClientHello's first bytes, an HTTP request, as a server's codec gets them;
        // an HTTP response, as a client's does.
        let tls: &[u8] = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
        for framing in [Framing::Auto, Framing::Framed, Framing::Buffered] {
            for (bytes, says) in [
                (tls, "the peer speaks TLS"),
                (
                    &b"POST / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
                    "the peer speaks HTTP",
                ),
            ] {
                let mut codec = MessageCodec::<Request>::new(framing, None, Limits::default());
                let err = codec.decode(&mut BytesMut::from(bytes)).unwrap_err();
                assert!(err.to_string().contains(says), "{framing:?}: {err}");
            }
            let mut codec = MessageCodec::<Response>::new(framing, None, Limits::default());
            let mut answer = BytesMut::from(&b"HTTP/1.1 400 Bad Request\r\n\r\n"[..]);
            let err = codec.decode(&mut answer).unwrap_err();
            assert!(
                err.to_string().contains("an HTTP response"),
                "{framing:?}: {err}"
            );
        }
        // After a first message, the codec's own error stands: the peer speaks Thrift.
        let mut codec = MessageCodec::<Request>::new(Framing::Buffered, None, Limits::default());
        let mut wire = encoded(Framing::Buffered, Protocol::Binary);
        wire.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
        assert!(codec.decode(&mut wire).unwrap().is_some());
        let err = codec.decode(&mut wire).unwrap_err();
        assert!(!err.to_string().contains("speaks"), "{err}");
    }

    #[test]
    fn hostile_frames_fail_before_allocating() {
        let limits = Limits::default();
        let mut codec = MessageCodec::<Request>::new(Framing::Framed, None, limits);
        let mut src = BytesMut::from(&b"\x7f\xff\xff\xff\x80"[..]);
        let err = codec.decode(&mut src).unwrap_err();
        assert!(
            err.to_string().contains("exceeds the limit of 16384000"),
            "{err}"
        );
        assert!(src.capacity() < 1024);
        let mut src = BytesMut::from(&b"\xff\xff\xff\xff"[..]);
        assert!(
            MessageCodec::<Request>::new(Framing::Framed, None, limits)
                .decode(&mut src)
                .is_err()
        );
        let mut src = BytesMut::from(&b"\x00\x00\x00\x00"[..]);
        assert!(
            MessageCodec::<Request>::new(Framing::Framed, None, limits)
                .decode(&mut src)
                .is_err()
        );
        // An unframed message declaring a string past the message size limit fails at once,
        // before its bytes are waited for or buffered.
        let small = limits.with_max_message_size(64);
        let header = b"\x80\x01\x00\x01\x00\x00\x00\x01m\x00\x00\x00\x01";
        let mut codec =
            MessageCodec::<Request>::new(Framing::Buffered, Some(Protocol::Binary), small);
        let mut src = BytesMut::from(&header[..]);
        src.extend_from_slice(b"\x0b\x00\x01\x7f\xff\xff\xff");
        let err = codec.decode(&mut src).unwrap_err();
        assert!(
            err.to_string().contains("more than the limit of 64"),
            "{err}"
        );
        // One that never ends is cut off at the limit.
        let mut codec =
            MessageCodec::<Request>::new(Framing::Buffered, Some(Protocol::Binary), small);
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
        let mut codec = MessageCodec::<Request>::new(Framing::Framed, None, limits);
        let mut src = BytesMut::from(&b"\x00\xf4\x24\x00\x80"[..]);
        assert!(codec.decode(&mut src).unwrap().is_none());
        assert!(src.capacity() <= 2 * RESERVE_AHEAD, "{}", src.capacity());
        // Likewise an unframed message declaring a long string.
        let mut codec =
            MessageCodec::<Request>::new(Framing::Buffered, Some(Protocol::Binary), limits);
        let mut src = BytesMut::from(&header[..]);
        src.extend_from_slice(b"\x0b\x00\x01\x00\xf4\x24\x00");
        assert!(codec.decode(&mut src).unwrap().is_none());
        assert!(src.capacity() <= 2 * RESERVE_AHEAD, "{}", src.capacity());
        // Bytes that are no protocol.
        let mut src = BytesMut::from(&b"GET / HTTP/1.1\r\n"[..]);
        let err = MessageCodec::<Request>::new(Framing::Auto, None, limits)
            .decode(&mut src)
            .unwrap_err();
        assert!(
            err.to_string().contains("cannot tell the protocol"),
            "{err}"
        );
    }
}
