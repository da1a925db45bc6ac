//! [`Balanced`]: calls spread over several servers, in tonic's shape: a fixed list of
//! endpoints ([`Balanced::list`]), or endpoints added and removed at run time
//! ([`Balanced::with_changes`], tower's `Change`).
//!
//! The balancing is tower's power of two choices: each call samples two servers at random
//! and goes to the one that weighs less. It weighs each server by a [`LoadMeasure`]: a
//! server whose connection failed lately ranks last for its [failure
//! penalty](super::Endpoint::failure_penalty); among the others, the one with fewer calls
//! in flight wins ([`LoadMeasure::PendingCalls`], the default), or the one whose calls in
//! flight times its recent peak latency is lower ([`LoadMeasure::PeakEwma`]). A server that
//! cannot be reached is backed off and tried again, not dropped.
//!
//! Unlike tower's `Balance`, which one task must own (behind a `Buffer`, whose task every
//! call then passes through), each clone of a [`Balanced`] picks for itself: the servers
//! are a list shared by all the clones, replaced whole when one comes or goes, and a clone
//! reserves a slot on the server it picks in `poll_ready`, as a [`Channel`] does. A call
//! then costs what a call on a channel costs, plus the two samples. When both servers
//! sampled are full, the call goes to any server with room (tower's balancer, too, picks
//! only among servers that are ready); when every one is full, the clone waits for a slot
//! on the lighter of the two (or for the servers to change), as a caller of that channel
//! would.

use std::cell::Cell;
use std::hash::{BuildHasher, Hash, RandomState};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio_util::sync::ReusableBoxFuture;
use tower::discover::Change;
use tower_service::Service;

use super::channel::{ResponseFuture, Slot};
use super::{Channel, Endpoint};
use crate::error::{BoxError, Error};
use crate::message::{Request, Response};

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

/// A server's channel as the balancer sees it: with its latency estimate when the measure
/// is peak EWMA. Cloned into the list the clones share; a clone of it is a handle of its
/// own on the channel, with no slot reserved.
#[derive(Clone)]
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

    /// What the balancer compares: failing servers last, then the cost.
    fn weight(&self) -> Weight {
        let load = tower::load::Load::load(&self.channel);
        let cost = match &self.ewma {
            None => load.in_flight as f64,
            Some(ewma) => ewma.estimate() * (load.in_flight as f64 + 1.0),
        };
        Weight {
            failing: load.failing,
            cost,
        }
    }

    /// Sends `request` in `slot`, one of this server's channel's.
    fn call_in(&self, slot: Slot, request: Request) -> WeighedFuture {
        WeighedFuture {
            // A clock read per call only when the latency is measured.
            timed: self
                .ewma
                .as_ref()
                .map(|ewma| (Instant::now(), ewma.clone())),
            inner: self.channel.call_in(slot, request),
        }
    }

    /// Sends `request` through this handle, made ready by its `poll_ready`.
    fn call(&mut self, request: Request) -> WeighedFuture {
        WeighedFuture {
            timed: self
                .ewma
                .as_ref()
                .map(|ewma| (Instant::now(), ewma.clone())),
            inner: self.channel.call(request),
        }
    }
}

/// What the balancer compares: failing servers last, then the cost.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
struct Weight {
    failing: bool,
    cost: f64,
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

/// The servers now, shared by every clone of a [`Balanced`]; replaced whole when one comes
/// or goes, so that picking reads it without a lock.
type Members = Arc<[Weighed]>;

/// Keeps the members up to date with `changes`, until every clone of the balanced service
/// is dropped or the changes end.
async fn follow<K>(
    mut changes: mpsc::Receiver<Change<K, Endpoint>>,
    members: watch::Sender<Members>,
    measure: LoadMeasure,
) where
    K: Eq,
{
    // In the order they came. A list, not a map: changes are rare, and a lookup among a
    // few hundred servers is quick.
    let mut servers: Vec<(K, Weighed)> = Vec::new();
    loop {
        let change = tokio::select! {
            change = changes.recv() => change,
            () = members.closed() => return,
        };
        let Some(change) = change else {
            return;
        };
        apply(&mut servers, change, measure);
        // Changes that came together are published together.
        while let Ok(change) = changes.try_recv() {
            apply(&mut servers, change, measure);
        }
        members.send_replace(servers.iter().map(|(_, server)| server.clone()).collect());
    }
}

fn apply<K: Eq>(
    servers: &mut Vec<(K, Weighed)>,
    change: Change<K, Endpoint>,
    measure: LoadMeasure,
) {
    match change {
        Change::Insert(key, endpoint) => {
            let server = Weighed::new(endpoint.connect_lazy(), measure);
            match servers.iter_mut().find(|(k, _)| *k == key) {
                Some((_, old)) => *old = server,
                None => servers.push((key, server)),
            }
        }
        Change::Remove(key) => servers.retain(|(k, _)| *k != key),
    }
}

/// A random index below `bound` (at least 1), from a generator per thread: p2c needs
/// samples that differ from clone to clone, not good randomness, and a shared generator
/// would be one more thing for the threads to contend on.
fn random_below(bound: usize) -> usize {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(RandomState::new().hash_one(0u64) | 1);
    }
    STATE.with(|state| {
        // xorshift64 (Marsaglia): never 0 from a state that is not.
        let mut x = state.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state.set(x);
        // Multiply-shift into the range, without a division.
        ((u128::from(x) * bound as u128) >> 64) as usize
    })
}

/// Settings of a [`Balanced`] before it starts: from [`Balanced::builder`].
#[derive(Debug, Clone)]
pub struct BalancedBuilder {
    measure: LoadMeasure,
}

impl BalancedBuilder {
    /// How servers are weighed: [`LoadMeasure::PendingCalls`] unless told.
    pub fn load(mut self, measure: LoadMeasure) -> Self {
        self.measure = measure;
        self
    }

    /// Had calls wait in a queue for the balancer's task; there is no such queue any more
    /// (callers wait in `poll_ready` for a slot on a server), so this does nothing.
    #[deprecated(note = "Balanced has no queue any more: callers wait in `poll_ready`")]
    pub fn buffer(self, _calls: usize) -> Self {
        self
    }

    /// Balances over `endpoints`, numbered in order.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime: the channels' tasks start now.
    pub fn list(self, endpoints: impl IntoIterator<Item = Endpoint>) -> Balanced<usize> {
        let members: Members = endpoints
            .into_iter()
            .map(|endpoint| Weighed::new(endpoint.connect_lazy(), self.measure))
            .collect();
        // The list never changes: the sender goes at once, and the clones see no change.
        let (_, members) = watch::channel(members);
        Balanced::new(members)
    }

    /// Balances over the endpoints sent on the returned sender as they come
    /// (`Change::Insert(key, endpoint)`) and go (`Change::Remove(key)`); `capacity`
    /// changes may wait to be taken in. Inserting a key again replaces its endpoint.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime: the task that takes the changes in starts now.
    pub fn with_changes<K>(
        self,
        capacity: usize,
    ) -> (Balanced<K>, mpsc::Sender<Change<K, Endpoint>>)
    where
        K: Hash + Eq + Clone + Send + 'static,
    {
        let (sender, changes) = mpsc::channel(capacity.max(1));
        let (publish, members) = watch::channel(Members::from([]));
        tokio::spawn(follow(changes, publish, self.measure));
        (Balanced::new(members), sender)
    }
}

/// Calls spread over several servers by the power of two choices: see [the module
/// docs](crate::client). A `tower::Service<Request, Response = Response>` like a
/// [`Channel`], for generated clients and any layer (a [retry](crate::layer::RetryPolicy)
/// around it sends a call that could not be sent to another server). Clones share the
/// servers; each reserves a slot on the server it picks in `poll_ready`.
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
    /// Where the servers are published; `current` is this clone's copy.
    members: watch::Receiver<Members>,
    current: Members,
    chosen: Chosen,
    /// Resolves when the servers change: polled only while waiting (no server, or every one
    /// sampled full), so its allocation is not a call's.
    changed: Option<ReusableBoxFuture<'static, ()>>,
    _key: PhantomData<fn() -> K>,
}

/// What `poll_ready` has chosen for the next call.
enum Chosen {
    Nothing,
    /// A slot on `current[member]`.
    Reserved {
        member: usize,
        slot: Slot,
    },
    /// Both servers sampled were full: a handle of its own on the lighter one, waiting in
    /// its `poll_ready` for a slot.
    Waiting(Weighed),
    /// That handle, now holding a slot.
    Ready(Weighed),
}

impl<K> Balanced<K>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    fn new(members: watch::Receiver<Members>) -> Self {
        let current = members.borrow().clone();
        Balanced {
            current,
            members,
            chosen: Chosen::Nothing,
            changed: None,
            _key: PhantomData,
        }
    }

    /// Takes in the servers published since this clone last looked.
    fn refresh(&mut self) {
        // `Err`: they will not change any more (a fixed list), and have been seen.
        if self.members.has_changed().unwrap_or(false) {
            self.current = self.members.borrow_and_update().clone();
            // A wait for changes begun before is over.
            self.changed = None;
        }
    }

    /// Ready when the servers have changed since this clone last looked.
    fn poll_changed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let members = &self.members;
        let changed = self.changed.get_or_insert_with(|| {
            let mut members = members.clone();
            ReusableBoxFuture::new(async move {
                if members.changed().await.is_err() {
                    // No more changes will come: a fixed list, or changes that ended.
                    std::future::pending::<()>().await;
                }
            })
        });
        ready!(changed.poll(cx));
        self.changed = None;
        Poll::Ready(())
    }

    /// Reserves a slot on the lighter of two servers sampled at random; if both are full,
    /// on any server with room, as tower's balancer picks only among servers that are
    /// ready; if none has, waits on the lighter one. `None` if there is no server.
    fn choose(&self) -> Option<Chosen> {
        let servers = &self.current;
        let n = servers.len();
        if n == 0 {
            return None;
        }
        let (lighter, other) = if n == 1 {
            (0, 0)
        } else {
            let a = random_below(n);
            let mut b = random_below(n - 1);
            if b >= a {
                b += 1;
            }
            if servers[b].weight() < servers[a].weight() {
                (b, a)
            } else {
                (a, b)
            }
        };
        // Past the two samples only when both are full: a scan, from where the first
        // sample was so that it does not favour the first servers.
        let scan = (0..n).map(|i| (lighter + i) % n).filter(|&i| i != other);
        for member in [lighter, other].into_iter().chain(scan) {
            if let Some(slot) = servers[member].channel.try_reserve() {
                return Some(Chosen::Reserved { member, slot });
            }
        }
        // Every server is full (or the lighter one's task stopped, which its `poll_ready`
        // says): a handle of its own waits for a slot, with this task's waker.
        Some(Chosen::Waiting(servers[lighter].clone()))
    }
}

impl Balanced<usize> {
    /// Settings other than the defaults: the [`LoadMeasure`].
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
        }
    }

    /// Balances over `endpoints`, numbered in order, with the default settings.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime: the channels' tasks start now.
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
    /// Outside a Tokio runtime: the task that takes the changes in starts now.
    pub fn with_changes(capacity: usize) -> (Self, mpsc::Sender<Change<K, Endpoint>>) {
        Balanced::builder().with_changes(capacity)
    }
}

impl<K> Clone for Balanced<K>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    /// Another handle on the same servers, with nothing reserved yet.
    fn clone(&self) -> Self {
        Balanced {
            members: self.members.clone(),
            current: self.current.clone(),
            chosen: Chosen::Nothing,
            changed: None,
            _key: PhantomData,
        }
    }
}

impl<K> std::fmt::Debug for Balanced<K>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Balanced")
            .field("servers", &self.current.len())
            .field(
                "ready",
                &matches!(self.chosen, Chosen::Reserved { .. } | Chosen::Ready(_)),
            )
            .finish_non_exhaustive()
    }
}

impl<K> Service<Request> for Balanced<K>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    type Response = Response;
    type Error = BoxError;
    type Future = BalancedFuture<K>;

    /// Ready when a slot is reserved on a server: the lighter of two sampled, or, when both
    /// are full, any with room, or else the first slot the lighter one frees. Pending while
    /// there is no server.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        loop {
            match &mut self.chosen {
                Chosen::Reserved { .. } | Chosen::Ready(_) => return Poll::Ready(Ok(())),
                Chosen::Waiting(server) => match server.channel.poll_ready(cx) {
                    Poll::Ready(Ok(())) => {
                        if let Chosen::Waiting(server) =
                            std::mem::replace(&mut self.chosen, Chosen::Nothing)
                        {
                            self.chosen = Chosen::Ready(server);
                        }
                        return Poll::Ready(Ok(()));
                    }
                    Poll::Ready(Err(e)) => {
                        self.chosen = Chosen::Nothing;
                        return Poll::Ready(Err(e.into()));
                    }
                    Poll::Pending => {
                        // Servers that come meanwhile may have room: pick again then.
                        ready!(self.poll_changed(cx));
                        self.chosen = Chosen::Nothing;
                    }
                },
                Chosen::Nothing => {
                    self.refresh();
                    match self.choose() {
                        Some(chosen) => self.chosen = chosen,
                        None => ready!(self.poll_changed(cx)),
                    }
                }
            }
        }
    }

    /// Sends `request` to the server `poll_ready` chose.
    ///
    /// # Panics
    ///
    /// If [`poll_ready`](Service::poll_ready) did not return `Ready(Ok(()))` since the
    /// last call, as tower's contract allows.
    fn call(&mut self, request: Request) -> Self::Future {
        let inner = match std::mem::replace(&mut self.chosen, Chosen::Nothing) {
            Chosen::Reserved { member, slot } => self.current[member].call_in(slot, request),
            Chosen::Ready(mut server) => server.call(request),
            Chosen::Nothing | Chosen::Waiting(_) => {
                panic!("Balanced::call without a reserved slot: poll_ready must be Ready first")
            }
        };
        BalancedFuture {
            inner,
            _key: PhantomData,
        }
    }
}

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
        inner: WeighedFuture,
        _key: PhantomData<fn() -> K>,
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
        self.project().inner.poll(cx).map_err(Into::into)
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

    fn poll_ready<K: Hash + Eq + Clone + Send>(
        balanced: &mut Balanced<K>,
    ) -> Poll<Result<(), BoxError>> {
        balanced.poll_ready(&mut Context::from_waker(std::task::Waker::noop()))
    }

    #[tokio::test]
    async fn a_full_server_is_passed_over_for_one_with_room() {
        // Four servers of one call each, never connected: a slot is all `poll_ready` takes.
        let one = Endpoint::from_static("127.0.0.1:9")
            .pipelining(1)
            .max_connections(1);
        let balanced = Balanced::list(std::iter::repeat_n(one, 4));
        let mut ready: Vec<Balanced> = (0..4).map(|_| balanced.clone()).collect();
        for handle in &mut ready {
            assert!(matches!(poll_ready(handle), Poll::Ready(Ok(()))));
        }
        let costs: Vec<f64> = balanced.current.iter().map(|s| s.weight().cost).collect();
        assert_eq!(costs, [1.0; 4], "one call reserved on each server");
        // Every server full: the next waits, and gets the slot the first to free it gives.
        let mut fifth = balanced.clone();
        assert!(poll_ready(&mut fifth).is_pending());
        assert!(poll_ready(&mut fifth).is_pending());
        drop(ready);
        assert!(matches!(poll_ready(&mut fifth), Poll::Ready(Ok(()))));
        let costs: f64 = balanced.current.iter().map(|s| s.weight().cost).sum();
        assert_eq!(costs, 1.0);
    }

    #[tokio::test]
    async fn servers_that_come_and_go_are_picked_from() {
        let (mut balanced, changes) = Balanced::<&str>::with_changes(4);
        assert!(poll_ready(&mut balanced).is_pending(), "no server yet");
        let one = Endpoint::from_static("127.0.0.1:9").pipelining(1);
        changes
            .send(Change::Insert("a", one.clone()))
            .await
            .unwrap();
        changes.send(Change::Insert("b", one)).await.unwrap();
        while balanced.members.borrow().len() < 2 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(poll_ready(&mut balanced), Poll::Ready(Ok(()))));
        assert_eq!(balanced.current.len(), 2);
        changes.send(Change::Remove("a")).await.unwrap();
        while balanced.members.borrow().len() > 1 {
            tokio::task::yield_now().await;
        }
        let mut other = balanced.clone();
        assert!(matches!(poll_ready(&mut other), Poll::Ready(Ok(()))));
        assert_eq!(other.current.len(), 1);
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
