//! One connection: read messages, call the service for each (concurrently, up to a limit;
//! a call that does not wait finishes on the connection's task), write the replies in the
//! order of the calls (or each when it is ready, if configured; see [`Calls`]).
//!
//! The driver knows nothing of where the stream came from (TCP, TLS, a pipe) nor of how
//! messages are delimited on it (the codec's business), and every call it starts is
//! answered by the service it is given, which the server wraps in
//! [`AlwaysReply`](super::AlwaysReply).

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};
use tokio_util::codec::{Decoder, Encoder};
use tower_service::Service;
use tracing::{Instrument, debug, debug_span, warn};

use super::Config;
use super::calls::Calls;
use super::reply::{bad_result, exception_reply};
use crate::message::{ConnectionInfo, Request, Response};
use crate::protocol::Limits;
use crate::transport::{IoBuffer, MessageCodec};

/// A call's reply (none for a oneway call) and the size of its request, counted against
/// the in-flight bytes.
type Finished = (usize, Option<Response>);

pub(crate) async fn serve_connection<IO, S>(
    io: IO,
    service: S,
    config: Arc<Config>,
    connection: Arc<ConnectionInfo>,
    mut shutdown: watch::Receiver<bool>,
) where
    IO: AsyncRead + AsyncWrite + Send + 'static,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    // One task reads and writes, never both at once (a reply is written between reads),
    // so the stream is not split: `tokio::io::split` would take a lock on every read and
    // write.
    let mut io = std::pin::pin!(io);
    let mut codec = MessageCodec::<Request>::new(config.framing, config.protocol, config.limits);
    let mut rbuf = IoBuffer::new();
    let mut wbuf = IoBuffer::new();
    let mut calls = Calls::new(!config.out_of_order_replies);
    // The request bytes of the calls running, against `max_in_flight_bytes`.
    let mut in_flight_bytes = 0usize;
    let mut reading = true;
    // The peer has closed its side (a half-close, or all of it): there is nothing more to
    // read, but the calls already in the read buffer are still owed their replies.
    let mut peer_closed = false;
    let mut last_read = Instant::now();
    let mut last_activity = Instant::now();
    // One timer for the connection's life, moved when the deadline moves: not a new one
    // per turn of the loop.
    let timer = sleep_until(last_activity);
    tokio::pin!(timer);

    // The work done on this task since it last let others run (see `TURN_BYTES`): counted
    // across the loop's rounds, as a peer that keeps its pipeline full gets a round or two
    // of calls per read, each far short of a turn; and counted from zero again once the
    // peer has sent nothing new (a read found the socket empty), as then the connection
    // is keeping up and its task waits for the peer as often as it runs.
    let mut done_here = 0usize;
    loop {
        let mut caught_up = false;
        // Start every call that has fully arrived, up to the in-flight limit, and up to the
        // end of the turn.
        let mut more = false;
        while reading && admits(&config, calls.len(), in_flight_bytes) {
            if done_here >= TURN_BYTES {
                more = true;
                break;
            }
            match codec.decode(rbuf.bytes()) {
                Ok(Some(request)) => {
                    let size = request.body().len();
                    in_flight_bytes += size;
                    if calls.start(call(&service, request, &config, &connection)) {
                        // At least a little for a call with an empty body.
                        done_here += size.max(64);
                    }
                }
                Ok(None) => {
                    if peer_closed {
                        // Every call the peer sent has started.
                        if !rbuf.bytes().is_empty() {
                            debug!(
                                bytes = rbuf.bytes().len(),
                                "peer closed in the middle of a message"
                            );
                        }
                        reading = false;
                    }
                    break;
                }
                Err(e) => {
                    // The stream cannot be resynchronised: finish what is running, then close.
                    warn!(error = %e, "closing connection: undecodable input");
                    reading = false;
                }
            }
        }
        if !reading && calls.is_empty() {
            break;
        }
        // Once the read buffer holds nothing, its allocation goes to the thread's spares:
        // an idle connection holds none (the next read borrows one). Nor does it keep the
        // slot its calls are first polled in.
        rbuf.release();
        if calls.is_empty() && rbuf.bytes().is_empty() {
            calls.release_slot();
        }
        // At the in-flight limit the connection is not read: what is in the buffer waits
        // on us, not on the peer, so no timeout runs.
        let at_limit = !admits(&config, calls.len(), in_flight_bytes);
        // A partly received message must complete within the read timeout; a connection
        // with nothing to do may idle for the idle timeout.
        let deadline = if at_limit {
            None
        } else if !rbuf.bytes().is_empty() {
            config.read_timeout.map(|t| last_read + t)
        } else if calls.is_empty() {
            config.idle_timeout.map(|t| last_activity + t)
        } else {
            None
        };
        if let Some(deadline) = deadline
            && timer.deadline() != deadline
        {
            timer.as_mut().reset(deadline);
        }
        tokio::select! {
            Some(done) = calls.next(), if !calls.is_empty() => {
                last_activity = Instant::now();
                if at_limit {
                    // Reading resumes: the read timeout counts from now, not from when the
                    // peer's last bytes came in before we stopped reading.
                    last_read = last_activity;
                }
                let mut next = Some(done);
                let mut broken = false;
                wbuf.take_spare();
                while let Some(done) = next.take() {
                    match done {
                        Ok((size, reply)) => {
                            in_flight_bytes -= size;
                            if !encode_reply(&mut codec, reply, wbuf.bytes()) {
                                // The replies before it still go out; then the connection
                                // closes.
                                broken = true;
                                break;
                            }
                        }
                        // The service answers panics; a call is only lost if the runtime
                        // shuts down, or a service not wrapped to answer them panics.
                        Err(e) => debug!(error = %e, "a call ended without a reply"),
                    }
                    // Replies that are ready too go out in the same write, up to a bound:
                    // one system call for a burst of pipelined calls, not one each.
                    if wbuf.bytes().len() < COALESCE_BYTES {
                        next = calls.try_next();
                    }
                }
                if !wbuf.bytes().is_empty() {
                    if let Err(e) = write_all(&mut io, wbuf.bytes(), config.write_timeout).await {
                        debug!(error = %e, "closing connection: write failed");
                        break;
                    }
                    wbuf.bytes().clear();
                }
                // The same for the write buffer.
                wbuf.release();
                if broken {
                    break;
                }
            }
            read = poll_fn(|cx| {
                let read = rbuf.poll_read(io.as_mut(), cx);
                caught_up |= read.is_pending();
                read
            }), if reading && !peer_closed && !at_limit => {
                match read {
                    // Calls still in the buffer start on the next turns (a turn may have
                    // stopped before them); the connection closes once they are answered.
                    Ok(0) => peer_closed = true,
                    Ok(_) => {
                        last_read = Instant::now();
                        last_activity = last_read;
                    }
                    Err(e) => {
                        debug!(error = %e, "closing connection: read failed");
                        reading = false;
                    }
                }
            }
            // A turn's work is done and more calls wait in the buffer: on to the yield
            // below, even when nothing else is ready.
            () = std::future::ready(()), if more => {}
            _ = shutdown.changed(), if reading => {
                // Graceful shutdown: no new calls; the ones running finish.
                reading = false;
            }
            () = &mut timer, if reading && deadline.is_some() => {
                debug!(partial = !rbuf.bytes().is_empty(), "closing connection: timed out");
                reading = false;
            }
        }
        if caught_up {
            done_here = 0;
        }
        if more {
            // The other tasks of this thread (the other connections) run before the next
            // turn. Here, after whichever branch ran, and not as a branch of its own: the
            // replies of the turn's calls are ready at once, so a yield that competed with
            // them would never be taken.
            tokio::task::yield_now().await;
            done_here = 0;
        }
    }
    let _ = io.shutdown().await;
}

/// Replies that finish together are written together up to this many bytes.
const COALESCE_BYTES: usize = 64 * 1024;

/// Calls answered on the connection's own task, counted by their requests' bytes, that it
/// runs before it lets the thread's other tasks run. A client that keeps many large calls
/// pipelined would otherwise have them answered one after another until tokio's budget for
/// the task ran out, while the other connections on the thread waited: with 4 connections
/// of 16 large calls each, one call in a hundred waited 50 to 100 ms where the median was
/// 1.5 ms.
const TURN_BYTES: usize = 64 * 1024;

/// Encodes a finished call's reply (if it has one) after what `wbuf` holds. A reply that
/// cannot be encoded becomes an `InternalError` exception for its caller; `false` when not
/// even that can be encoded, and the connection must close.
fn encode_reply(
    codec: &mut MessageCodec<Request>,
    reply: Option<Response>,
    wbuf: &mut bytes::BytesMut,
) -> bool {
    let Some(reply) = reply else { return true };
    // The reply's header is its call's, with another message type.
    let (header, protocol) = (reply.header().clone(), reply.protocol());
    let start = wbuf.len();
    let Err(e) = codec.encode(reply, wbuf) else {
        return true;
    };
    warn!(error = %e, method = %header.name, "cannot encode a reply");
    wbuf.truncate(start);
    let fallback = exception_reply(&header, protocol, &bad_result(&header.name, &e));
    codec.encode(fallback, wbuf).is_ok()
}

/// Writes all of `buf`, failing with `TimedOut` when the peer takes none of it for
/// `timeout`: a peer that stops reading its replies cannot hold the connection forever,
/// while a large reply to a slow but live peer may take as long as it needs.
async fn write_all<W: AsyncWrite + Unpin>(
    wr: &mut W,
    mut buf: &[u8],
    timeout: Option<Duration>,
) -> std::io::Result<()> {
    while !buf.is_empty() {
        // First without a timer: a socket with room takes the bytes at once, and that is
        // the usual case, so no timer is set up per reply.
        let at_once = poll_fn(|cx| match Pin::new(&mut *wr).poll_write(cx, buf) {
            Poll::Ready(result) => Poll::Ready(Some(result)),
            Poll::Pending => Poll::Ready(None),
        })
        .await;
        let written = match (at_once, timeout) {
            (Some(result), _) => result?,
            (None, Some(t)) => tokio::time::timeout(t, wr.write(buf)).await.map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("the peer took no reply bytes for {t:?}"),
                )
            })??,
            (None, None) => wr.write(buf).await?,
        };
        if written == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        buf = &buf[written..];
    }
    wr.flush().await
}

/// Whether another call may start: fewer than `max_in_flight` running, and their requests
/// under `max_in_flight_bytes` (the call that crosses it still starts: a message cannot be
/// split, and the limit holds the ones after it).
fn admits(config: &Config, running: usize, bytes: usize) -> bool {
    running < config.max_in_flight && bytes < config.max_in_flight_bytes
}

/// The future of one call: the service made ready and called, answering with the reply
/// (none for a oneway call) and the request's size.
fn call<S>(
    service: &S,
    mut request: Request,
    config: &Config,
    connection: &Arc<ConnectionInfo>,
) -> impl Future<Output = Finished> + Send + 'static
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let size = request.body().len();
    let span = debug_span!(
        "call",
        method = %request.method(),
        seqid = request.header().seqid,
        peer = ?connection.peer_addr(),
    );
    // Extensions allocate on first insert: the limits go in only when they are not the
    // defaults the generated server falls back to.
    if config.limits != Limits::default() {
        request.extensions_mut().insert(config.limits);
    }
    // A reference count: every request of the connection shares what it knows of itself.
    request.set_connection(Arc::clone(connection));
    let oneway = request.is_oneway();
    // "Clone, then call": the clone is made ready and called.
    let mut service = service.clone();
    let call = async move {
        let Ok(()) = poll_fn(|cx| service.poll_ready(cx)).await;
        let Ok(response) = service.call(request).await;
        // The service answers every call; a oneway call's answer is not sent.
        let reply = (!oneway && !response.is_oneway()).then_some(response);
        (size, reply)
    };
    call.instrument(span)
}
