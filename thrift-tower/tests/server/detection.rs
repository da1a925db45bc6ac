//! Framing and protocol detection: each connection is answered in the framing and protocol
//! it speaks, all on one port.

use thrift_tower::protocol::Protocol;
use thrift_tower::transport::Framing;
use thrift_tower::{MessageType, Server};
use tokio::net::TcpStream;

use crate::client::{Client, assert_reply};
use crate::serve::serve;
use crate::service::{Probe, service_a};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn framing_and_protocol_are_detected_per_connection() {
    let probe = Probe::new();
    let server = serve(Server::builder().add_service(service_a(&probe))).await;

    let mut clients = Vec::new();
    for framing in [Framing::Framed, Framing::Buffered] {
        for protocol in [Protocol::Binary, Protocol::Compact, Protocol::Json] {
            let io = TcpStream::connect(server.addr).await.unwrap();
            clients.push((framing, protocol, Client::over(io, framing, protocol)));
        }
    }
    for (seqid, (_, _, client)) in (1..).zip(&mut clients) {
        client.send("echo", MessageType::Call, seqid).await;
    }
    for (seqid, (framing, protocol, client)) in (1..).zip(&mut clients) {
        let reply = client.recv().await;
        assert_reply(&reply, "echo", seqid);
        assert_eq!(reply.protocol(), *protocol);
        // Decoded with the client's own framing and protocol; check the bytes too.
        let marker = match protocol {
            Protocol::Binary => 0x80,
            Protocol::Compact => 0x82,
            Protocol::Json => b'[',
            other => panic!("{other}: not a protocol these tests know"),
        };
        let raw = &client.raw;
        match framing {
            Framing::Framed => {
                let len = u32::from_be_bytes(raw[..4].try_into().unwrap()) as usize;
                assert_eq!(len, raw.len() - 4, "{framing:?} {protocol}");
                assert_eq!(raw[4], marker, "{framing:?} {protocol}");
            }
            _ => assert_eq!(raw[0], marker, "{framing:?} {protocol}"),
        }
    }
}
