//! Calls that fail, in the service or in a layer: the caller gets a `TApplicationException`
//! of the right kind, and the connection goes on.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use thrift_tower::{ApplicationExceptionKind, Request, Server};

use crate::client::{assert_reply, exception};
use crate::common::peer::{PROMPTLY, eventually};
use crate::serve::serve;
use crate::service::{Probe, service_a};

/// Panics on `layer_panic`, in the layer's `call` itself.
fn panic_in_layer(request: Request) -> Request {
    if request.method() == "layer_panic" {
        panic!("the layer panicked on purpose");
    }
    request
}

/// Calls `panic` (the service panics) and `layer_panic` (a layer does) on a server with the
/// details of internal errors `details`, and returns the two exceptions' messages, after
/// checking their kind and that the connection and the server go on.
async fn panicking_calls(details: bool) -> [String; 2] {
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .error_details(details)
            .layer(tower::util::MapRequestLayer::new(panic_in_layer))
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = server.connect().await;

    let in_service = exception(&client.call("panic", 11).await, "panic", 11);
    assert_eq!(in_service.kind(), ApplicationExceptionKind::InternalError);
    let in_layer = exception(&client.call("layer_panic", 12).await, "layer_panic", 12);
    assert_eq!(in_layer.kind(), ApplicationExceptionKind::InternalError);

    // The connection, and the server, go on.
    assert_reply(&client.call("echo", 13).await, "echo", 13);
    assert_reply(&server.connect().await.call("echo", 14).await, "echo", 14);
    assert_eq!(probe.running(), 0);
    [
        in_service.message().to_string(),
        in_layer.message().to_string(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_call_gets_an_internal_error_reply() {
    // What Apache's servers say, and nothing of the server's insides.
    assert_eq!(
        panicking_calls(false).await,
        ["Internal error", "Internal error"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_error_details_the_panic_s_message_reaches_the_caller() {
    let [in_service, in_layer] = panicking_calls(true).await;
    assert_eq!(
        in_service,
        "`panic` panicked: the service panicked on purpose"
    );
    assert_eq!(
        in_layer,
        "`layer_panic` panicked: the layer panicked on purpose"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layer_error_becomes_an_exception_reply() {
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .layer(tower::timeout::TimeoutLayer::new(Duration::from_millis(
                100,
            )))
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = server.connect().await;

    let started = Instant::now();
    let error = exception(&client.call("sleep_10000", 21).await, "sleep_10000", 21);
    assert!(started.elapsed() < PROMPTLY);
    // A timeout has a kind of its own (fbthrift's TIMEOUT), not INTERNAL_ERROR like a panic.
    assert_eq!(error.kind(), ApplicationExceptionKind::Timeout);
    assert!(error.message().contains("timed out"), "{error}");
    // The call was cancelled, not left running.
    eventually("the timed-out call is dropped", || probe.running() == 0).await;
    assert_eq!(probe.finished.load(Ordering::SeqCst), 0);

    assert_reply(&client.call("echo", 22).await, "echo", 22);
}
