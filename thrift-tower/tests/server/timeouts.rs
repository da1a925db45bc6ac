//! The read, write and idle timeouts: a peer that stalls mid-message, stops reading, or
//! says nothing is let go after its timeout, and not before.

use std::time::{Duration, Instant};

use bytes::BytesMut;
use thrift_tower::protocol::Protocol;
use thrift_tower::transport::Framing;
use thrift_tower::{MessageType, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::client::{Client, assert_reply, named_call};
use crate::common::peer::PROMPTLY;
use crate::serve::serve;
use crate::service::{Probe, service_a};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_timeout_drops_a_peer_that_stalls_mid_message() {
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .read_timeout(Some(Duration::from_millis(200)))
            .add_service(service_a(&probe)),
    )
    .await;

    for framing in [Framing::Framed, Framing::Buffered] {
        let io = TcpStream::connect(server.addr).await.unwrap();
        let mut client = Client::over(io, framing, Protocol::Binary);
        let call = client.encode("echo", MessageType::Call, 1);
        let sent = Instant::now();
        client.io.write_all(&call[..call.len() / 2]).await.unwrap();
        client.closed().await;
        let after = sent.elapsed();
        assert!(
            after >= Duration::from_millis(150),
            "{framing:?}: dropped after {after:?}, before the read timeout"
        );
    }
    assert!(probe.seen().is_empty());

    // The server goes on serving.
    assert_reply(&server.connect().await.call("echo", 2).await, "echo", 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_peer_is_dropped_by_the_idle_timeout_only() {
    let probe = Probe::new();

    // No idle timeout: a peer that sends nothing for three read timeouts is still served.
    let server = serve(
        Server::builder()
            .read_timeout(Some(Duration::from_millis(200)))
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = server.connect().await;
    client.quiet_for(Duration::from_millis(600)).await;
    assert_reply(&client.call("echo", 1).await, "echo", 1);

    // An idle timeout closes it.
    let server = serve(
        Server::builder()
            .read_timeout(Some(Duration::from_millis(200)))
            .idle_timeout(Duration::from_millis(400))
            .add_service(service_a(&probe)),
    )
    .await;
    let connecting = Instant::now();
    let mut client = server.connect().await;
    client.closed().await;
    let after = connecting.elapsed();
    assert!(
        after >= Duration::from_millis(300),
        "dropped after {after:?}, before the idle timeout"
    );

    // A connection waiting for a call that runs longer than the idle timeout is not idle;
    // once the reply is out, it is.
    let mut client = server.connect().await;
    assert_reply(&client.call("sleep_800", 2).await, "sleep_800", 2);
    client.closed().await;
}

/// A call to `echo` whose arguments carry `len` bytes of binary, so its reply is as big.
fn big_call(client: &mut Client, seqid: i32, len: usize) -> BytesMut {
    named_call(client, "echo", seqid, len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_timeout_drops_a_peer_that_stops_reading() {
    const CALLS: i32 = 48;
    const LEN: usize = 1 << 20;
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .write_timeout(Some(Duration::from_millis(300)))
            .add_service(service_a(&probe)),
    )
    .await;

    // 48 MiB of replies, far more than the socket buffers hold, to a client that sends its
    // calls and reads nothing. (The calls go from a task of their own: once the server stops
    // reading, so do its sends.)
    let mut client = server.connect().await;
    let calls: Vec<BytesMut> = (1..=CALLS).map(|i| big_call(&mut client, i, LEN)).collect();
    let (mut rd, mut wr) = tokio::io::split(client.io);
    let sender = tokio::spawn(async move {
        for call in calls {
            if wr.write_all(&call).await.is_err() {
                return;
            }
        }
        // Keep the write half open: the test, not this task, decides when it closes.
        std::future::pending::<()>().await;
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Reading now finds what the socket buffers held, then the end: the server gave up.
    let mut received = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let ended = tokio::time::timeout(PROMPTLY, async {
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received += n,
            }
        }
    })
    .await;
    sender.abort();
    assert!(
        ended.is_ok(),
        "the connection is still open after {received} bytes"
    );
    let all = CALLS as usize * LEN;
    assert!(received < all, "all {received} bytes of replies arrived");

    // The server goes on serving.
    assert_reply(&server.connect().await.call("echo", 1).await, "echo", 1);
}
