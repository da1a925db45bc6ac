//! `max_in_flight` as back-pressure: `poll_ready` holds callers back until a call completes
//! or is given up.

use std::future::poll_fn;
use std::task::Poll;

use thrift_tower::Endpoint;
use thrift_tower::protocol::Protocol;
use thrift_tower::transport::Framing;
use tower_service::Service;

use crate::calls::{payload_of, request};
use crate::common::peer::PROMPTLY;
use crate::test_server::{Event, Payload, TestServer};

#[tokio::test]
async fn max_in_flight_holds_callers_back_until_a_call_completes() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let channel = Endpoint::from(server.addr)
        .max_in_flight(2)
        .connect()
        .await
        .unwrap();
    assert_eq!(server.event().await, Event::Connected);

    let mut first = channel.clone();
    poll_fn(|cx| first.poll_ready(cx)).await.unwrap();
    let hanging = first.call(request("hang", 0, Protocol::Binary, Payload::new(1)));
    let mut second = channel.clone();
    poll_fn(|cx| second.poll_ready(cx)).await.unwrap();
    let slow = second.call(request(
        "slow",
        0,
        Protocol::Binary,
        Payload { id: 2, n: 0 },
    ));

    // Both slots are taken: a third caller is not ready.
    let mut third = channel.clone();
    let ready = poll_fn(|cx| Poll::Ready(third.poll_ready(cx))).await;
    assert!(ready.is_pending());
    // A call that completes gives its slot back.
    assert_eq!(payload_of(&slow.await.unwrap()), Payload { id: 2, n: 0 });
    let ready = tokio::time::timeout(PROMPTLY, poll_fn(|cx| third.poll_ready(cx))).await;
    assert!(matches!(ready, Ok(Ok(()))));
    // So does one whose caller gives up.
    let mut fourth = channel.clone();
    let ready = poll_fn(|cx| Poll::Ready(fourth.poll_ready(cx))).await;
    assert!(ready.is_pending());
    drop(hanging);
    let ready = tokio::time::timeout(PROMPTLY, poll_fn(|cx| fourth.poll_ready(cx))).await;
    assert!(matches!(ready, Ok(Ok(()))));
    assert_eq!(server.event().await, Event::Hanging);
}
