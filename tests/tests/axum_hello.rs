//! The `axum_hello` example end to end, and tower-http's layers around a Thrift route.
//!
//! - The app `axum_hello` serves answers `GET /health` and, on the same port, Apache's
//!   Python `THttpClient` (Debian's `python3-thrift`, binary protocol) calling the hello
//!   service at `POST /thrift`.
//! - tower-http's `TraceLayer` makes a span for the Thrift call (seen by a subscriber the
//!   test installs), its `CompressionLayer` gzips the reply for a client that accepts it,
//!   and an axum middleware in front of the route turns away a call without its token,
//!   which [`thrift_http::HttpClient`] then reports as an HTTP error.
//!
//! Requires Debian's `thrift` compiler and `python3-thrift` (`tests/setup-debian.sh`); the
//! test that uses them fails, never skips, without them.

use std::io::Read;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request as HttpRequest;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response as HttpResponse};
use bytes::{Bytes, BytesMut};
use examples::axum_app;
use examples::hello::{HelloServiceClient, SayError};
use http_body_util::BodyExt;
use tests::apache_python::{PYTHON, hello_python_code, repo_root};
use tests::logs::capture;
use tests::process::{SETUP_HINT, describe, run_bounded};
use thrift_tower::protocol::{Limits, MessageType};
use thrift_tower::transport::{decode_message, encode_message};
use thrift_tower::{Request, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::compression::CompressionLayer;

/// A running app on a loopback port, stopped when dropped.
struct Running {
    port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Running {
    async fn start(app: axum::Router) -> Running {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(axum_app::serve(listener, app, async {
            let _ = stopped.await;
        }));
        Running {
            port,
            stop: Some(stop),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A plain HTTP/1.1 `GET`, on a connection of its own: the status line and the body.
async fn get(port: u16, path: &str) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut answer))
        .await
        .expect("the app answers a GET within 10 s")
        .unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.lines().next().unwrap_or_default().to_string();
    (status, body.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn python_http_client_and_a_rest_route_on_one_port() {
    let app = Running::start(axum_app::app()).await;

    let (status, body) = get(app.port, "/health").await;
    assert_eq!((status.as_str(), body.as_str()), ("HTTP/1.1 200 OK", "ok"));

    let gen_dir = hello_python_code();
    let mut command = Command::new(PYTHON);
    command
        .arg("-B")
        .arg(repo_root().join("tests/python/hello_client.py"))
        .arg(&gen_dir)
        .arg(app.url(axum_app::THRIFT_PATH));
    // THttpClient would send the request through a proxy named in the environment.
    for (name, _) in std::env::vars_os() {
        let lower = name.to_string_lossy().to_lowercase();
        if lower.ends_with("_proxy") && lower != "no_proxy" {
            command.env_remove(&name);
        }
    }
    let what = describe(&command);
    // The Python client blocks: run it off the runtime's threads.
    let run =
        tokio::task::spawn_blocking(move || run_bounded(&mut command, Duration::from_secs(60)))
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("cannot run {what}: {e}; {SETUP_HINT}"));
    let _ = std::fs::remove_dir_all(&gen_dir);
    assert!(
        run.status.is_some_and(|s| s.success()),
        "{what} failed ({:?}):\n{}\n{}",
        run.status,
        run.stdout,
        run.stderr
    );
    assert_eq!(run.stdout, "client - say\nserver - Received: Hello!\n");

    // The REST route still answers after the Thrift call.
    let (status, body) = get(app.port, "/health").await;
    assert_eq!((status.as_str(), body.as_str()), ("HTTP/1.1 200 OK", "ok"));
}

// A current-thread runtime: the app's tasks run on the test's thread, where the
// subscriber is the default.
#[tokio::test]
async fn trace_layer_spans_the_thrift_call() {
    let (reply, printed) = capture("tower_http=debug", async {
        let app = Running::start(axum_app::app()).await;
        let http = thrift_http::HttpClient::new(&app.url(axum_app::THRIFT_PATH)).unwrap();
        HelloServiceClient::new(http).say("traced".into()).await
    })
    .await;
    assert_eq!(reply.unwrap(), "Received: traced");

    let response_line = printed
        .lines()
        .find(|l| l.contains("finished processing request"))
        .unwrap_or_else(|| panic!("no response event from TraceLayer in:\n{printed}"));
    assert!(
        response_line.contains("request{method=POST uri=/thrift version=HTTP/1.1}")
            && response_line.contains("status=200"),
        "TraceLayer's event is not in the call's span, or not a 200: {response_line}"
    );
}

/// The request `say(msg)` makes, taken from the generated client without sending it.
async fn say_request(msg: &str) -> Bytes {
    let seen = Arc::new(Mutex::new(None));
    let keep = seen.clone();
    let capture = tower::service_fn(move |request: Request| {
        *keep.lock().unwrap() = Some(request);
        async { Err::<Response, _>(thrift_tower::Error::from_service("captured")) }
    });
    let _: Result<String, SayError> = HelloServiceClient::new(capture).say(msg.into()).await;
    let request = seen
        .lock()
        .unwrap()
        .take()
        .expect("the client made a request");
    let mut bytes = BytesMut::new();
    encode_message(&request, &mut bytes).unwrap();
    bytes.freeze()
}

/// `POST /thrift` of `call` through `app` in process: the status, the reply's
/// `Content-Encoding` and its body.
async fn post(
    app: axum::Router,
    call: Bytes,
    accept_encoding: Option<&str>,
) -> (StatusCode, Option<String>, Bytes) {
    let mut request = axum::http::Request::post(axum_app::THRIFT_PATH)
        .header(header::CONTENT_TYPE, "application/x-thrift");
    if let Some(encoding) = accept_encoding {
        request = request.header(header::ACCEPT_ENCODING, encoding);
    }
    let response = app
        .oneshot(request.body(axum::body::Body::from(call)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let encoding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap().to_string());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, encoding, body)
}

#[tokio::test]
async fn compression_layer_gzips_the_reply_for_a_client_that_accepts_it() {
    let app = axum_app::routes().layer(CompressionLayer::new());
    let call = say_request(&"a long message that compresses well ".repeat(20)).await;

    let (status, encoding, plain) = post(app.clone(), call.clone(), None).await;
    assert_eq!((status, encoding), (StatusCode::OK, None));
    let reply: Response = decode_message(plain.clone(), None, Limits::default()).unwrap();
    assert_eq!(
        (reply.header().name.as_ref(), reply.header().message_type),
        ("say", MessageType::Reply)
    );

    let (status, encoding, gzipped) = post(app, call, Some("gzip")).await;
    assert_eq!(
        (status, encoding.as_deref()),
        (StatusCode::OK, Some("gzip"))
    );
    assert!(
        gzipped.len() < plain.len() / 2,
        "{} bytes gzipped",
        gzipped.len()
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gzipped[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain);
}

/// Lets through only requests that carry `Authorization: Bearer s3cret`.
async fn require_token(request: HttpRequest, next: Next) -> HttpResponse {
    match request.headers().get(header::AUTHORIZATION) {
        Some(value) if value == "Bearer s3cret" => next.run(request).await,
        _ => StatusCode::UNAUTHORIZED.into_response(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_without_its_token_is_turned_away() {
    let app =
        Running::start(axum_app::routes().route_layer(middleware::from_fn(require_token))).await;
    let url = app.url(axum_app::THRIFT_PATH);

    let anonymous = thrift_http::HttpClient::new(&url).unwrap();
    let err = HelloServiceClient::new(anonymous)
        .say("let me in".into())
        .await
        .unwrap_err();
    let SayError::Other(err) = err;
    assert!(err.is_io(), "{err}");
    assert!(err.to_string().contains("401"), "{err}");

    let with_token = thrift_http::HttpClient::builder(&url)
        .header("authorization", "Bearer s3cret")
        .build()
        .unwrap();
    let reply = HelloServiceClient::new(with_token)
        .say("let me in".into())
        .await;
    assert_eq!(reply.unwrap(), "Received: let me in");
}
