//! [`TlsStream`]: a connection after its handshake (or a plain one a server let through),
//! which reads and writes plaintext and says who its peer proved to be.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::identity::PeerIdentity;
use crate::message::ConnectionInfo;
use crate::transport::Connected;

/// A connection a [`TlsIncoming`](super::TlsIncoming) accepted or a
/// [`TlsConnector`](super::TlsConnector) made: TLS, or plain where the server allows it.
///
/// As [`Connected`], it says what the inner connection says (the peer's address) and adds
/// the [`PeerIdentity`] of a client that showed a certificate.
pub struct TlsStream<IO> {
    inner: Inner<IO>,
    identity: Option<PeerIdentity>,
}

enum Inner<IO> {
    Server(Box<tokio_rustls::server::TlsStream<Rewind<IO>>>),
    Client(Box<tokio_rustls::client::TlsStream<IO>>),
    Plain(Rewind<IO>),
}

impl<IO> TlsStream<IO> {
    pub(super) fn server(stream: tokio_rustls::server::TlsStream<Rewind<IO>>) -> Self {
        let identity = stream
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(PeerIdentity::from_certificate);
        TlsStream {
            inner: Inner::Server(Box::new(stream)),
            identity,
        }
    }

    pub(super) fn client(stream: tokio_rustls::client::TlsStream<IO>) -> Self {
        TlsStream {
            inner: Inner::Client(Box::new(stream)),
            identity: None,
        }
    }

    pub(super) fn plain(stream: Rewind<IO>) -> Self {
        TlsStream {
            inner: Inner::Plain(stream),
            identity: None,
        }
    }

    /// Whether the connection is TLS (false for a plain connection a server let through).
    pub fn is_tls(&self) -> bool {
        !matches!(self.inner, Inner::Plain(_))
    }

    /// The certificate a client proved on a server's connection, if it showed one.
    pub fn peer_identity(&self) -> Option<&PeerIdentity> {
        self.identity.as_ref()
    }

    /// The application protocol agreed in ALPN (`b"h2"`, say), if any.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        match &self.inner {
            Inner::Server(s) => s.get_ref().1.alpn_protocol(),
            Inner::Client(s) => s.get_ref().1.alpn_protocol(),
            Inner::Plain(_) => None,
        }
    }

    /// The connection under TLS.
    pub fn get_ref(&self) -> &IO {
        match &self.inner {
            Inner::Server(s) => &s.get_ref().0.io,
            Inner::Client(s) => s.get_ref().0,
            Inner::Plain(s) => &s.io,
        }
    }
}

impl<IO: Connected> Connected for TlsStream<IO> {
    fn connection_info(&self) -> ConnectionInfo {
        let mut info = self.get_ref().connection_info();
        if let Some(identity) = &self.identity {
            info.extensions_mut().insert(identity.clone());
        }
        let version = match &self.inner {
            Inner::Server(s) => s.get_ref().1.protocol_version(),
            Inner::Client(s) => s.get_ref().1.protocol_version(),
            Inner::Plain(_) => None,
        };
        if let Some(version) = version {
            info.extensions_mut().insert(TlsInfo {
                version: version.as_str().unwrap_or("TLS"),
                alpn: self.alpn_protocol().map(<[u8]>::to_vec),
            });
        }
        info
    }
}

/// That a connection is TLS, and what was agreed: in each of its requests'
/// [connection extensions](crate::message::ConnectionInfo::extensions) (absent on a plain
/// connection a server let through).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    version: &'static str,
    alpn: Option<Vec<u8>>,
}

impl TlsInfo {
    /// The protocol version, as `TLSv1_3`.
    pub fn version(&self) -> &str {
        self.version
    }

    /// The application protocol agreed in ALPN (`b"h2"`, say), if any.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.alpn.as_deref()
    }
}

impl<IO> fmt::Debug for TlsStream<IO> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsStream")
            .field("tls", &self.is_tls())
            .field("peer_identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.inner {
            Inner::Server(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Inner::Client(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Inner::Plain(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.inner {
            Inner::Server(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Inner::Client(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Inner::Plain(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.inner {
            Inner::Server(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
            Inner::Client(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
            Inner::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.inner {
            Inner::Server(s) => s.is_write_vectored(),
            Inner::Client(s) => s.is_write_vectored(),
            Inner::Plain(s) => s.io.is_write_vectored(),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.inner {
            Inner::Server(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Inner::Client(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Inner::Plain(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.inner {
            Inner::Server(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Inner::Client(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Inner::Plain(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// A connection whose first byte was read to tell TLS from plain, and is given back first.
pub(super) struct Rewind<IO> {
    first: Option<u8>,
    pub(super) io: IO,
}

impl<IO> Rewind<IO> {
    pub(super) fn new(first: Option<u8>, io: IO) -> Self {
        Rewind { first, io }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Rewind<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if buf.remaining() > 0
            && let Some(byte) = self.first.take()
        {
            buf.put_slice(&[byte]);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Rewind<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
