//! THeader end to end: a call's info headers reach the handler, a reply's reach the caller,
//! one port serves THeader, framed and buffered clients alike, and the zlib transform works
//! both ways, between our client and server and with Apache's Python `THeaderTransport`
//! (`tests/python/header_peer.py`) on the other end.
//!
//! The Python tests need Debian's `thrift` compiler and `python3-thrift`
//! (`tests/setup-debian.sh`) and the shared IDL folder (`THRIFT_SHARED_IDL`); they fail,
//! never skip, without them.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tests::apache_python::{PYTHON, repo_root};
use tests::process::{RunningServer, SETUP_HINT, describe, generated_python, run_bounded};
use tests::thrift_test::{
    SecondService, SecondServiceClient, SecondServiceServer, SecondtestStringError,
};
use thrift_tower::message::Headers;
use thrift_tower::protocol::Protocol;
use thrift_tower::transport::{Framing, HeaderTransform};
use thrift_tower::{
    ApplicationException, ApplicationExceptionKind, Endpoint, Request, Response, Server,
};
use tower::{Service, ServiceBuilder};

/// How long a Python program may take.
const PYTHON_RUN: Duration = Duration::from_secs(60);

/// Answers with the `trace-id` header its call came with, and gives its reply the header
/// `handled-by: traced`. Called with "fail" it returns an undeclared error (sent as a
/// `TApplicationException`), with "panic" it panics, after setting the header both times.
struct Traced;

impl SecondService for Traced {
    async fn secondtest_string(&self, thing: String) -> Result<String, SecondtestStringError> {
        let trace = thrift_tower::server::with_request(|request| {
            request.headers().get("trace-id").unwrap_or("").to_owned()
        })
        .unwrap_or_default();
        thrift_tower::server::with_reply_headers(|headers| headers.insert("handled-by", "traced"))
            .expect("inside a handler");
        match thing.as_str() {
            "fail" => Err(thrift_tower::Error::from(ApplicationException::new(
                ApplicationExceptionKind::InternalError,
                "refused on purpose",
            ))
            .into()),
            "panic" => panic!("on purpose"),
            _ => Ok(format!("{thing}; trace-id={trace}")),
        }
    }
}

/// A server layer that puts `trace-id: <the call's>-echo` in the headers of each reply.
#[derive(Clone)]
struct EchoTrace<S>(S);

impl<S> Service<Request> for EchoTrace<S>
where
    S: Service<Request, Response = Response>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let echo = request
            .headers()
            .get("trace-id")
            .map(|trace| format!("{trace}-echo"));
        let reply = self.0.call(request);
        Box::pin(async move {
            let mut reply = reply.await?;
            if let Some(echo) = echo {
                reply.headers_mut().insert("trace-id", echo);
            }
            Ok(reply)
        })
    }
}

/// Our server on a free port, framing detected per connection (unless `framing` says),
/// answering with [`Traced`] behind [`EchoTrace`].
async fn our_server(framing: Framing) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        Server::builder()
            .framing(framing)
            .layer(tower::layer::layer_fn(EchoTrace))
            .add_service(SecondServiceServer::new(Traced))
            .serve_with_listener(listener, std::future::pending()),
    );
    addr
}

/// Calls `secondtestString(thing)` through `endpoint` with the header `trace-id: trace`
/// (when given), and returns the answer (or why there is none) and the reply's headers.
async fn call_traced(
    endpoint: Endpoint,
    thing: &str,
    trace: Option<&'static str>,
) -> (Result<String, String>, Headers) {
    let channel = match endpoint.connect().await {
        Ok(channel) => channel,
        Err(e) => return (Err(e.to_string()), Headers::new()),
    };
    let protocol = channel.protocol();
    let seen = Arc::new(Mutex::new(Headers::new()));
    let keep = Arc::clone(&seen);
    let client = SecondServiceClient::new(
        ServiceBuilder::new()
            .map_request(move |mut request: Request| {
                if let Some(trace) = trace {
                    request.headers_mut().insert("trace-id", trace);
                }
                request
            })
            .map_response(move |reply: Response| {
                *keep.lock().unwrap() = reply.headers().clone();
                reply
            })
            .service(channel),
    )
    .with_protocol(protocol);
    let answer = client
        .secondtest_string(thing.to_owned())
        .await
        .map_err(|e| e.to_string());
    let headers = seen.lock().unwrap().clone();
    (answer, headers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_s_headers_reach_the_handler_and_the_reply_s_reach_the_caller() {
    for framing in [Framing::Header, Framing::FramedHeader] {
        let addr = our_server(framing).await;
        for protocol in [Protocol::Binary, Protocol::Compact] {
            let endpoint = Endpoint::from(addr).framing(framing).protocol(protocol);
            let (answer, headers) = call_traced(endpoint, "hi", Some("4bf92f35")).await;
            let answer = answer.unwrap_or_else(|e| panic!("{framing:?} {protocol}: {e}"));
            assert_eq!(answer, "hi; trace-id=4bf92f35", "{framing:?} {protocol}");
            // The handler's header, then the layer's.
            assert_eq!(
                headers.iter().collect::<Vec<_>>(),
                [("handled-by", "traced"), ("trace-id", "4bf92f35-echo")],
                "{framing:?} {protocol}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_s_reply_headers_go_with_its_error_but_not_with_its_panic() {
    let addr = our_server(Framing::Header).await;
    let endpoint = Endpoint::from(addr).framing(Framing::Header);
    // An undeclared error is a `TApplicationException` reply, with the handler's headers.
    let (answer, headers) = call_traced(endpoint.clone(), "fail", Some("f")).await;
    let error = answer.expect_err("the handler failed");
    assert!(error.contains("refused on purpose"), "{error}");
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [("handled-by", "traced"), ("trace-id", "f-echo")]
    );
    // A panic's reply has none of them: only the layer's.
    let (answer, headers) = call_traced(endpoint, "panic", Some("p")).await;
    let error = answer.expect_err("the handler panicked");
    assert!(error.contains("Internal error"), "{error}");
    assert_eq!(headers.iter().collect::<Vec<_>>(), [("trace-id", "p-echo")]);
    // Outside a handler there is no reply to give headers to.
    assert!(thrift_tower::server::with_reply_headers(|_| ()).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn theader_framed_and_buffered_clients_call_one_port_in_turn() {
    let addr = our_server(Framing::Auto).await;
    let turns = [
        (Framing::Header, Protocol::Compact),
        (Framing::Framed, Protocol::Binary),
        (Framing::Buffered, Protocol::Compact),
        (Framing::FramedHeader, Protocol::Binary),
        (Framing::Header, Protocol::Binary),
        (Framing::Buffered, Protocol::Binary),
    ];
    for (turn, (framing, protocol)) in turns.into_iter().enumerate() {
        let endpoint = Endpoint::from(addr).framing(framing).protocol(protocol);
        let thing = format!("turn {turn}");
        let (answer, headers) = call_traced(endpoint, &thing, Some("t")).await;
        let answer = answer.unwrap_or_else(|e| panic!("turn {turn}, {framing:?} {protocol}: {e}"));
        // Only THeader carries headers: the others' calls and replies come without.
        let theader = matches!(framing, Framing::Header | Framing::FramedHeader);
        let (trace, echo) = if theader {
            ("t", vec![("handled-by", "traced"), ("trace-id", "t-echo")])
        } else {
            ("", vec![])
        };
        assert_eq!(answer, format!("{thing}; trace-id={trace}"), "{framing:?}");
        assert_eq!(headers.iter().collect::<Vec<_>>(), echo, "{framing:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zlib_both_ways_between_our_client_and_server() {
    let addr = our_server(Framing::Header).await;
    let endpoint = Endpoint::from(addr)
        .framing(Framing::Header)
        .protocol(Protocol::Compact)
        .header_transforms([HeaderTransform::Zlib]);
    let long = "zlib ".repeat(10_000);
    let (answer, headers) = call_traced(endpoint, &long, Some("z")).await;
    assert_eq!(answer.unwrap(), format!("{long}; trace-id=z"));
    assert_eq!(headers.get("trace-id"), Some("z-echo"));
}

/// What `header_peer.py client` printed, or why it failed.
fn python_client(port: u16, protocol: &str, zlib: bool) -> Result<String, String> {
    let generated = generated_python()?;
    let mut command = Command::new(PYTHON);
    command
        .arg("-B")
        .arg(repo_root().join("tests/python/header_peer.py"))
        .arg(generated.path())
        .args([
            "client",
            "--port",
            &port.to_string(),
            "--protocol",
            protocol,
        ]);
    if zlib {
        command.arg("--zlib");
    }
    let what = describe(&command);
    let run = run_bounded(&mut command, PYTHON_RUN)
        .map_err(|e| format!("cannot run {what}: {e}; {SETUP_HINT}"))?;
    if !run.status.is_some_and(|s| s.success()) {
        return Err(format!(
            "{what} ended with {:?}:\n{}\n{}",
            run.status, run.stdout, run.stderr
        ));
    }
    Ok(run.stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apache_python_client_headers_and_zlib_reach_our_handler_and_come_back() {
    let addr = our_server(Framing::Auto).await;
    for (protocol, zlib) in [("binary", false), ("compact", true), ("binary", true)] {
        let printed =
            tokio::task::spawn_blocking(move || python_client(addr.port(), protocol, zlib))
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("{e}"));
        // Our server answers a compressed call with a compressed reply, which Python reads.
        let transforms = if zlib { "1" } else { "none" };
        assert_eq!(
            printed,
            format!(
                "answer hello; trace-id=py-4bf92f35\n\
                 reply header handled-by=traced\n\
                 reply header trace-id=py-4bf92f35-echo\n\
                 reply transforms {transforms}\n"
            ),
            "{protocol}, zlib {zlib}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_headers_and_zlib_reach_apache_python_and_come_back() {
    let generated = generated_python().unwrap_or_else(|e| panic!("{e}"));
    for (protocol, zlib) in [(Protocol::Binary, false), (Protocol::Compact, true)] {
        let mut command = Command::new(PYTHON);
        command
            .arg("-B")
            .arg(repo_root().join("tests/python/header_peer.py"))
            .arg(generated.path())
            .arg("server");
        if zlib {
            // Python compresses its replies: our client inflates them.
            command.arg("--zlib");
        }
        let server = tokio::task::spawn_blocking(move || {
            RunningServer::on_printed_port(&mut command, PYTHON_RUN)
        })
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}; {SETUP_HINT}"));
        let mut endpoint = Endpoint::from(SocketAddr::from(([127, 0, 0, 1], server.port())))
            .framing(Framing::Header)
            .protocol(protocol);
        if zlib {
            // And Python inflates our calls.
            endpoint = endpoint.header_transforms([HeaderTransform::Zlib]);
        }
        let (answer, headers) = call_traced(endpoint, "hello", Some("rs-4bf92f35")).await;
        let answer =
            answer.unwrap_or_else(|e| panic!("{protocol}, zlib {zlib}: {e}\n{}", server.stderr()));
        assert_eq!(answer, "hello; trace-id=rs-4bf92f35");
        assert_eq!(
            headers.iter().collect::<Vec<_>>(),
            [("trace-id", "rs-4bf92f35-echo")]
        );
    }
}
