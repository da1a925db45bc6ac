//! A connection that breaks, or brings a reply that does not decode, fails the calls waiting
//! on it; the next call connects again.

use std::time::Instant;

use thrift_tower::Endpoint;
use thrift_tower::protocol::Protocol;
use thrift_tower::transport::Framing;

use crate::calls::{call, payload_of, request};
use crate::common::peer::PROMPTLY;
use crate::test_server::{Event, Payload, TestServer};

#[tokio::test]
async fn a_broken_connection_fails_pending_calls_and_the_next_call_reconnects() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let addr = server.addr;
    let channel = Endpoint::from(addr).connect().await.unwrap();
    assert_eq!(server.event().await, Event::Connected);

    let hanging: Vec<_> = (0..5)
        .map(|i| {
            let mut channel = channel.clone();
            tokio::spawn(async move {
                let request = request("hang", 0, Protocol::Binary, Payload::new(i));
                call(&mut channel, request).await
            })
        })
        .collect();
    for _ in 0..5 {
        assert_eq!(server.event().await, Event::Hanging);
    }

    let started = Instant::now();
    let dropped = call(
        &mut channel.clone(),
        request("drop", 0, Protocol::Binary, Payload::new(5)),
    )
    .await
    .unwrap_err();
    assert!(dropped.is_io(), "{dropped}");
    assert!(!dropped.is_connect(), "{dropped}");
    assert!(dropped.to_string().contains(&addr.to_string()), "{dropped}");
    for call in hanging {
        let error = call.await.unwrap().unwrap_err();
        assert!(error.is_io(), "{error}");
        assert!(error.to_string().contains(&addr.to_string()), "{error}");
    }
    assert!(started.elapsed() < PROMPTLY, "{:?}", started.elapsed());
    assert_eq!(server.event().await, Event::Closed);

    // The server restarts on the same port; the channel connects again.
    server.stop().await;
    let mut server = TestServer::start_on(addr, Framing::Buffered, Protocol::Binary).await;
    let response = call(
        &mut channel.clone(),
        request("echo", 3, Protocol::Binary, Payload::new(6)),
    )
    .await
    .unwrap();
    assert_eq!(payload_of(&response), Payload::new(6));
    assert_eq!(response.header().seqid, 3);
    assert_eq!(server.event().await, Event::Connected);
}

#[tokio::test]
async fn an_undecodable_reply_fails_the_calls_and_the_next_call_reconnects() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let mut channel = Endpoint::from(server.addr).connect().await.unwrap();
    assert_eq!(server.event().await, Event::Connected);

    let error = call(
        &mut channel,
        request("garbage", 0, Protocol::Binary, Payload::new(1)),
    )
    .await
    .unwrap_err();
    assert!(error.is_protocol(), "{error}");
    assert!(
        error.to_string().contains("cannot be decoded") && error.to_string().contains("type 7"),
        "{error}"
    );
    assert_eq!(server.event().await, Event::Closed);

    let response = call(
        &mut channel,
        request("echo", 0, Protocol::Binary, Payload::new(2)),
    )
    .await
    .unwrap();
    assert_eq!(payload_of(&response), Payload::new(2));
    assert_eq!(server.event().await, Event::Connected);
}
