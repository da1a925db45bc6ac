//! [`HttpClient`]: a Thrift transport that POSTs each call to a URL, what Apache's
//! `THttpClient` is, as a `tower::Service<Request, Response = Response>` over a pooled
//! hyper-util client.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::rt::TokioExecutor;
use thrift_tower::message::Reply;
use thrift_tower::protocol::Limits;
use thrift_tower::transport::{decode_message, encode_message};
use thrift_tower::{Error, Request, Response};
use tokio::time::Instant;
use tower_service::Service;

use crate::content::{X_THRIFT, is_thrift};
use crate::service::Body;

/// A Thrift transport over HTTP: each call is a `POST` of the message to one URL, its reply
/// the response's body. Any generated client and any tower layer works over it.
///
/// ```no_run
/// # async fn run() -> Result<(), thrift_tower::Error> {
/// use std::time::Duration;
///
/// let http = thrift_http::HttpClient::builder("http://127.0.0.1:9090/thrift")
///     .header("authorization", "Bearer s3cret")
///     .timeout(Duration::from_secs(2))
///     .build()?;
/// // let client = HelloServiceClient::new(http);
/// // let reply = client.say("Hello!".into()).await?;
/// # drop(http);
/// # Ok(())
/// # }
/// ```
///
/// Connections are pooled and kept alive between calls; calls made at once go out on
/// several connections (HTTP/1.1) or one (HTTP/2, [`http2_only`](HttpClientBuilder::http2_only)).
/// A call's request carries the headers given to the builder and those its
/// [`Request::headers`](thrift_tower::message::Message::headers) hold.
///
/// What fails, and what the error says ([`Error`]):
///
/// - no connection could be made: [`is_connect`](Error::is_connect), the call was not
///   sent;
/// - the connection failed after that: [`is_io`](Error::is_io), the call may have reached
///   the server;
/// - a status other than `200`, or a reply that is not Thrift (an HTML error page):
///   [`is_io`](Error::is_io), with the status and the start of the body in the message —
///   the call reached a server;
/// - the timeout, or the request's [deadline](thrift_tower::message::Message::deadline):
///   [`is_timeout`](Error::is_timeout);
/// - a reply that does not decode: [`is_protocol`](Error::is_protocol).
pub struct HttpClient<C = HttpConnector> {
    client: Client<C, Body>,
    config: Arc<Config>,
}

#[derive(Debug)]
struct Config {
    uri: Uri,
    headers: HeaderMap,
    timeout: Option<Duration>,
    limits: Limits,
    oneway_wait: Duration,
}

/// Settings of an [`HttpClient`].
#[derive(Debug)]
pub struct HttpClientBuilder {
    uri: Result<Uri, String>,
    headers: Result<HeaderMap, String>,
    timeout: Option<Duration>,
    limits: Limits,
    http2_only: bool,
    pool_idle_timeout: Duration,
    oneway_wait: Duration,
}

impl HttpClient {
    /// A client posting to `url` with the defaults.
    pub fn new(url: &str) -> Result<Self, Error> {
        Self::builder(url).build()
    }

    /// A client posting to `url` (`http://host:port/path`), to configure.
    pub fn builder(url: &str) -> HttpClientBuilder {
        HttpClientBuilder {
            uri: url
                .parse::<Uri>()
                .map_err(|e| format!("`{url}` is not a URL: {e}"))
                .and_then(|uri| match (uri.scheme_str(), uri.authority()) {
                    (Some("http" | "https"), Some(_)) => Ok(uri),
                    _ => Err(format!(
                        "`{url}` is not an http:// URL with a host (like \"http://127.0.0.1:9090/\")"
                    )),
                }),
            headers: Ok(HeaderMap::new()),
            timeout: None,
            limits: Limits::default(),
            http2_only: false,
            pool_idle_timeout: Duration::from_secs(90),
            oneway_wait: Duration::from_millis(250),
        }
    }
}

impl HttpClientBuilder {
    /// Sends this header with every call (an authorization token, say).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let parsed = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| format!("`{name}` is not a header name: {e}"))
            .and_then(|name| match HeaderValue::from_str(value) {
                Ok(value) => Ok((name, value)),
                Err(e) => Err(format!("the value of `{name}` is not a header value: {e}")),
            });
        self.headers = self.headers.and_then(|mut headers| {
            let (name, value) = parsed?;
            headers.append(name, value);
            Ok(headers)
        });
        self
    }

    /// Fails each call that has no answer `timeout` after it was made
    /// ([`Error::is_timeout`]). Default: none.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Bounds on the replies: their size and what the generated client decodes. Default:
    /// [`Limits::default`], Apache's.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Speaks HTTP/2 only, with prior knowledge (no upgrade): every call on one connection,
    /// multiplexed. Default: HTTP/1.1.
    pub fn http2_only(mut self, on: bool) -> Self {
        self.http2_only = on;
        self
    }

    /// How long a oneway call waits for the server's HTTP answer before it counts as sent
    /// (default 250 ms). Apache's Python `THttpServer`, and ours, answer at once, and an
    /// error (a refused connection, a status other than `200`) is then the call's;
    /// Apache's C++ `THttpServer` never answers a oneway call.
    pub fn oneway_wait(mut self, wait: Duration) -> Self {
        self.oneway_wait = wait;
        self
    }

    /// How long an idle pooled connection is kept (default 90 s).
    pub fn pool_idle_timeout(mut self, idle: Duration) -> Self {
        self.pool_idle_timeout = idle;
        self
    }

    /// The client, over TCP (`TCP_NODELAY` on).
    pub fn build(self) -> Result<HttpClient, Error> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        self.build_with_connector(connector)
    }

    /// The client over HTTPS (feature `tls`): the server's certificate is checked against
    /// `tls`'s roots for the URL's host, HTTP/2 or HTTP/1.1 is agreed by ALPN (HTTP/2 only
    /// with [`http2_only`](Self::http2_only)), and `tls`'s identity is shown to a server
    /// that asks for a client certificate. The URL must be `https://`.
    ///
    /// ```no_run
    /// use thrift_tower::transport::tls::{Certificates, ClientTlsConfig};
    ///
    /// # fn main() -> Result<(), thrift_tower::Error> {
    /// let tls = ClientTlsConfig::new().ca_certificate(Certificates::from_pem_file("ca.pem")?);
    /// let http = thrift_http::HttpClient::builder("https://thrift.example.com/thrift").build_tls(tls)?;
    /// # drop(http);
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "tls")]
    pub fn build_tls(
        self,
        tls: thrift_tower::transport::tls::ClientTlsConfig,
    ) -> Result<HttpClient<hyper_rustls::HttpsConnector<HttpConnector>>, Error> {
        if let Ok(uri) = &self.uri
            && uri.scheme_str() != Some("https")
        {
            return Err(Error::config(format!("{uri} is not an https:// URL")));
        }
        let config = (*tls.to_rustls()?).clone();
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        // The scheme is https; the connector below makes the TLS.
        http.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_only()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        self.build_with_connector(https)
    }

    /// The client, connecting with `connector` (a TLS connector, say).
    pub fn build_with_connector<C>(self, connector: C) -> Result<HttpClient<C>, Error>
    where
        C: Connect + Clone + Send + Sync + 'static,
    {
        let uri = self.uri.map_err(config_error)?;
        let headers = self.headers.map_err(config_error)?;
        let client = Client::builder(TokioExecutor::new())
            .http2_only(self.http2_only)
            .pool_idle_timeout(self.pool_idle_timeout)
            .pool_timer(hyper_util::rt::TokioTimer::new())
            .build(connector);
        Ok(HttpClient {
            client,
            config: Arc::new(Config {
                uri,
                headers,
                timeout: self.timeout,
                limits: self.limits,
                oneway_wait: self.oneway_wait,
            }),
        })
    }
}

/// A configuration that cannot work.
fn config_error(message: String) -> Error {
    Error::config(message)
}

impl<C: Clone> Clone for HttpClient<C> {
    fn clone(&self) -> Self {
        HttpClient {
            client: self.client.clone(),
            config: Arc::clone(&self.config),
        }
    }
}

impl<C> fmt::Debug for HttpClient<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("uri", &self.config.uri)
            .field("timeout", &self.config.timeout)
            .finish_non_exhaustive()
    }
}

impl<C> Service<Request> for HttpClient<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    type Response = Response;
    type Error = Error;
    /// Boxed: the call is one async function whose type has no name; one allocation per
    /// call, beside the HTTP request's own.
    type Future = Pin<Box<dyn Future<Output = Result<Response, Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // The pool makes a connection when a call needs one.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let client = self.client.clone();
        let config = Arc::clone(&self.config);
        let now = Instant::now();
        let deadline = match (request.deadline(), config.timeout) {
            (Some(at), Some(after)) => Some(at.min(now + after)),
            (Some(at), None) => Some(at),
            (None, Some(after)) => Some(now + after),
            (None, None) => None,
        };
        let method = request.header().name.clone();
        let call = post(client, Arc::clone(&config), request);
        Box::pin(async move {
            match deadline {
                Some(at) => tokio::time::timeout_at(at, call).await.unwrap_or_else(|_| {
                    Err(Error::timeout(&*method, at.saturating_duration_since(now)))
                }),
                None => call.await,
            }
        })
    }
}

/// The most of an error response's body shown in the error.
const EXCERPT: usize = 200;

async fn post<C>(
    client: Client<C, Body>,
    config: Arc<Config>,
    request: Request,
) -> Result<Response, Error>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    let protocol = request.protocol();
    let mut body = BytesMut::with_capacity(request.body().len() + 64);
    encode_message(&request, &mut body)?;
    let mut post = http::Request::post(config.uri.clone());
    let headers = post
        .headers_mut()
        .expect("a request built from a valid URI");
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(X_THRIFT));
    headers.insert(ACCEPT, HeaderValue::from_static(X_THRIFT));
    for (name, value) in &config.headers {
        headers.append(name, value.clone());
    }
    for (name, value) in request.headers().iter() {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    let post = post
        .body(Full::new(body.freeze()))
        .map_err(|e| Error::from(io::Error::other(e)))?;
    let sent = client.request(post);
    let response = if request.is_oneway() {
        match answer_to_oneway(sent, &config).await {
            Some(answer) => answer,
            // No answer yet: the call went out, as far as anyone will say.
            None => return Ok(Response::oneway(request.header(), protocol)),
        }
    } else {
        sent.await
    };
    let response = response.map_err(|e| {
        let source = io::Error::other(format!("{e}: {}", source_chain(&e)));
        if e.is_connect() {
            Error::connect(config.uri.to_string(), source)
        } else {
            Error::from(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                format!(
                    "the HTTP request to {} failed, and may have reached the server: {}",
                    config.uri, source
                ),
            ))
        }
    })?;
    let (parts, body) = response.into_parts();
    if parts.status != StatusCode::OK {
        let excerpt = Limited::new(body, EXCERPT * 4)
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        return Err(rejected(&config.uri, parts.status, &excerpt));
    }
    if let Some(content_type) = parts.headers.get(CONTENT_TYPE)
        && !is_thrift(content_type)
    {
        return Err(Error::from(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "the server at {} answered with content type `{}`, not Thrift",
                config.uri,
                String::from_utf8_lossy(content_type.as_bytes())
            ),
        )));
    }
    if request.is_oneway() {
        return Ok(Response::oneway(request.header(), protocol));
    }
    read_reply(body, &config, protocol).await
}

/// The HTTP answer to a oneway call, if one comes within the client's `oneway_wait`.
///
/// Apache's Python `THttpServer` (and ours) answer a oneway call with a `200` at once;
/// Apache's C++ `THttpServer` answers nothing at all. Waiting a little tells a refused
/// connection or an error status from the first kind; after that the call counts as sent,
/// and the request goes on by itself (up to the client's timeout, or a minute) so that
/// the connection it holds is let go.
async fn answer_to_oneway(
    sent: hyper_util::client::legacy::ResponseFuture,
    config: &Config,
) -> Option<Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error>> {
    let (answered, answer) = tokio::sync::oneshot::channel();
    let limit = config.timeout.unwrap_or(Duration::from_secs(60));
    tokio::spawn(async move {
        if let Ok(result) = tokio::time::timeout(limit, sent).await {
            let _ = answered.send(result);
        }
    });
    match tokio::time::timeout(config.oneway_wait, answer).await {
        Ok(Ok(result)) => Some(result),
        // No answer within the wait, or none at all within the limit.
        Ok(Err(_)) | Err(_) => None,
    }
}

/// Reads and decodes a `200`'s body as the reply.
async fn read_reply(
    body: hyper::body::Incoming,
    config: &Config,
    protocol: thrift_tower::protocol::Protocol,
) -> Result<Response, Error> {
    let bytes = Limited::new(body, config.limits.max_message_size())
        .collect()
        .await
        .map_err(|e| {
            Error::from(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("reading the reply from {} failed: {e}", config.uri),
            ))
        })?
        .to_bytes();
    let mut reply: Response = decode_message::<Reply>(bytes, Some(protocol), config.limits)?;
    if config.limits != Limits::default() {
        reply.extensions_mut().insert(config.limits);
    }
    Ok(reply)
}

/// The error for a response of `status`.
fn rejected(uri: &Uri, status: StatusCode, body: &Bytes) -> Error {
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT)]);
    let text = text.trim();
    Error::from(io::Error::other(if text.is_empty() {
        format!("the server at {uri} answered HTTP {status}")
    } else {
        format!("the server at {uri} answered HTTP {status}: {text}")
    }))
}

/// The causes of an error, for its message (hyper's errors say little on their own).
fn source_chain(e: &dyn std::error::Error) -> String {
    let mut out = Vec::new();
    let mut next = e.source();
    while let Some(cause) = next {
        out.push(cause.to_string());
        next = cause.source();
    }
    out.join(": ")
}
