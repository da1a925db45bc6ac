//! `layer::MetricsLayer` (thrift-tower's `metrics` feature) on both sides of real calls,
//! read back from a recorder that keeps what it is given: calls by outcome, exceptions by
//! kind, the latency histogram, and no call left in flight.

use std::time::Duration;

use metrics::{SharedString, Unit};
use metrics_util::CompositeKey;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use tests::thrift_test::{TestExceptionError, ThriftTestClient, ThriftTestServer};
use tests::thrift_test_handler::ThriftTestHandler;
use thrift_tower::layer::MetricsLayer;
use thrift_tower::{Endpoint, Server};
use tower::ServiceBuilder;

/// What the recorder holds: (key, value) pairs.
type Recorded = Vec<(CompositeKey, Option<Unit>, Option<SharedString>, DebugValue)>;

/// The value of metric `name` with exactly `labels`, if there is one.
fn value<'a>(
    recorded: &'a Recorded,
    name: &str,
    labels: &[(&str, &str)],
) -> Option<&'a DebugValue> {
    recorded
        .iter()
        .find(|(key, _, _, _)| {
            let key = key.key();
            let mut got: Vec<(&str, &str)> = key.labels().map(|l| (l.key(), l.value())).collect();
            let mut want = labels.to_vec();
            got.sort();
            want.sort();
            key.name() == name && got == want
        })
        .map(|(_, _, _, value)| value)
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_are_counted_timed_and_let_go_on_both_sides() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder of this test binary");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        Server::builder()
            .layer(MetricsLayer::server())
            .add_service(ThriftTestServer::new(ThriftTestHandler))
            .serve_with_listener(listener, std::future::pending()),
    );
    let channel = Endpoint::from(addr).connect().await.unwrap();
    let client = ThriftTestClient::new(
        ServiceBuilder::new()
            .layer(MetricsLayer::client())
            .service(channel),
    );
    for _ in 0..2 {
        assert_eq!(client.test_string("x".into()).await.unwrap(), "x");
    }
    match client.test_exception("TException".into()).await {
        Err(TestExceptionError::Other(e)) => assert!(e.is_application(), "{e}"),
        other => panic!("{other:?}"),
    }
    client.test_oneway(0).await.unwrap();
    // The server ends the oneway call after the client has sent it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    // One snapshot: taking one resets the counters.
    let recorded = snapshotter.snapshot().into_vec();

    for (side, service) in [("client", "ThriftTest"), ("server", "")] {
        let labels =
            |method: &'static str| vec![("side", side), ("service", service), ("method", method)];
        let with = |method, extra: (&'static str, &'static str)| {
            let mut l = labels(method);
            l.push(extra);
            l
        };
        assert_eq!(
            value(
                &recorded,
                "thrift_calls_total",
                &with("testString", ("outcome", "reply"))
            ),
            Some(&DebugValue::Counter(2)),
            "{side}"
        );
        assert_eq!(
            value(
                &recorded,
                "thrift_calls_total",
                &with("testException", ("outcome", "exception"))
            ),
            Some(&DebugValue::Counter(1)),
            "{side}"
        );
        assert_eq!(
            value(
                &recorded,
                "thrift_call_exceptions_total",
                &with("testException", ("kind", "InternalError"))
            ),
            Some(&DebugValue::Counter(1)),
            "{side}"
        );
        assert_eq!(
            value(
                &recorded,
                "thrift_calls_total",
                &with("testOneway", ("outcome", "oneway"))
            ),
            Some(&DebugValue::Counter(1)),
            "{side}"
        );
        match value(
            &recorded,
            "thrift_call_duration_seconds",
            &labels("testString"),
        ) {
            Some(DebugValue::Histogram(samples)) => {
                assert_eq!(samples.len(), 2, "{side}");
                assert!(
                    samples.iter().all(|s| s.into_inner() > 0.0),
                    "{side}: {samples:?}"
                );
            }
            other => panic!("{side}: {other:?}"),
        }
        for method in ["testString", "testException", "testOneway"] {
            assert_eq!(
                value(&recorded, "thrift_calls_in_flight", &labels(method)),
                Some(&DebugValue::Gauge(0.0.into())),
                "{side} {method}"
            );
        }
    }
}
