//! The limits on connections and on the calls of one connection: `max_connections`,
//! `max_in_flight`, `max_in_flight_bytes`, and how the read timeout counts while a limit
//! holds calls back.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::BytesMut;
use thrift_tower::{MessageType, Server};
use tokio::io::AsyncWriteExt;

use crate::client::{assert_reply, named_call};
use crate::serve::serve;
use crate::service::{Probe, service_a};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_connections_holds_back_a_third_connection() {
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .max_connections(2)
            .add_service(service_a(&probe)),
    )
    .await;
    let mut first = server.connect().await;
    let mut second = server.connect().await;
    assert_reply(&first.call("echo", 1).await, "echo", 1);
    assert_reply(&second.call("echo", 2).await, "echo", 2);

    // The third connects (the listen backlog takes it) but is not served...
    let mut third = server.connect().await;
    third.send("echo", MessageType::Call, 3).await;
    third.quiet_for(Duration::from_millis(300)).await;
    assert_eq!(probe.seen().len(), 2);
    assert_reply(&second.call("echo", 4).await, "echo", 4);

    // ...until one of the first two closes.
    drop(first);
    assert_reply(&third.recv().await, "echo", 3);
    assert_reply(&second.call("echo", 5).await, "echo", 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_in_flight_bounds_the_calls_running_on_a_connection() {
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .max_in_flight(2)
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = server.connect().await;
    let mut calls = BytesMut::new();
    for seqid in 1..=3 {
        calls.extend_from_slice(&client.encode("sleep_300", MessageType::Call, seqid));
    }
    client.io.write_all(&calls).await.unwrap();

    let mut order = Vec::new();
    for _ in 1..=3 {
        let reply = client.recv().await;
        assert_reply(&reply, "sleep_300", reply.header().seqid);
        order.push(reply.header().seqid);
    }
    // The third started only when one of the first two finished.
    assert_eq!(probe.max_running.load(Ordering::SeqCst), 2);
    assert_eq!(
        order[..2].iter().collect::<HashSet<_>>(),
        HashSet::from([&1, &2])
    );
    assert_eq!(order[2], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_in_flight_bytes_bounds_the_requests_held_on_a_connection() {
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .max_in_flight_bytes(1500)
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = server.connect().await;
    // Four calls of ~1000 bytes each to a slow method: the first two start (the second
    // crosses the bound), the others wait unread until calls finish.
    let mut calls = BytesMut::new();
    for seqid in 1..=4 {
        calls.extend_from_slice(&named_call(&mut client, "sleep_300", seqid, 1000));
    }
    client.io.write_all(&calls).await.unwrap();
    let mut seqids = HashSet::new();
    for _ in 1..=4 {
        let reply = client.recv().await;
        assert_reply(&reply, "sleep_300", reply.header().seqid);
        seqids.insert(reply.header().seqid);
    }
    assert_eq!(seqids, HashSet::from([1, 2, 3, 4]));
    assert_eq!(probe.max_running.load(Ordering::SeqCst), 2);
    // Small calls are not held back by a bound they do not reach.
    let mut calls = BytesMut::new();
    for seqid in 5..=8 {
        calls.extend_from_slice(&client.encode("sleep_300", MessageType::Call, seqid));
    }
    probe.max_running.store(0, Ordering::SeqCst);
    client.io.write_all(&calls).await.unwrap();
    for _ in 5..=8 {
        let reply = client.recv().await;
        assert_reply(&reply, "sleep_300", reply.header().seqid);
    }
    assert_eq!(probe.max_running.load(Ordering::SeqCst), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_held_back_by_max_in_flight_are_not_read_timeouts() {
    // The third call waits in the server's buffer, not on the peer, for longer than the
    // read timeout: that is no reason to drop the connection.
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .max_in_flight(2)
            .read_timeout(Some(Duration::from_millis(200)))
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = server.connect().await;
    let mut calls = BytesMut::new();
    for seqid in 1..=3 {
        calls.extend_from_slice(&client.encode("sleep_600", MessageType::Call, seqid));
    }
    client.io.write_all(&calls).await.unwrap();
    let mut seqids = HashSet::new();
    for _ in 1..=3 {
        let reply = client.recv().await;
        assert_reply(&reply, "sleep_600", reply.header().seqid);
        seqids.insert(reply.header().seqid);
    }
    assert_eq!(seqids, HashSet::from([1, 2, 3]));
    assert_eq!(probe.max_running.load(Ordering::SeqCst), 2);
    assert_reply(&client.call("echo", 4).await, "echo", 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_timeout_restarts_when_reading_resumes() {
    // Half a message arrives while the only call slot is taken for three read timeouts;
    // the peer sends the rest when the first reply comes. The time the server was not
    // reading does not count against the peer.
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .max_in_flight(1)
            .read_timeout(Some(Duration::from_millis(500)))
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = server.connect().await;
    let mut bytes = client.encode("sleep_1500", MessageType::Call, 1);
    let second = client.encode("echo", MessageType::Call, 2);
    let half = second.len() / 2;
    bytes.extend_from_slice(&second[..half]);
    client.io.write_all(&bytes).await.unwrap();

    assert_reply(&client.recv().await, "sleep_1500", 1);
    client.io.write_all(&second[half..]).await.unwrap();
    assert_reply(&client.recv().await, "echo", 2);
}
