//! [`RetryPolicy`]: which Thrift calls are safe to send again, for tower's `Retry`.
//!
//! Tower retries; what it cannot know is Thrift: whether a failed call may have run on the
//! server, whether its method may run twice, what a `TApplicationException` in a reply
//! means. This policy knows, from the error ([`Error::is_unsent`],
//! [`is_timeout`](Error::is_timeout), [`is_io`](Error::is_io)), the request's
//! [`MethodInfo`](crate::message::MethodInfo) (set by generated clients from the IDL) and the
//! reply ([`Response::application_exception`](crate::message::Message::application_exception)).
//! Retries are bounded per call, by a budget shared by all calls (tower's `TpsBudget`, so a
//! failing server does not get a storm of retries), and spaced by an exponential backoff
//! with jitter.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tower::retry::backoff::{Backoff, ExponentialBackoff, ExponentialBackoffMaker, MakeBackoff};
use tower::retry::budget::{Budget, TpsBudget};
use tower::retry::{Policy, RetryLayer};
use tower::util::rng::HasherRng;

use crate::error::{BoxError, Error};
use crate::exception::ApplicationExceptionKind;
use crate::message::{Request, Response};

/// Sends a Thrift call again when that is safe, within a budget, after a backoff.
///
/// | outcome of an attempt | retried for |
/// |---|---|
/// | the call provably never reached a server ([`Error::is_unsent`]: no connection, or none of it written) | every method |
/// | a `LOADSHEDDING` reply (the server says it did not run the call) | every method |
/// | any other transport error, or a timeout at any layer ([`Error::is_io`], [`Error::is_timeout`]) | methods marked `(idempotent = "true")` in the IDL |
/// | a reply with an exception of a kind given to [`retry_on`](Self::retry_on) | methods marked idempotent |
/// | a declared exception, any other reply, any other error | never |
///
/// A method is idempotent by what its request's
/// [`MethodInfo`](crate::message::MethodInfo) says, which generated clients set; a request
/// without one (made by hand) is not. A oneway call is retried only when unsent.
///
/// Usable as one line of a `ServiceBuilder`, outside a timeout so that each attempt gets
/// its own:
///
/// ```
/// use std::time::Duration;
/// use thrift_tower::layer::RetryPolicy;
/// # fn stack<S>(channel: S) -> impl tower::Service<thrift_tower::Request>
/// # where S: tower::Service<thrift_tower::Request, Response = thrift_tower::Response, Error = thrift_tower::Error> + Clone {
/// let stack = tower::ServiceBuilder::new()
///     .layer(RetryPolicy::new().max_retries(2).layer())
///     .timeout(Duration::from_millis(500))
///     .service(channel);
/// # stack
/// # }
/// ```
#[derive(Clone)]
pub struct RetryPolicy {
    /// Retries left for this call (each call works on its own clone).
    left: usize,
    /// Whether this call was counted in the budget (on its own clone).
    counted: bool,
    budget: Arc<TpsBudget>,
    backoff: ExponentialBackoff<HasherRng>,
    kinds: Arc<[ApplicationExceptionKind]>,
    counts: RetryCounts,
}

impl RetryPolicy {
    /// Two retries a call; a budget of 20% of the calls over 10 s, and at least 10 retries
    /// a second; a backoff from 10 ms, doubling up to 1 s, with up to as much again of
    /// jitter.
    pub fn new() -> Self {
        RetryPolicy {
            left: 2,
            counted: false,
            budget: Arc::new(TpsBudget::new(Duration::from_secs(10), 10, 0.2)),
            backoff: backoff(Duration::from_millis(10), Duration::from_secs(1)),
            kinds: Arc::new([]),
            counts: RetryCounts::default(),
        }
    }

    /// At most `retries` retries of one call.
    pub fn max_retries(mut self, retries: usize) -> Self {
        self.left = retries;
        self
    }

    /// The budget all the calls through this policy share: of the calls made within
    /// `window` (1 to 60 s), `ratio` of them (0.2: one retry for five calls) may be retried,
    /// besides `min_per_sec` retries a second however few calls there are.
    pub fn budget(mut self, window: Duration, min_per_sec: u32, ratio: f32) -> Self {
        self.budget = Arc::new(TpsBudget::new(window, min_per_sec, ratio));
        self
    }

    /// Waits before a retry: `min` before the first, twice as long before each next one, up
    /// to `max`, each time plus a random part of up to as long again (jitter), so that
    /// callers that failed together do not retry together.
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.backoff = backoff(min, max);
        self
    }

    /// Retries idempotent methods whose reply is a `TApplicationException` of `kind` too
    /// (`TIMEOUT`, say, a server's own timeout). `LOADSHEDDING` is retried for every method
    /// without being named here.
    pub fn retry_on(mut self, kind: ApplicationExceptionKind) -> Self {
        let mut kinds = self.kinds.to_vec();
        kinds.push(kind);
        self.kinds = kinds.into();
        self
    }

    /// What this policy and its clones have done so far, counted as it happens: for a
    /// report, a test, or a metric of your own.
    ///
    /// ```
    /// let policy = thrift_tower::layer::RetryPolicy::new();
    /// let counts = policy.counts();
    /// // ... ServiceBuilder::new().layer(policy.layer()) ...
    /// assert_eq!((counts.retries(), counts.refused_by_budget()), (0, 0));
    /// ```
    pub fn counts(&self) -> RetryCounts {
        self.counts.clone()
    }

    /// Tower's `RetryLayer` with this policy.
    pub fn layer(self) -> RetryLayer<Self> {
        RetryLayer::new(self)
    }

    /// Whether an attempt of `request` that came to `outcome` may be sent again.
    fn worth_retrying(&self, request: &Request, outcome: Outcome<'_>) -> bool {
        let idempotent = !request.is_oneway()
            && request
                .method_info()
                .is_some_and(|method| method.idempotent);
        match outcome {
            Outcome::Replied(response) => match response.application_exception() {
                Ok(Some(exception)) => {
                    exception.kind() == ApplicationExceptionKind::Loadshedding
                        || (idempotent && self.kinds.contains(&exception.kind()))
                }
                _ => false,
            },
            Outcome::Failed(error) => {
                error.is_unsent() || (idempotent && (error.is_io() || error.is_timeout()))
            }
            Outcome::Elapsed => idempotent,
            Outcome::Other => false,
        }
    }

    /// Called once per attempt, on the call's own clone of the policy (tower's `Retry`
    /// clones it for each call).
    fn decide(&mut self, request: &Request, outcome: Outcome<'_>) -> Option<tokio::time::Sleep> {
        if !self.counted {
            // The call counts once in the budget its retries draw on.
            self.counted = true;
            self.budget.deposit();
        }
        if self.left == 0 || !self.worth_retrying(request, outcome) {
            return None;
        }
        if !self.budget.withdraw() {
            self.counts.0.refused.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(method = %request.method(), "retry budget spent: not retried");
            return None;
        }
        self.counts.0.retries.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(method = %request.method(), "retrying");
        self.left -= 1;
        Some(self.backoff.next_backoff())
    }
}

fn backoff(min: Duration, max: Duration) -> ExponentialBackoff<HasherRng> {
    // Both bounds are checked here, so the maker cannot refuse them.
    let max = max.max(min).max(Duration::from_millis(1));
    ExponentialBackoffMaker::new(min, max, 1.0, HasherRng::new())
        .map(|mut maker| maker.make_backoff())
        .unwrap_or_else(|e| unreachable!("valid backoff bounds: {e}"))
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::new()
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("retries_left", &self.left)
            .field("retry_on", &self.kinds)
            .finish_non_exhaustive()
    }
}

/// How many calls a [`RetryPolicy`] (and its clones) sent again, and how many it would have
/// but its budget was spent: from [`RetryPolicy::counts`]. A handle: clones count together.
#[derive(Clone, Default)]
pub struct RetryCounts(Arc<Counters>);

#[derive(Default)]
struct Counters {
    retries: AtomicU64,
    refused: AtomicU64,
}

impl RetryCounts {
    /// Attempts sent again (a call retried twice counts two).
    pub fn retries(&self) -> u64 {
        self.0.retries.load(Ordering::Relaxed)
    }

    /// Retries that were due but not made because the budget was spent.
    pub fn refused_by_budget(&self) -> u64 {
        self.0.refused.load(Ordering::Relaxed)
    }
}

impl fmt::Debug for RetryCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryCounts")
            .field("retries", &self.retries())
            .field("refused_by_budget", &self.refused_by_budget())
            .finish()
    }
}

/// What an attempt came to, as far as the policy can tell.
#[derive(Clone, Copy)]
enum Outcome<'a> {
    Replied(&'a Response),
    Failed(&'a Error),
    /// tower's `TimeoutLayer` gave up on it.
    Elapsed,
    Other,
}

impl<'a> Outcome<'a> {
    fn of_boxed(result: &'a Result<Response, BoxError>) -> Self {
        match result {
            Ok(response) => Outcome::Replied(response),
            Err(e) => match e.downcast_ref::<Error>() {
                Some(error) => Outcome::Failed(error),
                None if e.is::<tower::timeout::error::Elapsed>() => Outcome::Elapsed,
                None => Outcome::Other,
            },
        }
    }
}

/// Under layers whose errors are boxed (a timeout, a buffer): the usual case.
impl Policy<Request, Response, BoxError> for RetryPolicy {
    type Future = tokio::time::Sleep;

    fn retry(
        &mut self,
        request: &mut Request,
        result: &mut Result<Response, BoxError>,
    ) -> Option<Self::Future> {
        self.decide(request, Outcome::of_boxed(result))
    }

    fn clone_request(&mut self, request: &Request) -> Option<Request> {
        clone_request(self, request)
    }
}

/// Right over a channel, whose errors are this crate's.
impl Policy<Request, Response, Error> for RetryPolicy {
    type Future = tokio::time::Sleep;

    fn retry(
        &mut self,
        request: &mut Request,
        result: &mut Result<Response, Error>,
    ) -> Option<Self::Future> {
        let outcome = match result {
            Ok(response) => Outcome::Replied(response),
            Err(error) => Outcome::Failed(error),
        };
        self.decide(request, outcome)
    }

    fn clone_request(&mut self, request: &Request) -> Option<Request> {
        clone_request(self, request)
    }
}

/// A copy of `request` for a retry (its body is `Bytes`: a reference count), unless no
/// retry is left.
fn clone_request(policy: &mut RetryPolicy, request: &Request) -> Option<Request> {
    (policy.left > 0).then(|| request.clone())
}
