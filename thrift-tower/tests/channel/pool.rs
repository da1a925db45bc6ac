//! Without pipelining (the default), calls made at once go out on connections of their
//! own, as many as they need up to `max_connections`; with it, they share one.

use std::time::Duration;

use thrift_tower::Endpoint;
use thrift_tower::protocol::Protocol;
use thrift_tower::transport::Framing;

use crate::calls::{call, payload_of, request};
use crate::test_server::{Event, Payload, TestServer};

/// Counts the events of each kind the server reports until it is quiet for a moment.
async fn tally(server: &mut TestServer) -> (usize, usize) {
    let (mut connected, mut hanging) = (0, 0);
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(300), server.next_event()).await
    {
        match event {
            Event::Connected => connected += 1,
            Event::Hanging => hanging += 1,
            other => panic!("{other:?}"),
        }
    }
    (connected, hanging)
}

/// `n` calls at once of `hang`, which the server never answers.
fn hanging_calls(channel: &thrift_tower::Channel, n: i64) -> Vec<tokio::task::JoinHandle<()>> {
    (0..n)
        .map(|i| {
            let mut channel = channel.clone();
            tokio::spawn(async move {
                let hang = request("hang", 0, Protocol::Binary, Payload::new(i));
                let _ = call(&mut channel, hang).await;
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_at_once_each_get_a_connection_of_their_own() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let channel = Endpoint::from(server.addr).connect_lazy();
    // Five calls that are never answered hold five connections.
    let hanging = hanging_calls(&channel, 5);
    assert_eq!(tally(&mut server).await, (5, 5));
    // Another call is not stuck behind them: it gets a sixth.
    let response = call(
        &mut channel.clone(),
        request("echo", 0, Protocol::Binary, Payload::new(9)),
    )
    .await
    .unwrap();
    assert_eq!(payload_of(&response), Payload::new(9));
    assert_eq!(tally(&mut server).await, (1, 0));
    // Calls one after the other reuse the connections there are.
    for i in 0..3 {
        call(
            &mut channel.clone(),
            request("echo", 0, Protocol::Binary, Payload::new(i)),
        )
        .await
        .unwrap();
    }
    assert_eq!(tally(&mut server).await, (0, 0));
    for call in hanging {
        call.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_connections_bounds_the_connections_and_the_calls_wait_their_turn() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let channel = Endpoint::from(server.addr)
        .max_connections(2)
        .connect_lazy();
    let calls: Vec<_> = (0..6)
        .map(|i| {
            let mut channel = channel.clone();
            let mut slow = Payload::new(i);
            slow.n = 50;
            tokio::spawn(async move {
                call(&mut channel, request("slow", 0, Protocol::Binary, slow)).await
            })
        })
        .collect();
    for (i, call) in calls.into_iter().enumerate() {
        let response = call.await.unwrap().unwrap();
        assert_eq!(payload_of(&response).id, i as i64);
    }
    assert_eq!(tally(&mut server).await, (2, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_pipelining_calls_at_once_share_one_connection() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let channel = Endpoint::from(server.addr).pipelining(8).connect_lazy();
    let hanging = hanging_calls(&channel, 5);
    assert_eq!(tally(&mut server).await, (1, 5));
    for call in hanging {
        call.abort();
    }
}
