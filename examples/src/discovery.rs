//! Servers that register in ZooKeeper and a client that finds them there: what
//! `zookeeper_discovery` runs.
//!
//! Three hello servers announce themselves under [`PATH`] as ServerSet members (the format
//! Finagle, Aurora and Python tools read); a client balances over whatever members are
//! there; one server shuts down (it leaves the set first, then drains) and a fourth joins,
//! and the client follows. Each step prints how many calls each server answered.

use std::io::Write;
use std::time::Duration;

use thrift_tower::discover::{Member, ZooKeeper};
use thrift_tower::layer::RetryPolicy;
use thrift_tower::{BoxError, Endpoint, Error, Request, Response, Server};
use tokio::sync::oneshot;
use tower::ServiceBuilder;
use tower::util::BoxCloneService;

use crate::hello::{HelloServiceClient, HelloServiceServer};
use crate::stack::Counted;

/// Where the hello service's members are.
pub const PATH: &str = "/services/hello";

/// A hello server registered under [`PATH`].
struct Registered {
    handler: Counted,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), Error>>,
}

async fn start(zookeeper: &ZooKeeper, name: &str) -> Result<Registered, Error> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let handler = Counted::new(name);
    let (stop, stopped) = oneshot::channel::<()>();
    // Announced under PATH once it listens, as 127.0.0.1 and the port it bound; out of the
    // set when its shutdown begins, while it still accepts; then it drains.
    let registry = zookeeper.registry(PATH, Member::alive("127.0.0.1", 0).metadata("name", name));
    let task = tokio::spawn(
        Server::builder()
            .add_service(HelloServiceServer::new(handler.clone()))
            .serve_registered(listener, registry, async move {
                let _ = stopped.await;
            }),
    );
    // Listed once ZooKeeper has the member (the server registers before it accepts).
    let mut changes = zookeeper.discover(PATH).changes(16);
    let listed = async {
        while let Some(change) = changes.recv().await {
            if let tower::discover::Change::Insert(_, member) = change
                && member.service_endpoint.port == port
            {
                return;
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(30), listed)
        .await
        .is_err()
    {
        return Err(Error::config(format!(
            "{name} was not listed in ZooKeeper within 30 s"
        )));
    }
    Ok(Registered {
        handler,
        stop,
        task,
    })
}

/// Runs the whole story against ZooKeeper at `connect` (`host:port[,host:port...][/chroot]`),
/// printing to `out`; returns the calls each server answered, in start order.
pub async fn run(connect: &str, mut out: impl Write) -> Result<Vec<(String, usize)>, BoxError> {
    let zookeeper = ZooKeeper::new(connect).session_timeout(Duration::from_secs(5));
    let mut servers = Vec::new();
    for name in ["alpha", "beta", "gamma"] {
        servers.push(start(&zookeeper, name).await?);
    }
    let mut counts: Vec<Counted> = servers.iter().map(|s| s.handler.clone()).collect();
    writeln!(out, "3 servers registered under {PATH} at {connect}")?;

    // The client: every member of the path, balanced; a call that found a server gone
    // is sent to another.
    let template = Endpoint::from_static("127.0.0.1:1").timeout(Duration::from_secs(5));
    let stack = ServiceBuilder::new()
        .layer(RetryPolicy::new().max_retries(3).layer())
        .service(zookeeper.discover(PATH).balanced(template));
    let client =
        HelloServiceClient::new(BoxCloneService::<Request, Response, BoxError>::new(stack));

    let report = |out: &mut dyn Write, what: &str, counts: &[Counted]| -> std::io::Result<()> {
        let line: Vec<String> = counts
            .iter()
            .map(|c| format!("{} {}", c.name(), c.calls()))
            .collect();
        writeln!(out, "{what}: {}", line.join(", "))
    };
    // Until the client has found all three.
    for i in 0..2000 {
        if counts.iter().all(|c| c.calls() > 0) {
            break;
        }
        client.say(format!("call {i}")).await?;
    }
    for i in 0..100 {
        client.say(format!("call {i}")).await?;
    }
    report(&mut out, "calls so far", &counts)?;

    let alpha = servers.remove(0);
    let _ = alpha.stop.send(());
    alpha.task.await??;
    writeln!(out, "alpha stopped (deregistered first)")?;
    let delta = start(&zookeeper, "delta").await?;
    counts.push(delta.handler.clone());
    servers.push(delta);
    writeln!(out, "delta registered")?;
    for i in 0..2000 {
        if counts[3].calls() > 0 && i >= 100 {
            break;
        }
        client.say(format!("after {i}")).await?;
    }
    report(&mut out, "calls after", &counts)?;

    for server in servers {
        let _ = server.stop.send(());
        server.task.await??;
    }
    Ok(counts
        .iter()
        .map(|c| (c.name().to_string(), c.calls()))
        .collect())
}
