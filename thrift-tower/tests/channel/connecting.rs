//! Connecting, at once or lazily on the first call: a port no one listens on fails clearly,
//! and a lazy channel connects once a server is there.

use std::time::Duration;

use thrift_tower::Endpoint;
use thrift_tower::protocol::Protocol;
use thrift_tower::transport::Framing;
use tokio::net::TcpListener;

use crate::calls::{call, payload_of, request};
use crate::test_server::{Event, Payload, TestServer};

#[tokio::test]
async fn connecting_to_a_closed_port_fails_clearly() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);

    let error = Endpoint::from(addr).connect().await.unwrap_err();
    assert!(error.is_connect() && error.is_io(), "{error}");
    assert!(!error.is_timeout(), "{error}");
    assert!(
        error
            .to_string()
            .contains(&format!("cannot connect to {addr}")),
        "{error}"
    );

    // A lazy channel fails its calls the same way, and connects once the server is up.
    let mut channel = Endpoint::from(addr).connect_lazy();
    let error = call(
        &mut channel,
        request("echo", 0, Protocol::Binary, Payload::new(1)),
    )
    .await
    .unwrap_err();
    assert!(error.is_connect(), "{error}");
    let mut server = TestServer::start_on(addr, Framing::Buffered, Protocol::Binary).await;
    let response = call(
        &mut channel,
        request("echo", 0, Protocol::Binary, Payload::new(2)),
    )
    .await
    .unwrap();
    assert_eq!(payload_of(&response), Payload::new(2));
    assert_eq!(server.event().await, Event::Connected);
}

#[tokio::test]
async fn a_lazy_channel_connects_on_its_first_call() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let mut channel = Endpoint::from(server.addr).connect_lazy();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(server.quiet());
    let response = call(
        &mut channel,
        request("echo", 0, Protocol::Binary, Payload::new(1)),
    )
    .await
    .unwrap();
    assert_eq!(payload_of(&response), Payload::new(1));
    assert_eq!(server.event().await, Event::Connected);
}
