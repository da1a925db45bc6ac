//! Bytes that are no Thrift call: an oversized frame or garbage closes its connection,
//! and only that one.

use thrift_tower::protocol::Limits;
use thrift_tower::{MessageType, Server};
use tokio::io::AsyncWriteExt;

use crate::client::assert_reply;
use crate::serve::serve;
use crate::service::{Probe, service_a};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_closes_the_connection() {
    let probe = Probe::new();
    let server = serve(Server::builder().add_service(service_a(&probe))).await;

    let just_over = u32::try_from(Limits::default().max_frame_size() + 1).unwrap();
    for declared in [just_over, i32::MAX as u32] {
        let mut client = server.connect().await;
        let mut bytes = declared.to_be_bytes().to_vec();
        // The start of a compact message, so the frame is recognised as one.
        bytes.extend_from_slice(b"\x82\x21\x01\x04echo");
        client.io.write_all(&bytes).await.unwrap();
        client.closed().await;
    }
    // A lower limit applies as well.
    let small = serve(
        Server::builder()
            .limits(Limits::default().with_max_frame_size(64))
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = small.connect().await;
    assert_reply(&client.call("echo", 1).await, "echo", 1);
    client.send(&"x".repeat(100), MessageType::Call, 2).await;
    client.closed().await;
    assert_eq!(probe.seen().len(), 1);

    assert_reply(&server.connect().await.call("echo", 3).await, "echo", 3);
    assert_reply(&small.connect().await.call("echo", 4).await, "echo", 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_closes_the_connection() {
    let probe = Probe::new();
    let server = serve(Server::builder().add_service(service_a(&probe))).await;
    let mut bystander = server.connect().await;

    for garbage in [
        &b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"[..],
        b"SSH-2.0-OpenSSH_9.6\r\n",
        // The start of a TLS ClientHello.
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        b"\xff\xff\xff\xff\x80\x01",
    ] {
        let mut client = server.connect().await;
        client.io.write_all(garbage).await.unwrap();
        client.closed().await;
    }
    // After a good call, garbage on the same connection: the connection closes.
    let mut client = server.connect().await;
    assert_reply(&client.call("echo", 1).await, "echo", 1);
    client
        .io
        .write_all(b"\x00\x00\x00\x05\x80\x01\x00\x09x")
        .await
        .unwrap();
    client.closed().await;

    // Other connections, old and new, are served.
    assert_reply(&bystander.call("echo", 2).await, "echo", 2);
    assert_reply(&server.connect().await.call("echo", 3).await, "echo", 3);
}
