//! What an `Endpoint` can be told: every framing and protocol works, and what cannot work
//! (a request in another protocol, `Framing::Auto`, THeader with JSON, bad addresses) is a
//! configuration error.

use thrift_tower::Endpoint;
use thrift_tower::protocol::Protocol;
use thrift_tower::transport::Framing;

use crate::calls::{call, oneway, payload_of, request};
use crate::common::PROTOCOLS;
use crate::test_server::{Event, Payload, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_framing_and_protocol() {
    let framings = [
        Framing::Buffered,
        Framing::Framed,
        Framing::Header,
        Framing::FramedHeader,
    ];
    for framing in framings {
        for protocol in PROTOCOLS {
            if matches!(framing, Framing::Header | Framing::FramedHeader)
                && protocol == Protocol::Json
            {
                continue; // THeader carries binary and compact only.
            }
            let mut server = TestServer::start(framing, protocol).await;
            let channel = Endpoint::from(server.addr)
                .framing(framing)
                .protocol(protocol)
                .pipelining(32)
                .connect()
                .await
                .unwrap();
            assert_eq!(channel.protocol(), protocol);
            let calls: Vec<_> = (0..20)
                .map(|i| {
                    let mut channel = channel.clone();
                    tokio::spawn(async move {
                        let payload = Payload { id: -i, n: 20 };
                        let response = call(&mut channel, request("batch", 1, protocol, payload))
                            .await
                            .unwrap();
                        assert_eq!(payload_of(&response), payload);
                    })
                })
                .collect();
            for call in calls {
                call.await.unwrap();
            }
            let note = Payload::new(99);
            let response = call(&mut channel.clone(), oneway(0, protocol, note))
                .await
                .unwrap();
            assert!(response.is_oneway(), "{framing:?} {protocol}");
            assert_eq!(server.event().await, Event::Connected);
            assert!(matches!(server.event().await, Event::Batch(s) if s.len() == 20));
            assert_eq!(
                server.event().await,
                Event::Note(note),
                "{framing:?} {protocol}"
            );
        }
    }
}

#[tokio::test]
async fn configurations_that_cannot_work_are_errors() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let mut channel = Endpoint::from(server.addr).connect().await.unwrap();

    // A request in compact to a binary channel is re-encoded, and answered in binary.
    let response = call(
        &mut channel,
        request("echo", 0, Protocol::Compact, Payload::new(1)),
    )
    .await
    .unwrap();
    assert_eq!(response.protocol(), Protocol::Binary);
    assert_eq!(payload_of(&response), Payload::new(1));
    assert_eq!(server.event().await, Event::Connected);

    // A request in JSON cannot be: JSON needs the IDL's types.
    let error = call(
        &mut channel,
        request("echo", 0, Protocol::Json, Payload::new(1)),
    )
    .await
    .unwrap_err();
    assert!(error.is_config(), "{error}");
    assert_eq!(
        error.to_string(),
        format!(
            "thrift configuration error: the call to `echo` is encoded with the json \
             protocol, but the channel to {} speaks binary, and invalid data: cannot \
             re-encode json as binary without the IDL's types (JSON tells strings from binary \
             by them): encode the value with binary: give the client the endpoint's protocol \
             (`with_protocol`)",
            server.addr
        )
    );
    // Its slot was given back, and the connection is unharmed.
    let response = call(
        &mut channel,
        request("echo", 0, Protocol::Binary, Payload::new(2)),
    )
    .await
    .unwrap();
    assert_eq!(payload_of(&response), Payload::new(2));

    // Auto framing is the server's.
    let error = Endpoint::from(server.addr)
        .framing(Framing::Auto)
        .connect()
        .await
        .unwrap_err();
    assert!(error.is_config() && !error.is_connect(), "{error}");
    assert!(error.to_string().contains("`Framing::Auto`"), "{error}");
    assert!(server.quiet());

    // THeader carries binary and compact, not JSON.
    let error = Endpoint::from(server.addr)
        .framing(Framing::Header)
        .protocol(Protocol::Json)
        .connect()
        .await
        .unwrap_err();
    assert!(error.is_config() && !error.is_connect(), "{error}");
    assert_eq!(
        error.to_string(),
        "thrift configuration error: THeader framing carries the binary or compact protocol, \
         not json"
    );
    assert!(server.quiet());

    // Addresses.
    for bad in [
        "localhost",
        "localhost:",
        ":9090",
        "localhost:99999",
        "127.0.0.1:http",
    ] {
        let error = Endpoint::new(bad).unwrap_err();
        assert!(error.is_config(), "{error}");
        assert!(error.to_string().contains("host:port"), "{error}");
    }
    for good in ["localhost:9090", "[::1]:9090", "thrift.example.com:1"] {
        assert!(Endpoint::try_from(good.to_string()).is_ok(), "{good}");
    }
}
