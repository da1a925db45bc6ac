//! zlib on real sockets, with our server and our client (Apache's peers are in the cross
//! tests):
//!
//! - calls over `ZlibIncoming` and `ZlibConnector` (or `ZlibLayer`), framed and buffered,
//!   are compressed on the wire, and the handler still sees the peer's address;
//! - a compressed bomb (64 KiB that inflate to 64 MiB, declaring a frame or a
//!   string past the limits) is refused by the message codec with a logged error, the
//!   server allocates a bounded amount for it, and it serves other clients on;
//! - a peer that does not speak zlib, or whose stream is corrupt, is told so in the log.

use std::io::Write as _;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use flate2::{Compression, write::ZlibEncoder};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use tests::logs::capture;
use tests::thrift_test::{
    SecondService, SecondServiceClient, SecondServiceServer, SecondtestStringError,
    ThriftTestClient, ThriftTestServer,
};
use tests::thrift_test_handler::ThriftTestHandler;
use thrift_tower::layer::MultiplexLayer;
use thrift_tower::protocol::Protocol;
use thrift_tower::transport::{
    Address, TcpConnector, TcpIncoming, ZlibConnector, ZlibIncoming, ZlibLayer,
};
use thrift_tower::{Endpoint, Server};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Answers with the peer's address its request carries.
struct PeerEcho;

impl SecondService for PeerEcho {
    async fn secondtest_string(&self, thing: String) -> Result<String, SecondtestStringError> {
        let peer = thrift_tower::server::with_request(|r| r.connection()?.peer_addr()).flatten();
        Ok(format!("{} bytes from {peer:?}", thing.len()))
    }
}

/// A TCP stream that counts the bytes it carries each way.
struct Counted {
    io: TcpStream,
    read: Arc<AtomicU64>,
    written: Arc<AtomicU64>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        polled
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = polled {
            self.written.fetch_add(n as u64, Ordering::Relaxed);
        }
        polled
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// A server of ThriftTest and SecondService ([`PeerEcho`]) whose connections speak zlib,
/// until the returned sender is dropped.
async fn zlib_server() -> (SocketAddr, oneshot::Sender<()>) {
    let incoming = ZlibIncoming::new(
        TcpIncoming::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap(),
    );
    let addr = incoming.get_ref().local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(
        Server::builder()
            .add_service(ThriftTestServer::new(ThriftTestHandler))
            .add_service(SecondServiceServer::new(PeerEcho))
            .serve_with_incoming(incoming, async move {
                let _ = stopped.await;
            }),
    );
    (addr, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_travel_compressed_both_framings_and_the_handler_sees_the_peer() {
    let (addr, _stop) = zlib_server().await;
    for (framing, protocol) in [
        (thrift_tower::transport::Framing::Buffered, Protocol::Binary),
        (thrift_tower::transport::Framing::Framed, Protocol::Compact),
    ] {
        let read = Arc::new(AtomicU64::new(0));
        let written = Arc::new(AtomicU64::new(0));
        let counting = {
            let (read, written) = (Arc::clone(&read), Arc::clone(&written));
            tower::service_fn(move |address: Address| {
                let (read, written) = (Arc::clone(&read), Arc::clone(&written));
                async move {
                    let io = tower::Service::call(&mut TcpConnector::new(), address).await?;
                    Ok::<_, std::io::Error>(Counted { io, read, written })
                }
            })
        };
        let connector = tower::ServiceBuilder::new()
            .layer(ZlibLayer::new())
            .service(counting);
        let channel = Endpoint::from(addr)
            .framing(framing)
            .protocol(protocol)
            .connect_with_connector(connector)
            .await
            .unwrap();
        let client = SecondServiceClient::new(
            tower::ServiceBuilder::new()
                .layer(MultiplexLayer::new("SecondService"))
                .service(channel),
        )
        .with_protocol(protocol);
        let thing = "thrift ".repeat(150_000);
        let reply = client.secondtest_string(thing.clone()).await.unwrap();
        assert!(
            reply.starts_with("1050000 bytes from Some(127.0.0.1:"),
            "{framing:?}: {reply}"
        );
        let (read, written) = (
            read.load(Ordering::Relaxed),
            written.load(Ordering::Relaxed),
        );
        assert!(
            written < 20_000 && read < 1_000,
            "{framing:?}: a 1 MB call went out in {written} bytes, its reply came in {read}"
        );
    }
    // The plain connector wrapped by hand works the same.
    let channel = Endpoint::from(addr)
        .connect_with_connector(ZlibConnector::new(TcpConnector::new()).level(9))
        .await
        .unwrap();
    let client = ThriftTestClient::new(channel);
    assert_eq!(client.test_i32(-7).await.unwrap(), -7);
}

/// Compresses `head` and then `zeros` MiB of zero bytes into a zlib stream, with a sync
/// flush at the end, as a peer's TZlibTransport would send them; cheaply: a mebibyte of
/// zeros after zeros compresses to the same bytes wherever it comes, so it is compressed
/// once and repeated.
fn bomb(head: &[u8], zeros: usize) -> Vec<u8> {
    let mib = vec![0u8; 1 << 20];
    let mut w = ZlibEncoder::new(Vec::new(), Compression::best());
    w.write_all(head).unwrap();
    w.write_all(&mib).unwrap();
    w.flush().unwrap();
    let start = w.get_ref().len();
    w.write_all(&mib).unwrap();
    w.flush().unwrap();
    let mut out = w.get_ref().clone();
    let again = out[start..].to_vec();
    for _ in 2..zeros {
        out.extend_from_slice(&again);
    }
    out
}

/// Sends `bytes` on a new connection to `addr` and waits (at most 10 s) for the server to
/// close it; returns whether it did.
async fn closed_after_sending(addr: SocketAddr, bytes: &[u8]) -> bool {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The server may close before it took everything: a failed write is its refusal.
    let _ = stream.write_all(bytes).await;
    let mut sink = [0u8; 1024];
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await
    .is_ok()
}

/// Bytes allocated in the whole process so far (never decreasing).
fn allocated() -> usize {
    GLOBAL.stats().bytes_allocated
}

#[tokio::test]
async fn a_compressed_bomb_is_refused_by_the_codec_in_bounded_memory_and_others_are_served() {
    let (addr, _stop) = zlib_server().await;
    let channel = Endpoint::from(addr)
        .connect_with_connector(ZlibConnector::new(TcpConnector::new()))
        .await
        .unwrap();
    let client = ThriftTestClient::new(channel);
    assert_eq!(client.test_string("before".into()).await.unwrap(), "before");

    // A frame longer than the limit (16,777,216 > 16,384,000 bytes), whose bytes come.
    let frame = bomb(b"\x01\x00\x00\x00\x80\x01\x00\x01", 64);
    // An unframed testString call whose string declares 2 GiB.
    let mut call = b"\x80\x01\x00\x01\x00\x00\x00\x0atestString\x00\x00\x00\x01".to_vec();
    call.extend_from_slice(b"\x0b\x00\x01\x7f\xff\xff\xff");
    let string = bomb(&call, 64);
    for (bytes, refusal) in [
        (
            &frame,
            "frame of 16777216 bytes exceeds the limit of 16384000 bytes",
        ),
        (&string, "more than the limit of 104857600 bytes"),
    ] {
        assert!(bytes.len() < 100_000, "a bomb of {} bytes", bytes.len());
        let ((closed, spent), log) = capture("thrift_tower=warn", async {
            let before = allocated();
            let closed = closed_after_sending(addr, bytes).await;
            (closed, allocated() - before)
        })
        .await;
        assert!(
            closed,
            "the server did not close the connection; log:\n{log}"
        );
        assert!(
            log.contains("closing connection: undecodable input") && log.contains(refusal),
            "{log}"
        );
        // The connection's zlib state, buffers and log lines: nothing near 64 MiB.
        assert!(spent < 4 << 20, "{spent} bytes allocated for a bomb");
    }

    // The connection made before is served on, and so is a new one.
    assert_eq!(client.test_string("after".into()).await.unwrap(), "after");
    let channel = Endpoint::from(addr)
        .connect_with_connector(ZlibConnector::new(TcpConnector::new()))
        .await
        .unwrap();
    assert_eq!(ThriftTestClient::new(channel).test_i32(3).await.unwrap(), 3);
}

#[tokio::test]
async fn a_peer_that_does_not_speak_zlib_or_breaks_its_stream_is_told_apart() {
    let (addr, _stop) = zlib_server().await;
    // A plain binary call to a zlib server; the call compressed, then garbage.
    let plain = b"\x80\x01\x00\x01\x00\x00\x00\x08testVoid\x00\x00\x00\x01\x00".to_vec();
    let mut broken = {
        let mut w = ZlibEncoder::new(Vec::new(), Compression::default());
        w.write_all(&plain).unwrap();
        w.flush().unwrap();
        w.get_ref().clone()
    };
    broken.extend_from_slice(&[0xff; 64]);
    for (bytes, says) in [
        (
            plain,
            "the peer does not speak zlib: its first bytes (80 01 00 01) are not a zlib header",
        ),
        (broken, "the peer's zlib stream is corrupt"),
    ] {
        let (closed, log) = capture("thrift_tower=debug", closed_after_sending(addr, &bytes)).await;
        assert!(closed, "{log}");
        assert!(
            log.contains("closing connection: read failed") && log.contains(says),
            "{log}"
        );
    }

    // The other way round: a zlib client at a plain server, which names what it heard.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plain_addr = listener.local_addr().unwrap();
    tokio::spawn(
        Server::builder()
            .add_service(ThriftTestServer::new(ThriftTestHandler))
            .serve_with_listener(listener, std::future::pending()),
    );
    let (_, log) = capture("thrift_tower=warn", async {
        let channel = Endpoint::from(plain_addr)
            .connect_with_connector(ZlibConnector::new(TcpConnector::new()))
            .await
            .unwrap();
        let failed = ThriftTestClient::new(channel).test_void().await;
        assert!(failed.is_err(), "{failed:?}");
    })
    .await;
    assert!(log.contains("the peer speaks zlib"), "{log}");
}
