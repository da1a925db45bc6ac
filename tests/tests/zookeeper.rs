//! Registration and discovery against a real ZooKeeper (Debian's `zookeeper` 3.8, started
//! by `tests::zookeeper` on a port and data directory of its own), with hello servers on
//! loopback: servers register and a balancing client follows them as they leave and join;
//! ZooKeeper stopped and restarted under a stream of calls costs no call, and membership
//! catches up; members are ServerSets as Python's kazoo reads and writes them.
//!
//! Requires Debian's `zookeeper`, a Java runtime and `python3-kazoo`
//! (`tests/setup-debian.sh`); the tests fail, never skip, without them.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use examples::hello::{HelloServiceClient, HelloServiceServer};
use examples::stack::Counted;
use serde_json::{Value, json};
use tests::apache_python::{PYTHON, repo_root};
use tests::zookeeper::{ZOOKEEPER_HINT, ZooKeeperServer};
use thrift_tower::discover::{Member, ServerSetRegistry, Status, ZooKeeper};
use thrift_tower::layer::RetryPolicy;
use thrift_tower::server::Registry;
use thrift_tower::{BoxError, Endpoint, Error, Request, Response, Server};
use tokio::sync::oneshot;
use tower::ServiceBuilder;
use tower::discover::Change;
use tower::util::BoxCloneService;

const PATH: &str = "/services/hello";

/// A hello server registered under [`PATH`], deregistering when its shutdown begins.
struct Registered {
    handler: Counted,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), Error>>,
}

impl Registered {
    async fn start(zookeeper: &ZooKeeper, name: &str) -> Registered {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let handler = Counted::new(name);
        let (stop, stopped) = oneshot::channel::<()>();
        // Announced with the port bound; out of the set when the shutdown begins, while
        // the server still accepts.
        let registry = zookeeper.registry(PATH, Member::alive("", 0).metadata("name", name));
        let (registered, is_registered) = oneshot::channel::<()>();
        let task = tokio::spawn(
            Server::builder()
                .add_service(HelloServiceServer::new(handler.clone()))
                .serve_registered(
                    listener,
                    Announced(registry, Some(registered)),
                    async move {
                        let _ = stopped.await;
                    },
                ),
        );
        is_registered
            .await
            .unwrap_or_else(|_| panic!("registration failed; {ZOOKEEPER_HINT}"));
        Registered {
            handler,
            stop,
            task,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

/// A registry that says when it has registered, so that a test goes on only then.
struct Announced(ServerSetRegistry, Option<oneshot::Sender<()>>);

impl Registry for Announced {
    async fn register(&mut self, addr: std::net::SocketAddr) -> Result<(), Error> {
        self.0.register(addr).await?;
        if let Some(registered) = self.1.take() {
            let _ = registered.send(());
        }
        Ok(())
    }

    async fn deregister(&mut self) {
        self.0.deregister().await;
    }
}

type Client = HelloServiceClient<BoxCloneService<Request, Response, BoxError>>;

/// A hello client balancing over the members of [`PATH`], sending again a call that could
/// not be sent (a server that just left).
fn client(zookeeper: &ZooKeeper) -> Client {
    let template = Endpoint::from_static("127.0.0.1:1")
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(5))
        .failure_penalty(Duration::from_millis(200));
    let balanced = zookeeper.discover(PATH).balanced(template);
    let stack = ServiceBuilder::new()
        .layer(
            RetryPolicy::new()
                .max_retries(5)
                .backoff(Duration::from_millis(5), Duration::from_millis(100))
                .layer(),
        )
        .service(balanced);
    HelloServiceClient::new(BoxCloneService::new(stack))
}

/// Calls until `done` holds (at most 30 s of calls); every call must succeed.
async fn call_until(client: &Client, what: &str, mut done: impl FnMut() -> bool) {
    for i in 0..3000 {
        if done() {
            return;
        }
        client.say(format!("{i}")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("still not {what} after 3000 calls");
}

fn zookeeper_server() -> ZooKeeperServer {
    ZooKeeperServer::start().unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zookeeper_balances_over_registered_servers_as_they_leave_and_join() {
    let server = zookeeper_server();
    let zookeeper = ZooKeeper::new(server.connect_string()).session_timeout(Duration::from_secs(4));
    let mut servers = Vec::new();
    for name in ["a", "b", "c"] {
        servers.push(Registered::start(&zookeeper, name).await);
    }
    let client = client(&zookeeper);
    let counts: Vec<Counted> = servers.iter().map(|s| s.handler.clone()).collect();
    call_until(&client, "served by all three", || {
        counts.iter().all(|c| c.calls() > 0)
    })
    .await;

    // `a` stops: it leaves the set, and no call after is its.
    servers.remove(0).stop().await;
    let a = counts[0].clone();
    let mut quiet = 0;
    let mut last = a.calls();
    call_until(&client, "clear of a", || {
        if a.calls() == last {
            quiet += 1;
        } else {
            (quiet, last) = (0, a.calls());
        }
        quiet >= 100
    })
    .await;

    // `d` joins and gets calls.
    let d = Registered::start(&zookeeper, "d").await;
    let d_calls = d.handler.clone();
    call_until(&client, "served by d", || d_calls.calls() > 0).await;
    assert!(counts[1].calls() > 0 && counts[2].calls() > 0);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zookeeper_restart_during_a_stream_of_calls_loses_none_and_membership_catches_up() {
    let mut server = zookeeper_server();
    let zookeeper =
        ZooKeeper::new(server.connect_string()).session_timeout(Duration::from_secs(20));
    let a = Registered::start(&zookeeper, "a").await;
    let b = Registered::start(&zookeeper, "b").await;
    let client = client(&zookeeper);
    let (a_calls, b_calls) = (a.handler.clone(), b.handler.clone());
    call_until(&client, "served by a and b", || {
        a_calls.calls() > 0 && b_calls.calls() > 0
    })
    .await;

    // A stream of calls from four callers, all through what follows.
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let (client, stop, done) = (client.clone(), stop.clone(), done.clone());
            tokio::spawn(async move {
                let mut failed = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    if let Err(e) = client.say("x".into()).await {
                        failed.push(e.to_string());
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                failed
            })
        })
        .collect();
    let wait_calls = |more: usize| {
        let done = done.clone();
        async move {
            let target = done.load(Ordering::Relaxed) + more;
            for _ in 0..3000 {
                if done.load(Ordering::Relaxed) >= target {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("the calls stalled");
        }
    };
    wait_calls(100).await;

    // ZooKeeper goes away; the calls go on over the members last known.
    tokio::task::block_in_place(|| server.stop());
    wait_calls(300).await;
    tokio::task::block_in_place(|| server.restart()).unwrap();

    // Back: a member written now is found.
    let c = Registered::start(&zookeeper, "c").await;
    let c_calls = c.handler.clone();
    for _ in 0..3000 {
        if c_calls.calls() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut failed = Vec::new();
    for caller in callers {
        failed.extend(caller.await.unwrap());
    }
    assert!(
        failed.is_empty(),
        "{} calls failed: {:?}",
        failed.len(),
        &failed[..failed.len().min(3)]
    );
    assert!(
        c_calls.calls() > 0,
        "the member registered after the restart got no call"
    );
    for registered in [a, b, c] {
        registered.stop().await;
    }
}

/// Runs `tests/python/serverset.py` with Debian's Python (kazoo).
fn serverset(args: &[&str]) -> Command {
    let mut command = Command::new(PYTHON);
    command
        .arg("-B")
        .arg(repo_root().join("tests/python/serverset.py"))
        .args(args);
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zookeeper_member_we_write_is_a_serverset_member_for_kazoo() {
    let server = zookeeper_server();
    let zookeeper = ZooKeeper::new(server.connect_string());
    let member = Member::alive("127.0.0.1", 9090)
        .additional_endpoint("admin", "127.0.0.1", 9091)
        .shard(2)
        .metadata("zone", "test");
    let registration = zookeeper.register(PATH, member).await.unwrap();
    let output = tokio::task::spawn_blocking(move || {
        serverset(&[&server.connect_string(), "read", PATH]).output()
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("cannot run serverset.py: {e}; {ZOOKEEPER_HINT}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let name = lines[0]["name"].as_str().unwrap();
    assert!(
        name.starts_with("member_") && name.len() == "member_".len() + 10,
        "{name}"
    );
    assert_eq!(lines[0]["ephemeral"], json!(true));
    assert_eq!(
        lines[0]["member"],
        json!({
            "serviceEndpoint": {"host": "127.0.0.1", "port": 9090},
            "additionalEndpoints": {"admin": {"host": "127.0.0.1", "port": 9091}},
            "status": "ALIVE",
            "shard": 2,
            "metadata": {"zone": "test"}
        })
    );
    registration.deregister().await;
}

/// The first line a child process prints (its node's name).
async fn first_line(stdout: std::process::ChildStdout) -> String {
    tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        line.trim().to_string()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zookeeper_member_kazoo_writes_is_found_and_a_malformed_one_skipped() {
    let server = zookeeper_server();
    let zookeeper = ZooKeeper::new(server.connect_string());
    // A hello server nobody registered: kazoo announces it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handler = Counted::new("python-announced");
    tokio::spawn(
        Server::builder()
            .add_service(HelloServiceServer::new(handler.clone()))
            .serve_with_listener(listener, std::future::pending()),
    );

    let path = "/services/announced";
    let connect = server.connect_string();
    let mut malformed = serverset(&[&connect, "write-raw", path, "{\"serviceEndpoint\": 7"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run serverset.py: {e}; {ZOOKEEPER_HINT}"));
    let mut kazoo = serverset(&[&connect, "write", path, "127.0.0.1", &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let malformed_name = first_line(malformed.stdout.take().unwrap()).await;
    let name = first_line(kazoo.stdout.take().unwrap()).await;
    assert!(malformed_name.starts_with("member_"), "{malformed_name:?}");
    assert!(name.starts_with("member_"), "{name:?}");

    // Found as written, the malformed one skipped; by its additional endpoint on request.
    let mut changes = zookeeper.discover(path).changes(8);
    match changes.recv().await.unwrap() {
        Change::Insert(key, member) => {
            assert_eq!(key, name);
            assert_eq!(member.service_endpoint.port, port);
            assert_eq!(member.status, Status::Alive);
            assert_eq!(member.shard, Some(0));
        }
        Change::Remove(key) => panic!("removed {key}"),
    }
    let mut admin = zookeeper.discover(path).endpoint_name("admin").changes(8);
    match admin.recv().await.unwrap() {
        Change::Insert(_, member) => assert_eq!(member.service_endpoint.port, port + 1),
        Change::Remove(key) => panic!("removed {key}"),
    }

    // And calls reach the server kazoo announced.
    let template = Endpoint::from_static("127.0.0.1:1").timeout(Duration::from_secs(5));
    let client = HelloServiceClient::new(zookeeper.discover(path).balanced(template));
    let reply = client.say("hi".into()).await.unwrap();
    assert_eq!(reply, "python-announced received: hi");

    // kazoo's session ends: the member goes.
    drop(kazoo.stdin.take());
    tokio::task::spawn_blocking(move || kazoo.wait())
        .await
        .unwrap()
        .unwrap();
    match tokio::time::timeout(Duration::from_secs(30), changes.recv()).await {
        Ok(Some(Change::Remove(key))) => assert_eq!(key, name),
        other => panic!("no removal: {other:?}"),
    }
    drop(malformed.stdin.take());
    let _ = tokio::task::spawn_blocking(move || malformed.wait()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zookeeper_example_runs_its_story_against_a_real_zookeeper() {
    let server = zookeeper_server();
    let mut printed = Vec::new();
    let counts = examples::discovery::run(&server.connect_string(), &mut printed)
        .await
        .unwrap();
    let printed = String::from_utf8(printed).unwrap();
    let names: Vec<&str> = counts.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["alpha", "beta", "gamma", "delta"], "{printed}");
    assert!(
        counts.iter().all(|(_, calls)| *calls > 0),
        "{counts:?}\n{printed}"
    );
    assert!(printed.contains("alpha stopped"), "{printed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zookeeper_discover_feeds_tower_balance_in_a_chroot_after_zookeeper_comes_up() {
    // Discovery starts before ZooKeeper does: it waits (and logs), then finds the members.
    let port = tests::process::free_port().unwrap();
    let zookeeper = ZooKeeper::new(format!("127.0.0.1:{port},127.0.0.1:{port}/apps/eu"));
    let template = Endpoint::from_static("127.0.0.1:1").timeout(Duration::from_secs(5));
    let channels = zookeeper.discover(PATH).channels(template);
    let balance = tower::buffer::Buffer::new(tower::balance::p2c::Balance::new(channels), 64);
    let client = HelloServiceClient::new(balance);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let server = tokio::task::block_in_place(|| ZooKeeperServer::start_on(port))
        .unwrap_or_else(|e| panic!("{e}"));
    // Registered under the chroot, which the first registration creates.
    let a = Registered::start(&zookeeper, "a").await;
    let b = Registered::start(&zookeeper, "b").await;
    let (a_calls, b_calls) = (a.handler.clone(), b.handler.clone());
    for i in 0..3000 {
        if a_calls.calls() > 0 && b_calls.calls() > 0 {
            break;
        }
        client.say(format!("{i}")).await.unwrap();
    }
    assert!(a_calls.calls() > 0 && b_calls.calls() > 0);

    // The members are under the chroot, as kazoo sees it without one.
    let connect = server.connect_string();
    let output = tokio::task::spawn_blocking(move || {
        serverset(&[&connect, "read", &format!("/apps/eu{PATH}")]).output()
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 2);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zookeeper_session_expiry_registers_the_server_again() {
    let mut server = zookeeper_server();
    let zookeeper = ZooKeeper::new(server.connect_string()).session_timeout(Duration::from_secs(2));
    let a = Registered::start(&zookeeper, "a").await;
    let client = client(&zookeeper);
    client.say("before".into()).await.unwrap();

    // A ZooKeeper that lost every session: ours expire when they reconnect, and the member
    // is written again under a new session; discovery catches up.
    tokio::task::block_in_place(|| server.restart_empty()).unwrap();
    let connect = server.connect_string();
    let mut members = 0;
    for _ in 0..300 {
        let connect = connect.clone();
        let output =
            tokio::task::spawn_blocking(move || serverset(&[&connect, "read", PATH]).output())
                .await
                .unwrap()
                .unwrap();
        members = String::from_utf8_lossy(&output.stdout).lines().count();
        if members == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(members, 1, "the member was not registered again");
    let before = a.handler.calls();
    client.say("after".into()).await.unwrap();
    assert_eq!(a.handler.calls(), before + 1);
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zookeeper_away_does_not_hold_up_a_server_s_shutdown() {
    let mut server = zookeeper_server();
    let zookeeper = ZooKeeper::new(server.connect_string()).session_timeout(Duration::from_secs(2));
    let a = Registered::start(&zookeeper, "a").await;
    // ZooKeeper goes away; the server shuts down all the same (its deregistration gives up
    // after the session timeout, and the session's end removes the member).
    tokio::task::block_in_place(|| server.stop());
    tokio::time::timeout(Duration::from_secs(60), a.stop())
        .await
        .expect("the shutdown waited on ZooKeeper");
}
