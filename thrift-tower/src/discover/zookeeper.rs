//! [`ZooKeeper`]: registering a server as a ServerSet member ([`Registration`]) and
//! following a service's members ([`Discovery`]), on the `zookeeper-client` crate.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tower::discover::Change;
use tracing::{debug, info, warn};
use zookeeper_client as zk;

use super::member::{MEMBER_PREFIX, Member, Status};
use crate::client::{Balanced, Channel, Endpoint};
use crate::error::Error;

/// Waits between attempts to reach ZooKeeper, doubling up to the second bound.
const RETRY: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(5));

/// Where ZooKeeper is, and how to hold a session with it.
#[derive(Clone)]
pub struct ZooKeeper {
    connect: String,
    session_timeout: Duration,
    connection_timeout: Duration,
}

impl ZooKeeper {
    /// ZooKeeper at `connect`: a connection string of one or more `host:port`, comma
    /// separated, and an optional chroot (`zk1:2181,zk2:2181,zk3:2181/services`). A
    /// session timeout of 10 s.
    pub fn new(connect: impl Into<String>) -> Self {
        ZooKeeper {
            connect: connect.into(),
            session_timeout: Duration::from_secs(10),
            connection_timeout: Duration::from_secs(5),
        }
    }

    /// How long ZooKeeper keeps a session (and its members) after it stops hearing from
    /// the client: how long a server that died stays listed.
    pub fn session_timeout(mut self, timeout: Duration) -> Self {
        self.session_timeout = timeout;
        self
    }

    /// How long each attempt to connect to one ZooKeeper server may take.
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// A session, under the connection string's chroot; with `create_chroot`, the chroot's
    /// node is made first if missing (a writer's first registration in a fresh chroot).
    async fn connect(&self, create_chroot: bool) -> Result<zk::Client, Error> {
        let (hosts, chroot) = match self.connect.find('/') {
            Some(at) if at + 1 < self.connect.len() => self.connect.split_at(at),
            _ => (self.connect.trim_end_matches('/'), ""),
        };
        let client = zk::Client::connector()
            .with_session_timeout(self.session_timeout)
            .with_connection_timeout(self.connection_timeout)
            .with_fail_eagerly()
            .connect(hosts)
            .await
            .map_err(|e| zk_error(&self.connect, "cannot connect", e))?;
        if chroot.is_empty() {
            return Ok(client);
        }
        if create_chroot {
            let persistent = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
            match client.mkdir(chroot, &persistent).await {
                Ok(()) | Err(zk::Error::NodeExists) => {}
                Err(e) => return Err(zk_error(&self.connect, "cannot create the chroot", e)),
            }
        }
        client
            .chroot(chroot.to_owned())
            .map_err(|_| Error::config(format!("{chroot:?} is not a ZooKeeper chroot path")))
    }

    async fn client(&self) -> Result<zk::Client, Error> {
        self.connect(false).await
    }

    /// Announces `member` under `path` (created if missing) as an EPHEMERAL_SEQUENTIAL
    /// `member_` node, and keeps it there: after a session expiry it is written again.
    /// Fails if ZooKeeper cannot be reached now.
    ///
    /// Call [`Registration::deregister`] when a graceful shutdown begins, before the
    /// server stops accepting (in its shutdown signal, say); dropping the registration
    /// closes its session, which removes the member too.
    pub async fn register(&self, path: &str, member: Member) -> Result<Registration, Error> {
        let path = path.trim_end_matches('/').to_owned();
        let data = member.to_json();
        let client = self.connect(true).await?;
        let node = announce(&client, &path, &data)
            .await
            .map_err(|e| zk_error(&self.connect, "cannot register", e))?;
        info!(%node, endpoint = %member.service_endpoint, "registered in ZooKeeper");
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(keep_registered(
            self.clone(),
            client,
            path,
            data,
            node,
            stopped,
        ));
        Ok(Registration {
            stop: Some(stop),
            task,
        })
    }

    /// A [`Registry`](crate::server::Registry) for
    /// [`Router::serve_registered`](crate::server::Router::serve_registered): the server is
    /// announced as `member` under `path` once it listens (with the port it bound when
    /// `member`'s is 0, and the address it bound when `member`'s host is empty) and
    /// deregistered when its shutdown begins.
    ///
    /// ```no_run
    /// use thrift_tower::discover::{Member, ZooKeeper};
    ///
    /// # async fn run(router: thrift_tower::server::Router<tower_layer::Identity, thrift_tower::server::NoRoute>) -> Result<(), thrift_tower::Error> {
    /// let zookeeper = ZooKeeper::new("zk1:2181,zk2:2181/prod");
    /// let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await?;
    /// let registry = zookeeper.registry("/services/hello", Member::alive("10.0.0.7", 0));
    /// let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// router
    ///     .serve_registered(listener, registry, async {
    ///         let _ = stopped.await;
    ///     })
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn registry(&self, path: &str, member: Member) -> ServerSetRegistry {
        ServerSetRegistry {
            zookeeper: self.clone(),
            path: path.to_owned(),
            member,
            registration: None,
        }
    }

    /// Follows the members of the service at `path`: see [`Discovery`].
    pub fn discover(&self, path: &str) -> Discovery {
        Discovery {
            zookeeper: self.clone(),
            path: path.trim_end_matches('/').to_owned(),
            endpoint_name: None,
            statuses: vec![Status::Alive],
        }
    }
}

impl fmt::Debug for ZooKeeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZooKeeper")
            .field("connect", &self.connect)
            .field("session_timeout", &self.session_timeout)
            .finish_non_exhaustive()
    }
}

fn zk_error(connect: &str, what: &str, e: zk::Error) -> Error {
    Error::connect(
        format!("ZooKeeper at {connect}"),
        std::io::Error::other(format!("{what}: {e}")),
    )
}

/// Creates `path`'s missing parents and the member node; returns the node's path.
async fn announce(client: &zk::Client, path: &str, data: &[u8]) -> Result<String, zk::Error> {
    let parent = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    match client.mkdir(path, &parent).await {
        Ok(()) | Err(zk::Error::NodeExists) => {}
        Err(e) => return Err(e),
    }
    let prefix = format!("{path}/{MEMBER_PREFIX}");
    let mode = zk::CreateMode::EphemeralSequential.with_acls(zk::Acls::anyone_all());
    let (_, sequence) = client.create(&prefix, data, &mode).await?;
    Ok(format!("{prefix}{sequence}"))
}

/// A server's membership as a [`Registry`](crate::server::Registry): from
/// [`ZooKeeper::registry`].
#[derive(Debug)]
pub struct ServerSetRegistry {
    zookeeper: ZooKeeper,
    path: String,
    member: Member,
    registration: Option<Registration>,
}

impl crate::server::Registry for ServerSetRegistry {
    async fn register(&mut self, addr: std::net::SocketAddr) -> Result<(), Error> {
        let mut member = self.member.clone();
        if member.service_endpoint.port == 0 {
            member.service_endpoint.port = addr.port();
        }
        if member.service_endpoint.host.is_empty() {
            if addr.ip().is_unspecified() {
                return Err(Error::config(format!(
                    "the server listens on {addr}, which clients cannot connect to: give the \
                     member the host to announce"
                )));
            }
            member.service_endpoint.host = addr.ip().to_string();
        }
        self.registration = Some(self.zookeeper.register(&self.path, member).await?);
        Ok(())
    }

    async fn deregister(&mut self) {
        if let Some(registration) = self.registration.take() {
            registration.deregister().await;
        }
    }
}

/// A server's membership, kept while it lives. See [`ZooKeeper::register`].
#[derive(Debug)]
pub struct Registration {
    stop: Option<oneshot::Sender<oneshot::Sender<()>>>,
    task: JoinHandle<()>,
}

impl Registration {
    /// Removes the member and closes the session; waits until ZooKeeper has taken it (or
    /// could not be reached: the session's end removes it then).
    pub async fn deregister(mut self) {
        if let Some(stop) = self.stop.take() {
            let (done, removed) = oneshot::channel();
            if stop.send(done).is_ok() {
                let _ = removed.await;
            }
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if self.stop.is_some() {
            // Not deregistered: the session closes with its client, which removes the node.
            self.task.abort();
        }
    }
}

/// Holds the registration: writes the member again after a session expiry, removes it
/// when told.
async fn keep_registered(
    zookeeper: ZooKeeper,
    mut client: zk::Client,
    path: String,
    data: Vec<u8>,
    mut node: String,
    mut stopped: oneshot::Receiver<oneshot::Sender<()>>,
) {
    let mut retry = RETRY.0;
    loop {
        let mut state = client.state_watcher();
        let ended = loop {
            tokio::select! {
                done = &mut stopped => {
                    // Bounded: with ZooKeeper away the delete would wait for it, and a
                    // server's shutdown with it; the session's end removes the node then.
                    let deleted =
                        tokio::time::timeout(zookeeper.session_timeout, client.delete(&node, None))
                            .await;
                    match deleted {
                        Ok(Ok(())) => info!(%node, "deregistered from ZooKeeper"),
                        Ok(Err(e)) => {
                            debug!(%node, error = %e, "could not delete the member; its session's end will")
                        }
                        Err(_) => {
                            warn!(%node, "ZooKeeper did not answer the deregistration; the session's end removes the member")
                        }
                    }
                    drop(client);
                    if let Ok(done) = done {
                        let _ = done.send(());
                    }
                    return;
                }
                changed = state.changed() => {
                    if changed.is_terminated() {
                        break changed;
                    }
                }
            }
        };
        warn!(%node, state = ?ended, "ZooKeeper session ended; registering again");
        // A new session, and the member written again, until it works or the server stops
        // (its old session is gone: there is nothing to remove).
        loop {
            let attempt = async {
                tokio::time::sleep(retry).await;
                let fresh = zookeeper.connect(true).await?;
                let written = announce(&fresh, &path, &data)
                    .await
                    .map_err(|e| zk_error(&zookeeper.connect, "cannot register", e))?;
                Ok::<_, Error>((fresh, written))
            };
            let attempted = tokio::select! {
                done = &mut stopped => {
                    if let Ok(done) = done {
                        let _ = done.send(());
                    }
                    return;
                }
                attempted = attempt => attempted,
            };
            match attempted {
                Ok((fresh, written)) => {
                    client = fresh;
                    node = written;
                    retry = RETRY.0;
                    info!(%node, "registered in ZooKeeper again");
                    break;
                }
                Err(e) => {
                    warn!(error = %e, "ZooKeeper unreachable; will try again");
                    retry = (retry * 2).min(RETRY.1);
                }
            }
        }
    }
}

/// The members of one service, followed as they come and go. From
/// [`ZooKeeper::discover`]; [`balanced`](Discovery::balanced) puts them behind a
/// [`Balanced`], [`changes`](Discovery::changes) gives them as tower's `Change`s.
///
/// Only `ALIVE` members are taken unless told ([`statuses`](Discovery::statuses)); a member
/// whose JSON is malformed is skipped with a warning. While ZooKeeper cannot be reached,
/// the last members known stay (and the trouble is logged); when it comes back, the watch
/// resumes and catches up.
#[derive(Debug, Clone)]
pub struct Discovery {
    zookeeper: ZooKeeper,
    path: String,
    endpoint_name: Option<String>,
    statuses: Vec<Status>,
}

impl Discovery {
    /// Connects to each member's additional endpoint `name` instead of its service
    /// endpoint; members without one are skipped.
    pub fn endpoint_name(mut self, name: impl Into<String>) -> Self {
        self.endpoint_name = Some(name.into());
        self
    }

    /// Takes members of these statuses (`ALIVE` only, unless told).
    pub fn statuses(mut self, statuses: impl IntoIterator<Item = Status>) -> Self {
        self.statuses = statuses.into_iter().collect();
        self
    }

    /// The members as they change, keyed by their node's name, on a task of its own (which
    /// ends when the receiver is dropped).
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime.
    pub fn changes(self, capacity: usize) -> mpsc::Receiver<Change<String, Member>> {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        tokio::spawn(watch(self, sender));
        receiver
    }

    /// The members as tower's `Discover`: a stream of `Change`s of [`Channel`]s, each
    /// connected (lazily) with `template`'s settings at the member's address; for
    /// `tower::balance::p2c::Balance` or any other consumer of a `Discover`.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime.
    pub fn channels(self, template: Endpoint) -> Channels {
        Channels {
            changes: self.changes(64),
            template,
        }
    }

    /// A [`Balanced`] over the members, each connected with `template`'s settings
    /// (protocol, framing, timeouts, TLS) at the member's address.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime.
    pub fn balanced(self, template: Endpoint) -> Balanced<String> {
        let (balanced, sender) = Balanced::with_changes(64);
        let mut changes = self.changes(64);
        tokio::spawn(async move {
            while let Some(change) = changes.recv().await {
                let change = match change {
                    Change::Remove(key) => Change::Remove(key),
                    Change::Insert(key, member) => {
                        match template.at(member.service_endpoint.to_addr()) {
                            Ok(endpoint) => Change::Insert(key, endpoint),
                            Err(e) => {
                                warn!(member = %key, error = %e, "member skipped");
                                continue;
                            }
                        }
                    }
                };
                if sender.send(change).await.is_err() {
                    return;
                }
            }
        });
        balanced
    }
}

/// The members of a path as channels: tower's `Discover` (from [`Discovery::channels`]).
#[derive(Debug)]
pub struct Channels {
    changes: mpsc::Receiver<Change<String, Member>>,
    template: Endpoint,
}

impl Stream for Channels {
    type Item = Result<Change<String, Channel>, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            let change = match std::task::ready!(self.changes.poll_recv(cx)) {
                None => return Poll::Ready(None),
                Some(change) => change,
            };
            return Poll::Ready(Some(Ok(match change {
                Change::Remove(key) => Change::Remove(key),
                Change::Insert(key, member) => {
                    match self.template.at(member.service_endpoint.to_addr()) {
                        Ok(endpoint) => Change::Insert(key, endpoint.connect_lazy()),
                        Err(e) => {
                            warn!(member = %key, error = %e, "member skipped");
                            continue;
                        }
                    }
                }
            })));
        }
    }
}

/// What a node holds, if it is a member to take.
fn take(discovery: &Discovery, child: &str, data: &[u8]) -> Option<Member> {
    let mut member = match Member::from_json(data) {
        Ok(member) => member,
        Err(e) => {
            warn!(path = %discovery.path, member = child, error = %e, "malformed ServerSet member skipped");
            return None;
        }
    };
    if !discovery.statuses.contains(&member.status) {
        return None;
    }
    if let Some(name) = &discovery.endpoint_name {
        // The chosen endpoint becomes the one to connect to.
        member.service_endpoint = member.additional_endpoints.get(name)?.clone();
    }
    Some(member)
}

/// Follows `discovery`'s path and sends what changes, until the receiver goes.
async fn watch(discovery: Discovery, sender: mpsc::Sender<Change<String, Member>>) {
    let mut known: HashMap<String, Member> = HashMap::new();
    let mut retry = RETRY.0;
    let mut reported = false;
    'session: loop {
        let client = match discovery.zookeeper.client().await {
            Ok(client) => client,
            Err(e) => {
                if !reported {
                    warn!(path = %discovery.path, error = %e, members = known.len(), "ZooKeeper unreachable; keeping the last known members");
                    reported = true;
                }
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(RETRY.1);
                if sender.is_closed() {
                    return;
                }
                continue;
            }
        };
        if reported {
            info!(path = %discovery.path, "ZooKeeper reachable again; catching up");
            reported = false;
        }
        retry = RETRY.0;
        let mut state = client.state_watcher();
        loop {
            let listed = client.get_and_watch_children(&discovery.path).await;
            let (children, watcher) = match listed {
                Ok((children, _, watcher)) => (children, Some(watcher)),
                Err(zk::Error::NoNode) => (Vec::new(), None),
                Err(e) => {
                    warn!(path = %discovery.path, error = %e, "cannot list members; keeping the last known");
                    tokio::time::sleep(retry).await;
                    continue 'session;
                }
            };
            let mut now = HashMap::new();
            for child in children.iter().filter(|c| c.starts_with(MEMBER_PREFIX)) {
                let node = format!("{}/{child}", discovery.path);
                match client.get_data(&node).await {
                    Ok((data, _)) => {
                        if let Some(member) = take(&discovery, child, &data) {
                            now.insert(child.clone(), member);
                        }
                    }
                    // Gone since it was listed.
                    Err(zk::Error::NoNode) => {}
                    Err(e) => {
                        warn!(%node, error = %e, "cannot read a member; keeping the last known");
                        if let Some(member) = known.get(child) {
                            now.insert(child.clone(), member.clone());
                        }
                    }
                }
            }
            for key in known.keys().filter(|k| !now.contains_key(*k)) {
                if sender.send(Change::Remove(key.clone())).await.is_err() {
                    return;
                }
            }
            for (key, member) in &now {
                if known.get(key) != Some(member)
                    && sender
                        .send(Change::Insert(key.clone(), member.clone()))
                        .await
                        .is_err()
                {
                    return;
                }
            }
            known = now;

            // Until the children change, the path appears, or the session has trouble.
            let next = async {
                match watcher {
                    Some(watcher) => {
                        watcher.changed().await;
                    }
                    None => match client.check_and_watch_stat(&discovery.path).await {
                        Ok((_, watcher)) => {
                            watcher.changed().await;
                        }
                        Err(_) => tokio::time::sleep(retry).await,
                    },
                }
            };
            tokio::select! {
                () = next => {}
                () = sender.closed() => return,
                session = state.changed() => {
                    if session.is_terminated() {
                        warn!(path = %discovery.path, state = ?session, "ZooKeeper session ended; keeping the last known members");
                        continue 'session;
                    }
                    // Connected again after a disconnection: list again, in case a change
                    // was missed meanwhile.
                }
            }
        }
    }
}
