//! The protocol is stated once, where the transport is configured: a compact channel,
//! behind a timeout and a retry layer, under a generated client made without naming the
//! protocol again, calls a server that speaks compact alone.

use std::time::Duration;

use tests::thrift_test::{ThriftTestClient, ThriftTestServer, Xtruct};
use tests::thrift_test_handler::ThriftTestHandler;
use thrift_tower::bytes::Bytes;
use thrift_tower::layer::RetryPolicy;
use thrift_tower::protocol::Protocol;
use thrift_tower::transport::Framing;
use thrift_tower::{Endpoint, Server};
use tower::ServiceBuilder;
use tower::util::MapErrLayer;

#[tokio::test(flavor = "multi_thread")]
async fn a_compact_endpoint_alone_makes_every_call_compact() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // A server that reads compact and nothing else: a binary call would be refused.
    tokio::spawn(
        Server::builder()
            .protocol(Protocol::Compact)
            .framing(Framing::Framed)
            .add_service(ThriftTestServer::new(ThriftTestHandler))
            .serve_with_listener(listener, std::future::pending()),
    );

    let channel = Endpoint::from(addr)
        .protocol(Protocol::Compact)
        .framing(Framing::Framed)
        .connect()
        .await
        .unwrap();
    let stack = ServiceBuilder::new()
        .layer(RetryPolicy::new().max_retries(2).layer())
        .timeout(Duration::from_secs(5))
        .layer(MapErrLayer::new(thrift_tower::BoxError::from))
        .service(channel);
    let client = ThriftTestClient::new(stack);

    assert_eq!(client.test_string("once".into()).await.unwrap(), "once");
    let all_bytes = Bytes::from((0..=255).collect::<Vec<u8>>());
    assert_eq!(
        client.test_binary(all_bytes.clone()).await.unwrap(),
        all_bytes
    );
    let sent = Xtruct {
        string_thing: "héllo".into(),
        byte_thing: -1,
        i32_thing: i32::MIN,
        i64_thing: i64::MAX,
    };
    assert_eq!(client.test_struct(sent.clone()).await.unwrap(), sent);
    let map = [(1, 2), (-3, 4)].into_iter().collect();
    assert_eq!(
        client.test_map(map).await.unwrap(),
        [(1, 2), (-3, 4)].into_iter().collect()
    );
}
