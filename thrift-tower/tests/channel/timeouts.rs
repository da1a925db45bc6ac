//! The per-call timeout: a call past it fails, and the connection goes on.

use std::time::Duration;

use thrift_tower::Endpoint;
use thrift_tower::protocol::Protocol;
use thrift_tower::transport::Framing;

use crate::calls::{call, payload_of, request};
use crate::test_server::{Event, Payload, TestServer};

#[tokio::test]
async fn a_call_past_its_timeout_fails_and_the_connection_lives_on() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let mut channel = Endpoint::from(server.addr)
        .timeout(Duration::from_millis(100))
        .connect()
        .await
        .unwrap();
    assert_eq!(server.event().await, Event::Connected);

    let error = call(
        &mut channel,
        request("hang", 0, Protocol::Binary, Payload::new(1)),
    )
    .await
    .unwrap_err();
    assert!(error.is_timeout() && !error.is_io(), "{error}");
    assert_eq!(
        error.to_string(),
        "thrift call `hang` timed out after 100ms"
    );
    assert_eq!(server.event().await, Event::Hanging);
    let response = call(
        &mut channel,
        request("echo", 0, Protocol::Binary, Payload::new(2)),
    )
    .await
    .unwrap();
    assert_eq!(payload_of(&response), Payload::new(2));
    assert!(server.quiet());
}
