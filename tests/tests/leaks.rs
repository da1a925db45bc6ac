//! What the client leaves behind, counted: tasks of its runtime, file descriptors of the
//! process, resident memory. After calls that time out, and through a soak of calls over a
//! balancer whose backends are killed and restarted. The counts are process-wide, so the
//! tests of this file take turns (`SERIAL`) and no other test shares their process.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tests::backend::{Backend, open_fds, resident_bytes};
use tests::golden::service::StoreClient;
use thrift_tower::client::Balanced;
use thrift_tower::layer::RetryPolicy;
use thrift_tower::{BoxError, Endpoint, Request, Response};
use tokio::sync::Mutex;
use tower::ServiceBuilder;
use tower::util::BoxCloneService;

static SERIAL: Mutex<()> = Mutex::const_new(());

/// Tasks alive on the test's runtime.
fn tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// Waits (up to 10 s) for tasks and descriptors to come down to `tasks` and `fds`, and
/// returns what they came to.
async fn settle_to(expected_tasks: usize, expected_fds: usize) -> (usize, usize) {
    let mut now = (tasks(), open_fds());
    for _ in 0..1000 {
        if now.0 <= expected_tasks && now.1 <= expected_fds {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        now = (tasks(), open_fds());
    }
    now
}

/// Tasks and descriptors once they stop changing (the same over 100 ms; at most 5 s).
async fn steady() -> (usize, usize) {
    let mut last = (tasks(), open_fds());
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = (tasks(), open_fds());
        if now == last {
            break;
        }
        last = now;
    }
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_frees_the_call_s_slot_and_leaks_no_task_connection_or_descriptor() {
    let _serial = SERIAL.lock().await;
    let backend = Backend::start("slow").unwrap();
    backend.tally.set_delay(Duration::from_millis(300));
    // What an earlier test of this file left to close (a backend's runtime winds down in
    // the background) has closed.
    let before = steady().await;

    let channel = Endpoint::from(backend.addr)
        .timeout(Duration::from_millis(20))
        .max_connections(4)
        .connect_lazy();
    let client = StoreClient::new(channel);

    let mut after_round = Vec::new();
    for _ in 0..3 {
        // More calls at once than the channel has connections: all time out, and their
        // slots come back.
        let calls: Vec<_> = (0..32)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.get("k".into()).await })
            })
            .collect();
        for call in calls {
            let error = call.await.unwrap().unwrap_err();
            assert!(error.other().is_some_and(|e| e.is_timeout()), "{error}");
        }
        // The server finishes the calls it was given; their late replies are dropped.
        let tally = backend.tally.clone();
        tokio::time::sleep(Duration::from_millis(350)).await;
        while tally.started() != tally.finished() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        after_round.push(steady().await);
    }
    // Rounds after the first leave no more behind than the first did.
    assert!(
        after_round
            .iter()
            .all(|&counts| counts.0 <= after_round[0].0 && counts.1 <= after_round[0].1),
        "tasks and descriptors after each round: {after_round:?}"
    );

    // The slots are free: a call that is quick enough succeeds.
    backend.tally.set_delay(Duration::ZERO);
    assert_eq!(&client.get("k".into()).await.unwrap()[..], b"slow");

    // Without the client, nothing of it is left.
    drop(client);
    let after = settle_to(before.0, before.1).await;
    assert!(
        after.0 <= before.0 && after.1 <= before.1,
        "(tasks, descriptors) after the client went: {after:?}, before it came: {before:?}"
    );
}

/// `calls` idempotent calls from 16 callers over a balancer of three backends, killing and
/// restarting one of them every `restart_every` calls in turn. No call may fail, and
/// tasks, descriptors and memory at the end may not exceed what they were once the
/// client was warm by more than the pool can hold.
async fn soak(calls: usize, restart_every: usize) {
    let _serial = SERIAL.lock().await;
    let mut backends: Vec<Backend> = ["a", "b", "c"]
        .iter()
        .map(|name| Backend::start(name).unwrap())
        .collect();
    const MAX_CONNECTIONS: usize = 8;
    let endpoints = backends.iter().map(|b| {
        Endpoint::from(b.addr)
            .connect_timeout(Duration::from_millis(500))
            .failure_penalty(Duration::from_millis(100))
            .timeout(Duration::from_secs(10))
            .max_connections(MAX_CONNECTIONS)
    });
    let policy = RetryPolicy::new()
        .max_retries(5)
        .backoff(Duration::from_millis(1), Duration::from_millis(50));
    let retries = policy.counts();
    let stack = ServiceBuilder::new()
        .layer(policy.layer())
        .service(Balanced::list(endpoints));
    let client = StoreClient::new(BoxCloneService::<Request, Response, BoxError>::new(stack));

    let done = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let (client, done) = (client.clone(), done.clone());
            tokio::spawn(async move {
                let mut failed = Vec::new();
                let mut by_backend: HashMap<Vec<u8>, usize> = HashMap::new();
                while done.fetch_add(1, Ordering::Relaxed) < calls {
                    match client.get("k".into()).await {
                        Ok(name) => *by_backend.entry(name.to_vec()).or_default() += 1,
                        Err(e) => failed.push(e.to_string()),
                    }
                }
                (by_backend, failed)
            })
        })
        .collect();

    // Warm: every backend connected at least once and the pool grown to its working size.
    while done.load(Ordering::Relaxed) < calls.min(5_000) / 10 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let warm = (tasks(), open_fds(), resident_bytes());

    let mut restarts = 0;
    let mut next_restart = done.load(Ordering::Relaxed) + restart_every;
    while done.load(Ordering::Relaxed) < calls {
        if done.load(Ordering::Relaxed) >= next_restart {
            let backend = &mut backends[restarts % 3];
            backend.restart().await.unwrap();
            restarts += 1;
            next_restart += restart_every;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut failed = Vec::new();
    let mut answered = 0;
    for worker in workers {
        let (by_backend, worker_failed) = worker.await.unwrap();
        answered += by_backend.values().sum::<usize>();
        failed.extend(worker_failed);
    }
    // Connections the pool has open may differ from the warm moment by what it can hold:
    // for each backend, its connections, on both ends (the backends are in this process).
    let slack_fds = 3 * MAX_CONNECTIONS * 2;
    let end = settle_to(warm.0, warm.1 + slack_fds).await;
    let rss = resident_bytes();
    eprintln!(
        "soak: {answered} calls answered, {} failed, {restarts} restarts, {retries:?}; \
         tasks {} -> {}, descriptors {} -> {}, resident {} -> {} KiB",
        failed.len(),
        warm.0,
        end.0,
        warm.1,
        end.1,
        warm.2 / 1024,
        rss / 1024
    );
    assert!(failed.is_empty(), "{:?}", &failed[..failed.len().min(5)]);
    assert_eq!(answered, calls);
    assert!(restarts > 0, "no backend was restarted");
    assert!(end.0 <= warm.0, "tasks grew: {} -> {}", warm.0, end.0);
    assert!(
        end.1 <= warm.1 + slack_fds,
        "descriptors grew: {} -> {}",
        warm.1,
        end.1
    );
    // Allocator noise and the runtime's caches, but nothing that grows with the calls.
    assert!(
        rss <= warm.2 + warm.2 / 2 + (16 << 20),
        "resident memory grew: {} -> {} KiB",
        warm.2 / 1024,
        rss / 1024
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_short_balance_through_backend_restarts_loses_no_call() {
    soak(30_000, 3_000).await;
}

/// A million calls, a backend restarted every 30,000 (a few seconds at this machine's
/// pace): `cargo test -p tests --release --test leaks -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: a million calls"]
async fn soak_a_million_calls_through_backend_restarts_loses_no_call() {
    soak(1_000_000, 30_000).await;
}
