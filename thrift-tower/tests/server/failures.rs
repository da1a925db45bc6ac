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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_call_gets_an_internal_error_reply() {
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .layer(tower::util::MapRequestLayer::new(panic_in_layer))
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = server.connect().await;

    let error = exception(&client.call("panic", 11).await, "panic", 11);
    assert_eq!(error.kind(), ApplicationExceptionKind::InternalError);
    assert!(error.message().contains("panicked on purpose"), "{error}");

    let error = exception(&client.call("layer_panic", 12).await, "layer_panic", 12);
    assert_eq!(error.kind(), ApplicationExceptionKind::InternalError);
    assert!(error.message().contains("panicked on purpose"), "{error}");

    // The connection, and the server, go on.
    assert_reply(&client.call("echo", 13).await, "echo", 13);
    assert_reply(&server.connect().await.call("echo", 14).await, "echo", 14);
    assert_eq!(probe.running(), 0);
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
