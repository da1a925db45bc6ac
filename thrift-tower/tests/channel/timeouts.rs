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

#[tokio::test]
async fn a_deadline_layer_tells_the_layers_inside_and_the_smallest_wins() {
    use std::sync::{Arc, Mutex};
    use thrift_tower::layer::DeadlineLayer;
    use thrift_tower::{Request, Response};
    use tokio::time::Instant;
    use tower::{ServiceBuilder, ServiceExt};

    // What the service inside sees.
    let seen = Arc::new(Mutex::new(None));
    let record = seen.clone();
    let inner = tower::service_fn(move |request: Request| {
        *record.lock().unwrap() = request.deadline();
        async move {
            Ok::<_, thrift_tower::Error>(Response::oneway(request.header(), request.protocol()))
        }
    });
    let stack = ServiceBuilder::new()
        .layer(DeadlineLayer::new(Duration::from_secs(10)))
        .service(inner);

    // No deadline yet: the layer's.
    let before = Instant::now();
    stack
        .clone()
        .oneshot(request("echo", 0, Protocol::Binary, Payload::new(1)))
        .await
        .unwrap();
    let set = seen.lock().unwrap().expect("a deadline");
    assert!(
        set >= before + Duration::from_secs(10) && set <= Instant::now() + Duration::from_secs(10)
    );

    // An earlier one: it stays.
    let earlier = Instant::now() + Duration::from_millis(50);
    let mut call = request("echo", 0, Protocol::Binary, Payload::new(2));
    call.set_deadline(Some(earlier));
    stack.clone().oneshot(call).await.unwrap();
    assert_eq!(*seen.lock().unwrap(), Some(earlier));
}

#[tokio::test]
async fn a_call_past_its_deadline_fails_and_frees_its_place() {
    use thrift_tower::layer::DeadlineLayer;
    use tower::{ServiceBuilder, ServiceExt};

    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    // One call at a time: the hanging call's place must come back for the next one.
    let channel = Endpoint::from(server.addr)
        .max_connections(1)
        .max_in_flight(1)
        .connect()
        .await
        .unwrap();
    assert_eq!(server.event().await, Event::Connected);
    let stack = ServiceBuilder::new()
        .layer(DeadlineLayer::new(Duration::from_millis(100)))
        .service(channel);

    let error = stack
        .clone()
        .oneshot(request("hang", 0, Protocol::Binary, Payload::new(1)))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert_eq!(
        error.to_string(),
        "thrift call `hang` timed out after 100ms"
    );
    assert_eq!(server.event().await, Event::Hanging);

    let response = stack
        .oneshot(request("echo", 0, Protocol::Binary, Payload::new(2)))
        .await
        .unwrap();
    assert_eq!(payload_of(&response), Payload::new(2));
}
