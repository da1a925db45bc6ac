//! The task behind a [`Channel`](super::Channel): it owns the socket, numbers the calls,
//! writes them, and hands each reply to its caller.
//!
//! One task per channel, for the channel's whole life: it connects (when the first call
//! comes, or from the start), drives the connection until it breaks, fails the calls that
//! were waiting on it, and connects again when the next call comes. Reading and writing
//! are polled side by side in the one task, so a server that answers while it is still
//! reading calls never deadlocks against us, and the table of waiting calls needs no lock.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Buf;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::{Decoder, Encoder};
use tower_service::Service;

use super::Endpoint;
use super::endpoint::SharedOpener;
use super::load::Health;
use super::window::SeqidWindow;
use crate::error::{BoxError, Error};
use crate::message::{Request, Response};
use crate::protocol::{Limits, ProtocolError};
use crate::transport::{Address, IoBuffer, MessageCodec};

/// What a caller gets back.
pub(super) type Reply = Result<Response, Error>;

/// A call on its way to the task.
#[derive(Debug)]
pub(super) struct Call {
    /// As the caller made it: the task replaces the sequence id.
    pub(super) request: Request,
    pub(super) reply: oneshot::Sender<Reply>,
}

/// Above this many unwritten bytes the task takes no new calls until the socket accepts
/// some, so a server that reads slowly holds callers back rather than filling memory.
const WRITE_HIGH_WATER: usize = 64 * 1024;

/// Rounds of (take calls, write, read) before the task yields to others, so a busy
/// connection cannot hold a runtime thread forever.
const ROUNDS_PER_POLL: usize = 32;

/// Runs a channel's connection task, starting on `io` if the channel connected already.
/// Returns once every channel handle is dropped and nothing is waited for.
pub(super) async fn run<C>(
    endpoint: Arc<Endpoint>,
    opener: SharedOpener<C>,
    calls: mpsc::UnboundedReceiver<Call>,
    io: Option<C::Response>,
    health: Arc<Health>,
) where
    C: Service<Address>,
    C::Response: AsyncRead + AsyncWrite + Unpin,
    C::Error: Into<BoxError>,
{
    // A connection carries no more calls than this at once (its callers' slots say so): the
    // window of waiting calls is sized for it.
    let carried = endpoint.pipelining.min(endpoint.max_in_flight);
    let mut task = Task {
        endpoint,
        opener,
        health,
        calls,
        hung_up: false,
        held: None,
        // Apache's clients number their calls from 1, as this one always has.
        waiting: SeqidWindow::new(1, carried),
    };
    task.run(io).await;
}

struct Task<C> {
    endpoint: Arc<Endpoint>,
    /// Opens the connections (shared with the channel's other connections).
    opener: SharedOpener<C>,
    /// Whether connecting failed lately, for the channel's load.
    health: Arc<Health>,
    calls: mpsc::UnboundedReceiver<Call>,
    /// Every channel handle is dropped: no call will come any more.
    hung_up: bool,
    /// The calls sent and waiting for a reply, by the sequence id on the wire, which it
    /// gives. It outlives connections, so the ids go on from one to the next.
    waiting: SeqidWindow<Waiting>,
    /// A call taken for a connection that had been idle, held back until the connection
    /// has been read once more (see [`SETTLE_AFTER`]).
    held: Option<Call>,
}

/// A call that comes for a connection idle this long waits for the runtime to look at
/// the socket once more before it is written: the server may have closed the connection
/// meanwhile, and the runtime may not have noticed yet (it learns of a closed socket, as
/// of any event, only when it polls the operating system). Written to such a connection,
/// the call would fail with "closed the connection", and its caller could not tell it from
/// a call the server read; held back, it goes out on a new connection. Connections busier
/// than this never wait.
const SETTLE_AFTER: std::time::Duration = std::time::Duration::from_millis(1);

/// What driving a connection came to, short of its breaking.
enum Driven {
    /// The channel is done with the connection.
    Done,
    /// A call came for an idle connection: the task yields until the runtime has polled
    /// for events, then drives the connection again.
    Settle,
}

#[derive(Debug)]
struct Waiting {
    /// The sequence id the caller's request had, for its response.
    caller_seqid: i32,
    reply: oneshot::Sender<Reply>,
    /// Where its bytes start in what the connection was given to write: if the
    /// connection breaks before it has written that far, the call never left.
    start: u64,
}

/// A oneway call, complete once the connection has written `end` bytes.
#[derive(Debug)]
struct Oneway {
    start: u64,
    end: u64,
    response: Response,
    reply: oneshot::Sender<Reply>,
}

/// One connection's state.
#[derive(Debug)]
struct Connection<IO> {
    io: IO,
    codec: MessageCodec<Response>,
    read_buf: IoBuffer,
    write_buf: IoBuffer,
    /// Bytes encoded since the connection opened; of those, bytes written.
    encoded: u64,
    written: u64,
    unflushed: bool,
    oneways: VecDeque<Oneway>,
    /// Since when nothing is waited for or to be written.
    idle_since: Option<tokio::time::Instant>,
    /// A held call has waited for a look at the socket since the connection was last busy.
    settled: bool,
}

impl<C> Task<C>
where
    C: Service<Address>,
    C::Response: AsyncRead + AsyncWrite + Unpin,
    C::Error: Into<BoxError>,
{
    async fn run(&mut self, mut io: Option<C::Response>) {
        loop {
            let (io, first) = match io.take() {
                Some(io) => (io, None),
                None => {
                    // No connection: make one when a call needs it.
                    // A call held back from a connection that turned out closed goes first.
                    let held = self.held.take();
                    let Some(call) = (match held {
                        Some(call) => Some(call),
                        None => self.calls.recv().await,
                    }) else {
                        return;
                    };
                    match self.opener.open().await {
                        Ok(io) => {
                            self.health.connected();
                            (io, Some(call))
                        }
                        Err(error) => {
                            tracing::debug!(peer = %self.endpoint.address, %error, "cannot connect");
                            self.health.failed(self.endpoint.failure_penalty);
                            self.refuse(call, error);
                            continue;
                        }
                    }
                }
            };
            tracing::debug!(peer = %self.endpoint.address, "connected");
            let mut conn = Connection {
                io,
                codec: self.endpoint.codec(),
                read_buf: IoBuffer::new(),
                write_buf: IoBuffer::new(),
                encoded: 0,
                written: 0,
                unflushed: false,
                oneways: VecDeque::new(),
                idle_since: None,
                settled: false,
            };
            if let Some(call) = first {
                self.send(&mut conn, call);
            }
            let driven = loop {
                match poll_fn(|cx| self.poll_connection(&mut conn, cx)).await {
                    // Deferred by the runtime until it has polled for events.
                    Ok(Driven::Settle) => tokio::task::yield_now().await,
                    other => break other,
                }
            };
            match driven {
                Ok(Driven::Done) => return,
                Ok(Driven::Settle) => unreachable!("a settle is waited for above"),
                Err(error) => {
                    tracing::debug!(
                        peer = %self.endpoint.address,
                        %error,
                        failed_calls = self.waiting.len() + conn.oneways.len(),
                        "connection closed"
                    );
                    // A call none of whose bytes were written never reached the server:
                    // its error says so, for retry policies.
                    let written = conn.written;
                    let failed = |start: u64| {
                        if start >= written {
                            error.replicate().unsent()
                        } else {
                            error.replicate().sent()
                        }
                    };
                    for call in self.waiting.drain() {
                        let _ = call.reply.send(Err(failed(call.start)));
                    }
                    for call in conn.oneways.drain(..) {
                        let _ = call.reply.send(Err(failed(call.start)));
                    }
                }
            }
        }
    }

    /// Fails `call`, which could not connect, and the calls that queued up meanwhile:
    /// they were waiting for the same connection.
    fn refuse(&mut self, call: Call, error: Error) {
        while let Ok(queued) = self.calls.try_recv() {
            let _ = queued.reply.send(Err(error.replicate()));
        }
        let _ = call.reply.send(Err(error));
    }

    /// Drives `conn` until it breaks (`Err`) or the channel is done with it (`Ok`).
    fn poll_connection(
        &mut self,
        conn: &mut Connection<C::Response>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Driven, Error>> {
        for _ in 0..ROUNDS_PER_POLL {
            let mut progress = false;

            // Read first, and even when no call waits, to see the server close an idle
            // connection before a new call is written to it: a call that comes as the
            // server closes then goes out on the next connection, instead of failing
            // with "closed the connection" (the server would never have read it, but
            // the caller could not tell that from a call it did read).
            match conn.read_buf.poll_read(Pin::new(&mut conn.io), cx) {
                Poll::Ready(Ok(0)) => {
                    let during = if conn.read_buf.bytes().is_empty() {
                        ""
                    } else {
                        " in the middle of a reply"
                    };
                    return Poll::Ready(Err(Error::from(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "the server at {} closed the connection{during}",
                            self.endpoint.address
                        ),
                    ))));
                }
                Poll::Ready(Ok(_)) => {
                    progress = true;
                    loop {
                        match conn.codec.decode(conn.read_buf.bytes()) {
                            Ok(Some(response)) => self.receive(response),
                            Ok(None) => break,
                            Err(e) => return Poll::Ready(Err(self.undecodable(e))),
                        }
                    }
                    conn.read_buf.release();
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(self.broken("reading from", e))),
                Poll::Pending => {}
            }

            // The socket was read above: a held call can go now.
            if let Some(call) = self.held.take() {
                self.send(conn, call);
                progress = true;
            }
            let idle = self.waiting.is_empty()
                && conn.oneways.is_empty()
                && conn.write_buf.bytes().is_empty();
            if !idle {
                conn.idle_since = None;
                conn.settled = false;
            } else if conn.idle_since.is_none() {
                conn.idle_since = Some(tokio::time::Instant::now());
            }
            // Only the first call taken for an idle connection may wait: the clock is read
            // once for all the calls taken together, not per call.
            let mut first_for_idle = idle && !conn.settled;
            while !self.hung_up && conn.write_buf.bytes().len() < WRITE_HIGH_WATER {
                match self.calls.poll_recv(cx) {
                    Poll::Ready(Some(call)) => {
                        let long_idle = std::mem::take(&mut first_for_idle)
                            && conn
                                .idle_since
                                .is_some_and(|since| since.elapsed() >= SETTLE_AFTER);
                        if long_idle {
                            conn.settled = true;
                            self.held = Some(call);
                            return Poll::Ready(Ok(Driven::Settle));
                        }
                        self.send(conn, call);
                        progress = true;
                    }
                    Poll::Ready(None) => self.hung_up = true,
                    Poll::Pending => break,
                }
            }

            match conn.poll_write(cx) {
                Ok(wrote) => progress |= wrote,
                Err(e) => return Poll::Ready(Err(self.broken("writing to", e))),
            }

            if self.hung_up {
                // Calls whose callers gave up will not be waited for.
                self.waiting
                    .retain(|call| call.reply.poll_closed(cx).is_pending());
                if self.waiting.is_empty()
                    && conn.oneways.is_empty()
                    && conn.write_buf.bytes().is_empty()
                {
                    return Poll::Ready(Ok(Driven::Done));
                }
            }
            if !progress {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Numbers `call` and encodes it into the write buffer.
    fn send(&mut self, conn: &mut Connection<C::Response>, call: Call) {
        let Call { mut request, reply } = call;
        let caller_seqid = request.header().seqid;
        // A call whose caller gave up (a timeout) stays until its reply comes, or until the
        // window is swept (see `SeqidWindow`), so a server that never answers cannot grow
        // the table without bound.
        let seqid = self.waiting.next_id(|call| call.reply.is_closed());
        request.header_mut().seqid = seqid;
        let oneway = request.is_oneway().then(|| {
            let mut response = Response::oneway(request.header(), request.protocol());
            response.header_mut().seqid = caller_seqid;
            response
        });
        let offset = conn.encoded;
        conn.write_buf.take_spare();
        let buf = conn.write_buf.bytes();
        let start = buf.len();
        if let Err(e) = conn.codec.encode(request, buf) {
            // A message that cannot be encoded (too large for a frame) fails alone; what
            // the encoder wrote of it is taken back.
            buf.truncate(start);
            self.waiting.skip();
            let _ = reply.send(Err(e));
            return;
        }
        conn.encoded += (buf.len() - start) as u64;
        match oneway {
            Some(response) => {
                self.waiting.skip();
                conn.oneways.push_back(Oneway {
                    start: offset,
                    end: conn.encoded,
                    response,
                    reply,
                });
            }
            None => self.waiting.insert(Waiting {
                caller_seqid,
                reply,
                start: offset,
            }),
        }
    }

    /// Hands a reply to its caller.
    fn receive(&mut self, mut response: Response) {
        let seqid = response.header().seqid;
        let Some(call) = self.waiting.remove(seqid) else {
            tracing::warn!(
                peer = %self.endpoint.address,
                seqid,
                method = %response.method(),
                "dropped a reply that no call is waiting for"
            );
            return;
        };
        response.header_mut().seqid = call.caller_seqid;
        // What the generated client decodes the body within; extensions allocate on first
        // insert, so only limits other than the defaults it falls back to go in.
        if self.endpoint.limits != Limits::default() {
            response.extensions_mut().insert(self.endpoint.limits);
        }
        let _ = call.reply.send(Ok(response));
    }

    fn broken(&self, doing: &str, e: io::Error) -> Error {
        Error::from(io::Error::new(
            e.kind(),
            format!("{doing} {}: {e}", self.endpoint.address),
        ))
    }

    fn undecodable(&self, e: Error) -> Error {
        match e.protocol_error() {
            Some(e) => Error::from(ProtocolError::new(
                e.kind(),
                format!(
                    "a reply from {} cannot be decoded, so the connection was closed: {}",
                    self.endpoint.address,
                    e.message()
                ),
            )),
            None => e,
        }
    }
}

impl<IO: AsyncWrite + Unpin> Connection<IO> {
    /// Writes what is buffered, as far as the socket takes it, and completes the oneway
    /// calls that are out. `Ok(true)` if anything was written.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> io::Result<bool> {
        let mut progress = false;
        let buf = self.write_buf.bytes();
        while !buf.is_empty() {
            match Pin::new(&mut self.io).poll_write(cx, buf) {
                Poll::Ready(Ok(0)) => {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the connection takes no more bytes",
                    ));
                }
                Poll::Ready(Ok(n)) => {
                    buf.advance(n);
                    self.written += n as u64;
                    self.unflushed = true;
                    progress = true;
                }
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => break,
            }
        }
        while self
            .oneways
            .front()
            .is_some_and(|call| call.end <= self.written)
        {
            if let Some(call) = self.oneways.pop_front() {
                let _ = call.reply.send(Ok(call.response));
            }
        }
        let empty = buf.is_empty();
        self.write_buf.release();
        if self.unflushed && empty {
            if let Poll::Ready(result) = Pin::new(&mut self.io).poll_flush(cx) {
                result?;
                self.unflushed = false;
            }
        }
        Ok(progress)
    }
}
