//! Apache's THeader (`THeaderTransport` with `THeaderProtocol`): each message in a frame
//! that also carries key-value headers and says how its payload is encoded.
//!
//! ```text
//!  0        4        6        8             12            14
//! +--------+--------+--------+-------------+-------------+----------------+-----------+
//! | length | 0x0FFF | flags  | sequence id | header size | header section | payload   |
//! | u32 BE | magic  | u16 BE | i32 BE      | u16 BE, in  | header size x 4| the rest  |
//! |        |        |        |             | 4-byte words| bytes          |           |
//! +--------+--------+--------+-------------+-------------+----------------+-----------+
//!          '--------------------- length bytes ---------------------------------------'
//!
//! header section, every number an unsigned LEB128 varint:
//! | protocol id | transform count | transform id ... | info headers ... | zero padding |
//!   0 binary,     at most 4         1 zlib
//!   2 compact
//!
//! info headers: | 1 (key-value) | count | key length | key | value length | value | ...
//!
//! payload: the whole message (envelope and body) in that protocol, after the transforms
//! ```
//!
//! A frame's info headers become the message's [`Headers`](crate::message::Headers), and a
//! message's headers are written as the info headers of its frame: a request's reach the
//! server's handler, a reply's reach the caller. The sequence id repeats the message's.
//!
//! Apache's cross-test programs also put each THeader frame inside a framed transport's
//! frame (`--transport framed --protocol header`): [`Framing::FramedHeader`], the same piece
//! with the outer length around it.
//!
//! A frame's length is checked against [`Limits::max_frame_size`] before anything is
//! allocated for it, every count and length inside against the bytes that remain, and
//! the zlib transform never inflates past [`Limits::max_message_size`].
//!
//! [`Framing::FramedHeader`]: super::Framing::FramedHeader

mod frame;
mod zlib;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::RESERVE_AHEAD;
use super::message::{self, ProtocolSlot};
use crate::error::Error;
use crate::message::Message;
use crate::protocol::envelope::detect;
use crate::protocol::{Limits, ProtocolError, ProtocolErrorKind};

/// A transform of the payload of a THeader frame, named in its header section.
///
/// The sender applies its transforms in order, and the receiver undoes them in reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeaderTransform {
    /// zlib compression (RFC 1950), THeader's transform id 1.
    Zlib,
}

impl HeaderTransform {
    /// The id that names the transform in a frame.
    pub const fn id(self) -> u32 {
        match self {
            HeaderTransform::Zlib => 1,
        }
    }

    /// The transform `id` names, if it is known.
    pub const fn from_id(id: u32) -> Option<Self> {
        match id {
            1 => Some(HeaderTransform::Zlib),
            _ => None,
        }
    }

    fn apply(self, payload: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        match self {
            HeaderTransform::Zlib => zlib::deflate(payload),
        }
    }

    fn undo(self, payload: &[u8], limits: Limits) -> Result<Vec<u8>, ProtocolError> {
        match self {
            HeaderTransform::Zlib => zlib::inflate(payload, limits.max_message_size()),
        }
    }
}

/// Reads and writes THeader frames.
#[derive(Debug, Clone)]
pub(super) struct Header {
    limits: Limits,
    /// Each frame inside a framed transport's frame.
    nested: bool,
    /// The transforms every frame written gets, when configured.
    transforms: Option<Vec<HeaderTransform>>,
    /// The flags and transforms of the last frame read, which the frames written repeat
    /// (the transforms only when none are configured): a server answers a client that
    /// compresses its calls with compressed replies, and keeps the flags it sent.
    peer_flags: u16,
    peer_transforms: Vec<HeaderTransform>,
}

impl Header {
    pub(super) fn new(
        limits: Limits,
        nested: bool,
        transforms: Option<Vec<HeaderTransform>>,
    ) -> Self {
        Header {
            limits,
            nested,
            transforms,
            peer_flags: 0,
            peer_transforms: Vec::new(),
        }
    }

    /// Each frame inside a framed transport's frame.
    pub(super) fn nested(&self) -> bool {
        self.nested
    }

    pub(super) fn set_transforms(&mut self, transforms: Option<Vec<HeaderTransform>>) {
        self.transforms = transforms;
    }

    /// The length at `at` in `src`, checked against the frame size limit.
    fn length(&self, src: &[u8], at: usize) -> Result<Option<usize>, Error> {
        let Some(bytes) = src.get(at..at + 4) else {
            return Ok(None);
        };
        let len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
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
        Ok(Some(len))
    }

    /// The next whole message at the start of `src`, taken out of it.
    pub(super) fn decode<K: Default>(
        &mut self,
        src: &mut BytesMut,
        protocol: &mut ProtocolSlot,
    ) -> Result<Option<Message<K>>, Error> {
        // An unframed message's first byte: its length would be 2 GB or more.
        if let Some(&first @ (0x80 | 0x82)) = src.first() {
            return Err(ProtocolError::new(
                ProtocolErrorKind::BadVersion,
                format!(
                    "not a THeader frame: it starts with {first:#04x}, as an unframed {} \
                     message does (does the peer use TBufferedTransport?)",
                    if first == 0x80 { "binary" } else { "compact" }
                ),
            )
            .into());
        }
        let Some(mut len) = self.length(src, 0)? else {
            return Ok(None);
        };
        let mut skip = 4;
        if self.nested {
            let Some(inner) = self.length(src, 4)? else {
                return Ok(None);
            };
            if inner.checked_add(4) != Some(len) {
                return Err(ProtocolError::invalid(format!(
                    "a frame of {len} bytes holds a THeader frame of {inner} bytes: a THeader \
                     frame inside a framed transport's frame must fill it"
                ))
                .into());
            }
            (len, skip) = (inner, 8);
        }
        if len < frame::FIXED {
            return Err(ProtocolError::invalid(format!(
                "THeader frame of {len} bytes, fewer than its {} fixed bytes",
                frame::FIXED
            ))
            .into());
        }
        // Told before the frame's bytes are waited for: a peer that frames otherwise (a
        // framed or unframed Apache client) is refused at once, and said to be one.
        if let Some(magic) = src.get(skip..skip + 2)
            && magic != frame::MAGIC
        {
            return Err(not_theader(magic).into());
        }
        if src.len() < skip + len {
            // Room grows as bytes come, not to what a peer declares.
            src.reserve((skip + len - src.len()).min(RESERVE_AHEAD));
            return Ok(None);
        }
        src.advance(skip);
        let frame = frame::read(&src.split_to(len).freeze())?;
        let protocol = protocol.stated(frame.protocol)?;
        let mut payload = frame.payload;
        for transform in frame.transforms.iter().rev() {
            payload = Bytes::from(transform.undo(&payload, self.limits)?);
        }
        let Some(&first) = payload.first() else {
            return Err(
                ProtocolError::invalid("THeader frame: its payload inflates to nothing").into(),
            );
        };
        if detect(first) != Some(protocol) {
            return Err(ProtocolError::invalid(format!(
                "THeader frame: its header says {protocol}, but its message starts with \
                 byte {first:#04x}"
            ))
            .into());
        }
        self.peer_flags = frame.flags;
        self.peer_transforms = frame.transforms;
        let mut message: Message<K> = message::read(protocol, payload, self.limits)?;
        *message.headers_mut() = frame.headers;
        Ok(Some(message))
    }

    /// Appends `item` as a frame, in one buffer so that it goes out in one write.
    pub(super) fn encode<K>(&mut self, item: &Message<K>, dst: &mut BytesMut) -> Result<(), Error> {
        let start = dst.len();
        if self.nested {
            dst.put_u32(0);
        }
        let length_at = dst.len();
        dst.put_u32(0);
        let transforms = self.transforms.as_ref().unwrap_or(&self.peer_transforms);
        frame::write_header(
            dst,
            self.peer_flags,
            item.header().seqid,
            item.protocol(),
            transforms,
            item.headers(),
        )?;
        if transforms.is_empty() {
            message::write(item, dst)?;
        } else {
            let mut payload = BytesMut::new();
            message::write(item, &mut payload)?;
            let mut payload = payload.to_vec();
            for transform in transforms {
                payload = transform.apply(&payload)?;
            }
            dst.put_slice(&payload);
        }
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
        if self.nested {
            dst[start..start + 4].copy_from_slice(&len.to_be_bytes());
        }
        let inner = dst.len() - length_at - 4;
        dst[length_at..length_at + 4].copy_from_slice(&(inner as u32).to_be_bytes());
        Ok(())
    }
}

/// The error for a frame without THeader's magic where it belongs: what the peer seems to
/// send instead.
fn not_theader(magic: &[u8]) -> ProtocolError {
    let instead = match magic[0] {
        0x80 => " (a binary message: does the peer use TFramedTransport?)",
        0x82 => " (a compact message: does the peer use TFramedTransport?)",
        _ => "",
    };
    ProtocolError::new(
        ProtocolErrorKind::BadVersion,
        format!(
            "not a THeader frame: it starts with {:#04x} {:#04x} where THeader has its magic \
             0x0fff{instead}",
            magic[0], magic[1]
        ),
    )
}

#[cfg(test)]
mod tests;
