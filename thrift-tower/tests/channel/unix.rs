//! The channel over a Unix domain socket.

use thrift_tower::Endpoint;
use thrift_tower::protocol::Protocol;
use thrift_tower::transport::Framing;
use tokio::sync::mpsc;

use crate::calls::{call, payload_of, request};
use crate::test_server::{Event, Payload, serve};

#[tokio::test]
async fn unix_domain_sockets() {
    let path =
        std::env::temp_dir().join(format!("thrift-tower-channel-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let accept = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        serve(stream, Framing::Framed, Protocol::Compact, events_tx).await;
    });

    let mut channel = Endpoint::unix(&path)
        .framing(Framing::Framed)
        .protocol(Protocol::Compact)
        .connect()
        .await
        .unwrap();
    let response = call(
        &mut channel,
        request("echo", 4, Protocol::Compact, Payload::new(4)),
    )
    .await
    .unwrap();
    assert_eq!(response.header().seqid, 4);
    assert_eq!(payload_of(&response), Payload::new(4));
    drop(channel);
    accept.await.unwrap();
    assert_eq!(events.recv().await, Some(Event::Closed));
    let _ = std::fs::remove_file(&path);

    let error = Endpoint::unix(&path).connect().await.unwrap_err();
    assert!(error.is_connect(), "{error}");
    assert!(
        error.to_string().contains("cannot connect to unix:"),
        "{error}"
    );
}
