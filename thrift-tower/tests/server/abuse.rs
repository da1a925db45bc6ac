//! Everything at once: good clients are served while many connections misbehave in every
//! way the other tests try one at a time.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use thrift_tower::protocol::Protocol;
use thrift_tower::transport::Framing;
use thrift_tower::{MessageType, Server};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::client::{Client, assert_reply, connect};
use crate::common::peer::PROMPTLY;
use crate::serve::serve;
use crate::service::{Probe, service_a};

/// What one abusive connection does, chosen by its number.
async fn abuse(addr: SocketAddr, n: u64) {
    let Ok(mut io) = TcpStream::connect(addr).await else {
        return;
    };
    let mut rng = n.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut client = Client::over(&mut io, Framing::Framed, Protocol::Compact);
    let call = client.encode("echo", MessageType::Call, n as i32);
    let _ = match n % 7 {
        // Random bytes.
        0 => {
            let junk: Vec<u8> = (0..64 + next() % 512).map(|_| next() as u8).collect();
            client.io.write_all(&junk).await
        }
        // Half a call, then gone.
        1 => client.io.write_all(&call[..call.len() / 2]).await,
        // A frame far past the limit.
        2 => {
            client
                .io
                .write_all(&[0x7f, 0xff, 0xff, 0xff, 0x82, 0x21])
                .await
        }
        // A call a byte at a time, then gone before the reply.
        3 => {
            for b in call.iter() {
                if client.io.write_all(&[*b]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            Ok(())
        }
        // Calls, and their replies never read.
        4 => {
            let mut calls = BytesMut::new();
            for seqid in 0..200 {
                calls.extend_from_slice(&client.encode("echo", MessageType::Call, seqid));
            }
            client.io.write_all(&calls).await
        }
        // A call that panics, then a good one that must be answered.
        5 => {
            let _ = client.call("panic", 1).await;
            let reply = client.call("echo", 2).await;
            assert_reply(&reply, "echo", 2);
            Ok(())
        }
        // Connect and say nothing.
        _ => {
            tokio::time::sleep(Duration::from_millis(next() % 300)).await;
            Ok(())
        }
    };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abuse_on_many_connections_leaves_good_clients_served() {
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .read_timeout(Some(Duration::from_millis(500)))
            .write_timeout(Some(Duration::from_millis(500)))
            .add_service(service_a(&probe)),
    )
    .await;
    let addr = server.addr;

    // Good clients, pipelining calls and checking every reply, while 140 connections
    // misbehave in seven ways around them.
    let good: Vec<_> = (0..4)
        .map(|c| {
            tokio::spawn(async move {
                let mut client = connect(addr).await;
                for round in 0..25 {
                    let mut calls = BytesMut::new();
                    for i in 0..8 {
                        let seqid = c * 10_000 + round * 10 + i;
                        calls.extend_from_slice(&client.encode("echo", MessageType::Call, seqid));
                    }
                    client.io.write_all(&calls).await.unwrap();
                    let mut seen = HashSet::new();
                    for _ in 0..8 {
                        let reply = client.recv().await;
                        assert_reply(&reply, "echo", reply.header().seqid);
                        seen.insert(reply.header().seqid);
                    }
                    let expected: HashSet<i32> =
                        (0..8).map(|i| c * 10_000 + round * 10 + i).collect();
                    assert_eq!(seen, expected);
                }
            })
        })
        .collect();
    let bad: Vec<_> = (0..140u64).map(|n| tokio::spawn(abuse(addr, n))).collect();
    for task in bad {
        tokio::time::timeout(PROMPTLY, task)
            .await
            .expect("an abusive connection was not let go")
            .expect("an abusive connection's checks failed");
    }
    for task in good {
        tokio::time::timeout(PROMPTLY, task)
            .await
            .expect("a good client was not served promptly")
            .expect("a good client got a wrong answer");
    }
    // Afterwards the server answers a new client at once.
    assert_reply(&connect(addr).await.call("echo", 7).await, "echo", 7);
}
