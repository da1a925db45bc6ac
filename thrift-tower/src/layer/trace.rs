//! [`Trace`]: a `tracing` span for every Thrift call, and an event when it ends, on the
//! client or the server.
//!
//! What tower-http's `TraceLayer` is for HTTP: the span says which call (the side, the
//! service, the method, the sequence id, the peer a server got it from, the protocol), and
//! the event at its end says how it went (a reply, a `TApplicationException` and its kind,
//! a oneway call sent, or the error) and how long it took. Everything logged while the
//! call runs (by the handler, by layers inside) is in the span.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::time::Instant;
use tower_layer::Layer;
use tower_service::Service;
use tracing::{Level, Span, field};

use crate::message::{Request, Response};
use crate::protocol::MessageType;

/// Which end of a call a [`Trace`] is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

/// Traces each call of the service it wraps: a span that says which call, and an event
/// when it ends that says how it went and how long it took.
///
/// ```
/// use thrift_tower::layer::TraceLayer;
/// # fn stacks<C, S>(channel: C, service: S)
/// # where C: tower::Service<thrift_tower::Request, Response = thrift_tower::Response, Error = thrift_tower::Error>,
/// #       S: thrift_tower::NamedService + tower::Service<thrift_tower::Request, Response = thrift_tower::Response, Error = std::convert::Infallible> {
/// // A client: a span per call it makes.
/// let client_stack = tower::ServiceBuilder::new()
///     .layer(TraceLayer::client())
///     .service(channel);
/// // A server: a span per call it serves, with the peer it came from.
/// let server = thrift_tower::Server::builder()
///     .layer(TraceLayer::server())
///     .add_service(service);
/// # let _ = (client_stack, server);
/// # }
/// ```
///
/// The span is named `thrift`, at `DEBUG` by default ([`TraceLayer::level`]), with fields
/// `side`, `service` (from the request's [`MethodInfo`](crate::message::MethodInfo), or the
/// `Service:` of a multiplexed name), `method`, `seqid`, `peer` and `protocol`; the event
/// at the end, at the same level, has `outcome` (`reply`, `exception`, `oneway` or
/// `error`), `kind` (an exception's), `error` and `latency_us`.
#[derive(Debug, Clone)]
pub struct Trace<S> {
    inner: S,
    side: Side,
    level: Level,
}

/// The [`Layer`] of [`Trace`].
#[derive(Debug, Clone, Copy)]
pub struct TraceLayer {
    side: Side,
    level: Level,
}

impl TraceLayer {
    /// Traces the calls a client makes.
    pub const fn client() -> Self {
        TraceLayer {
            side: Side::Client,
            level: Level::DEBUG,
        }
    }

    /// Traces the calls a server serves.
    pub const fn server() -> Self {
        TraceLayer {
            side: Side::Server,
            level: Level::DEBUG,
        }
    }

    /// The level of the spans and events (`DEBUG` unless told).
    pub const fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }
}

impl<S> Layer<S> for TraceLayer {
    type Service = Trace<S>;

    fn layer(&self, inner: S) -> Trace<S> {
        Trace {
            inner,
            side: self.side,
            level: self.level,
        }
    }
}

/// A span at a level chosen at run time (tracing's macros take it as a constant).
macro_rules! span_at {
    ($level:expr, $($fields:tt)*) => {
        match $level {
            Level::ERROR => tracing::error_span!($($fields)*),
            Level::WARN => tracing::warn_span!($($fields)*),
            Level::INFO => tracing::info_span!($($fields)*),
            Level::DEBUG => tracing::debug_span!($($fields)*),
            _ => tracing::trace_span!($($fields)*),
        }
    };
}

/// An event at a level chosen at run time.
macro_rules! event_at {
    ($level:expr, $($fields:tt)*) => {
        match $level {
            Level::ERROR => tracing::error!($($fields)*),
            Level::WARN => tracing::warn!($($fields)*),
            Level::INFO => tracing::info!($($fields)*),
            Level::DEBUG => tracing::debug!($($fields)*),
            _ => tracing::trace!($($fields)*),
        }
    };
}

impl<S> Service<Request> for Trace<S>
where
    S: Service<Request, Response = Response>,
    S::Error: fmt::Display,
{
    type Response = Response;
    type Error = S::Error;
    type Future = TraceFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let (service, method) = super::service_and_method(&request);
        let peer = request.connection().and_then(|c| c.peer_addr());
        // With no subscriber interested, a disabled span costs a branch, not an allocation.
        let span = span_at!(
            self.level,
            "thrift",
            side = self.side.name(),
            service,
            method,
            seqid = request.header().seqid,
            peer = peer.map(field::display),
            protocol = %request.protocol(),
        );
        let future = span.in_scope(|| self.inner.call(request));
        TraceFuture {
            inner: future,
            span,
            level: self.level,
            start: Instant::now(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Trace`]: the inner future, in the call's span.
    #[must_use = "futures do nothing unless polled"]
    pub struct TraceFuture<F> {
        #[pin]
        inner: F,
        span: Span,
        level: Level,
        start: Instant,
    }
}

impl<F> fmt::Debug for TraceFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceFuture")
            .field("span", &self.span)
            .finish_non_exhaustive()
    }
}

impl<F, E> Future for TraceFuture<F>
where
    F: Future<Output = Result<Response, E>>,
    E: fmt::Display,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let result = ready!(this.inner.poll(cx));
        let latency_us = u64::try_from(this.start.elapsed().as_micros()).unwrap_or(u64::MAX);
        match &result {
            Ok(response) => match response.header().message_type {
                MessageType::Exception => {
                    // Exception replies are rare: decoded only to say their kind.
                    let kind = response
                        .application_exception()
                        .ok()
                        .flatten()
                        .map(|e| field::debug(e.kind()));
                    event_at!(
                        *this.level,
                        outcome = "exception",
                        kind,
                        latency_us,
                        "call ended"
                    )
                }
                MessageType::Oneway => {
                    event_at!(*this.level, outcome = "oneway", latency_us, "call ended")
                }
                _ => event_at!(*this.level, outcome = "reply", latency_us, "call ended"),
            },
            Err(error) => {
                event_at!(*this.level, outcome = "error", %error, latency_us, "call ended")
            }
        }
        Poll::Ready(result)
    }
}
