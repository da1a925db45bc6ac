//! Pipelined calls on one connection run at once, and each reply goes out as its call
//! finishes, with its call's sequence id.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use bytes::BytesMut;
use thrift_tower::{MessageType, Server};
use tokio::io::AsyncWriteExt;

use crate::client::assert_reply;
use crate::serve::serve;
use crate::service::{Probe, service_a};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_calls_are_answered_as_they_finish_with_their_seqids() {
    const CALLS: i32 = 100;
    let probe = Probe::new();
    let server = serve(Server::builder().add_service(service_a(&probe))).await;
    let mut client = server.connect().await;

    // Call i sleeps (CALLS - i) * 10 ms: the first sent is the last to finish.
    let sleep_of = |i: i32| (CALLS - i) * 10;
    let seqid_of = |i: i32| 7_000 + i * 3;
    let mut calls = BytesMut::new();
    let mut expected = HashMap::new();
    for i in 0..CALLS {
        let name = format!("sleep_{}", sleep_of(i));
        calls.extend_from_slice(&client.encode(&name, MessageType::Call, seqid_of(i)));
        expected.insert(seqid_of(i), (name, sleep_of(i)));
    }
    client.io.write_all(&calls).await.unwrap();

    let mut order = Vec::new();
    for _ in 0..CALLS {
        let reply = client.recv().await;
        let seqid = reply.header().seqid;
        let (name, sleep) = expected
            .remove(&seqid)
            .unwrap_or_else(|| panic!("a reply with seqid {seqid}, unknown or repeated"));
        assert_reply(&reply, &name, seqid);
        order.push(sleep);
    }
    assert!(expected.is_empty());
    // Replies in the order the calls finished: a short call first, a long one last (the
    // sleeps are 10 ms to 1 s; the margin is half a second).
    assert!(
        order[0] <= 500,
        "first reply: the call that slept {} ms",
        order[0]
    );
    assert!(
        order[99] >= 500,
        "last reply: the call that slept {} ms",
        order[99]
    );
    assert!(probe.max_running.load(Ordering::SeqCst) > 1);
}
