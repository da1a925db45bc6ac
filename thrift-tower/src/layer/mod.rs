//! Thrift-aware tower layers and policies. Everything else (timeouts, load shedding,
//! concurrency limits, balancing, the retry machinery itself) is tower's own and works
//! unchanged; these add what only Thrift knows.
//!
//! - [`MultiplexLayer`]: a client's calls named `Service:method`, for Apache's multiplexed
//!   servers.
//! - [`RetryPolicy`]: which calls tower's `Retry` may send again (a call that never left, a
//!   server that shed it, an idempotent method's transport failure or timeout), within a
//!   budget and after a backoff.
//! - [`DeadlineLayer`]: a time limit per call that travels in the request, so the layers
//!   and the transport inside see the time left (the smallest deadline wins).
//! - [`TraceLayer`]: a `tracing` span per call, on the client or the server, and an event
//!   with its outcome and latency.
//! - `MetricsLayer` (feature `metrics`): calls, exceptions by kind, latency and calls in
//!   flight, per method, through the `metrics` crate's facade.

mod deadline;
#[cfg(feature = "metrics")]
mod metrics;
mod multiplex;
mod retry;
mod trace;

pub use self::deadline::{Deadline, DeadlineFuture, DeadlineLayer};
#[cfg(feature = "metrics")]
pub use self::metrics::{Metrics, MetricsFuture, MetricsLayer};
pub use self::multiplex::{Multiplex, MultiplexLayer};
pub use self::retry::{RetryCounts, RetryPolicy};
pub use self::trace::{Trace, TraceFuture, TraceLayer};

use crate::message::Request;

/// A call's service and method, as layers that name calls report them: the service from
/// the request's [`MethodInfo`](crate::message::MethodInfo) (a generated client's), or the
/// `Service:` of a multiplexed name.
fn service_and_method(request: &Request) -> (Option<&str>, &str) {
    match (request.method_info(), request.method().split_once(':')) {
        (Some(info), _) => (Some(info.service), info.name),
        (None, Some((service, method))) => (Some(service), method),
        (None, None) => (None, request.method()),
    }
}
