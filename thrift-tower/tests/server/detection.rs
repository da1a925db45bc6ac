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
    let framings = [
        Framing::Framed,
        Framing::Buffered,
        Framing::Header,
        Framing::FramedHeader,
    ];
    for framing in framings {
        for protocol in [Protocol::Binary, Protocol::Compact, Protocol::Json] {
            if matches!(framing, Framing::Header | Framing::FramedHeader)
                && protocol == Protocol::Json
            {
                continue; // THeader carries binary and compact only.
            }
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
            // A length, then THeader's magic (after a second length when nested), and the
            // message last, after a header section of 4 bytes (protocol id, no transforms,
            // no headers, padding).
            Framing::Header | Framing::FramedHeader => {
                let at = if *framing == Framing::Header { 4 } else { 8 };
                let len = u32::from_be_bytes(raw[..4].try_into().unwrap()) as usize;
                assert_eq!(len, raw.len() - 4, "{framing:?} {protocol}");
                assert_eq!(raw[at..at + 2], [0x0f, 0xff], "{framing:?} {protocol}");
                assert_eq!(raw[at + 14], marker, "{framing:?} {protocol}");
            }
            _ => assert_eq!(raw[0], marker, "{framing:?} {protocol}"),
        }
    }
}
