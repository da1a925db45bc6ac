//! A raw Thrift peer: one end of a real socket that writes messages with `MessageCodec` and
//! reads back exactly what arrives, with no client or server of ours in between, so a test
//! sees what is on the wire. The server tests use it as the client (it reads responses), the
//! channel tests inside their fake server (it reads requests). Also the time bound both wait
//! with.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use thrift_tower::message::Message;
use thrift_tower::protocol::{Limits, Protocol};
use thrift_tower::transport::{Framing, MessageCodec};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::codec::{Decoder, Encoder};

/// The bound on anything that should happen "at once": generous, for loaded machines.
pub const PROMPTLY: Duration = Duration::from_secs(5);

/// Waits, promptly, until `condition` holds.
pub async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + PROMPTLY;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// One end of a connection with a fixed framing and protocol, reading messages of type `M`:
/// `Response` at a client's end, `Request` at a server's. It writes any message.
pub struct RawPeer<M, S = TcpStream> {
    /// The socket itself, for bytes that are no message (half a call, garbage) or to split.
    pub io: S,
    codec: MessageCodec<M>,
    protocol: Protocol,
    /// Received and not yet decoded.
    buf: BytesMut,
    /// Every byte received, as received.
    pub raw: Vec<u8>,
}

impl<K: Default> RawPeer<Message<K>> {
    /// Connects to `addr`, with Nagle's algorithm off so that each write goes out at once.
    pub async fn connect(addr: SocketAddr, framing: Framing, protocol: Protocol) -> Self {
        let io = TcpStream::connect(addr).await.unwrap();
        io.set_nodelay(true).unwrap();
        RawPeer::over(io, framing, protocol)
    }
}

impl<K: Default, S: AsyncRead + AsyncWrite + Unpin> RawPeer<Message<K>, S> {
    pub fn over(io: S, framing: Framing, protocol: Protocol) -> Self {
        RawPeer {
            io,
            codec: MessageCodec::new(framing, Some(protocol), Limits::default()),
            protocol,
            buf: BytesMut::new(),
            raw: Vec::new(),
        }
    }

    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The bytes of `message`, framed, for a test to send whole, in pieces or in a batch.
    pub fn encode_message<J>(&mut self, message: Message<J>) -> BytesMut {
        let mut buf = BytesMut::new();
        self.codec.encode(message, &mut buf).unwrap();
        buf
    }

    pub async fn send_message<J>(&mut self, message: Message<J>) {
        let bytes = self.encode_message(message);
        self.io.write_all(&bytes).await.unwrap();
    }

    /// The next message; `None` if the connection closes (or resets) first.
    ///
    /// Safe to cancel (in a `select!`): what was read stays in the buffer.
    pub async fn read_message(&mut self) -> Option<Message<K>> {
        loop {
            if let Some(message) = self
                .codec
                .decode(&mut self.buf)
                .expect("the other end sent bytes that do not decode")
            {
                return Some(message);
            }
            let before = self.buf.len();
            match self.io.read_buf(&mut self.buf).await {
                Ok(0) | Err(_) => return None,
                Ok(_) => self.raw.extend_from_slice(&self.buf[before..]),
            }
        }
    }

    /// The next message, which must come promptly.
    pub async fn recv(&mut self) -> Message<K> {
        tokio::time::timeout(PROMPTLY, self.read_message())
            .await
            .expect("no message came")
            .expect("the connection closed instead of replying")
    }

    /// The other end closes the connection, promptly, without sending anything more.
    pub async fn closed(&mut self) {
        match tokio::time::timeout(PROMPTLY, self.read_message()).await {
            Ok(None) => assert!(self.buf.is_empty(), "the connection closed mid-message"),
            Ok(Some(m)) => panic!("expected the connection closed, got {:?}", m.header()),
            Err(_) => panic!("the connection is still open"),
        }
    }

    /// Nothing arrives for `time`, and the connection stays open.
    pub async fn quiet_for(&mut self, time: Duration) {
        match tokio::time::timeout(time, self.read_message()).await {
            Err(_) => {}
            Ok(None) => panic!("the connection closed"),
            Ok(Some(m)) => panic!("expected nothing, got {:?}", m.header()),
        }
    }
}
