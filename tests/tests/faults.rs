//! The client's middleware under faults, against real servers on loopback: `Balanced`
//! over three backends with `RetryPolicy` around it, while a backend is killed, slowed
//! down or shut down. The backends serve the golden IDL's `Store`, whose `get` is marked
//! idempotent and answers the backend's name, so each reply says who ran the call.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tests::backend::Backend;
use tests::golden::service::StoreClient;
use thrift_tower::client::{Balanced, LoadMeasure};
use thrift_tower::layer::{RetryCounts, RetryPolicy};
use thrift_tower::{BoxError, Endpoint, Request, Response};
use tower::ServiceBuilder;
use tower::util::BoxCloneService;

type Client = StoreClient<BoxCloneService<Request, Response, BoxError>>;

/// A `Store` client balancing over `backends` by `measure`, retrying what is safe to.
fn client(backends: &[Backend], measure: LoadMeasure) -> (Client, RetryCounts) {
    let endpoints = backends.iter().map(|b| {
        Endpoint::from(b.addr)
            .connect_timeout(Duration::from_millis(500))
            .failure_penalty(Duration::from_millis(200))
            .timeout(Duration::from_secs(10))
    });
    let balanced = Balanced::builder().load(measure).list(endpoints);
    let policy = RetryPolicy::new()
        .max_retries(4)
        .backoff(Duration::from_millis(1), Duration::from_millis(50));
    let counts = policy.counts();
    let stack = ServiceBuilder::new()
        .layer(policy.layer())
        .service(balanced);
    (StoreClient::new(BoxCloneService::new(stack)), counts)
}

fn start(names: &[&str]) -> Vec<Backend> {
    names
        .iter()
        .map(|name| Backend::start(name).unwrap())
        .collect()
}

/// Replies counted by the backend that sent them, and the calls that failed.
#[derive(Debug, Default)]
struct Outcomes {
    by_backend: HashMap<String, usize>,
    failed: Vec<String>,
}

impl Outcomes {
    fn total(&self) -> usize {
        self.by_backend.values().sum::<usize>() + self.failed.len()
    }

    fn of(&self, name: &str) -> usize {
        self.by_backend.get(name).copied().unwrap_or(0)
    }
}

/// `workers` tasks calling `get` one after another until told to stop; what they saw.
struct Stream {
    stop: Arc<AtomicBool>,
    done: Arc<std::sync::atomic::AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<Outcomes>>,
}

impl Stream {
    fn start(client: &Client, workers: usize) -> Stream {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks = (0..workers)
            .map(|_| {
                let (client, stop, done) = (client.clone(), stop.clone(), done.clone());
                tokio::spawn(async move {
                    let mut seen = Outcomes::default();
                    while !stop.load(Ordering::Relaxed) {
                        match client.get("key".into()).await {
                            Ok(name) => {
                                let name = String::from_utf8_lossy(&name).into_owned();
                                *seen.by_backend.entry(name).or_default() += 1;
                            }
                            Err(e) => seen.failed.push(e.to_string()),
                        }
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    seen
                })
            })
            .collect();
        Stream { stop, done, tasks }
    }

    fn calls(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }

    /// Waits until `more` calls beyond the ones made so far have ended.
    async fn wait_for(&self, more: usize) {
        let target = self.calls() + more;
        wait_until(&format!("{more} more calls"), || self.calls() >= target).await;
    }

    async fn finish(self) -> Outcomes {
        self.stop.store(true, Ordering::Relaxed);
        let mut all = Outcomes::default();
        for task in self.tasks {
            let seen = task.await.unwrap();
            for (name, n) in seen.by_backend {
                *all.by_backend.entry(name).or_default() += n;
            }
            all.failed.extend(seen.failed);
        }
        all
    }
}

/// Polls `done` until it holds; fails the test after 30 s of no progress toward it.
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..3000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("still waiting for {what} after 30 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_loses_no_idempotent_call_when_a_backend_is_killed_and_uses_it_again_after_restart()
{
    let mut backends = start(&["a", "b", "c"]);
    let (client, retries) = client(&backends, LoadMeasure::PendingCalls);
    let stream = Stream::start(&client, 8);
    stream.wait_for(300).await;

    // Killed mid-stream: the calls it was running are lost with it, and sent again.
    backends[0].kill();
    stream.wait_for(600).await;
    let a_before_restart = backends[0].tally.finished();

    backends[0].restart().await.unwrap();
    let a = backends[0].tally.clone();
    wait_until("calls on the restarted backend", || {
        a.finished() > a_before_restart + 50
    })
    .await;
    let seen = stream.finish().await;

    assert!(
        seen.failed.is_empty(),
        "{} failed: {:?}",
        seen.failed.len(),
        &seen.failed[..seen.failed.len().min(5)]
    );
    assert!(seen.total() >= 900, "{seen:?}");
    for name in ["a", "b", "c"] {
        assert!(seen.of(name) > 0, "{name} got no call: {seen:?}");
    }
    // Each backend answered what the client counted from it, but for the calls `a` was
    // running when it died: those were answered by another after a retry.
    let lost_with_a = backends[0].tally.started() - seen.of("a");
    assert!(
        retries.retries() as usize >= lost_with_a,
        "{lost_with_a} calls lost with a, {retries:?}"
    );
    assert_eq!(backends[1].tally.finished(), seen.of("b"));
    assert_eq!(backends[2].tally.finished(), seen.of("c"));
}

/// Slows backend `c` down 50 times after a warm-up and counts where the next calls go.
async fn calls_after_slowing_one_down(measure: LoadMeasure, workers: usize) -> Outcomes {
    let backends = start(&["a", "b", "c"]);
    for backend in &backends {
        backend.tally.set_delay(Duration::from_millis(2));
    }
    let (client, _) = client(&backends, measure);
    let warm = Stream::start(&client, workers);
    warm.wait_for(150).await;
    let warm = warm.finish().await;
    assert!(warm.failed.is_empty(), "{warm:?}");
    assert!(warm.of("c") > 0, "c got no call while as fast: {warm:?}");

    backends[2].tally.set_delay(Duration::from_millis(100));
    let slowed = Stream::start(&client, workers);
    slowed.wait_for(600).await;
    let slowed = slowed.finish().await;
    assert!(slowed.failed.is_empty(), "{slowed:?}");
    slowed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_moves_traffic_off_a_backend_slowed_50x_by_pending_calls() {
    // Calls from 8 callers at once: the slow backend holds calls in flight, and loses.
    let seen = calls_after_slowing_one_down(LoadMeasure::PendingCalls, 8).await;
    let share = seen.of("c") as f64 / seen.total() as f64;
    assert!(
        share < 0.1,
        "the slow backend got {:.0}%: {seen:?}",
        share * 100.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_moves_traffic_off_a_backend_slowed_50x_by_peak_ewma() {
    // One caller, one call at a time: nothing is ever pending elsewhere, so only the
    // latency can tell the slow backend apart.
    let seen = calls_after_slowing_one_down(LoadMeasure::PEAK_EWMA, 1).await;
    let share = seen.of("c") as f64 / seen.total() as f64;
    assert!(
        share < 0.1,
        "the slow backend got {:.0}%: {seen:?}",
        share * 100.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_of_a_backend_behind_the_balancer_loses_no_accepted_call() {
    let mut backends = start(&["a", "b", "c"]);
    for backend in &backends {
        // Calls take a while, so that some are running when the shutdown begins.
        backend.tally.set_delay(Duration::from_millis(20));
    }
    let (client, _) = client(&backends, LoadMeasure::PendingCalls);
    let stream = Stream::start(&client, 12);
    stream.wait_for(200).await;

    let running = backends[0].tally.started() - backends[0].tally.finished();
    backends[0].stop().await;
    stream.wait_for(300).await;
    let seen = stream.finish().await;

    assert!(seen.failed.is_empty(), "{:?}", seen.failed);
    // Every call a backend began, it finished, and its reply reached the client: none was
    // cut off by the shutdown, and none had to be sent again elsewhere.
    for backend in &backends {
        let (name, tally) = (backend.tally.name(), &backend.tally);
        assert_eq!(tally.started(), tally.finished(), "{name}");
        assert_eq!(tally.finished(), seen.of(name), "{name}: {seen:?}");
    }
    // Not a vacuous shutdown: `a` had taken calls, and went on with none after.
    assert!(seen.of("a") > 0, "{seen:?}");
    eprintln!("calls running on a when its shutdown began: {running}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_sends_no_call_to_an_address_where_nothing_listens_for_long() {
    // One of three backends is down from the start: every call still succeeds, and the
    // dead one costs at most a few refused connections, each retried elsewhere.
    let mut backends = start(&["a", "b", "c"]);
    backends[1].kill();
    let (client, retries) = client(&backends, LoadMeasure::PendingCalls);
    let stream = Stream::start(&client, 4);
    stream.wait_for(500).await;
    let seen = stream.finish().await;
    assert!(seen.failed.is_empty(), "{:?}", seen.failed);
    assert_eq!(seen.of("b"), 0);
    // The failure penalty (200 ms) keeps it last between tries.
    assert!(retries.retries() < 100, "{retries:?}");
}
