//! What Apache's Python client receives when calls fail in our server: a stack with a load
//! shedder, a concurrency limit of one, a timeout and a handler that panics, served over TCP
//! to `tests/python/exception_kinds.py` (Debian's python3-thrift, with the code `thrift
//! --gen py` makes from ThriftTest.thrift). Each failure must arrive as the
//! `TApplicationException` of the kind and message `AlwaysReply` documents, and the
//! connections must live on.
//!
//! Requires Debian's `thrift` compiler and `python3-thrift` (`tests/setup-debian.sh`) and the
//! shared IDL folder (`THRIFT_SHARED_IDL`); the test fails, never skips, without them.

use std::future::Future;
use std::pin::Pin;
use std::process::Command;
use std::task::{Context, Poll};
use std::time::Duration;

use serde_json::{Value, json};
use tests::apache_python::{PYTHON, repo_root};
use tests::process::{SETUP_HINT, describe, generated_python, run_bounded};
use tests::thrift_test::{SecondServiceServer, ThriftTestServer};
use tests::thrift_test_handler::ThriftTestHandler;
use thrift_tower::{BoxError, Request, Response, Server};
use tower::limit::ConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower::timeout::TimeoutLayer;

/// Holds `testI64` for longer than the server's timeout, as a slow handler would.
#[derive(Debug, Clone)]
struct SlowI64<S>(S);

impl<S> tower::Service<Request> for SlowI64<S>
where
    S: tower::Service<Request, Response = Response> + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.0.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let slow = request.method() == "testI64";
        let call = self.0.call(request);
        Box::pin(async move {
            if slow {
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
            call.await.map_err(Into::into)
        })
    }
}

fn check(protocol: &str, transport: &str) -> Result<(), String> {
    let generated = generated_python()?;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    runtime.spawn(
        Server::builder()
            .layer(LoadShedLayer::new())
            .layer(ConcurrencyLimitLayer::new(1))
            .layer(TimeoutLayer::new(Duration::from_secs(1)))
            .layer(tower::layer::layer_fn(SlowI64))
            .add_service(ThriftTestServer::new(ThriftTestHandler))
            .add_service(SecondServiceServer::new(ThriftTestHandler))
            .serve_with_listener(listener, std::future::pending()),
    );

    let mut command = Command::new(PYTHON);
    command
        .arg("-B")
        .arg(repo_root().join("tests/python/exception_kinds.py"))
        .arg(generated.path())
        .args(["--port", &port.to_string()])
        .args(["--protocol", protocol, "--transport", transport]);
    let client = describe(&command);
    let run = run_bounded(&mut command, Duration::from_secs(60))
        .map_err(|e| format!("cannot run {client}: {e}; {SETUP_HINT}"))?;
    runtime.shutdown_background();
    let got: Vec<Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).map_err(|e| format!("{e}: {line}")))
        .collect::<Result<_, _>>()?;
    let want = vec![
        json!({"call": "ok", "result": 7}),
        json!({"call": "timeout", "type": 12, "message": "`testI64` timed out in the server"}),
        json!({"call": "overloaded", "type": 11,
               "message": "the server is overloaded and did not run `testI32`"}),
        // What Apache's own servers send: the panic is logged, not told.
        json!({"call": "panic", "type": 6, "message": "Internal error"}),
        json!({"call": "unknown", "type": 1,
               "message": "no method `secondtestString` in service `ThriftTest`"}),
        json!({"call": "after", "result": 9}),
    ];
    if got == want && run.status.is_some_and(|s| s.success()) {
        return Ok(());
    }
    Err(format!(
        "{client} ({protocol}/{transport}) exited with {:?}\ngot:\n{}\nwanted:\n{}\nstderr:\n{}",
        run.status,
        got.iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        want.iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        run.stderr
    ))
}

#[test]
fn python_client_sees_each_failure_as_its_documented_exception_binary_buffered() {
    check("binary", "buffered").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn python_client_sees_each_failure_as_its_documented_exception_compact_framed() {
    check("compact", "framed").unwrap_or_else(|e| panic!("{e}"));
}
