//! A connection that carried one large message goes back to holding little memory, on the
//! server and in a client's channel:
//! its read and write buffers grow for the message and are replaced by small ones after it,
//! instead of keeping the largest message's allocation for the connection's life (10,000
//! connections that once sent 10 MB each would otherwise hold 200 GB).
//!
//! One test in this binary, so that the global allocation counter sees nothing else.

use std::alloc::System;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use thrift_tower::codegen::BoxFuture;
use thrift_tower::protocol::{Limits, Protocol};
use thrift_tower::transport::{Framing, MessageCodec};
use thrift_tower::{Endpoint, MessageHeader, MessageType, NamedService, Request, Response, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Decoder, Encoder};
use tower::ServiceExt;
use tower_service::Service;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes allocated and not freed, process-wide (reallocations count their growth as
/// allocated and their shrinking as freed).
fn live() -> i64 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

/// Answers every call with its own arguments.
#[derive(Clone)]
struct Echo;

impl NamedService for Echo {
    const NAME: &'static str = "Echo";
}

impl Service<Request> for Echo {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let header = request.header().clone();
        let protocol = request.protocol();
        let body = request.into_body();
        let reply = MessageHeader::new(header.name.clone(), MessageType::Reply, header.seqid);
        Box::pin(async move { Ok(Response::new(reply, protocol, body)) })
    }
}

/// A call whose arguments are a struct with one binary field of `len` bytes, in compact.
fn call(codec: &mut MessageCodec<Response>, seqid: i32, len: usize) -> BytesMut {
    let mut body = vec![0x18];
    let mut n = len;
    while n >= 0x80 {
        body.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    body.push(n as u8);
    body.resize(body.len() + len, 0x5a);
    body.push(0);
    let mut out = BytesMut::new();
    let request = Request::new(
        MessageHeader::new("echo", MessageType::Call, seqid),
        Protocol::Compact,
        Bytes::from(body),
    );
    codec.encode(request, &mut out).unwrap();
    out
}

/// Sends `bytes` and reads one reply, keeping nothing of it.
async fn round_trip(
    io: &mut TcpStream,
    codec: &mut MessageCodec<Response>,
    bytes: BytesMut,
) -> usize {
    io.write_all(&bytes).await.unwrap();
    drop(bytes);
    let mut buf = BytesMut::new();
    loop {
        if let Some(reply) = codec.decode(&mut buf).unwrap() {
            assert_eq!(reply.header().message_type, MessageType::Reply);
            return reply.body().len();
        }
        assert!(
            io.read_buf(&mut buf).await.unwrap() > 0,
            "connection closed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buffers_shrink_after_a_large_message() {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        Server::builder()
            .add_service(Echo)
            .serve_with_listener(listener, std::future::pending()),
    );
    for (framing, protocol) in [
        (Framing::Framed, Protocol::Compact),
        (Framing::Buffered, Protocol::Compact),
    ] {
        let mut io = TcpStream::connect(addr).await.unwrap();
        let mut codec = MessageCodec::<Response>::new(framing, Some(protocol), Limits::default());
        // Settle: one small call, so the connection's task and buffers exist.
        let small = call(&mut codec, 1, 10);
        round_trip(&mut io, &mut codec, small).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let before = live();

        const BIG: usize = 10 * 1024 * 1024;
        let big = call(&mut codec, 2, BIG);
        let echoed = round_trip(&mut io, &mut codec, big).await;
        assert!(echoed > BIG);
        // A small call after it: the connection has turned its loop past the large one.
        let small = call(&mut codec, 3, 10);
        round_trip(&mut io, &mut codec, small).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let grown = live() - before;
        assert!(
            grown < 1024 * 1024,
            "{framing:?}: the connection still holds {grown} more bytes after a {BIG}-byte \
             call and reply"
        );
    }

    // The client side: a channel's buffers shrink back the same way.
    for framing in [Framing::Framed, Framing::Buffered] {
        let mut channel = Endpoint::from(addr)
            .framing(framing)
            .protocol(Protocol::Compact)
            .connect()
            .await
            .unwrap();
        let mut codec =
            MessageCodec::<Response>::new(framing, Some(Protocol::Compact), Limits::default());
        // The call as the server would read it: the channel is given what a server decodes.
        let mut reader =
            MessageCodec::<Request>::new(framing, Some(Protocol::Compact), Limits::default());
        let mut request = |seqid: i32, len: usize| {
            let mut bytes = call(&mut codec, seqid, len);
            reader.decode(&mut bytes).unwrap().expect("a whole call")
        };
        channel
            .ready()
            .await
            .unwrap()
            .call(request(1, 10))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let before = live();
        let big = request(2, 10 * 1024 * 1024);
        let reply = channel.ready().await.unwrap().call(big).await.unwrap();
        assert!(reply.body().len() > 10 * 1024 * 1024);
        drop(reply);
        channel
            .ready()
            .await
            .unwrap()
            .call(request(3, 10))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let grown = live() - before;
        assert!(
            grown < 1024 * 1024,
            "{framing:?}: the channel still holds {grown} more bytes after a large call"
        );
    }
}
