//! Serving a Unix domain socket: the same calls as on TCP, and the socket file removed at
//! shutdown.

use std::time::{Duration, Instant};

use thrift_tower::Server;
use thrift_tower::protocol::Protocol;
use thrift_tower::transport::Framing;
use tokio::sync::oneshot;

use crate::client::{Client, assert_reply};
use crate::common::peer::PROMPTLY;
use crate::service::{Probe, service_a};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_a_unix_socket() {
    let path = std::env::temp_dir().join(format!(
        "thrift-tower-server-test-{}.sock",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let probe = Probe::new();
    let (stop, signal) = oneshot::channel::<()>();
    let task = tokio::spawn(Server::builder().add_service(service_a(&probe)).serve_unix(
        path.clone(),
        async move {
            let _ = signal.await;
        },
    ));

    // The socket appears once the server has bound it.
    let deadline = Instant::now() + PROMPTLY;
    let io = loop {
        match tokio::net::UnixStream::connect(&path).await {
            Ok(io) => break io,
            Err(e) => assert!(Instant::now() < deadline, "cannot connect: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let mut client = Client::over(io, Framing::Framed, Protocol::Compact);
    assert_reply(&client.call("echo", 1).await, "echo", 1);
    assert_reply(&client.call("sleep_50", 2).await, "sleep_50", 2);
    let io = tokio::net::UnixStream::connect(&path).await.unwrap();
    let mut other = Client::over(io, Framing::Buffered, Protocol::Binary);
    assert_reply(&other.call("echo", 3).await, "echo", 3);

    let _ = stop.send(());
    client.closed().await;
    tokio::time::timeout(PROMPTLY, task)
        .await
        .expect("the server did not return")
        .unwrap()
        .unwrap();
    assert!(!path.exists(), "the socket file outlives the server");
}
