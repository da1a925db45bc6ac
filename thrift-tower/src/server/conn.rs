//! One connection: read messages, call the service for each (concurrently, up to a limit),
//! write each reply when it is ready, matched to its call by the sequence id it carries.

use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};
use tokio_util::codec::{Decoder, Encoder};
use tower_service::Service;
use tracing::{Instrument, debug, debug_span, warn};

use super::Config;
use crate::codegen::{CatchUnwind, exception_reply, panic_message};
use crate::error::{BoxError, Error};
use crate::exception::{ApplicationException, ApplicationExceptionKind};
use crate::message::{Request, Response};
use crate::protocol::{Limits, MessageHeader, MessageType, Protocol};
use crate::transport::{Envelope, KEEP_BUFFER, MessageCodec};

/// The address of the peer that sent a request, in the request's extensions (for TCP
/// connections).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerAddr(pub SocketAddr);

/// What a finished call leaves: the call's header, and the reply to send (none for oneway).
/// Its request's size rides along in `Running`.
type Finished = (MessageHeader, Protocol, Option<Response>);

/// A call's outcome and the size of its request, counted against the in-flight bytes.
type Running = (usize, Finished);

pub(crate) async fn serve_connection<IO, S>(
    io: IO,
    service: S,
    config: Arc<Config>,
    peer: Option<SocketAddr>,
    mut shutdown: watch::Receiver<bool>,
) where
    IO: AsyncRead + AsyncWrite + Send + 'static,
    S: Service<Request, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
{
    // One task reads and writes, never both at once (a reply is written between reads),
    // so the stream is not split: `tokio::io::split` would take a lock on every read and
    // write.
    let mut io = std::pin::pin!(io);
    let mut codec = MessageCodec::new(config.framing, config.protocol, config.limits);
    let mut rbuf = BytesMut::with_capacity(BUFFER);
    let mut wbuf = BytesMut::with_capacity(BUFFER);
    // A message larger than `KEEP_BUFFER` was read since `rbuf` was last made anew.
    let mut big_input = false;
    let mut calls: JoinSet<Running> = JoinSet::new();
    // The request bytes of the calls running, against `max_in_flight_bytes`.
    let mut in_flight_bytes = 0usize;
    let mut reading = true;
    let mut last_read = Instant::now();
    let mut last_activity = Instant::now();
    // One timer for the connection's life, moved when the deadline moves: not a new one
    // per turn of the loop.
    let timer = sleep_until(last_activity);
    tokio::pin!(timer);

    loop {
        // Start every call that has fully arrived, up to the in-flight limit.
        while reading && admits(&config, calls.len(), in_flight_bytes) {
            match codec.decode(&mut rbuf) {
                Ok(Some(envelope)) => {
                    big_input |= envelope.body.len() > KEEP_BUFFER;
                    in_flight_bytes += envelope.body.len();
                    start_call(&mut calls, &service, envelope, &config, peer);
                }
                Ok(None) => break,
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
        // After a large message, the read buffer would keep its allocation for the
        // connection's life (it only grows): once it holds nothing, start a small one.
        if big_input && rbuf.is_empty() {
            rbuf = BytesMut::with_capacity(BUFFER);
            big_input = false;
        }
        // At the in-flight limit the connection is not read: what is in the buffer waits
        // on us, not on the peer, so no timeout runs.
        let at_limit = !admits(&config, calls.len(), in_flight_bytes);
        // A partly received message must complete within the read timeout; a connection
        // with nothing to do may idle for the idle timeout.
        let deadline = if at_limit {
            None
        } else if !rbuf.is_empty() {
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
            Some(done) = calls.join_next(), if !calls.is_empty() => {
                last_activity = Instant::now();
                if at_limit {
                    // Reading resumes: the read timeout counts from now, not from when the
                    // peer's last bytes came in before we stopped reading.
                    last_read = last_activity;
                }
                let mut next = Some(done);
                let mut broken = false;
                while let Some(done) = next.take() {
                    match done {
                        Ok((size, finished)) => {
                            in_flight_bytes -= size;
                            if !encode_reply(&mut codec, finished, &mut wbuf) {
                                // The replies before it still go out; then the connection
                                // closes.
                                broken = true;
                                break;
                            }
                        }
                        // Calls catch panics; a task is only lost if the runtime shuts down.
                        Err(e) => debug!(error = %e, "call task ended without a result"),
                    }
                    // Replies that are ready too go out in the same write, up to a bound:
                    // one system call for a burst of pipelined calls, not one each.
                    if wbuf.len() < COALESCE_BYTES {
                        next = calls.try_join_next();
                    }
                }
                if !wbuf.is_empty() {
                    if let Err(e) = write_all(&mut io, &wbuf, config.write_timeout).await {
                        debug!(error = %e, "closing connection: write failed");
                        break;
                    }
                    wbuf.clear();
                    // The same for the write buffer after a large reply.
                    if wbuf.capacity() > KEEP_BUFFER {
                        wbuf = BytesMut::with_capacity(BUFFER);
                    }
                }
                if broken {
                    break;
                }
            }
            read = io.read_buf(&mut rbuf), if reading && !at_limit => {
                match read {
                    Ok(0) => {
                        if !rbuf.is_empty() {
                            debug!(bytes = rbuf.len(), "peer closed in the middle of a message");
                        }
                        reading = false;
                    }
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
            _ = shutdown.changed(), if reading => {
                // Graceful shutdown: no new calls; the ones running finish.
                reading = false;
            }
            () = &mut timer, if reading && deadline.is_some() => {
                debug!(partial = !rbuf.is_empty(), "closing connection: timed out");
                reading = false;
            }
        }
    }
    let _ = io.shutdown().await;
}

/// What a connection's read and write buffers start with.
const BUFFER: usize = 8 * 1024;

/// Replies that finish together are written together up to this many bytes.
const COALESCE_BYTES: usize = 64 * 1024;

/// Encodes a finished call's reply (if it has one) after what `wbuf` holds. A reply that
/// cannot be encoded becomes an `InternalError` exception for its caller; `false` when not
/// even that can be encoded, and the connection must close.
fn encode_reply(codec: &mut MessageCodec, finished: Finished, wbuf: &mut BytesMut) -> bool {
    let (header, protocol, reply) = finished;
    let Some(reply) = reply else { return true };
    let (reply_header, reply_protocol, body, _) = reply.into_parts();
    let start = wbuf.len();
    let envelope = Envelope {
        header: reply_header,
        protocol: reply_protocol,
        body,
    };
    let Err(e) = codec.encode(envelope, wbuf) else {
        return true;
    };
    warn!(error = %e, method = %header.name, "cannot encode a reply");
    wbuf.truncate(start);
    let error = ApplicationException::new(ApplicationExceptionKind::InternalError, e.to_string());
    let (fallback_header, _, body, _) = exception_reply(&header, protocol, &error).into_parts();
    let envelope = Envelope {
        header: fallback_header,
        protocol,
        body,
    };
    codec.encode(envelope, wbuf).is_ok()
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

fn start_call<S>(
    calls: &mut JoinSet<Running>,
    service: &S,
    envelope: Envelope,
    config: &Config,
    peer: Option<SocketAddr>,
) where
    S: Service<Request, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
{
    let Envelope {
        header,
        protocol,
        body,
    } = envelope;
    let oneway = header.message_type == MessageType::Oneway;
    let size = body.len();
    let span = debug_span!("call", method = %header.name, seqid = header.seqid, peer = ?peer);
    let mut request = Request::new(header.clone(), protocol, body);
    // Extensions allocate on first insert: the limits go in only when they are not the
    // defaults the generated server falls back to.
    if config.limits != Limits::default() {
        request.extensions_mut().insert(config.limits);
    }
    if let Some(addr) = peer {
        request.extensions_mut().insert(PeerAddr(addr));
    }
    // "Clone, then call": the clone is made ready and called.
    let mut service = service.clone();
    let call = async move {
        poll_fn(|cx| service.poll_ready(cx)).await?;
        service.call(request).await
    };
    let run = async move {
        let outcome = CatchUnwind::new(call).await;
        if oneway {
            return (header, protocol, None);
        }
        let reply = match outcome {
            Ok(Ok(response)) if response.is_oneway() => None,
            Ok(Ok(response)) => Some(response),
            Ok(Err(e)) => {
                let error = Error::from_service(e);
                debug!(error = %error, "call failed in a layer");
                Some(exception_reply(
                    &header,
                    protocol,
                    &error.to_application_exception(),
                ))
            }
            Err(panic) => {
                let error = ApplicationException::new(
                    ApplicationExceptionKind::InternalError,
                    format!(
                        "the call of `{}` panicked: {}",
                        header.name,
                        panic_message(&*panic)
                    ),
                );
                Some(exception_reply(&header, protocol, &error))
            }
        };
        (header, protocol, reply)
    };
    calls.spawn(async move { (size, run.await) }.instrument(span));
}
