//! `layer::TraceLayer` on both sides of real calls: a span per call with what identifies
//! it, and an event with its outcome and latency, for a reply, an exception and a oneway
//! call, and an error.

use std::time::Duration;

use tests::logs::capture;
use tests::thrift_test::{TestExceptionError, ThriftTestClient, ThriftTestServer};
use tests::thrift_test_handler::ThriftTestHandler;
use thrift_tower::layer::TraceLayer;
use thrift_tower::{Endpoint, Server};
use tower::ServiceBuilder;

/// The lines of `log` that contain every one of `parts`.
fn lines_with<'a>(log: &'a str, parts: &[&str]) -> Vec<&'a str> {
    log.lines()
        .filter(|line| parts.iter().all(|part| line.contains(part)))
        .collect()
}

// A current-thread runtime: the server and the client log on the test's thread.
#[tokio::test]
async fn each_call_is_a_span_with_its_outcome_on_both_sides() {
    let ((), log) = capture("thrift_tower::layer=debug", async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(
            Server::builder()
                .layer(TraceLayer::server())
                .add_service(ThriftTestServer::new(ThriftTestHandler))
                .serve_with_listener(listener, std::future::pending()),
        );
        let channel = Endpoint::from(addr).connect().await.unwrap();
        let client = ThriftTestClient::new(
            ServiceBuilder::new()
                .layer(TraceLayer::client())
                .service(channel),
        );
        assert_eq!(client.test_string("traced".into()).await.unwrap(), "traced");
        match client.test_exception("TException".into()).await {
            Err(TestExceptionError::Other(e)) => assert!(e.is_application(), "{e}"),
            other => panic!("{other:?}"),
        }
        client.test_oneway(0).await.unwrap();
        // Let the server finish the oneway call before the capture ends.
        tokio::time::sleep(Duration::from_millis(100)).await;

        // A server that is gone: the client's span ends in an error.
        let gone = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let channel = Endpoint::from(gone).connect_lazy();
        let client = ThriftTestClient::new(
            ServiceBuilder::new()
                .layer(TraceLayer::client())
                .service(channel),
        );
        assert!(client.test_void().await.is_err());
    })
    .await;

    let client_span =
        r#"thrift{side="client" service="ThriftTest" method="testString" seqid=0 protocol=binary}"#;
    let server_span = r#"thrift{side="server" method="testString" seqid=1 peer=127.0.0.1:"#;
    for (span, outcome) in [
        (client_span, r#"outcome="reply""#),
        (server_span, r#"outcome="reply""#),
    ] {
        assert_eq!(
            lines_with(&log, &[span, "call ended", outcome, "latency_us="]).len(),
            1,
            "{span} {outcome} in:\n{log}"
        );
    }
    for side in ["client", "server"] {
        assert_eq!(
            lines_with(
                &log,
                &[
                    &format!(r#"side="{side}""#),
                    r#"method="testException""#,
                    r#"outcome="exception" kind=InternalError"#
                ]
            )
            .len(),
            1,
            "{side}'s exception in:\n{log}"
        );
        assert_eq!(
            lines_with(
                &log,
                &[
                    &format!(r#"side="{side}""#),
                    r#"method="testOneway""#,
                    r#"outcome="oneway""#
                ]
            )
            .len(),
            1,
            "{side}'s oneway in:\n{log}"
        );
    }
    let errors = lines_with(
        &log,
        &[
            r#"side="client""#,
            r#"method="testVoid""#,
            r#"outcome="error""#,
        ],
    );
    assert_eq!(errors.len(), 1, "{log}");
    assert!(errors[0].contains("cannot connect to"), "{}", errors[0]);
}
