//! [`Balanced`]: calls spread over several servers, in tonic's shape: a fixed list of
//! endpoints ([`Balanced::list`]), or endpoints added and removed at run time
//! ([`Balanced::with_changes`], tower's `Change`).
//!
//! Underneath are tower's pieces, unchanged: the power-of-two-choices balancer, behind a
//! buffer so that the balanced service can be cloned. It weighs each server by a
//! [`LoadMeasure`]: a server whose connection failed lately ranks last for its [failure
//! penalty](super::Endpoint::failure_penalty); among the others, the one with fewer calls
//! in flight wins ([`LoadMeasure::PendingCalls`], the default), or the one whose calls in
//! flight times its recent peak latency is lower ([`LoadMeasure::PeakEwma`]). A server that
//! cannot be reached is backed off and tried again, not dropped.

use std::convert::Infallible;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::Stream;
use tokio::sync::mpsc;
use tower::balance::p2c::Balance;
use tower::buffer::Buffer;
use tower::discover::Change;
use tower_service::Service;

use super::channel::ResponseFuture;
use super::{Channel, Endpoint};
use crate::error::{BoxError, Error};
use crate::message::{Request, Response};

/// Calls waiting for the balancer at once, at most, before callers wait in `poll_ready`.
const BUFFER: usize = 1024;

/// How [`Balanced`] weighs the servers it picks between (lower wins). Either way a server
/// whose last connection attempt failed within its [failure
/// penalty](super::Endpoint::failure_penalty) ranks after every other.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub enum LoadMeasure {
    /// The calls in flight on the server's channel: no clock is read. Right when servers
    /// are alike, and under concurrency (a slow server keeps more calls in flight, and so
    /// gets fewer new ones).
    #[default]
    PendingCalls,
    /// Finagle's and linkerd's peak EWMA: the calls in flight plus one, times a moving
    /// average of the server's latency that jumps to any slower reply at once (the peak)
    /// and forgets with time (`decay`: after it, an old latency weighs about a third).
    /// `default_rtt` is a new server's latency until its first reply. Right when servers
    /// differ in speed, even for a caller making one call at a time: a server grown slow
    /// stops getting calls after its first slow reply.
    PeakEwma {
        /// A server's latency until it has replied once.
        default_rtt: Duration,
        /// How fast a latency is forgotten.
        decay: Duration,
    },
}

impl LoadMeasure {
    /// Peak EWMA with a default latency of 30 ms and a decay of 10 s, the values Finagle
    /// and linkerd start from.
    pub const PEAK_EWMA: LoadMeasure = LoadMeasure::PeakEwma {
        default_rtt: Duration::from_millis(30),
        decay: Duration::from_secs(10),
    };
}

/// The endpoints as they come, each connected lazily as a [`Channel`] and weighed by the
/// measure.
struct Endpoints<K> {
    changes: mpsc::Receiver<Change<K, Endpoint>>,
    measure: LoadMeasure,
}

impl<K> Stream for Endpoints<K> {
    type Item = Result<Change<K, Weighed>, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let measure = self.measure;
        self.changes.poll_recv(cx).map(|change| {
            change.map(|change| {
                Ok(match change {
                    Change::Insert(key, endpoint) => {
                        Change::Insert(key, Weighed::new(endpoint.connect_lazy(), measure))
                    }
                    Change::Remove(key) => Change::Remove(key),
                })
            })
        })
    }
}

/// A server's channel as the balancer sees it: with its latency estimate when the measure
/// is peak EWMA.
struct Weighed {
    channel: Channel,
    ewma: Option<Arc<Ewma>>,
}

impl Weighed {
    fn new(channel: Channel, measure: LoadMeasure) -> Self {
        let ewma = match measure {
            LoadMeasure::PendingCalls => None,
            LoadMeasure::PeakEwma { default_rtt, decay } => {
                Some(Arc::new(Ewma::new(default_rtt, decay)))
            }
        };
        Weighed { channel, ewma }
    }
}

/// What the balancer compares: failing servers last, then the cost.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
struct Weight {
    failing: bool,
    cost: f64,
}

impl tower::load::Load for Weighed {
    type Metric = Weight;

    fn load(&self) -> Weight {
        let load = self.channel.load();
        let cost = match &self.ewma {
            None => load.in_flight as f64,
            Some(ewma) => ewma.estimate() * (load.in_flight as f64 + 1.0),
        };
        Weight {
            failing: load.failing,
            cost,
        }
    }
}

impl Service<Request> for Weighed {
    type Response = Response;
    type Error = Error;
    type Future = WeighedFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.channel.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> WeighedFuture {
        WeighedFuture {
            // A clock read per call only when the latency is measured.
            timed: self
                .ewma
                .as_ref()
                .map(|ewma| (Instant::now(), ewma.clone())),
            inner: self.channel.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    /// A call on a [`Weighed`] channel, timed when its latency is measured.
    struct WeighedFuture {
        #[pin]
        inner: ResponseFuture,
        timed: Option<(Instant, Arc<Ewma>)>,
    }
}

impl std::future::Future for WeighedFuture {
    type Output = Result<Response, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let output = std::task::ready!(this.inner.poll(cx));
        if let Some((sent, ewma)) = this.timed.take() {
            // A failure counts too: a server that fails slowly is slow.
            ewma.observe(sent.elapsed());
        }
        Poll::Ready(output)
    }
}

/// A server's peak-EWMA latency, shared by its calls in flight and read by the balancer.
///
/// Two atomics instead of a lock, so that a reply and the balancer never wait on each
/// other: under a race one sample may be lost or blended against a slightly older
/// estimate, which only nudges an estimate that is an estimate anyway.
#[derive(Debug)]
struct Ewma {
    /// What `stamp` counts from.
    born: Instant,
    /// The estimate in nanoseconds, as it stood at `stamp` (an `f64`'s bits).
    rtt_ns: AtomicU64,
    /// Nanoseconds after `born` when `rtt_ns` was written.
    stamp: AtomicU64,
    decay_ns: f64,
}

impl Ewma {
    fn new(default_rtt: Duration, decay: Duration) -> Self {
        Ewma {
            born: Instant::now(),
            rtt_ns: AtomicU64::new((default_rtt.as_nanos() as f64).to_bits()),
            stamp: AtomicU64::new(0),
            // At least a nanosecond: the weight below divides by it.
            decay_ns: (decay.as_nanos() as f64).max(1.0),
        }
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.born.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// The estimate and how much of it is left after the time since it was written: the
    /// weight an old latency keeps, `exp(-elapsed / decay)`.
    fn stored(&self, now: u64) -> (f64, f64) {
        let rtt = f64::from_bits(self.rtt_ns.load(Ordering::Relaxed));
        let elapsed = now.saturating_sub(self.stamp.load(Ordering::Relaxed)) as f64;
        (rtt, (-elapsed / self.decay_ns).exp())
    }

    /// The estimate now: it fades while no reply comes, so that a server once slow is
    /// tried again in time.
    fn estimate(&self) -> f64 {
        let (rtt, kept) = self.stored(self.now_ns());
        rtt * kept
    }

    /// A reply came after `rtt`: a slower one than the estimate replaces it (the peak), a
    /// faster one is blended in by how long it has been.
    fn observe(&self, rtt: Duration) {
        let now = self.now_ns();
        let sample = rtt.as_nanos() as f64;
        let (old, kept) = self.stored(now);
        let next = if sample > old {
            sample
        } else {
            old * kept + sample * (1.0 - kept)
        };
        self.rtt_ns.store(next.to_bits(), Ordering::Relaxed);
        self.stamp.store(now, Ordering::Relaxed);
    }
}

type Balancer<K> = Balance<Endpoints<K>, Request>;

/// Settings of a [`Balanced`] before it starts: from [`Balanced::builder`].
#[derive(Debug, Clone)]
pub struct BalancedBuilder {
    measure: LoadMeasure,
    buffer: usize,
}

impl BalancedBuilder {
    /// How servers are weighed: [`LoadMeasure::PendingCalls`] unless told.
    pub fn load(mut self, measure: LoadMeasure) -> Self {
        self.measure = measure;
        self
    }

    /// Calls that may wait for the balancer at once before callers wait in `poll_ready`
    /// (at least 1; 1024 unless told).
    pub fn buffer(mut self, calls: usize) -> Self {
        self.buffer = calls.max(1);
        self
    }

    /// Balances over `endpoints`, numbered in order.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime: the balancer's task starts now.
    pub fn list(self, endpoints: impl IntoIterator<Item = Endpoint>) -> Balanced<usize> {
        let endpoints: Vec<Endpoint> = endpoints.into_iter().collect();
        let (balanced, changes) = self.with_changes(endpoints.len().max(1));
        for (key, endpoint) in endpoints.into_iter().enumerate() {
            // The channel has room for all of them, and its receiver is alive.
            let _ = changes.try_send(Change::Insert(key, endpoint));
        }
        balanced
    }

    /// Balances over the endpoints sent on the returned sender as they come
    /// (`Change::Insert(key, endpoint)`) and go (`Change::Remove(key)`); `capacity`
    /// changes may wait to be taken in. Inserting a key again replaces its endpoint.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime: the balancer's task starts now.
    pub fn with_changes<K>(
        self,
        capacity: usize,
    ) -> (Balanced<K>, mpsc::Sender<Change<K, Endpoint>>)
    where
        K: Hash + Eq + Clone + Send + 'static,
    {
        let (sender, changes) = mpsc::channel(capacity.max(1));
        let balance = Balance::new(Endpoints {
            changes,
            measure: self.measure,
        });
        let balanced = Balanced {
            inner: Buffer::new(balance, self.buffer),
        };
        (balanced, sender)
    }
}

/// Calls spread over several servers by tower's p2c balancer: see [the module
/// docs](crate::client). A `tower::Service<Request, Response = Response>` like a
/// [`Channel`], for generated clients and any layer (a [retry](crate::layer::RetryPolicy)
/// around it sends a call that could not be sent to another server).
///
/// ```no_run
/// use thrift_tower::Endpoint;
/// use thrift_tower::client::Balanced;
/// use tower::discover::Change;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// // A fixed list.
/// let balanced = Balanced::list([
///     Endpoint::from_static("10.0.0.1:9090"),
///     Endpoint::from_static("10.0.0.2:9090"),
/// ]);
/// // let client = HelloServiceClient::new(balanced);
///
/// // Or servers that come and go.
/// let (balanced, changes) = Balanced::with_changes(16);
/// changes.send(Change::Insert("a", Endpoint::from_static("10.0.0.1:9090"))).await?;
/// changes.send(Change::Remove("a")).await?;
/// # drop(balanced);
/// # Ok(())
/// # }
/// ```
pub struct Balanced<K = usize>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    inner: Buffer<Request, <Balancer<K> as Service<Request>>::Future>,
}

impl Balanced<usize> {
    /// Settings other than the defaults: the [`LoadMeasure`], the buffer.
    ///
    /// ```no_run
    /// use thrift_tower::Endpoint;
    /// use thrift_tower::client::{Balanced, LoadMeasure};
    ///
    /// # async fn run() {
    /// let balanced = Balanced::builder()
    ///     .load(LoadMeasure::PEAK_EWMA)
    ///     .list([
    ///         Endpoint::from_static("10.0.0.1:9090"),
    ///         Endpoint::from_static("10.0.0.2:9090"),
    ///     ]);
    /// # drop(balanced);
    /// # }
    /// ```
    pub fn builder() -> BalancedBuilder {
        BalancedBuilder {
            measure: LoadMeasure::default(),
            buffer: BUFFER,
        }
    }

    /// Balances over `endpoints`, numbered in order, with the default settings.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime: the balancer's task starts now.
    pub fn list(endpoints: impl IntoIterator<Item = Endpoint>) -> Self {
        Balanced::builder().list(endpoints)
    }
}

impl<K> Balanced<K>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    /// Balances over the endpoints sent on the returned sender as they come
    /// (`Change::Insert(key, endpoint)`) and go (`Change::Remove(key)`), with the default
    /// settings; `capacity` changes may wait to be taken in. Inserting a key again replaces
    /// its endpoint.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime: the balancer's task starts now.
    pub fn with_changes(capacity: usize) -> (Self, mpsc::Sender<Change<K, Endpoint>>) {
        Balanced::builder().with_changes(capacity)
    }
}

impl<K> Clone for Balanced<K>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    fn clone(&self) -> Self {
        Balanced {
            inner: self.inner.clone(),
        }
    }
}

impl<K> std::fmt::Debug for Balanced<K>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Balanced").finish_non_exhaustive()
    }
}

impl<K> Service<Request> for Balanced<K>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    type Response = Response;
    type Error = BoxError;
    type Future = BalancedFuture<K>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        BalancedFuture {
            inner: self.inner.call(request),
        }
    }
}

type BufferFuture<K> =
    tower::buffer::future::ResponseFuture<<Balancer<K> as Service<Request>>::Future>;

pin_project_lite::pin_project! {
    /// The answer to a call through [`Balanced`].
    #[must_use = "futures do nothing unless polled"]
    pub struct BalancedFuture<K>
    where
        K: Hash,
        K: Eq,
        K: Clone,
        K: Send,
        K: 'static,
    {
        #[pin]
        inner: BufferFuture<K>,
    }
}

impl<K> std::fmt::Debug for BalancedFuture<K>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BalancedFuture").finish_non_exhaustive()
    }
}

impl<K> std::future::Future for BalancedFuture<K>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    type Output = Result<Response, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: f64 = 1e6;

    /// An estimate of `rtt` written `ago` before now, forgetting over `decay`.
    fn written(rtt: Duration, ago: Duration, decay: Duration) -> Ewma {
        let ewma = Ewma::new(rtt, decay);
        Ewma {
            born: Instant::now().checked_sub(ago).unwrap(),
            ..ewma
        }
    }

    #[test]
    fn ewma_starts_from_the_default_and_jumps_to_a_slower_reply() {
        let ewma = Ewma::new(Duration::from_millis(30), Duration::from_secs(10));
        assert!(
            (ewma.estimate() / MS - 30.0).abs() < 0.1,
            "{}",
            ewma.estimate()
        );
        ewma.observe(Duration::from_millis(500));
        assert!(
            (ewma.estimate() / MS - 500.0).abs() < 1.0,
            "{}",
            ewma.estimate()
        );
        // A fast reply right after hardly moves the peak: the slow one is recent.
        ewma.observe(Duration::from_millis(1));
        assert!(ewma.estimate() / MS > 490.0, "{}", ewma.estimate());
    }

    #[test]
    fn ewma_forgets_with_time() {
        let decay = Duration::from_secs(1);
        let ewma = written(Duration::from_millis(100), decay, decay);
        // One decay later a third of it is left (e^-1).
        let left = ewma.estimate() / MS;
        assert!((left - 100.0 / std::f64::consts::E).abs() < 1.0, "{left}");
        // A fast reply now weighs as much as the time since the last one says.
        ewma.observe(Duration::from_millis(10));
        let blended = ewma.estimate() / MS;
        let expected = 100.0 / std::f64::consts::E + 10.0 * (1.0 - 1.0 / std::f64::consts::E);
        assert!(
            (blended - expected).abs() < 1.0,
            "{blended} against {expected}"
        );
    }

    #[test]
    fn failing_servers_weigh_more_than_any_cost() {
        let failing = Weight {
            failing: true,
            cost: 0.0,
        };
        let busy = Weight {
            failing: false,
            cost: 1e12,
        };
        assert!(busy < failing);
    }
}
