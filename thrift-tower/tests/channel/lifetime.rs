//! How long a connection lives: until every handle is dropped and its calls are answered.

use std::future::poll_fn;

use thrift_tower::Endpoint;
use thrift_tower::protocol::Protocol;
use thrift_tower::transport::Framing;
use tower_service::Service;

use crate::calls::{payload_of, request};
use crate::common::peer::PROMPTLY;
use crate::test_server::{Event, Payload, TestServer};

#[tokio::test]
async fn dropping_every_handle_closes_the_connection_once_calls_are_answered() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let mut channel = Endpoint::from(server.addr).connect().await.unwrap();
    let clone = channel.clone();
    assert_eq!(server.event().await, Event::Connected);

    poll_fn(|cx| channel.poll_ready(cx)).await.unwrap();
    let slow = channel.call(request(
        "slow",
        0,
        Protocol::Binary,
        Payload { id: 1, n: 200 },
    ));
    drop(channel);
    drop(clone);
    // The call still made is answered, then the connection closes.
    let response = tokio::time::timeout(PROMPTLY, slow).await.unwrap().unwrap();
    assert_eq!(payload_of(&response), Payload { id: 1, n: 200 });
    assert_eq!(server.event().await, Event::Closed);
}
