//! `?` in a generated handler: the per-method error types convert from `std::io::Error` and
//! from a boxed error (and from `anyhow::Error` with thrift-tower's `anyhow` feature), so
//! a handler propagates its own failures without naming a conversion; the client gets a
//! `TApplicationException` of kind `INTERNAL_ERROR` with Apache's `Internal error` (the
//! error itself when the server sends details), and the server logs the error with the
//! method and seqid. Declared exceptions still arrive typed. The service is the golden
//! `service.thrift` of thrift-codegen's tests.

use std::error::Error as _;

use bytes::Bytes;
use tests::golden::service::{
    GetError, NotFound, PingError, PutError, Store, StoreClient, StoreServer,
};
use tests::logs::capture;
use thrift_tower::ApplicationExceptionKind;
use thrift_tower::server::AlwaysReply;

struct FailingStore;

/// Reads a file that is not there: an `io::Error`.
fn read_missing() -> std::io::Result<Vec<u8>> {
    std::fs::read("/nonexistent/thrift-tower/handler-question-mark")
}

/// Fails with a boxed error, as a library returning `Box<dyn Error + Send + Sync>` does.
fn parse_boxed(text: &str) -> Result<i32, Box<dyn std::error::Error + Send + Sync>> {
    Ok(text.parse::<i32>()?)
}

impl Store for FailingStore {
    async fn get(&self, key: String) -> Result<Bytes, GetError> {
        if key == "declared" {
            return Err(NotFound { key }.into());
        }
        let bytes = read_missing()?;
        Ok(bytes.into())
    }

    async fn put(&self, key: String, _value: Bytes) -> Result<(), PutError> {
        parse_boxed(&key)?;
        Ok(())
    }

    async fn forget(&self, _key: String) -> Result<(), tests::golden::service::ForgetError> {
        Ok(())
    }

    async fn ping(&self) -> Result<bool, PingError> {
        // Any other error type: one documented call.
        "yes"
            .parse::<bool>()
            .map_err(thrift_tower::Error::internal)?;
        Ok(true)
    }
}

/// Whether a client got an `INTERNAL_ERROR` `TApplicationException` saying no more than
/// Apache's servers say.
fn internal_error(error: &thrift_tower::Error) -> bool {
    error.application_exception().is_some_and(|e| {
        (e.kind(), e.message()) == (ApplicationExceptionKind::InternalError, "Internal error")
    })
}

#[tokio::test]
async fn question_mark_on_an_io_error_reaches_the_client_as_internal_error() {
    let client = StoreClient::new(StoreServer::new(FailingStore));
    match client.get("file".into()).await {
        Err(GetError::Other(e)) => assert!(internal_error(&e), "{e:?}"),
        other => panic!("expected an INTERNAL_ERROR exception, got {other:?}"),
    }
    // A declared exception is still typed.
    match client.get("declared".into()).await {
        Err(GetError::Missing(e)) => assert_eq!(e.key, "declared"),
        other => panic!("expected the declared exception, got {other:?}"),
    }
}

#[tokio::test]
async fn question_mark_on_a_boxed_error_reaches_the_client_as_internal_error() {
    let client = StoreClient::new(StoreServer::new(FailingStore));
    match client.put("not a number".into(), Bytes::new()).await {
        Err(PutError::Other(e)) => assert!(internal_error(&e), "{e:?}"),
        other => panic!("expected an INTERNAL_ERROR exception, got {other:?}"),
    }
    client.put("42".into(), Bytes::new()).await.unwrap();
}

#[tokio::test]
async fn any_other_error_converts_with_error_internal() {
    let client = StoreClient::new(StoreServer::new(FailingStore));
    match client.ping().await {
        Err(PingError::Other(e)) => assert!(internal_error(&e), "{e:?}"),
        other => panic!("expected an INTERNAL_ERROR exception, got {other:?}"),
    }
}

#[test]
fn the_conversions_keep_the_error_as_the_source() {
    let io = std::io::Error::other("disk on fire");
    let error = GetError::from(io);
    let GetError::Other(inner) = &error else {
        panic!("not Other: {error:?}");
    };
    assert!(inner.is_service(), "{inner:?}");
    assert_eq!(error.to_string(), "disk on fire");
    assert!(error.source().is_some());

    let boxed: thrift_tower::BoxError = "bad input".into();
    assert_eq!(PutError::from(boxed).to_string(), "bad input");
}

#[tokio::test]
async fn with_error_details_the_client_gets_the_handler_s_error() {
    let server = AlwaysReply::new(StoreServer::new(FailingStore)).error_details(true);
    let client = StoreClient::new(server);
    let Err(PutError::Other(e)) = client.put("not a number".into(), Bytes::new()).await else {
        panic!("expected an exception");
    };
    let exception = e.application_exception().expect("a TApplicationException");
    assert_eq!(
        (exception.kind(), exception.message()),
        (
            ApplicationExceptionKind::InternalError,
            "invalid digit found in string"
        )
    );
}

// A current-thread runtime: the server runs on the test's thread, where the subscriber is
// the default.
#[tokio::test]
async fn the_server_logs_the_handler_s_error_with_the_method_and_seqid() {
    let client = StoreClient::new(StoreServer::new(FailingStore));
    let (_, log) = capture("error", client.put("not a number".into(), Bytes::new())).await;
    assert!(
        log.contains(" ERROR ")
            && log.contains("method=\"put\" seqid=0")
            && log.contains("error=\"invalid digit found in string\""),
        "{log}"
    );
}
