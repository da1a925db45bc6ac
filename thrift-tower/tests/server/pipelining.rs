//! Pipelined calls on one connection run at once; their replies go out in the order the
//! calls came (as Apache's servers send them), or as each call finishes when the server is
//! configured for it, each with its call's sequence id.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use bytes::BytesMut;
use thrift_tower::{MessageType, Server};
use tokio::io::AsyncWriteExt;

use crate::client::{assert_reply, named_call};
use crate::serve::serve;
use crate::service::{Probe, service_a};

const CALLS: i32 = 100;

/// Sends `CALLS` calls back to back, call i sleeping (CALLS - i) * 10 ms so that the first
/// sent is the last to finish; reads every reply, checks it against its call, and returns
/// the sleeps of the calls in the order their replies came, and the most calls that ran at
/// once.
async fn pipeline(server: Server) -> (Vec<i32>, usize) {
    let probe = Probe::new();
    let server = serve(server.add_service(service_a(&probe))).await;
    let mut client = server.connect().await;

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
    (order, probe.max_running.load(Ordering::SeqCst))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_calls_run_at_once_and_are_answered_in_order() {
    let (order, max_running) = pipeline(Server::builder()).await;
    let sent: Vec<i32> = (0..CALLS).map(|i| (CALLS - i) * 10).collect();
    assert_eq!(order, sent);
    // In order, yet concurrent: the whole batch takes about the longest call, not the sum.
    assert!(max_running > 1, "at most {max_running} call ran at once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_order_replies_go_as_their_calls_finish() {
    let (order, max_running) = pipeline(Server::builder().out_of_order_replies(true)).await;
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
    assert!(max_running > 1, "at most {max_running} call ran at once");
}

/// A client that sends its calls and then closes its side of the connection (a half-close,
/// as `shutdown(SHUT_WR)` or a piped `nc` does) is still owed every reply: the calls the
/// server had received but not yet started when it read the end of the stream are answered
/// too, in order, and then the server closes.
///
/// The first call is larger than a turn of the server's loop (64 KiB of requests), so the
/// server stops starting calls after it while the small ones behind it are already in its
/// buffer, and the end of the stream is next on the socket: a server that took the end of
/// the stream for the end of its work dropped them, in most of these rounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_sent_before_the_client_half_closes_are_all_answered() {
    const SMALL: i32 = 8;
    let probe = Probe::new();
    let server = serve(Server::builder().add_service(service_a(&probe))).await;
    for round in 0..20 {
        let mut client = server.connect().await;
        let seqid = |i: i32| round * 100 + i;
        let mut calls = named_call(&mut client, "echo", seqid(0), 96 * 1024);
        for i in 1..=SMALL {
            calls.extend_from_slice(&named_call(&mut client, "echo", seqid(i), 16));
        }
        client.io.write_all(&calls).await.unwrap();
        client.io.shutdown().await.unwrap();
        for i in 0..=SMALL {
            let reply = client.recv().await;
            assert_reply(&reply, "echo", seqid(i));
        }
        client.closed().await;
    }
}
