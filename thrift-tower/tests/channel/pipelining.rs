//! Many calls on one connection, each matched to its own reply by sequence id: replies out
//! of order, a reply no one waits for, and oneway calls that expect none.

use std::collections::HashSet;

use thrift_tower::protocol::{Limits, Protocol};
use thrift_tower::transport::Framing;
use thrift_tower::{Endpoint, MessageType};

use crate::calls::{call, oneway, payload_of, request};
use crate::test_server::{Event, Payload, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_get_their_own_replies_out_of_order() {
    const CALLS: i32 = 200;
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    // Limits other than the defaults travel with each response to its decoder.
    let limits = Limits::default().with_string_limit(1 << 20);
    let channel = Endpoint::from(server.addr)
        .limits(limits)
        .pipelining(1024)
        .connect()
        .await
        .unwrap();
    assert_eq!(server.event().await, Event::Connected);

    let calls: Vec<_> = (0..CALLS)
        .map(|i| {
            let mut channel = channel.clone();
            // Caller seqids that repeat and go negative: the channel numbers calls itself.
            let caller_seqid = i % 10 - 5;
            let payload = Payload {
                id: i64::from(i) << 32,
                n: CALLS,
            };
            tokio::spawn(async move {
                let request = request("batch", caller_seqid, Protocol::Binary, payload);
                let response = call(&mut channel, request).await.unwrap();
                (caller_seqid, payload, response)
            })
        })
        .collect();
    for handle in calls {
        let (caller_seqid, payload, response) = handle.await.unwrap();
        assert_eq!(response.header().seqid, caller_seqid);
        assert_eq!(response.header().message_type, MessageType::Reply);
        assert_eq!(response.header().name, "batch");
        assert_eq!(payload_of(&response), payload);
        assert_eq!(response.extensions().get::<Limits>(), Some(&limits));
    }
    // All 200 were on the wire at once, on one connection, each with its own number, and
    // were answered last first.
    let Event::Batch(seqids) = server.event().await else {
        panic!("expected the batch")
    };
    assert_eq!(seqids.len(), CALLS as usize);
    assert_eq!(seqids.iter().collect::<HashSet<_>>().len(), CALLS as usize);
    assert!(server.quiet());
}

#[tokio::test]
async fn oneway_completes_when_written_and_gets_no_reply() {
    let mut server = TestServer::start(Framing::Framed, Protocol::Compact).await;
    let mut channel = Endpoint::from(server.addr)
        .framing(Framing::Framed)
        .protocol(Protocol::Compact)
        .pipelining(1024)
        .connect()
        .await
        .unwrap();
    assert_eq!(server.event().await, Event::Connected);

    let note = Payload { id: 7, n: 8 };
    let response = call(&mut channel, oneway(42, Protocol::Compact, note))
        .await
        .unwrap();
    assert!(response.is_oneway());
    assert_eq!(response.header().seqid, 42);
    assert_eq!(response.header().name, "note");
    assert!(response.body().is_empty());
    assert_eq!(server.event().await, Event::Note(note));
    // The connection is still in step: the next call gets its own reply.
    let response = call(
        &mut channel,
        request("echo", 0, Protocol::Compact, Payload::new(9)),
    )
    .await
    .unwrap();
    assert_eq!(payload_of(&response), Payload::new(9));
}

#[tokio::test]
async fn a_reply_no_one_waits_for_is_dropped() {
    let mut server = TestServer::start(Framing::Framed, Protocol::Json).await;
    let mut channel = Endpoint::from(server.addr)
        .framing(Framing::Framed)
        .protocol(Protocol::Json)
        .connect()
        .await
        .unwrap();
    let response = call(
        &mut channel,
        request("stray", 5, Protocol::Json, Payload::new(1)),
    )
    .await
    .unwrap();
    assert_eq!(response.header().seqid, 5);
    assert_eq!(payload_of(&response), Payload::new(1));
    let response = call(
        &mut channel,
        request("echo", 6, Protocol::Json, Payload::new(2)),
    )
    .await
    .unwrap();
    assert_eq!(response.header().seqid, 6);
    assert_eq!(payload_of(&response), Payload::new(2));
    assert_eq!(server.event().await, Event::Connected);
    assert!(server.quiet());
}
