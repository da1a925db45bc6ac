//! [`IoBuffer`]: a connection's read or write buffer. It holds an allocation only while it
//! holds bytes: an empty one gives its allocation to a few spares its thread keeps, and
//! borrows one for each read it polls, giving it back when the read finds nothing. An idle
//! connection then holds no buffer at all, and a busy one takes and returns the same spare
//! without calling the allocator. The server's and the channel's connection drivers both
//! keep theirs this way.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use tokio::io::AsyncRead;

/// A buffer that carried a message larger than this is not kept as a spare: an idle thread
/// does not keep the allocation of the largest message it ever saw.
pub(crate) const KEEP_BUFFER: usize = 64 * 1024;

/// The room a read buffer makes for the next read when it has less than [`MIN_READ_ROOM`].
const READ_CHUNK: usize = 8 * 1024;

/// Below this much free room, a read buffer makes [`READ_CHUNK`] (or as much as it holds,
/// if more) before reading again.
const MIN_READ_ROOM: usize = 1024;

/// How many empty buffers a thread keeps for its connections. A connection holds one only
/// from the read that brings bytes until they are all taken out, so a few serve a
/// thread's connections however many there are.
const SPARES: usize = 8;

thread_local! {
    /// This thread's spare buffers: thread-local, so taking one is not a lock.
    static SPARE: RefCell<Vec<BytesMut>> = const { RefCell::new(Vec::new()) };
}

/// A connection's read or write buffer.
#[derive(Debug, Default)]
pub(crate) struct IoBuffer {
    bytes: BytesMut,
}

impl IoBuffer {
    /// An empty buffer, with no allocation.
    pub(crate) fn new() -> Self {
        IoBuffer {
            bytes: BytesMut::new(),
        }
    }

    /// The bytes.
    pub(crate) fn bytes(&mut self) -> &mut BytesMut {
        &mut self.bytes
    }

    /// Makes sure the buffer has an allocation to fill: a spare of this thread's if it has
    /// one (the allocator is not called), else a new one when bytes are first put in.
    pub(crate) fn take_spare(&mut self) {
        if self.bytes.capacity() == 0 {
            let spare = SPARE
                .try_with(|spare| spare.borrow_mut().pop())
                .ok()
                .flatten();
            if let Some(spare) = spare {
                self.bytes = spare;
            }
        }
    }

    /// Gives the allocation to this thread's spares once the buffer is empty (or frees it,
    /// when it is large or the thread has spares enough).
    pub(crate) fn release(&mut self) {
        if !self.bytes.is_empty() || self.bytes.capacity() == 0 {
            return;
        }
        let buffer = std::mem::take(&mut self.bytes);
        if buffer.capacity() > KEEP_BUFFER {
            return;
        }
        let _ = SPARE.try_with(|spare| {
            let mut spare = spare.borrow_mut();
            if spare.len() < SPARES {
                spare.push(buffer);
            }
        });
    }

    /// Makes room for a read: the read then fills what it can without growing the buffer
    /// a few bytes at a time.
    fn reserve_read(&mut self) {
        if self.bytes.capacity() - self.bytes.len() < MIN_READ_ROOM {
            self.bytes.reserve(READ_CHUNK.max(self.bytes.len()));
        }
    }

    /// Reads from `io` into the buffer. An empty buffer borrows a spare for the poll and
    /// gives it back when nothing came (still pending, the end of the stream, an error):
    /// waiting for a peer's next message holds no memory.
    pub(crate) fn poll_read<R: AsyncRead + ?Sized>(
        &mut self,
        io: Pin<&mut R>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        self.take_spare();
        self.reserve_read();
        let read = tokio_util::io::poll_read_buf(io, cx, &mut self.bytes);
        // An `AsyncRead` that is pending has put nothing in the buffer.
        self.release();
        read
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spares() -> usize {
        SPARE.with(|spare| spare.borrow().len())
    }

    #[test]
    fn an_empty_buffer_holds_nothing_and_its_allocation_is_reused() {
        let mut buf = IoBuffer::new();
        assert_eq!(buf.bytes().capacity(), 0);
        buf.take_spare();
        buf.reserve_read();
        assert!(buf.bytes().capacity() >= READ_CHUNK);
        let at = buf.bytes().as_ptr();
        buf.bytes().extend_from_slice(&[1; 100]);
        buf.release();
        assert_eq!(buf.bytes().len(), 100, "not while it holds bytes");
        buf.bytes().clear();
        let before = spares();
        buf.release();
        assert_eq!(buf.bytes().capacity(), 0);
        assert_eq!(spares(), before + 1);
        // The next buffer to need one takes it back: the same allocation.
        let mut other = IoBuffer::new();
        other.take_spare();
        assert_eq!(other.bytes().as_ptr(), at);
        assert_eq!(spares(), before);
    }

    #[test]
    fn a_large_allocation_is_not_kept() {
        let mut buf = IoBuffer::new();
        buf.bytes().reserve(2 * KEEP_BUFFER);
        let before = spares();
        buf.release();
        assert_eq!(buf.bytes().capacity(), 0);
        assert_eq!(spares(), before);
    }

    #[tokio::test]
    async fn a_pending_read_gives_its_buffer_back() {
        use tokio::io::AsyncWriteExt;

        let (mut near, mut far) = tokio::io::duplex(64);
        let mut buf = IoBuffer::new();
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        assert!(buf.poll_read(Pin::new(&mut near), &mut cx).is_pending());
        assert_eq!(buf.bytes().capacity(), 0, "nothing held while waiting");
        far.write_all(b"hello").await.unwrap();
        match buf.poll_read(Pin::new(&mut near), &mut cx) {
            Poll::Ready(Ok(5)) => {}
            other => panic!("expected 5 bytes, got {other:?}"),
        }
        assert_eq!(&buf.bytes()[..], b"hello");
        buf.bytes().clear();
        buf.release();
        assert_eq!(buf.bytes().capacity(), 0);
    }
}
