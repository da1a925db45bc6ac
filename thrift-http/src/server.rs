//! [`HttpServer`]: a standalone Thrift-over-HTTP server, what Apache's `THttpServer` is, on
//! hyper: HTTP/1.1 with keep-alive and HTTP/2 (prior knowledge) on one port, graceful
//! shutdown, and the limits of [`HttpService`].

use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use http::StatusCode;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use thrift_tower::transport::{Connected, TcpIncoming};
use thrift_tower::{BoxError, Error, Request, Response};
use tokio::io::{AsyncRead, AsyncWrite};
use tower_service::Service;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::service::{Body, HttpService};

/// Serves a Thrift service over HTTP on its own: an address, a path, graceful shutdown.
///
/// ```no_run
/// # async fn run<S>(hello: S) -> Result<(), thrift_tower::Error>
/// # where S: tower_service::Service<thrift_tower::Request, Response = thrift_tower::Response, Error = std::convert::Infallible>
/// #     + Clone + Send + Sync + 'static, S::Future: Send + 'static {
/// thrift_http::HttpServer::new()
///     .path("/thrift")
///     .serve("127.0.0.1:9090".parse().unwrap(), thrift_http::service(hello))
///     .await
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct HttpServer {
    path: Option<String>,
    header_read_timeout: Duration,
    shutdown_grace: Duration,
}

impl Default for HttpServer {
    fn default() -> Self {
        HttpServer::new()
    }
}

impl HttpServer {
    /// A server answering on any path (as Apache's Python `THttpServer` does), with 30 s
    /// for a request's headers to arrive and 30 s for calls to finish at shutdown.
    pub fn new() -> Self {
        HttpServer {
            path: None,
            header_read_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
        }
    }

    /// Answers calls on `path` only; other paths get `404`.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// How long an HTTP/1 request's headers may take to arrive (a client that opens a
    /// connection and trickles bytes is dropped after it). The wait starts when the
    /// connection is ready for its next request, so this also closes a kept-alive
    /// connection left idle that long. A client that sends a call on it just as it closes
    /// sees the call fail, so clients should keep idle connections for less time
    /// ([`HttpClientBuilder::pool_idle_timeout`](crate::HttpClientBuilder::pool_idle_timeout)).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long calls that were read may keep running after shutdown begins.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Serves `service` on `addr` until the process ends.
    pub async fn serve<S>(self, addr: SocketAddr, service: HttpService<S>) -> Result<(), Error>
    where
        S: Service<Request, Response = Response> + Clone + Send + Sync + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        self.serve_with_shutdown(addr, service, std::future::pending())
            .await
    }

    /// Serves `service` on `addr` until `signal` completes, then shuts down gracefully.
    pub async fn serve_with_shutdown<S>(
        self,
        addr: SocketAddr,
        service: HttpService<S>,
        signal: impl Future<Output = ()>,
    ) -> Result<(), Error>
    where
        S: Service<Request, Response = Response> + Clone + Send + Sync + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        let incoming = TcpIncoming::bind(addr).await?;
        info!(addr = %incoming.local_addr()?, "serving Thrift over HTTP");
        self.serve_with_incoming(incoming, service, signal).await
    }

    /// Serves the connections `incoming` yields (TCP, TLS, in-memory pipes...) until
    /// `signal` completes or `incoming` ends, then shuts down gracefully: no new
    /// connection, keep-alive connections closed once their request is answered, and calls
    /// that were read given [`shutdown_grace`](Self::shutdown_grace) to finish.
    ///
    /// What each connection knows of itself ([`Connected`]) reaches every Thrift request it
    /// carries. An `Err` from the stream is logged, and after 50 ms the server goes on.
    pub async fn serve_with_incoming<I, IO, IE, S>(
        self,
        incoming: I,
        service: HttpService<S>,
        signal: impl Future<Output = ()>,
    ) -> Result<(), Error>
    where
        I: Stream<Item = Result<IO, IE>>,
        IO: AsyncRead + AsyncWrite + Connected + Send + Unpin + 'static,
        IE: Into<BoxError>,
        S: Service<Request, Response = Response> + Clone + Send + Sync + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_read_timeout);
        let graceful = GracefulShutdown::new();
        let path: Option<Arc<str>> = self.path.as_deref().map(Arc::from);
        let mut incoming = Box::pin(incoming);
        let mut signal = std::pin::pin!(signal);
        loop {
            let next = tokio::select! {
                biased;
                () = &mut signal => break,
                next = poll_fn(|cx| incoming.as_mut().poll_next(cx)) => next,
            };
            let io = match next {
                Some(Ok(io)) => io,
                Some(Err(e)) => {
                    let e: BoxError = e.into();
                    warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                None => break,
            };
            let info = Arc::new(io.connection_info());
            let span = info_span!("connection", peer = ?info.peer_addr());
            let per_connection = PerConnection {
                service: service.clone(),
                path: path.clone(),
                info,
            };
            let connection = builder
                .serve_connection(
                    TokioIo::new(io),
                    hyper_util::service::TowerToHyperService::new(per_connection),
                )
                .into_owned();
            let connection = graceful.watch(connection);
            tokio::spawn(
                async move {
                    if let Err(e) = connection.await {
                        debug!(error = %e, "connection ended with an error");
                    }
                }
                .instrument(span),
            );
        }
        drop(incoming);
        debug!("shutting down");
        if tokio::time::timeout(self.shutdown_grace, graceful.shutdown())
            .await
            .is_err()
        {
            warn!("shutdown grace elapsed; leaving the remaining connections");
        }
        Ok(())
    }
}

/// The service of one connection: checks the path, and puts what the connection knows of
/// itself on each request for [`HttpService`] to hand on.
#[derive(Clone)]
struct PerConnection<S> {
    service: HttpService<S>,
    path: Option<Arc<str>>,
    info: Arc<thrift_tower::message::ConnectionInfo>,
}

impl<S> Service<http::Request<Incoming>> for PerConnection<S>
where
    S: Service<Request, Response = Response> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = std::convert::Infallible;
    type Future = Pin<
        Box<dyn Future<Output = Result<http::Response<Body>, std::convert::Infallible>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: http::Request<Incoming>) -> Self::Future {
        if let Some(path) = &self.path
            && request.uri().path() != &**path
        {
            let mut response =
                http::Response::new(Full::new(Bytes::from_static(b"no Thrift endpoint here\n")));
            *response.status_mut() = StatusCode::NOT_FOUND;
            return Box::pin(std::future::ready(Ok(response)));
        }
        request.extensions_mut().insert(Arc::clone(&self.info));
        self.service.call(request)
    }
}
