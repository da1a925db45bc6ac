//! The task behind a [`Channel`](super::Channel): it owns the socket, numbers the calls,
//! writes them, and hands each reply to its caller.
//!
//! One task per channel, for the channel's whole life: it connects (when the first call
//! comes, or from the start), drives the connection until it breaks, fails the calls that
//! were waiting on it, and connects again when the next call comes. Reading and writing
//! are polled side by side in the one task, so a server that answers while it is still
//! reading calls never deadlocks against us, and the table of waiting calls needs no lock.

use std::collections::{HashMap, VecDeque};
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::AsyncWrite;
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::{Decoder, Encoder};
use tokio_util::io::poll_read_buf;

use super::Endpoint;
use super::endpoint::Io;
use super::load::Health;
use crate::error::Error;
use crate::message::Response;
use crate::protocol::{Limits, MessageHeader, MessageType, ProtocolError};
use crate::transport::{Envelope, KEEP_BUFFER, MessageCodec};

/// What a caller gets back.
pub(super) type Reply = Result<Response, Error>;

/// A call on its way to the task.
#[derive(Debug)]
pub(super) struct Call {
    /// As the caller made it: the task replaces the sequence id.
    pub(super) header: MessageHeader,
    pub(super) body: Bytes,
    pub(super) reply: oneshot::Sender<Reply>,
}

/// Above this many unwritten bytes the task takes no new calls until the socket accepts
/// some, so a server that reads slowly holds callers back rather than filling memory.
const WRITE_HIGH_WATER: usize = 64 * 1024;
/// The least room made in the read buffer before each read.
const READ_CHUNK: usize = 8 * 1024;

/// Rounds of (take calls, write, read) before the task yields to others, so a busy
/// connection cannot hold a runtime thread forever.
const ROUNDS_PER_POLL: usize = 32;

/// Runs a channel's connection task, starting on `io` if the channel connected already.
/// Returns once every channel handle is dropped and nothing is waited for.
pub(super) async fn run(
    endpoint: Arc<Endpoint>,
    calls: mpsc::UnboundedReceiver<Call>,
    io: Option<Io>,
    health: Arc<Health>,
) {
    let mut task = Task {
        endpoint,
        health,
        calls,
        hung_up: false,
        waiting: HashMap::new(),
        last_seqid: 0,
    };
    task.run(io).await;
}

struct Task {
    endpoint: Arc<Endpoint>,
    /// Whether connecting failed lately, for the channel's load.
    health: Arc<Health>,
    calls: mpsc::UnboundedReceiver<Call>,
    /// Every channel handle is dropped: no call will come any more.
    hung_up: bool,
    /// The calls sent and waiting for a reply, by the sequence id on the wire.
    waiting: HashMap<i32, Waiting>,
    last_seqid: i32,
}

#[derive(Debug)]
struct Waiting {
    /// The sequence id the caller's request had, for its response.
    caller_seqid: i32,
    reply: oneshot::Sender<Reply>,
}

/// A oneway call, complete once the connection has written `end` bytes.
#[derive(Debug)]
struct Oneway {
    end: u64,
    response: Response,
    reply: oneshot::Sender<Reply>,
}

/// One connection's state.
#[derive(Debug)]
struct Connection {
    io: Io,
    codec: MessageCodec,
    read_buf: BytesMut,
    write_buf: BytesMut,
    /// Bytes encoded since the connection opened; of those, bytes written.
    encoded: u64,
    written: u64,
    unflushed: bool,
    oneways: VecDeque<Oneway>,
    /// A message larger than `KEEP_BUFFER` went through the read or the write buffer since
    /// it was last made anew: replace it with an empty one once it is empty, so that a
    /// connection does not keep the largest message's allocation for its life.
    big_read: bool,
    big_write: bool,
}

impl Task {
    async fn run(&mut self, mut io: Option<Io>) {
        loop {
            let (io, first) = match io.take() {
                Some(io) => (io, None),
                None => {
                    // No connection: make one when a call needs it.
                    let Some(call) = self.calls.recv().await else {
                        return;
                    };
                    match self.endpoint.open().await {
                        Ok(io) => {
                            self.health.connected();
                            (io, Some(call))
                        }
                        Err(error) => {
                            tracing::debug!(peer = %self.endpoint.target, %error, "cannot connect");
                            self.health.failed(self.endpoint.failure_penalty);
                            self.refuse(call, error);
                            continue;
                        }
                    }
                }
            };
            tracing::debug!(peer = %self.endpoint.target, "connected");
            let mut conn = Connection {
                io,
                codec: MessageCodec::new(
                    self.endpoint.framing,
                    Some(self.endpoint.protocol),
                    self.endpoint.limits,
                ),
                read_buf: BytesMut::new(),
                write_buf: BytesMut::new(),
                encoded: 0,
                written: 0,
                unflushed: false,
                oneways: VecDeque::new(),
                big_read: false,
                big_write: false,
            };
            if let Some(call) = first {
                self.send(&mut conn, call);
            }
            match poll_fn(|cx| self.poll_connection(&mut conn, cx)).await {
                Ok(()) => return,
                Err(error) => {
                    tracing::debug!(
                        peer = %self.endpoint.target,
                        %error,
                        failed_calls = self.waiting.len() + conn.oneways.len(),
                        "connection closed"
                    );
                    for (_, call) in self.waiting.drain() {
                        let _ = call.reply.send(Err(error.replicate()));
                    }
                    for call in conn.oneways.drain(..) {
                        let _ = call.reply.send(Err(error.replicate()));
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
        conn: &mut Connection,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Error>> {
        for _ in 0..ROUNDS_PER_POLL {
            let mut progress = false;

            while !self.hung_up && conn.write_buf.len() < WRITE_HIGH_WATER {
                match self.calls.poll_recv(cx) {
                    Poll::Ready(Some(call)) => {
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

            // Read even when no call waits, to see the server close an idle connection.
            if conn.read_buf.capacity() - conn.read_buf.len() < READ_CHUNK {
                conn.read_buf.reserve(READ_CHUNK.max(conn.read_buf.len()));
            }
            match poll_read_buf(Pin::new(&mut conn.io), cx, &mut conn.read_buf) {
                Poll::Ready(Ok(0)) => {
                    let during = if conn.read_buf.is_empty() {
                        ""
                    } else {
                        " in the middle of a reply"
                    };
                    return Poll::Ready(Err(Error::from(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "the server at {} closed the connection{during}",
                            self.endpoint.target
                        ),
                    ))));
                }
                Poll::Ready(Ok(_)) => {
                    progress = true;
                    loop {
                        match conn.codec.decode(&mut conn.read_buf) {
                            Ok(Some(envelope)) => {
                                conn.big_read |= envelope.body.len() > KEEP_BUFFER;
                                self.receive(envelope);
                            }
                            Ok(None) => break,
                            Err(e) => return Poll::Ready(Err(self.undecodable(e))),
                        }
                    }
                    if conn.big_read && conn.read_buf.is_empty() {
                        conn.read_buf = BytesMut::new();
                        conn.big_read = false;
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(self.broken("reading from", e))),
                Poll::Pending => {}
            }

            if self.hung_up {
                // Calls whose callers gave up will not be waited for.
                self.waiting
                    .retain(|_, call| call.reply.poll_closed(cx).is_pending());
                if self.waiting.is_empty() && conn.oneways.is_empty() && conn.write_buf.is_empty() {
                    return Poll::Ready(Ok(()));
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
    fn send(&mut self, conn: &mut Connection, call: Call) {
        let Call {
            mut header,
            body,
            reply,
        } = call;
        let caller_seqid = header.seqid;
        header.seqid = self.next_seqid();
        let seqid = header.seqid;
        let oneway = (header.message_type == MessageType::Oneway).then(|| {
            let caller = MessageHeader::new(header.name.clone(), header.message_type, caller_seqid);
            Response::oneway(&caller, self.endpoint.protocol)
        });
        let envelope = Envelope {
            header,
            protocol: self.endpoint.protocol,
            body,
        };
        let start = conn.write_buf.len();
        if let Err(e) = conn.codec.encode(envelope, &mut conn.write_buf) {
            // A message that cannot be encoded (too large for a frame) fails alone; what
            // the encoder wrote of it is taken back.
            conn.write_buf.truncate(start);
            let _ = reply.send(Err(e));
            return;
        }
        conn.encoded += (conn.write_buf.len() - start) as u64;
        conn.big_write |= conn.write_buf.len() - start > KEEP_BUFFER;
        match oneway {
            Some(response) => conn.oneways.push_back(Oneway {
                end: conn.encoded,
                response,
                reply,
            }),
            None => {
                self.waiting.insert(
                    seqid,
                    Waiting {
                        caller_seqid,
                        reply,
                    },
                );
                // A call whose caller gave up (a timeout) stays until its reply comes. So
                // that a server that never answers cannot grow the table without bound,
                // it is swept when it reaches twice the calls that can be waited for
                // (at most `max_in_flight` remain, so sweeps are rare).
                if self.waiting.len() >= 2 * self.endpoint.max_in_flight {
                    self.waiting.retain(|_, call| !call.reply.is_closed());
                }
            }
        }
    }

    fn next_seqid(&mut self) -> i32 {
        loop {
            self.last_seqid = self.last_seqid.wrapping_add(1);
            if !self.waiting.contains_key(&self.last_seqid) {
                return self.last_seqid;
            }
        }
    }

    /// Hands a reply to its caller.
    fn receive(&mut self, envelope: Envelope) {
        let Envelope {
            mut header,
            protocol,
            body,
        } = envelope;
        let Some(call) = self.waiting.remove(&header.seqid) else {
            tracing::warn!(
                peer = %self.endpoint.target,
                seqid = header.seqid,
                method = %header.name,
                "dropped a reply that no call is waiting for"
            );
            return;
        };
        header.seqid = call.caller_seqid;
        let mut response = Response::new(header, protocol, body);
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
            format!("{doing} {}: {e}", self.endpoint.target),
        ))
    }

    fn undecodable(&self, e: Error) -> Error {
        match e.protocol_error() {
            Some(e) => Error::from(ProtocolError::new(
                e.kind(),
                format!(
                    "a reply from {} cannot be decoded, so the connection was closed: {}",
                    self.endpoint.target,
                    e.message()
                ),
            )),
            None => e,
        }
    }
}

impl Connection {
    /// Writes what is buffered, as far as the socket takes it, and completes the oneway
    /// calls that are out. `Ok(true)` if anything was written.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> io::Result<bool> {
        let mut progress = false;
        while !self.write_buf.is_empty() {
            match Pin::new(&mut self.io).poll_write(cx, &self.write_buf) {
                Poll::Ready(Ok(0)) => {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the connection takes no more bytes",
                    ));
                }
                Poll::Ready(Ok(n)) => {
                    self.write_buf.advance(n);
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
        if self.big_write && self.write_buf.is_empty() {
            self.write_buf = BytesMut::new();
            self.big_write = false;
        }
        if self.unflushed && self.write_buf.is_empty() {
            if let Poll::Ready(result) = Pin::new(&mut self.io).poll_flush(cx) {
                result?;
                self.unflushed = false;
            }
        }
        Ok(progress)
    }
}
