//! [`TlsIncoming`]: a server's incoming connections, each after its TLS handshake.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::task::JoinSet;
use tracing::debug;

use super::config::ServerTlsConfig;
use super::stream::{Rewind, TlsStream};
use crate::error::Error;
use crate::transport::Connected;

/// Handshakes under way at once, at most: beyond it no new connection is taken until one
/// ends, so a flood of clients that never finish theirs is bounded.
const MAX_HANDSHAKES: usize = 1024;

/// A TLS handshake record's first byte: what a TLS client sends first.
const HANDSHAKE_RECORD: u8 = 0x16;

pin_project_lite::pin_project! {
    /// Wraps a server's incoming connections (a [`TcpIncoming`](crate::transport::TcpIncoming),
    /// say) so that each comes out after its TLS handshake, as a [`TlsStream`]; for
    /// `serve_with_incoming`. Handshakes run concurrently on tasks of their own, each
    /// bounded by the configuration's timeout; a connection whose handshake fails or times
    /// out is closed and logged at `debug`, and the others go on. Errors of the inner
    /// stream pass through.
    pub struct TlsIncoming<I, IO> {
        #[pin]
        incoming: I,
        acceptor: tokio_rustls::TlsAcceptor,
        timeout: Duration,
        allow_plain: bool,
        handshakes: JoinSet<Option<TlsStream<IO>>>,
        ended: bool,
    }
}

impl<I, IO, IE> TlsIncoming<I, IO>
where
    I: Stream<Item = Result<IO, IE>>,
{
    /// Connections from `incoming`, with TLS by `config`. Fails if the configuration does
    /// (no identity, a key that does not match its certificate...).
    pub fn new(incoming: I, config: ServerTlsConfig) -> Result<Self, Error> {
        Ok(TlsIncoming {
            incoming,
            acceptor: tokio_rustls::TlsAcceptor::from(config.to_rustls()?),
            timeout: config.handshake_timeout,
            allow_plain: config.allow_plain,
            handshakes: JoinSet::new(),
            ended: false,
        })
    }
}

impl<I, IO> fmt::Debug for TlsIncoming<I, IO> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIncoming")
            .field("handshakes", &self.handshakes.len())
            .field("allow_plain", &self.allow_plain)
            .finish_non_exhaustive()
    }
}

impl<I, IO, IE> Stream for TlsIncoming<I, IO>
where
    I: Stream<Item = Result<IO, IE>>,
    IO: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
{
    type Item = Result<TlsStream<IO>, IE>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        loop {
            if !*this.ended && this.handshakes.len() < MAX_HANDSHAKES {
                match this.incoming.as_mut().poll_next(cx) {
                    Poll::Ready(Some(Ok(io))) => {
                        let acceptor = this.acceptor.clone();
                        this.handshakes.spawn(handshake(
                            io,
                            acceptor,
                            *this.timeout,
                            *this.allow_plain,
                        ));
                        continue;
                    }
                    Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                    Poll::Ready(None) => *this.ended = true,
                    Poll::Pending => {}
                }
            }
            return match this.handshakes.poll_join_next(cx) {
                Poll::Ready(Some(Ok(Some(stream)))) => Poll::Ready(Some(Ok(stream))),
                // Failed, timed out (logged), or its task was cancelled.
                Poll::Ready(Some(_)) => continue,
                Poll::Ready(None) if *this.ended => Poll::Ready(None),
                // The inner stream, polled above, will wake us.
                Poll::Ready(None) | Poll::Pending => Poll::Pending,
            };
        }
    }
}

/// One connection's handshake (after its first byte, when plain connections are let
/// through), within `timeout`.
async fn handshake<IO>(
    io: IO,
    acceptor: tokio_rustls::TlsAcceptor,
    timeout: Duration,
    allow_plain: bool,
) -> Option<TlsStream<IO>>
where
    IO: AsyncRead + AsyncWrite + Connected + Unpin,
{
    let peer = io.connection_info().peer_addr();
    let handshake = async move {
        let mut io = io;
        let first = if allow_plain {
            let mut byte = [0u8; 1];
            if io.read(&mut byte).await? == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "closed before sending anything",
                ));
            }
            if byte[0] != HANDSHAKE_RECORD {
                return Ok(TlsStream::plain(Rewind::new(Some(byte[0]), io)));
            }
            Some(byte[0])
        } else {
            None
        };
        let stream = acceptor.accept(Rewind::new(first, io)).await?;
        Ok(TlsStream::server(stream))
    };
    match tokio::time::timeout(timeout, handshake).await {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(error)) => {
            debug!(?peer, %error, "TLS handshake failed; connection closed");
            None
        }
        Err(_) => {
            debug!(
                ?peer,
                ?timeout,
                "TLS handshake timed out; connection closed"
            );
            None
        }
    }
}
