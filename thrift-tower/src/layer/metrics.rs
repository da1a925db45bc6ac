//! [`Metrics`] (feature `metrics`): the calls of a client or a server, counted and timed
//! through the `metrics` crate's facade, so whatever exporter the application installs
//! (Prometheus, StatsD...) picks them up.
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `thrift_calls_total` | counter | `side`, `service`, `method`, `outcome` (`reply`, `exception`, `oneway`, `error`) |
//! | `thrift_call_exceptions_total` | counter | `side`, `service`, `method`, `kind` (the `TApplicationException` kind: `InternalError`, `Loadshedding`...) |
//! | `thrift_call_duration_seconds` | histogram | `side`, `service`, `method` |
//! | `thrift_calls_in_flight` | gauge | `side`, `service`, `method` |
//!
//! `service` is the one the request's [`MethodInfo`](crate::message::MethodInfo) names (a
//! generated client's), or the `Service:` of a multiplexed name, or empty.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use metrics::{Gauge, Label, SharedString};
use tokio::time::Instant;
use tower_layer::Layer;
use tower_service::Service;

use crate::message::{Request, Response};
use crate::protocol::MessageType;

/// Counts and times each call of the service it wraps, as `thrift_calls_total`,
/// `thrift_call_exceptions_total`, `thrift_call_duration_seconds` and
/// `thrift_calls_in_flight`, labelled with the side, the service and the method (and the
/// outcome, or the exception's kind).
#[derive(Debug, Clone)]
pub struct Metrics<S> {
    inner: S,
    side: &'static str,
}

/// The [`Layer`] of [`Metrics`].
///
/// ```
/// use thrift_tower::layer::MetricsLayer;
/// # fn stack<C>(channel: C) -> impl tower::Service<thrift_tower::Request>
/// # where C: tower::Service<thrift_tower::Request, Response = thrift_tower::Response, Error = thrift_tower::Error> {
/// let client = tower::ServiceBuilder::new()
///     .layer(MetricsLayer::client())
///     .service(channel);
/// # client
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct MetricsLayer {
    side: &'static str,
}

impl MetricsLayer {
    /// Measures the calls a client makes (label `side="client"`).
    pub const fn client() -> Self {
        MetricsLayer { side: "client" }
    }

    /// Measures the calls a server serves (label `side="server"`).
    pub const fn server() -> Self {
        MetricsLayer { side: "server" }
    }
}

impl<S> Layer<S> for MetricsLayer {
    type Service = Metrics<S>;

    fn layer(&self, inner: S) -> Metrics<S> {
        Metrics {
            inner,
            side: self.side,
        }
    }
}

impl<S> Service<Request> for Metrics<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = MetricsFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The labels of the call. A generated client's names are static; a server's come
        // off the wire, and cost a copy each: the facade's labels are owned (its recorders
        // keep them), the price of measuring per method.
        let (service, method): (SharedString, SharedString) = match request.method_info() {
            Some(info) => (info.service.into(), info.name.into()),
            None => {
                let (service, method) = super::service_and_method(&request);
                (
                    service.unwrap_or("").to_owned().into(),
                    method.to_owned().into(),
                )
            }
        };
        let labels = vec![
            Label::from_static_parts("side", self.side),
            Label::new("service", service),
            Label::new("method", method),
        ];
        let in_flight = metrics::gauge!("thrift_calls_in_flight", labels.iter());
        in_flight.increment(1.0);
        MetricsFuture {
            inner: self.inner.call(request),
            call: Some(Measured {
                labels,
                in_flight,
                start: Instant::now(),
            }),
        }
    }
}

/// A call being measured: its labels, its place in the in-flight gauge, when it began.
struct Measured {
    labels: Vec<Label>,
    in_flight: Gauge,
    start: Instant,
}

impl Measured {
    fn ended(mut self, outcome: &'static str, kind: Option<String>) {
        let mut labels = std::mem::take(&mut self.labels);
        metrics::histogram!("thrift_call_duration_seconds", labels.iter())
            .record(self.start.elapsed().as_secs_f64());
        if let Some(kind) = kind {
            let mut with_kind = labels.clone();
            with_kind.push(Label::new("kind", kind));
            metrics::counter!("thrift_call_exceptions_total", with_kind).increment(1);
        }
        labels.push(Label::from_static_parts("outcome", outcome));
        metrics::counter!("thrift_calls_total", labels).increment(1);
        // `self.in_flight` goes down as it is dropped, below.
    }
}

impl Drop for Measured {
    fn drop(&mut self) {
        // Ended or dropped unfinished (a caller that gave up): the call is in flight no more.
        self.in_flight.decrement(1.0);
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Metrics`]: the inner future, measured.
    #[must_use = "futures do nothing unless polled"]
    pub struct MetricsFuture<F> {
        #[pin]
        inner: F,
        call: Option<Measured>,
    }
}

impl<F> fmt::Debug for MetricsFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsFuture").finish_non_exhaustive()
    }
}

impl<F, E> Future for MetricsFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let Some(call) = this.call.take() {
            match &result {
                Ok(response) => match response.header().message_type {
                    MessageType::Exception => {
                        // Exception replies are rare: decoded only to say their kind.
                        let kind = response
                            .application_exception()
                            .ok()
                            .flatten()
                            .map_or_else(|| "Unknown".to_owned(), |e| format!("{:?}", e.kind()));
                        call.ended("exception", Some(kind));
                    }
                    MessageType::Oneway => call.ended("oneway", None),
                    _ => call.ended("reply", None),
                },
                Err(_) => call.ended("error", None),
            }
        }
        Poll::Ready(result)
    }
}
