//! The client side of the server tests: the raw peer, reading responses, with calls whose
//! arguments are [`Args`], and the checks on what comes back.

use std::net::SocketAddr;

use bytes::BytesMut;
use thrift_tower::protocol::{self, Limits, Protocol};
use thrift_tower::transport::Framing;
use thrift_tower::{ApplicationException, MessageHeader, MessageType, Request, Response};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::peer::RawPeer;
use crate::service::Args;

/// A raw client: a socket, and a codec to write calls and read what comes back.
pub(crate) type Client<S = TcpStream> = RawPeer<Response, S>;

/// A framed compact client.
pub(crate) async fn connect(addr: SocketAddr) -> Client {
    Client::connect(addr, Framing::Framed, Protocol::Compact).await
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    /// The bytes of a message `name` of `message_type`, whose arguments carry `seqid`.
    pub(crate) fn encode(&mut self, name: &str, message_type: MessageType, seqid: i32) -> BytesMut {
        let body = protocol::encode(
            self.protocol(),
            &Args {
                id: i64::from(seqid),
            },
        )
        .unwrap();
        let request = Request::new(
            MessageHeader::new(name.to_string(), message_type, seqid),
            self.protocol(),
            body,
        );
        self.encode_message(request)
    }

    pub(crate) async fn send(&mut self, name: &str, message_type: MessageType, seqid: i32) {
        let bytes = self.encode(name, message_type, seqid);
        self.io.write_all(&bytes).await.unwrap();
    }

    /// Calls `name` and returns what comes back.
    pub(crate) async fn call(&mut self, name: &str, seqid: i32) -> Response {
        self.send(name, MessageType::Call, seqid).await;
        self.recv().await
    }
}

/// A call to `name` whose arguments are `Args { id: seqid }` and, as field 2, `len` bytes
/// of binary (which `Args` skips).
pub(crate) fn named_call(client: &mut Client, name: &str, seqid: i32, len: usize) -> BytesMut {
    // Compact: field 1, i64 (type 6), zigzag varint; field 2, binary (type 8), its length
    // as a varint, the bytes; stop.
    let mut body = vec![0x16];
    let varint = |body: &mut Vec<u8>, mut n: u64| {
        while n >= 0x80 {
            body.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        body.push(n as u8);
    };
    let id = i64::from(seqid);
    varint(&mut body, ((id << 1) ^ (id >> 63)) as u64);
    body.push(0x18);
    varint(&mut body, len as u64);
    body.resize(body.len() + len, 0xab);
    body.push(0);
    let request = Request::new(
        MessageHeader::new(name.to_string(), MessageType::Call, seqid),
        client.protocol(),
        body.into(),
    );
    client.encode_message(request)
}

/// `message` is the reply to a call `name` with `seqid`, carrying that call's arguments.
#[track_caller]
pub(crate) fn assert_reply(message: &Response, name: &str, seqid: i32) {
    assert_eq!(
        message.header(),
        &MessageHeader::new(name.to_string(), MessageType::Reply, seqid)
    );
    let args: Args = protocol::decode(
        message.protocol(),
        message.body().clone(),
        Limits::default(),
    )
    .expect("the reply does not decode");
    assert_eq!(
        args.id,
        i64::from(seqid),
        "the reply carries another call's body"
    );
}

/// `message` is a `TApplicationException` reply to the call `name` with `seqid`.
#[track_caller]
pub(crate) fn exception(message: &Response, name: &str, seqid: i32) -> ApplicationException {
    assert_eq!(
        message.header(),
        &MessageHeader::new(name.to_string(), MessageType::Exception, seqid)
    );
    protocol::decode(
        message.protocol(),
        message.body().clone(),
        Limits::default(),
    )
    .expect("the exception does not decode")
}
