//! [`IoBuffer`]: a connection's read or write buffer, which grows for a large message and
//! goes back to small once that message is gone. The server's and the channel's connection
//! drivers both keep theirs this way.

use bytes::BytesMut;

/// A buffer that carried a message larger than this is replaced by a new, small one once it
/// is empty again, so an idle connection does not keep the allocation of the largest
/// message it ever saw (the server's and the channel's alike).
pub(crate) const KEEP_BUFFER: usize = 1024 * 1024;

/// The room a read buffer makes for the next read when it has less than [`MIN_READ_ROOM`].
const READ_CHUNK: usize = 8 * 1024;

/// Below this much free room, a read buffer makes [`READ_CHUNK`] (or as much as it holds,
/// if more) before reading again.
const MIN_READ_ROOM: usize = 1024;

/// A connection's read or write buffer.
#[derive(Debug, Default)]
pub(crate) struct IoBuffer {
    bytes: BytesMut,
}

impl IoBuffer {
    /// An empty buffer, allocated at its first use.
    pub(crate) fn new() -> Self {
        IoBuffer {
            bytes: BytesMut::new(),
        }
    }

    /// The bytes.
    pub(crate) fn bytes(&mut self) -> &mut BytesMut {
        &mut self.bytes
    }

    /// Makes room for a read: the read then fills what it can without growing the buffer
    /// a few bytes at a time.
    pub(crate) fn reserve_read(&mut self) {
        if self.bytes.capacity() - self.bytes.len() < MIN_READ_ROOM {
            self.bytes.reserve(READ_CHUNK.max(self.bytes.len()));
        }
    }

    /// Gives back a large allocation once the buffer is empty.
    pub(crate) fn release_if_large(&mut self) {
        if self.bytes.is_empty() && self.bytes.capacity() > KEEP_BUFFER {
            self.bytes = BytesMut::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_for_reads_and_gives_back_what_a_large_message_took() {
        let mut buf = IoBuffer::new();
        assert_eq!(buf.bytes().capacity(), 0);
        buf.reserve_read();
        assert!(buf.bytes().capacity() >= READ_CHUNK);
        let small = buf.bytes().capacity();
        buf.bytes().extend_from_slice(&[1; 100]);
        buf.reserve_read();
        assert_eq!(buf.bytes().capacity(), small, "room enough: no growth");
        buf.bytes().resize(3 * KEEP_BUFFER, 0);
        buf.release_if_large();
        assert!(
            buf.bytes().capacity() >= 3 * KEEP_BUFFER,
            "not while it holds bytes"
        );
        buf.bytes().clear();
        buf.release_if_large();
        assert_eq!(buf.bytes().capacity(), 0);
    }
}
