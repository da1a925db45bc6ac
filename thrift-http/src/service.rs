//! [`HttpService`]: any Thrift service as a `tower::Service<http::Request<B>>`, to mount in
//! axum or hyper beside ordinary routes, or to serve with [`HttpServer`](crate::HttpServer).

use std::convert::Infallible;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{ALLOW, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use thrift_tower::message::{Call, ConnectionInfo, Headers};
use thrift_tower::protocol::{Limits, Protocol};
use thrift_tower::server::AlwaysReply;
use thrift_tower::transport::{decode_message, encode_message};
use thrift_tower::{BoxError, Request, Response};
use tower_service::Service;
use tracing::debug;

use crate::content::{named_protocol, reply_content_type};

/// The body of the HTTP responses [`HttpService`] makes, and of the requests
/// [`HttpClient`](crate::HttpClient) sends: the whole message, in one buffer.
pub type Body = Full<Bytes>;

/// How a Thrift endpoint over HTTP reads its requests.
#[derive(Debug, Clone)]
struct Config {
    protocol: Option<Protocol>,
    limits: Limits,
    max_body_size: usize,
    body_timeout: Option<Duration>,
    cors: bool,
}

/// A Thrift service over HTTP: each `POST` carries one call, answered with its reply.
///
/// Wraps any Thrift service (a generated server, several behind
/// [`Router::into_service`](thrift_tower::server::Router::into_service), or any stack of
/// layers around them) in [`AlwaysReply`], so every call is answered, and serves it as a
/// `tower::Service<http::Request<B>>` for any body `B` hyper and axum use:
///
/// ```no_run
/// # async fn run<S>(hello: S) -> std::io::Result<()>
/// # where S: tower_service::Service<thrift_tower::Request, Response = thrift_tower::Response, Error = std::convert::Infallible>
/// #     + Clone + Send + Sync + 'static, S::Future: Send + 'static {
/// // axum: a Thrift endpoint beside REST routes, on one port.
/// let app = axum::Router::new()
///     .route("/health", axum::routing::get(|| async { "ok" }))
///     .route_service("/thrift", thrift_http::service(hello)); // e.g. HelloServiceServer::new(Hello)
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, app).await
/// # }
/// ```
///
/// What it answers:
///
/// | request | answer |
/// |---|---|
/// | `POST` with one whole Thrift message | `200`, the reply; `Content-Type: application/x-thrift`, or the `application/vnd.apache.thrift.*` type of the protocol when the request used those (as Apache's JavaScript client does) |
/// | `POST` of a oneway call | `200` with an empty body, at once; the call runs on |
/// | `OPTIONS` (a CORS preflight) | `200` allowing `POST` and `OPTIONS` and the `Content-Type` header from any origin, as Apache's C++ `THttpServer` does ([`cors`](Self::cors) turns it off) |
/// | any other method | `405` with `Allow` |
/// | a body over [`max_body_size`](Self::max_body_size) | `413`, without reading the body to its end when its length is declared |
/// | a body that stops coming for [`body_timeout`](Self::body_timeout) | `408` |
/// | a body that is not one Thrift message (garbage, truncated, bytes after it) | `400`, with a short reason |
///
/// The protocol is told by each body's first byte (binary, compact or JSON), by a
/// `vnd.apache.thrift` content type, or fixed with [`protocol`](Self::protocol). A handler
/// sees the request's headers (those not about the HTTP transfer itself: not `Host`,
/// `Content-Length`, `Content-Type`, `Accept`, `Connection`...) in
/// [`Request::headers`](thrift_tower::message::Message::headers), and the HTTP request's
/// extensions in its extensions. No value from the request is copied into the reply.
///
/// A oneway call is answered at once, as Apache's Python, Java and Go servers answer it
/// and as their clients (and [`HttpClient`](crate::HttpClient)) wait for. Apache's C++
/// `THttpClient` is the exception: it never reads that answer, so on a kept-alive
/// connection its next call reads the oneway's empty `200` as its reply and fails. A C++
/// client calls oneway methods on a fresh connection (Apache lists its HTTP client against
/// every server but its own as a known failure for this reason). HTTP/1.1 answers a
/// connection's requests in order, so leaving a oneway call unanswered, as Apache's C++
/// `THttpServer` does, would hold up every later call on the connection.
pub struct HttpService<S> {
    inner: AlwaysReply<S>,
    config: Arc<Config>,
}

/// [`HttpService::new`]: `inner` over HTTP, with the defaults.
pub fn service<S>(inner: S) -> HttpService<S> {
    HttpService::new(inner)
}

impl<S> HttpService<S> {
    /// How long a request's body may take to arrive, by default: 30 s.
    pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

    /// `inner` over HTTP: protocol detected per request, Apache's limits (a body may be as
    /// large as a message, 100 MiB), a 30 s body timeout, CORS as Apache's.
    pub fn new(inner: S) -> Self {
        HttpService {
            inner: AlwaysReply::new(inner),
            config: Arc::new(Config {
                protocol: None,
                limits: Limits::default(),
                max_body_size: Limits::DEFAULT_MAX_MESSAGE_SIZE,
                body_timeout: Some(Self::DEFAULT_BODY_TIMEOUT),
                cors: true,
            }),
        }
    }

    fn config(&mut self) -> &mut Config {
        Arc::make_mut(&mut self.config)
    }

    /// Sends clients the whole message of an internal error (a handler's undeclared error, a
    /// panic's message) instead of `Internal error`; see
    /// [`AlwaysReply::error_details`](thrift_tower::server::AlwaysReply::error_details).
    pub fn error_details(mut self, on: bool) -> Self {
        self.inner = self.inner.error_details(on);
        self
    }

    /// Fixes the protocol instead of telling it from each body.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.config().protocol = Some(protocol);
        self
    }

    /// The bounds on messages, strings, containers and nesting.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config().limits = limits;
        self
    }

    /// The largest body read (default: Apache's largest message, 100 MiB).
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.config().max_body_size = bytes;
        self
    }

    /// How long a body may take to arrive once its headers have (`None`: as long as it
    /// takes). Default: [`DEFAULT_BODY_TIMEOUT`](Self::DEFAULT_BODY_TIMEOUT).
    pub fn body_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config().body_timeout = timeout;
        self
    }

    /// Whether to answer CORS preflights and allow any origin, as Apache's C++
    /// `THttpServer` does (default: on). Off, `OPTIONS` gets `405`; a `CorsLayer` of
    /// tower-http around the service then decides.
    pub fn cors(mut self, on: bool) -> Self {
        self.config().cors = on;
        self
    }
}

impl<S: Clone> Clone for HttpService<S> {
    fn clone(&self) -> Self {
        HttpService {
            inner: self.inner.clone(),
            config: Arc::clone(&self.config),
        }
    }
}

impl<S> fmt::Debug for HttpService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<http::Request<B>> for HttpService<S>
where
    S: Service<Request, Response = Response> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    /// Boxed: reading the body, calling the service and encoding the reply are one async
    /// function whose type has no name; one allocation per HTTP request, beside the
    /// request's own.
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Each request calls a clone of the service, made ready in its own future.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let inner = self.inner.clone();
        let config = Arc::clone(&self.config);
        Box::pin(async move {
            let cors = config.cors;
            let mut response = match answer(inner, &config, request).await {
                Ok(response) => response,
                Err(rejection) => rejection.response(cors),
            };
            if cors {
                response.headers_mut().insert(
                    http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
                    HeaderValue::from_static("*"),
                );
            }
            Ok(response)
        })
    }
}

/// Why a request got no Thrift reply.
#[derive(Debug)]
enum Rejection {
    Method,
    Preflight,
    TooLarge(usize),
    SlowBody(Duration),
    BadBody(BoxError),
    NotThrift(thrift_tower::Error),
}

impl Rejection {
    fn response(self, cors: bool) -> http::Response<Body> {
        let allow = if cors { "POST, OPTIONS" } else { "POST" };
        let (status, reason) = match self {
            Rejection::Preflight => {
                let mut response = plain(StatusCode::OK, String::new());
                let headers = response.headers_mut();
                headers.insert(
                    http::header::ACCESS_CONTROL_ALLOW_METHODS,
                    HeaderValue::from_static("POST, OPTIONS"),
                );
                headers.insert(
                    http::header::ACCESS_CONTROL_ALLOW_HEADERS,
                    HeaderValue::from_static("Content-Type"),
                );
                return response;
            }
            Rejection::Method => {
                let mut response = plain(
                    StatusCode::METHOD_NOT_ALLOWED,
                    format!("a Thrift endpoint takes calls by POST ({allow})\n"),
                );
                response
                    .headers_mut()
                    .insert(ALLOW, HeaderValue::from_static(allow));
                return response;
            }
            Rejection::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than the limit of {limit} bytes\n"),
            ),
            Rejection::SlowBody(after) => (
                StatusCode::REQUEST_TIMEOUT,
                format!("the body did not arrive within {after:?}\n"),
            ),
            Rejection::BadBody(e) => (
                StatusCode::BAD_REQUEST,
                format!("the body could not be read: {e}\n"),
            ),
            Rejection::NotThrift(e) => (
                StatusCode::BAD_REQUEST,
                format!("the body is not one Thrift message: {e}\n"),
            ),
        };
        debug!(%status, reason = reason.trim_end(), "rejected an HTTP request");
        plain(status, reason)
    }
}

/// A plain-text response.
fn plain(status: StatusCode, text: String) -> http::Response<Body> {
    let mut response = http::Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Headers about the HTTP transfer itself, which a Thrift request does not carry.
const TRANSFER_HEADERS: [HeaderName; 11] = [
    http::header::HOST,
    http::header::CONTENT_LENGTH,
    http::header::CONTENT_TYPE,
    http::header::CONTENT_ENCODING,
    http::header::ACCEPT,
    http::header::ACCEPT_ENCODING,
    http::header::CONNECTION,
    http::header::TRANSFER_ENCODING,
    http::header::TE,
    http::header::UPGRADE,
    http::header::EXPECT,
];

async fn answer<S, B>(
    mut inner: AlwaysReply<S>,
    config: &Config,
    request: http::Request<B>,
) -> Result<http::Response<Body>, Rejection>
where
    S: Service<Request, Response = Response> + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    match *request.method() {
        Method::POST => {}
        Method::OPTIONS if config.cors => return Err(Rejection::Preflight),
        _ => return Err(Rejection::Method),
    }
    let (parts, body) = request.into_parts();
    // A declared length over the limit is refused before a byte of the body is read.
    if http_body::Body::size_hint(&body).lower() > config.max_body_size as u64 {
        return Err(Rejection::TooLarge(config.max_body_size));
    }
    let collecting = Limited::new(body, config.max_body_size).collect();
    let collected = match config.body_timeout {
        Some(after) => tokio::time::timeout(after, collecting)
            .await
            .map_err(|_| Rejection::SlowBody(after))?,
        None => collecting.await,
    };
    let bytes = match collected {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => {
            return Err(Rejection::TooLarge(config.max_body_size));
        }
        Err(e) => return Err(Rejection::BadBody(e)),
    };
    let protocol = config
        .protocol
        .or_else(|| parts.headers.get(CONTENT_TYPE).and_then(named_protocol));
    let mut call =
        decode_message::<Call>(bytes, protocol, config.limits).map_err(Rejection::NotThrift)?;
    let protocol = call.protocol();
    let reply_type = reply_content_type(&parts.headers, protocol);
    let http::request::Parts {
        headers,
        mut extensions,
        ..
    } = parts;
    *call.headers_mut() = carried(&headers);
    if let Some(connection) = extensions.remove::<Arc<ConnectionInfo>>() {
        call.set_connection(connection);
    }
    if config.limits != Limits::default() {
        extensions.insert(config.limits);
    }
    *call.extensions_mut() = extensions;

    if call.is_oneway() {
        // The caller waits for nothing but the HTTP answer: it gets it now, and the call
        // runs on its own.
        tokio::spawn(async move {
            let _ = poll_fn(|cx| inner.poll_ready(cx)).await;
            let _ = inner.call(call).await;
        });
        return Ok(thrift_reply(Bytes::new(), reply_type, &Headers::new()));
    }
    let Ok(()) = poll_fn(|cx| inner.poll_ready(cx)).await;
    let Ok(reply) = inner.call(call).await;
    let mut body = BytesMut::with_capacity(reply.body().len() + 64);
    if let Err(e) = encode_message(&reply, &mut body) {
        // A header the protocol cannot write; the reply wrapper made the body already.
        return Err(Rejection::BadBody(Box::new(e)));
    }
    Ok(thrift_reply(body.freeze(), reply_type, reply.headers()))
}

/// The request's headers a Thrift request carries: all but those about the transfer, with
/// values that are text.
fn carried(headers: &http::HeaderMap) -> Headers {
    let mut carried = Headers::new();
    for (name, value) in headers {
        if TRANSFER_HEADERS.contains(name) {
            continue;
        }
        if let Ok(value) = value.to_str() {
            carried.append(name.as_str().to_owned(), value.to_owned());
        }
    }
    carried
}

/// A `200` carrying a Thrift reply, with the headers the reply set (those that are valid
/// HTTP).
fn thrift_reply(body: Bytes, content_type: HeaderValue, set: &Headers) -> http::Response<Body> {
    let mut response = http::Response::new(Full::new(body));
    let headers = response.headers_mut();
    for (name, value) in set.iter() {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    headers.insert(CONTENT_TYPE, content_type);
    response
}
