//! Graceful shutdown: calls already read are answered, new connections are not served, and
//! the grace period bounds the wait.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use thrift_tower::protocol::Protocol;
use thrift_tower::transport::Framing;
use thrift_tower::{MessageType, Server};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::client::{Client, assert_reply};
use crate::common::peer::eventually;
use crate::serve::serve;
use crate::service::{Probe, service_a};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_calls_and_stops_accepting() {
    let probe = Probe::new();
    let mut server = serve(Server::builder().add_service(service_a(&probe))).await;
    let addr = server.addr;
    let mut client = server.connect().await;
    client.send("sleep_300", MessageType::Call, 7).await;
    client.send("gate", MessageType::Call, 8).await;
    eventually("both calls run", || probe.running() == 2).await;

    server.shutdown();

    // While the calls run, a new connection is refused, or accepted and closed unserved.
    if let Ok(io) = TcpStream::connect(addr).await {
        let mut late = Client::over(io, Framing::Framed, Protocol::Compact);
        let call = late.encode("echo", MessageType::Call, 9);
        let _ = late.io.write_all(&call).await;
        late.closed().await;
    }
    assert!(!server.task.is_finished(), "returned with a call running");

    // The calls that were read get their replies, then the connection closes.
    assert_reply(&client.recv().await, "sleep_300", 7);
    probe.gate.add_permits(1);
    assert_reply(&client.recv().await, "gate", 8);
    client.closed().await;
    server.finished().await;
    let mut seen: Vec<_> = probe.seen().into_iter().map(|(_, m, _)| m).collect();
    seen.sort();
    assert_eq!(seen, ["gate", "sleep_300"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_grace_bounds_the_wait_for_calls() {
    let probe = Probe::new();
    let mut server = serve(
        Server::builder()
            .shutdown_grace(Duration::from_millis(100))
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = server.connect().await;
    client.send("sleep_10000", MessageType::Call, 1).await;
    eventually("the call runs", || probe.running() == 1).await;

    let signalled = Instant::now();
    server.shutdown();
    server.finished().await;
    let after = signalled.elapsed();
    assert!(
        after >= Duration::from_millis(50),
        "returned after {after:?}, before the grace"
    );
    // The call would have taken 10 s; `finished` allows 5.
    client.closed().await;
    assert!(client.raw.is_empty());
    eventually("the call is dropped", || probe.running() == 0).await;
    assert_eq!(probe.finished.load(Ordering::SeqCst), 0);
}
