//! [`ZlibStream`]: a byte stream whose bytes travel zlib-compressed, both ways.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::DEFAULT_ZLIB_LEVEL;
use crate::message::ConnectionInfo;
use crate::transport::Connected;

/// Compressed bytes read ahead of the inflater: Apache's C++ transport reads 1 KiB at a
/// time; a socket read of 8 KiB is what our connection drivers do themselves.
const INPUT_BUFFER: usize = 8 * 1024;

/// The most a read inflates at once, however large the reader's buffer: a read that
/// could take megabytes does not make the inflater fill (and the reader zero) them all
/// before the codec looks at the first bytes.
const MAX_INFLATE_PER_READ: usize = 64 * 1024;

/// The most a write takes at once: the compressed bytes of one write wait in a buffer of
/// about this size for the socket.
const MAX_DEFLATE_PER_WRITE: usize = 64 * 1024;

/// Above this many compressed bytes waiting for the socket, a write waits for the socket to
/// take some first, so that a peer that reads slowly holds the writer back.
const WRITE_HIGH_WATER: usize = 64 * 1024;

/// The room made for the compressor's output at each step.
const OUTPUT_STEP: usize = 8 * 1024;

/// A compressed buffer that grew past this (a long run of incompressible bytes) is given
/// back once it is empty.
const KEEP_OUTPUT: usize = 256 * 1024;

pin_project_lite::pin_project! {
    /// A byte stream whose bytes travel zlib-compressed: what is written is deflated, and
    /// flushed to `S` on [`poll_flush`](AsyncWrite::poll_flush) so the peer can read all of
    /// it; what is read from `S` is inflated. Wire-compatible with Apache Thrift's
    /// `TZlibTransport`.
    ///
    /// # On the wire
    ///
    /// Each direction of a connection is one zlib stream (RFC 1950: a 2-byte header, then
    /// deflate data; neither raw deflate nor gzip), begun with the connection and never ended.
    /// When a message is flushed, the compressor is flushed with zlib's `Z_SYNC_FLUSH`, which
    /// ends the deflate data so far on a byte boundary and appends an empty stored block
    /// (`00 00 ff ff`), so the peer inflates the whole message without waiting for more bytes.
    /// Apache's Python transport flushes the same way; its C++ one uses `Z_FULL_FLUSH`, which
    /// also forgets the history, and reads either. The compression level does not change the
    /// format: Apache's C++ transport defaults to zlib's level 6, as this one does, and its
    /// Python transport to 9.
    ///
    /// Apache's cross tests call this transport `zlib`: zlib over the socket, with messages
    /// back to back inside (buffered). Their C++ programs can also put zlib inside the frames of
    /// a framed transport, which is not this (here zlib is always below the framing).
    ///
    /// # Limits
    ///
    /// A few kilobytes of zlib can inflate to gigabytes. A [`ZlibStream`] never inflates more
    /// than the reader asks for at once (and at most 64 KiB per read), holds at most 8 KiB of
    /// compressed input, and so the message codec above sees inflated bytes as it would see a
    /// socket's: a frame or a string longer than the [`Limits`](crate::protocol::Limits) is
    /// refused before it is read, and the connection closed. Corrupt zlib data is an
    /// [`io::ErrorKind::InvalidData`] error that says so.
    ///
    /// # Plugged into a server and a channel
    ///
    /// With [`ZlibIncoming`](super::ZlibIncoming) and [`ZlibConnector`](super::ZlibConnector):
    ///
    /// ```no_run
    /// # async fn run<S>(service: S) -> Result<(), thrift_tower::Error>
    /// # where S: thrift_tower::NamedService
    /// #     + tower_service::Service<thrift_tower::Request, Response = thrift_tower::Response, Error = std::convert::Infallible>
    /// #     + Clone + Send + 'static, S::Future: Send + 'static {
    /// use thrift_tower::transport::{
    ///     Framing, TcpConnector, TcpIncoming, ZlibConnector, ZlibIncoming,
    /// };
    /// use thrift_tower::{Endpoint, Server};
    ///
    /// let listener = TcpIncoming::bind("127.0.0.1:9090".parse().unwrap()).await?;
    /// let incoming = ZlibIncoming::new(listener);
    /// tokio::spawn(
    ///     Server::builder()
    ///         .add_service(service)
    ///         .serve_with_incoming(incoming, std::future::pending()),
    /// );
    ///
    /// let channel = Endpoint::from_static("127.0.0.1:9090")
    ///     .framing(Framing::Buffered)
    ///     .connect_with_connector(ZlibConnector::new(TcpConnector::new()))
    ///     .await?;
    /// # drop(channel);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # In memory
    ///
    /// ```
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// use thrift_tower::transport::ZlibStream;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let (a, b) = tokio::io::duplex(64 * 1024);
    /// let (mut a, mut b) = (ZlibStream::new(a), ZlibStream::new(b));
    /// let message = b"\x80\x01\x00\x01\x00\x00\x00\x04ping\x00\x00\x00\x01\x00".repeat(100);
    /// a.write_all(&message).await?;
    /// a.flush().await?; // all of it is now on its way, and can be inflated whole
    /// let mut read = vec![0; message.len()];
    /// b.read_exact(&mut read).await?;
    /// assert_eq!(read, message);
    /// # Ok(())
    /// # }
    /// ```
    pub struct ZlibStream<S> {
        #[pin]
        inner: S,
        inflater: Decompress,
        // Compressed bytes read from `inner`: those in `input[input_start..input_end]`
        // have not been inflated yet.
        input: Box<[u8]>,
        input_start: usize,
        input_end: usize,
        // The last inflate filled all the room it had: it may have more to give without
        // more input.
        inflater_full: bool,
        // The peer ended its zlib stream: what comes after is not read.
        read_ended: bool,
        // Why the peer's stream cannot be inflated, once it cannot.
        broken: Option<String>,
        deflater: Compress,
        // Compressed bytes for `inner`: those from `output_start` on are not written yet.
        output: Vec<u8>,
        output_start: usize,
        // Bytes were deflated since the last flush.
        unflushed: bool,
    }
}

impl<S> ZlibStream<S> {
    /// Compresses and inflates the bytes of `inner`, at [`DEFAULT_ZLIB_LEVEL`].
    pub fn new(inner: S) -> Self {
        Self::with_level(inner, DEFAULT_ZLIB_LEVEL)
    }

    /// Compresses at `level`, from 0 (stored, no compression) to 9 (smallest, slowest);
    /// above 9 is taken as 9. The level is the writer's business: the peer reads any.
    pub fn with_level(inner: S, level: u32) -> Self {
        ZlibStream {
            inner,
            inflater: Decompress::new(true),
            input: Box::default(),
            input_start: 0,
            input_end: 0,
            inflater_full: false,
            read_ended: false,
            broken: None,
            deflater: Compress::new(Compression::new(level.min(9)), true),
            output: Vec::new(),
            output_start: 0,
            unflushed: false,
        }
    }

    /// The stream it wraps.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The stream it wraps. Reading or writing it directly corrupts the zlib streams.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The stream it wraps; bytes read ahead and not yet inflated, and bytes written and
    /// not yet flushed, are lost.
    pub fn into_inner(self) -> S {
        self.inner
    }

    /// Bytes read from the stream it wraps, and what they inflated to, so far.
    pub fn read_totals(&self) -> (u64, u64) {
        (self.inflater.total_in(), self.inflater.total_out())
    }

    /// Bytes given to write, and what they were compressed to so far (some of the bytes
    /// given wait in the compressor until the next flush).
    pub fn write_totals(&self) -> (u64, u64) {
        (self.deflater.total_in(), self.deflater.total_out())
    }
}

impl<S: fmt::Debug> fmt::Debug for ZlibStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZlibStream")
            .field("inner", &self.inner)
            .field("read_totals", &self.read_totals())
            .field("write_totals", &self.write_totals())
            .finish_non_exhaustive()
    }
}

impl<S: Connected> Connected for ZlibStream<S> {
    /// What the wrapped stream knows: compression changes nothing of it.
    fn connection_info(&self) -> ConnectionInfo {
        self.inner.connection_info()
    }
}

/// Whether `first`, a stream's first bytes (one or more), can start a zlib stream (RFC
/// 1950): compression method 8 (deflate), and a header that is a multiple of 31.
fn zlib_header(first: &[u8]) -> bool {
    match first {
        [cmf, ..] if cmf & 0x0f != 8 => false,
        [cmf, flg, ..] => (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0,
        _ => true,
    }
}

/// The error of a stream that does not start as zlib does.
fn not_zlib(first: &[u8]) -> io::Error {
    let shown: Vec<String> = first.iter().take(4).map(|b| format!("{b:02x}")).collect();
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "the peer does not speak zlib: its first bytes ({}) are not a zlib header \
             (is it a TZlibTransport?)",
            shown.join(" ")
        ),
    )
}

/// Why bytes `at` bytes into the stream do not inflate.
fn corrupt(e: &flate2::DecompressError, at: u64) -> String {
    format!("the peer's zlib stream is corrupt (about {at} bytes in): {e}")
}

impl<S: AsyncRead> AsyncRead for ZlibStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut this = self.project();
        loop {
            if let Some(why) = this.broken {
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, why.clone())));
            }
            if *this.read_ended || buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            let pending = &this.input[*this.input_start..*this.input_end];
            if !pending.is_empty() || *this.inflater_full {
                if this.inflater.total_in() == 0 && !zlib_header(pending) {
                    return Poll::Ready(Err(not_zlib(pending)));
                }
                let room = buf.remaining().min(MAX_INFLATE_PER_READ);
                let out = buf.initialize_unfilled_to(room);
                let (in_before, out_before) = (this.inflater.total_in(), this.inflater.total_out());
                let inflated = this
                    .inflater
                    .decompress(pending, out, FlushDecompress::None);
                let consumed = (this.inflater.total_in() - in_before) as usize;
                let produced = (this.inflater.total_out() - out_before) as usize;
                *this.input_start += consumed;
                *this.inflater_full = produced == room;
                buf.advance(produced);
                let status = match inflated {
                    Ok(status) => status,
                    Err(e) => {
                        // What inflated before the bad bytes is read first; the error
                        // comes with the next read, and every one after.
                        *this.broken = Some(corrupt(&e, this.inflater.total_in()));
                        if produced > 0 {
                            return Poll::Ready(Ok(()));
                        }
                        continue;
                    }
                };
                if status == Status::StreamEnd {
                    // The peer finished its stream (Apache's C++ `finish()`): nothing more
                    // is read, as Apache's transports read nothing after it.
                    *this.read_ended = true;
                }
                if produced > 0 || *this.read_ended {
                    return Poll::Ready(Ok(()));
                }
                if consumed > 0 {
                    continue;
                }
                // No progress: the inflater needs more input than there is.
            }
            // Read more compressed bytes, after those not inflated yet.
            if this.input.is_empty() {
                *this.input = vec![0; INPUT_BUFFER].into_boxed_slice();
            }
            let (start, end) = (*this.input_start, *this.input_end);
            if start > 0 {
                this.input.copy_within(start..end, 0);
                *this.input_start = 0;
                *this.input_end = end - start;
            }
            if *this.input_end == this.input.len() {
                // A full buffer of input that inflates to nothing: no zlib stream does
                // that (every deflate block brings output within a few bytes).
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("the peer's zlib stream gives nothing for {INPUT_BUFFER} bytes"),
                )));
            }
            let mut read = ReadBuf::new(&mut this.input[*this.input_end..]);
            ready!(this.inner.as_mut().poll_read(cx, &mut read))?;
            let got = read.filled().len();
            if got == 0 {
                // The end of the connection: the reader sees it as such (and the codec
                // says if a message was cut short).
                return Poll::Ready(Ok(()));
            }
            *this.input_end += got;
        }
    }
}

impl<S: AsyncWrite> ZlibStream<S> {
    /// Writes the compressed bytes waiting for `inner`, as far as it takes them.
    fn poll_drain(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut this = self.project();
        while *this.output_start < this.output.len() {
            let n = ready!(
                this.inner
                    .as_mut()
                    .poll_write(cx, &this.output[*this.output_start..])
            )?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *this.output_start += n;
        }
        this.output.clear();
        *this.output_start = 0;
        if this.output.capacity() > KEEP_OUTPUT {
            *this.output = Vec::new();
        }
        Poll::Ready(Ok(()))
    }
}

/// Runs the compressor on `input` (empty, to flush) into `output`, until it has taken all
/// of `input` and, for a flush, given all it has.
fn deflate(
    deflater: &mut Compress,
    mut input: &[u8],
    output: &mut Vec<u8>,
    flush: FlushCompress,
) -> io::Result<()> {
    loop {
        if output.capacity() - output.len() < OUTPUT_STEP / 2 {
            output.reserve(OUTPUT_STEP);
        }
        let (taken, given) = (deflater.total_in(), output.len());
        deflater
            .compress_vec(input, output, flush)
            .map_err(io::Error::other)?;
        let taken = (deflater.total_in() - taken) as usize;
        if taken == 0 && output.len() == given && !input.is_empty() {
            // Not seen with any zlib: a compressor with room that takes nothing.
            return Err(io::Error::other("the zlib compressor made no progress"));
        }
        input = &input[taken..];
        // Room left over means the compressor had no more to give.
        if input.is_empty() && output.len() < output.capacity() {
            return Ok(());
        }
    }
}

impl<S: AsyncWrite> AsyncWrite for ZlibStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if self.output.len() - self.output_start >= WRITE_HIGH_WATER {
            ready!(self.as_mut().poll_drain(cx))?;
        }
        let this = self.project();
        let take = data.len().min(MAX_DEFLATE_PER_WRITE);
        deflate(
            this.deflater,
            &data[..take],
            this.output,
            FlushCompress::None,
        )?;
        *this.unflushed = true;
        Poll::Ready(Ok(take))
    }

    /// Ends what was written on a byte boundary (`Z_SYNC_FLUSH`), writes it all, and
    /// flushes the wrapped stream.
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.as_mut().project();
        if *this.unflushed {
            deflate(this.deflater, &[], this.output, FlushCompress::Sync)?;
            *this.unflushed = false;
        }
        ready!(self.as_mut().poll_drain(cx))?;
        self.project().inner.poll_flush(cx)
    }

    /// Flushes, then shuts the wrapped stream down. The zlib stream is left open, as
    /// Apache's transports leave theirs.
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush(cx))?;
        self.project().inner.poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};

    use super::*;

    /// What Apache's Python transport sends for `bytes`: level 9, then `Z_SYNC_FLUSH`
    /// (flate2's own writer, with the same flush).
    fn python_style(bytes: &[u8]) -> Vec<u8> {
        let mut w = flate2::write::ZlibEncoder::new(Vec::new(), Compression::new(9));
        w.write_all(bytes).unwrap();
        w.flush().unwrap();
        w.get_ref().clone()
    }

    /// A message-like payload that compresses.
    fn payload(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i % 251) as u8 ^ (i / 1000) as u8)
            .collect()
    }

    #[tokio::test]
    async fn a_flushed_message_is_readable_whole_without_more_bytes() {
        let (ours, mut theirs) = duplex(1 << 20);
        let mut ours = ZlibStream::new(ours);
        let message = payload(100_000);
        ours.write_all(&message).await.unwrap();
        ours.flush().await.unwrap();
        // The peer inflates what came, all of it, with nothing more written.
        let mut wire = vec![0; 1 << 20];
        let n = theirs.read(&mut wire).await.unwrap();
        let wire = &wire[..n];
        assert_eq!(&wire[..2], b"\x78\x9c", "a zlib header, level 6");
        assert_eq!(
            &wire[n - 4..],
            b"\x00\x00\xff\xff",
            "ends with a sync flush"
        );
        let mut inflater = Decompress::new(true);
        let mut out = vec![0; message.len() + 16];
        inflater
            .decompress(wire, &mut out, FlushDecompress::Sync)
            .unwrap();
        assert_eq!(inflater.total_out() as usize, message.len());
        assert_eq!(&out[..message.len()], &message[..]);
        // A flush with nothing written since sends nothing.
        ours.flush().await.unwrap();
        ours.write_all(b"x").await.unwrap();
        ours.flush().await.unwrap();
        let mut next = [0; 64];
        let n = theirs.read(&mut next).await.unwrap();
        assert_eq!(&next[n - 4..n], b"\x00\x00\xff\xff");
    }

    #[tokio::test]
    async fn reads_sync_flushed_messages_fed_a_byte_at_a_time() {
        let (mut theirs, ours) = duplex(1 << 20);
        let mut ours = ZlibStream::new(ours);
        // One zlib stream with a sync flush after each message (Apache's Python
        // transport's way), fed a byte at a time.
        let mut w = flate2::write::ZlibEncoder::new(Vec::new(), Compression::new(9));
        let mut expected = Vec::new();
        for i in 0..3 {
            let message = payload(5000 + i);
            w.write_all(&message).unwrap();
            w.flush().unwrap();
            expected.extend_from_slice(&message);
        }
        let wire = w.get_ref().clone();
        tokio::spawn(async move {
            for b in wire {
                theirs.write_all(&[b]).await.unwrap();
            }
            theirs
        });
        let mut read = vec![0; expected.len()];
        ours.read_exact(&mut read).await.unwrap();
        assert_eq!(read, expected);
        assert_eq!(
            python_style(b"").len(),
            2 + 5,
            "a header and an empty block"
        );
    }

    #[tokio::test]
    async fn inflates_no_more_than_the_reader_asks_for() {
        // 64 MiB of zeros, in about 64 KiB of zlib.
        let bomb = {
            let mut w = flate2::write::ZlibEncoder::new(Vec::new(), Compression::new(9));
            let zeros = vec![0u8; 1 << 20];
            for _ in 0..64 {
                w.write_all(&zeros).unwrap();
            }
            w.flush().unwrap();
            w.get_ref().clone()
        };
        assert!(bomb.len() < 100_000, "{}", bomb.len());
        let (mut theirs, ours) = duplex(1 << 20);
        theirs.write_all(&bomb).await.unwrap();
        let mut ours = ZlibStream::new(ours);
        for room in [1, 100, 4096, 1 << 20] {
            let mut buf = vec![0xaa; room];
            let n = ours.read(&mut buf).await.unwrap();
            assert!(
                n > 0 && n <= room.min(MAX_INFLATE_PER_READ),
                "{n} of {room}"
            );
            assert!(buf[..n].iter().all(|&b| b == 0));
        }
        // What was taken from the socket is bounded by the input buffer.
        let (compressed, _) = ours.read_totals();
        assert!(compressed <= INPUT_BUFFER as u64, "{compressed}");
    }

    #[tokio::test]
    async fn bytes_that_are_not_zlib_fail_with_a_clear_error() {
        let cases: [(&[u8], &str); 3] = [
            // A plain Thrift binary call: no zlib header.
            (
                b"\x80\x01\x00\x01\x00\x00\x00\x04ping",
                "the peer does not speak zlib",
            ),
            (
                b"\x78\x9d",
                "the peer does not speak zlib: its first bytes (78 9d)",
            ),
            // A zlib header, then a block of the reserved type 3.
            (
                b"\x78\x9c\x07\x00\x00\x00",
                "the peer's zlib stream is corrupt",
            ),
        ];
        for (bytes, says) in cases {
            let (mut theirs, ours) = duplex(1024);
            theirs.write_all(bytes).await.unwrap();
            let mut ours = ZlibStream::new(ours);
            let err = ours.read(&mut [0; 64]).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            assert!(err.to_string().contains(says), "{err}");
        }
        // Valid data, then garbage: the good bytes come first, then the error.
        let mut wire = python_style(b"hello");
        wire.extend_from_slice(&[0xff; 16]);
        let (mut theirs, ours) = duplex(1024);
        theirs.write_all(&wire).await.unwrap();
        let mut ours = ZlibStream::new(ours);
        let mut buf = [0; 5];
        ours.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello");
        let err = ours.read(&mut [0; 64]).await.unwrap_err();
        assert!(err.to_string().contains("corrupt"), "{err}");
    }

    #[tokio::test]
    async fn a_finished_stream_reads_as_the_end() {
        // Apache's C++ `finish()`: the stream's end and checksum; nothing after is read.
        let mut w = flate2::write::ZlibEncoder::new(Vec::new(), Compression::default());
        w.write_all(b"last words").unwrap();
        let mut wire = w.finish().unwrap();
        wire.extend_from_slice(b"ignored");
        let (mut theirs, ours) = duplex(1024);
        theirs.write_all(&wire).await.unwrap();
        let mut read = Vec::new();
        ZlibStream::new(ours).read_to_end(&mut read).await.unwrap();
        assert_eq!(read, b"last words");
    }

    #[tokio::test]
    async fn a_slow_reader_holds_the_writer_back() {
        // Incompressible bytes into a pipe of 1 KiB that nobody reads: writes stop being
        // taken once about WRITE_HIGH_WATER compressed bytes wait.
        let (ours, _theirs) = duplex(1024);
        let mut ours = ZlibStream::with_level(ours, 0);
        let chunk = payload(16 * 1024);
        let mut taken = 0;
        while let Ok(Ok(())) =
            tokio::time::timeout(std::time::Duration::from_millis(50), ours.write_all(&chunk)).await
        {
            taken += chunk.len();
            assert!(taken < 4 * WRITE_HIGH_WATER, "{taken} bytes taken");
        }
        assert!(ours.output.len() < 2 * WRITE_HIGH_WATER + OUTPUT_STEP);
    }

    #[tokio::test]
    async fn both_ways_at_every_level() {
        for level in [0, 1, 6, 9, 42] {
            let (a, b) = duplex(1 << 16);
            let (mut a, mut b) = (ZlibStream::with_level(a, level), ZlibStream::new(b));
            let message = payload(200_000);
            let sent = message.clone();
            let writer = tokio::spawn(async move {
                a.write_all(&sent).await.unwrap();
                a.flush().await.unwrap();
                a
            });
            let mut read = vec![0; message.len()];
            b.read_exact(&mut read).await.unwrap();
            assert_eq!(read, message, "level {level}");
            let mut a = writer.await.unwrap();
            b.write_all(b"reply").await.unwrap();
            b.flush().await.unwrap();
            let mut reply = [0; 5];
            a.read_exact(&mut reply).await.unwrap();
            assert_eq!(&reply, b"reply");
        }
    }
}
