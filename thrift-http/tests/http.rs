//! Thrift over HTTP: the service adapter fed HTTP requests directly (every answer it gives,
//! including to bad requests), and the standalone server with the client over real
//! loopback sockets, HTTP/1.1 and HTTP/2.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method, StatusCode};
use http_body::{Frame, SizeHint};
use http_body_util::{BodyExt, Full};
use thrift_http::{HttpClient, HttpServer, HttpService};
use thrift_tower::message::Headers;
use thrift_tower::protocol::{self, Limits, Protocol};
use thrift_tower::transport::{decode_message, encode_message};
use thrift_tower::{
    ApplicationException, ApplicationExceptionKind, BoxError, MessageHeader, MessageType, Request,
    Response,
};
use tower::ServiceExt;

/// What the echo service saw of each call.
#[derive(Debug, Default)]
struct Seen {
    calls: AtomicUsize,
    /// The headers and the peer of the last call.
    last: Mutex<Option<(Headers, Option<SocketAddr>)>>,
}

/// Answers each call with its own arguments, and a header `x-served: yes`; `slow` after
/// a second; `shed` with tower's overload error; oneway calls with nothing.
fn echo(
    seen: &Arc<Seen>,
) -> impl tower::Service<Request, Response = Response, Error = BoxError, Future: Send>
+ Clone
+ Send
+ Sync
+ 'static {
    let seen = Arc::clone(seen);
    tower::service_fn(move |request: Request| {
        let seen = Arc::clone(&seen);
        async move {
            *seen.last.lock().unwrap() = Some((
                request.headers().clone(),
                request.connection().and_then(|c| c.peer_addr()),
            ));
            match request.method() {
                "slow" => tokio::time::sleep(Duration::from_secs(1)).await,
                "shed" => {
                    return Err(Box::new(tower::load_shed::error::Overloaded::new()) as BoxError);
                }
                _ => {}
            }
            seen.calls.fetch_add(1, Ordering::SeqCst);
            if request.is_oneway() {
                return Ok(Response::oneway(request.header(), request.protocol()));
            }
            let header = MessageHeader::new(
                request.header().name.clone(),
                MessageType::Reply,
                request.header().seqid,
            );
            let mut reply = Response::new(header, request.protocol(), request.body().clone());
            reply.headers_mut().insert("x-served", "yes");
            Ok(reply)
        }
    })
}

/// A call of `name` in `protocol`, whole, with a struct holding one i32 as its arguments.
fn call(name: &'static str, message_type: MessageType, protocol: Protocol) -> Bytes {
    let args = protocol::encode(protocol, &Arg(41)).unwrap();
    let request = Request::new(MessageHeader::new(name, message_type, 7), protocol, args);
    let mut out = BytesMut::new();
    encode_message(&request, &mut out).unwrap();
    out.freeze()
}

/// A struct with one i32 field.
#[derive(Debug, PartialEq)]
struct Arg(i32);

impl protocol::Thrift for Arg {
    const WIRE_TYPE: protocol::WireType = protocol::WireType::Struct;
    fn read<R: protocol::ProtocolReader>(r: &mut R) -> Result<Self, thrift_tower::ProtocolError> {
        let mut v = 0;
        r.read_struct_begin()?;
        loop {
            let f = r.read_field_begin()?;
            match (f.id, f.wire_type) {
                (_, protocol::WireType::Stop) => break,
                (1, protocol::WireType::I32) => v = r.read_i32()?,
                (_, t) => r.skip(t)?,
            }
            r.read_field_end()?;
        }
        r.read_struct_end()?;
        Ok(Arg(v))
    }
    fn write<W: protocol::ProtocolWriter>(
        &self,
        w: &mut W,
    ) -> Result<(), thrift_tower::ProtocolError> {
        w.write_struct_begin("Arg")?;
        w.write_field_begin("v", protocol::WireType::I32, 1)?;
        w.write_i32(self.0)?;
        w.write_field_end()?;
        w.write_field_stop()?;
        w.write_struct_end()
    }
}

fn post(body: impl Into<Bytes>) -> http::Request<Full<Bytes>> {
    http::Request::post("/thrift")
        .header(CONTENT_TYPE, "application/x-thrift")
        .body(Full::new(body.into()))
        .unwrap()
}

async fn answer<B>(
    service: HttpService<
        impl tower::Service<Request, Response = Response, Error = BoxError, Future: Send>
        + Clone
        + Send
        + 'static,
    >,
    request: http::Request<B>,
) -> (http::response::Parts, Bytes)
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let Ok(response) = service.oneshot(request).await;
    let (parts, body) = response.into_parts();
    let Ok(body) = body.collect().await;
    (parts, body.to_bytes())
}

fn text(body: &Bytes) -> &str {
    std::str::from_utf8(body).unwrap()
}

#[tokio::test]
async fn a_post_carries_one_call_and_its_reply_in_every_protocol() {
    let seen = Arc::new(Seen::default());
    for protocol in [Protocol::Binary, Protocol::Compact, Protocol::Json] {
        let (parts, body) = answer(
            thrift_http::service(echo(&seen)),
            post(call("add", MessageType::Call, protocol)),
        )
        .await;
        assert_eq!(parts.status, StatusCode::OK);
        assert_eq!(parts.headers[CONTENT_TYPE], "application/x-thrift");
        assert_eq!(parts.headers["access-control-allow-origin"], "*");
        assert_eq!(parts.headers["x-served"], "yes");
        let reply: Response = decode_message(body, Some(protocol), Limits::default()).unwrap();
        assert_eq!(
            reply.header(),
            &MessageHeader::new("add", MessageType::Reply, 7)
        );
        let arg: Arg = protocol::decode(protocol, reply.body().clone(), Limits::default()).unwrap();
        assert_eq!(arg, Arg(41));
    }
    // Apache's JavaScript client names the protocol, and gets its type back.
    let mut request = post(call("add", MessageType::Call, Protocol::Json));
    for name in ["content-type", "accept"] {
        request.headers_mut().insert(
            name,
            HeaderValue::from_static("application/vnd.apache.thrift.json; charset=utf-8"),
        );
    }
    let (parts, _) = answer(thrift_http::service(echo(&seen)), request).await;
    assert_eq!(
        parts.headers[CONTENT_TYPE],
        "application/vnd.apache.thrift.json; charset=utf-8"
    );
    // A fixed protocol refuses another's bytes.
    let (parts, body) = answer(
        thrift_http::service(echo(&seen)).protocol(Protocol::Compact),
        post(call("add", MessageType::Call, Protocol::Binary)),
    )
    .await;
    assert_eq!(parts.status, StatusCode::BAD_REQUEST, "{}", text(&body));
}

#[tokio::test]
async fn methods_other_than_post_and_cors_preflights() {
    let seen = Arc::new(Seen::default());
    let get = http::Request::get("/thrift")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let (parts, body) = answer(thrift_http::service(echo(&seen)), get).await;
    assert_eq!(parts.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(parts.headers["allow"], "POST, OPTIONS");
    assert!(text(&body).contains("POST"), "{}", text(&body));

    let options = || {
        http::Request::builder()
            .method(Method::OPTIONS)
            .uri("/thrift")
            .header("origin", "http://elsewhere.example")
            .header("access-control-request-method", "POST")
            .body(Full::new(Bytes::new()))
            .unwrap()
    };
    let (parts, _) = answer(thrift_http::service(echo(&seen)), options()).await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(parts.headers["access-control-allow-origin"], "*");
    assert_eq!(
        parts.headers["access-control-allow-methods"],
        "POST, OPTIONS"
    );
    assert_eq!(
        parts.headers["access-control-allow-headers"],
        "Content-Type"
    );

    let (parts, _) = answer(thrift_http::service(echo(&seen)).cors(false), options()).await;
    assert_eq!(parts.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(parts.headers["allow"], "POST");
    assert!(!parts.headers.contains_key("access-control-allow-origin"));
    assert_eq!(seen.calls.load(Ordering::SeqCst), 0);
}

/// A body that declares `len` bytes and notes whether anyone read it; it sends `chunks`
/// when read, then nothing more (pending forever) if `stall`.
struct Declared {
    len: Option<u64>,
    chunks: Vec<Bytes>,
    stall: bool,
    polled: Arc<AtomicBool>,
}

impl http_body::Body for Declared {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.polled.store(true, Ordering::SeqCst);
        if !self.chunks.is_empty() {
            let chunk = self.chunks.remove(0);
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        if self.stall {
            Poll::Pending
        } else {
            Poll::Ready(None)
        }
    }
    fn size_hint(&self) -> SizeHint {
        match self.len {
            Some(len) => SizeHint::with_exact(len),
            None => SizeHint::default(),
        }
    }
}

#[tokio::test]
async fn bodies_too_large_too_slow_or_not_thrift_get_their_status() {
    let seen = Arc::new(Seen::default());
    let service = || thrift_http::service(echo(&seen)).max_body_size(1000);

    // Declared too large: refused without reading a byte.
    let polled = Arc::new(AtomicBool::new(false));
    let body = Declared {
        len: Some(5000),
        chunks: vec![Bytes::from(vec![0u8; 5000])],
        stall: false,
        polled: Arc::clone(&polled),
    };
    let request = http::Request::post("/").body(body).unwrap();
    let (parts, body) = answer(service(), request).await;
    assert_eq!(parts.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        text(&body),
        "the body is larger than the limit of 1000 bytes\n"
    );
    assert!(!polled.load(Ordering::SeqCst), "the body was read");

    // Not declared, and growing past the limit as it comes.
    let body = Declared {
        len: None,
        chunks: vec![Bytes::from(vec![0x80u8; 600]), Bytes::from(vec![0u8; 600])],
        stall: false,
        polled: Arc::default(),
    };
    let (parts, _) = answer(service(), http::Request::post("/").body(body).unwrap()).await;
    assert_eq!(parts.status, StatusCode::PAYLOAD_TOO_LARGE);

    // Stops coming.
    let body = Declared {
        len: None,
        chunks: vec![Bytes::from_static(b"\x80\x01")],
        stall: true,
        polled: Arc::default(),
    };
    let started = Instant::now();
    let (parts, body) = answer(
        service().body_timeout(Some(Duration::from_millis(100))),
        http::Request::post("/").body(body).unwrap(),
    )
    .await;
    assert_eq!(parts.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(text(&body), "the body did not arrive within 100ms\n");
    assert!(started.elapsed() < Duration::from_secs(5));

    // Not Thrift, cut short, or with more after the message.
    let whole = call("add", MessageType::Call, Protocol::Binary);
    let mut longer = BytesMut::from(&whole[..]);
    longer.extend_from_slice(b"\x00");
    for (body, reason) in [
        (
            Bytes::from_static(b"{\"jsonrpc\": \"2.0\"}"),
            "cannot tell the protocol of a message starting with byte 0x7b",
        ),
        (whole.slice(..whole.len() - 3), "the input ends after"),
        (longer.freeze(), "1 bytes after the end of the message"),
        (Bytes::new(), "input ended while reading a message"),
    ] {
        let (parts, text_body) = answer(service(), post(body)).await;
        assert_eq!(parts.status, StatusCode::BAD_REQUEST);
        let got = text(&text_body);
        assert!(
            got.starts_with("the body is not one Thrift message: ") && got.contains(reason),
            "{got}"
        );
        assert_eq!(parts.headers[CONTENT_TYPE], "text/plain; charset=utf-8");
    }
    assert_eq!(seen.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_oneway_call_is_answered_at_once_and_runs_on() {
    let seen = Arc::new(Seen::default());
    let started = Instant::now();
    let (parts, body) = answer(
        thrift_http::service(echo(&seen)),
        post(call("slow", MessageType::Oneway, Protocol::Compact)),
    )
    .await;
    assert_eq!(parts.status, StatusCode::OK);
    assert!(body.is_empty());
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        seen.calls.load(Ordering::SeqCst),
        0,
        "answered before the call ran"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(seen.calls.load(Ordering::SeqCst), 1, "the call ran on");
}

#[tokio::test]
async fn headers_reach_the_handler_and_none_of_the_request_s_come_back() {
    let seen = Arc::new(Seen::default());
    let mut request = post(call("add", MessageType::Call, Protocol::Binary));
    request
        .headers_mut()
        .insert("x-trace-id", HeaderValue::from_static("4bf92f35"));
    request
        .headers_mut()
        .insert("x-echo-me", HeaderValue::from_static("<script>"));
    let (parts, _) = answer(thrift_http::service(echo(&seen)), request).await;
    let (headers, _) = seen.last.lock().unwrap().clone().unwrap();
    assert_eq!(headers.get("x-trace-id"), Some("4bf92f35"));
    assert_eq!(
        headers.get("content-type"),
        None,
        "about the transfer, not the call"
    );
    for (name, value) in &parts.headers {
        assert_ne!(value, "<script>", "{name} copies a request header");
        assert_ne!(value, "4bf92f35", "{name} copies a request header");
    }
}

#[tokio::test]
async fn a_layer_s_error_is_a_thrift_exception_in_a_200() {
    let seen = Arc::new(Seen::default());
    let (parts, body) = answer(
        thrift_http::service(echo(&seen)),
        post(call("shed", MessageType::Call, Protocol::Binary)),
    )
    .await;
    assert_eq!(parts.status, StatusCode::OK);
    let reply: Response = decode_message(body, None, Limits::default()).unwrap();
    assert_eq!(reply.header().message_type, MessageType::Exception);
    let e: ApplicationException =
        protocol::decode(Protocol::Binary, reply.body().clone(), Limits::default()).unwrap();
    assert_eq!(e.kind(), ApplicationExceptionKind::Loadshedding);
    assert_eq!(
        e.message(),
        "the server is overloaded and did not run `shed`"
    );
}

// ---- Over sockets ----

struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), thrift_tower::Error>>,
}

async fn start(server: HttpServer, seen: &Arc<Seen>) -> Running {
    let incoming = thrift_tower::transport::TcpIncoming::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = incoming.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve_with_incoming(
        incoming,
        thrift_http::service(echo(seen)),
        async move {
            let _ = stopped.await;
        },
    ));
    Running {
        addr,
        stop: Some(stop),
        task,
    }
}

fn request(name: &'static str, protocol: Protocol) -> Request {
    let args = protocol::encode(protocol, &Arg(5)).unwrap();
    Request::new(
        MessageHeader::new(name, MessageType::Call, 3),
        protocol,
        args,
    )
}

async fn call_over<S>(client: S, name: &'static str) -> Result<Response, thrift_tower::Error>
where
    S: tower::Service<Request, Response = Response, Error = thrift_tower::Error>,
{
    client.oneshot(request(name, Protocol::Compact)).await
}

#[tokio::test]
async fn our_client_and_server_over_http1_keep_the_connection_alive() {
    let seen = Arc::new(Seen::default());
    let server = start(HttpServer::new().path("/thrift"), &seen).await;
    let client = HttpClient::new(&format!("http://{}/thrift", server.addr)).unwrap();
    let mut peers = Vec::new();
    for _ in 0..3 {
        let reply = call_over(client.clone(), "add").await.unwrap();
        assert_eq!(
            reply.header(),
            &MessageHeader::new("add", MessageType::Reply, 3)
        );
        let arg: Arg =
            protocol::decode(Protocol::Compact, reply.body().clone(), Limits::default()).unwrap();
        assert_eq!(arg, Arg(5));
        peers.push(
            seen.last
                .lock()
                .unwrap()
                .clone()
                .unwrap()
                .1
                .expect("the peer's address"),
        );
    }
    assert!(
        peers.iter().all(|p| *p == peers[0]),
        "one kept-alive connection: {peers:?}"
    );

    // Another path is not the endpoint.
    let elsewhere = HttpClient::new(&format!("http://{}/other", server.addr)).unwrap();
    let e = call_over(elsewhere, "add").await.unwrap_err();
    assert!(e.is_io() && !e.is_connect(), "{e}");
    assert!(
        e.to_string()
            .contains("answered HTTP 404 Not Found: no Thrift endpoint here"),
        "{e}"
    );
}

#[tokio::test]
async fn our_client_and_server_over_http2_share_one_connection() {
    let seen = Arc::new(Seen::default());
    let server = start(HttpServer::new(), &seen).await;
    let client = HttpClient::builder(&format!("http://{}/", server.addr))
        .http2_only(true)
        .build()
        .unwrap();
    let calls: Vec<_> = (0..20)
        .map(|_| tokio::spawn(call_over(client.clone(), "slow")))
        .collect();
    let started = Instant::now();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    // Twenty calls of a second each, at once on one connection.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(seen.calls.load(Ordering::SeqCst), 20);
}

#[tokio::test]
async fn client_errors_say_what_happened() {
    // Nothing listens: not sent.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let e = call_over(
        HttpClient::new(&format!("http://{closed}/")).unwrap(),
        "add",
    )
    .await
    .unwrap_err();
    assert!(e.is_connect(), "{e}");

    // A web server that is not a Thrift endpoint.
    let app = axum::Router::new().route("/", axum::routing::post(|| async { "hello, web" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let web = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let e = call_over(HttpClient::new(&format!("http://{web}/")).unwrap(), "add")
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("answered with content type `text/plain; charset=utf-8`, not Thrift"),
        "{e}"
    );

    // Too slow.
    let seen = Arc::new(Seen::default());
    let server = start(HttpServer::new(), &seen).await;
    let client = HttpClient::builder(&format!("http://{}/", server.addr))
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let e = call_over(client, "slow").await.unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert_eq!(e.to_string(), "thrift call `slow` timed out after 100ms");

    // Not a URL.
    let e = HttpClient::new("localhost:9090").unwrap_err();
    assert!(e.is_config(), "{e}");
}

#[tokio::test]
async fn graceful_shutdown_finishes_the_call_in_flight() {
    let seen = Arc::new(Seen::default());
    let mut server = start(HttpServer::new(), &seen).await;
    let client = HttpClient::new(&format!("http://{}/", server.addr)).unwrap();
    let in_flight = tokio::spawn(call_over(client.clone(), "slow"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = server.stop.take().unwrap().send(());
    in_flight
        .await
        .unwrap()
        .expect("the call in flight is answered");
    tokio::time::timeout(Duration::from_secs(5), server.task)
        .await
        .expect("the server returns")
        .unwrap()
        .unwrap();
    // New calls find nobody.
    assert!(call_over(client, "add").await.unwrap_err().is_io());
}

/// One raw HTTP/1.1 exchange on a connection of its own: writes `sent`, then reads what
/// comes back until the server closes the connection or `limit` passes. `keep_open` leaves
/// the writing side open (a client waiting for its answer, or one that stalls); otherwise
/// it is shut after `sent` (a client that vanishes).
async fn raw_exchange(addr: SocketAddr, sent: Vec<u8>, keep_open: bool, limit: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(&sent).await.unwrap();
    if !keep_open {
        stream.shutdown().await.unwrap();
    }
    let mut got = Vec::new();
    let read = tokio::time::timeout(limit, stream.read_to_end(&mut got)).await;
    assert!(
        read.is_ok(),
        "the server neither answered nor closed within {limit:?}; it sent {:?}",
        String::from_utf8_lossy(&got)
    );
    String::from_utf8_lossy(&got).into_owned()
}

/// A `POST /` head declaring `length` bytes, followed by `body`; the server closes the
/// connection after its answer.
fn raw_post(length: usize, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "POST / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\
         Content-Type: application/x-thrift\r\nContent-Length: {length}\r\n\r\n"
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// The status line of a raw answer, and its body.
fn status_and_body(answer: &str) -> (&str, &str) {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
    (head.lines().next().unwrap_or_default(), body)
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_peers_get_their_status_or_are_dropped_and_the_server_serves_on() {
    let seen = Arc::new(Seen::default());
    let incoming = thrift_tower::transport::TcpIncoming::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = incoming.local_addr().unwrap();
    let service = thrift_http::service(echo(&seen))
        .max_body_size(1000)
        .body_timeout(Some(Duration::from_millis(300)));
    let server = HttpServer::new().header_read_timeout(Duration::from_millis(300));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve_with_incoming(incoming, service, async {
        let _ = stopped.await;
    }));
    let client = HttpClient::new(&format!("http://{addr}/")).unwrap();
    let limit = Duration::from_secs(10);

    // Two peers that stall, one in its headers and one in its body, hold their
    // connections while the others come and go.
    let stalled_head = tokio::spawn(raw_exchange(
        addr,
        b"POST / HTTP/1.1\r\nHost: test\r\nContent-Le".to_vec(),
        true,
        limit,
    ));
    let whole = call("add", MessageType::Call, Protocol::Binary);
    let stalled_body = tokio::spawn(raw_exchange(
        addr,
        raw_post(whole.len(), &whole[..whole.len() / 2]),
        true,
        limit,
    ));
    // Served meanwhile.
    let reply = call_over(client.clone(), "add").await.unwrap();
    assert_eq!(reply.header().name.as_ref(), "add");

    // The wrong method.
    let answer = raw_exchange(
        addr,
        b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".to_vec(),
        true,
        limit,
    )
    .await;
    assert_eq!(
        status_and_body(&answer).0,
        "HTTP/1.1 405 Method Not Allowed"
    );
    assert!(answer.contains("\r\nallow: POST, OPTIONS\r\n"), "{answer}");

    // A body declared too large: refused from its head alone, the body never sent.
    let answer = raw_exchange(addr, raw_post(1_000_000, b""), true, limit).await;
    assert_eq!(
        status_and_body(&answer),
        (
            "HTTP/1.1 413 Payload Too Large",
            "the body is larger than the limit of 1000 bytes\n"
        )
    );

    // Garbage.
    let answer = raw_exchange(addr, raw_post(11, b"hello world"), true, limit).await;
    let (status, body) = status_and_body(&answer);
    assert_eq!(status, "HTTP/1.1 400 Bad Request");
    assert!(
        body.starts_with("the body is not one Thrift message: ")
            && body.contains("cannot tell the protocol of a message starting with byte 0x68"),
        "{body}"
    );

    // Cut short: the peer goes away before the declared length.
    let answer = raw_exchange(addr, raw_post(whole.len(), &whole[..10]), false, limit).await;
    // (hyper reads the half-closed connection's EOF as the body's error; the answer can
    // still be written to the side that is open.)
    let (status, body) = status_and_body(&answer);
    assert_eq!(status, "HTTP/1.1 400 Bad Request");
    assert!(body.starts_with("the body could not be read: "), "{body}");

    // The stalled ones: the body times out with its status; the head is dropped (hyper's
    // header timeout closes the connection).
    let answer = stalled_body.await.unwrap();
    assert_eq!(
        status_and_body(&answer),
        (
            "HTTP/1.1 408 Request Timeout",
            "the body did not arrive within 300ms\n"
        )
    );
    let answer = stalled_head.await.unwrap();
    assert_eq!(
        answer, "",
        "a head that stops coming is dropped without an answer"
    );

    // None of them reached the service, and it answers as before (on a new connection:
    // the header timeout has closed the client's idle kept-alive one by now).
    drop(client);
    let client = HttpClient::new(&format!("http://{addr}/")).unwrap();
    let reply = call_over(client, "add").await.unwrap();
    assert_eq!(reply.header().name.as_ref(), "add");
    assert_eq!(seen.calls.load(Ordering::SeqCst), 2);
    let _ = stop.send(());
    task.await.unwrap().unwrap();
}
