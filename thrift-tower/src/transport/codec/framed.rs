//! Apache's `TFramedTransport`: each message after its length.
//!
//! ```text
//! | length: 4 bytes, big-endian | message: length bytes |
//! ```
//!
//! The length is checked against [`Limits::max_frame_size`] before anything is allocated for
//! the frame, and the buffer grows as the frame's bytes come, not to what the peer declared.

use bytes::{Buf, BufMut, BytesMut};

use super::RESERVE_AHEAD;
use super::message::{self, ProtocolSlot};
use crate::error::Error;
use crate::message::Message;
use crate::protocol::{Limits, ProtocolError, ProtocolErrorKind};

/// Reads and writes framed messages.
#[derive(Debug, Clone)]
pub(super) struct Framed {
    limits: Limits,
}

impl Framed {
    pub(super) fn new(limits: Limits) -> Self {
        Framed { limits }
    }

    fn too_large(&self, len: usize) -> ProtocolError {
        ProtocolError::new(
            ProtocolErrorKind::SizeLimit,
            format!(
                "frame of {len} bytes exceeds the limit of {} bytes",
                self.limits.max_frame_size()
            ),
        )
    }

    /// The next whole message at the start of `src`, taken out of it.
    pub(super) fn decode<K: Default>(
        &mut self,
        src: &mut BytesMut,
        protocol: &mut ProtocolSlot,
    ) -> Result<Option<Message<K>>, Error> {
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
            return Err(self.too_large(len).into());
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
        let protocol = protocol.at(frame[0])?;
        message::read(protocol, frame, self.limits).map(Some)
    }

    /// Appends `item` as a frame: the length and the message, in one buffer so that they go
    /// out in one write.
    pub(super) fn encode<K>(&mut self, item: &Message<K>, dst: &mut BytesMut) -> Result<(), Error> {
        let start = dst.len();
        dst.put_u32(0);
        message::write(item, dst)?;
        let len = dst.len() - start - 4;
        let len = u32::try_from(len)
            .ok()
            .filter(|&l| l as usize <= self.limits.max_frame_size())
            .ok_or_else(|| self.too_large(len))?;
        dst[start..start + 4].copy_from_slice(&len.to_be_bytes());
        Ok(())
    }
}
