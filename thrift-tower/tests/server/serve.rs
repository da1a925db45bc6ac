//! The server under test, on a loopback port, with the switch that shuts it down.

use std::net::SocketAddr;

use thrift_tower::server::{RouteList, Router, Routes};
use thrift_tower::{BoxError, Error, Request, Response};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_layer::Layer;
use tower_service::Service;

use crate::client::{self, Client};
use crate::common::peer::PROMPTLY;

/// A server running on a task, and the switch that shuts it down.
pub(crate) struct Served {
    pub(crate) addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    pub(crate) task: JoinHandle<Result<(), Error>>,
}

/// Serves `router` on a loopback port until [`Served::shutdown`].
pub(crate) async fn serve<L, R>(router: Router<L, R>) -> Served
where
    R: RouteList + Send + 'static,
    L: Layer<Routes<R>> + Send + 'static,
    L::Service: Service<Request, Response = Response> + Clone + Send + 'static,
    <L::Service as Service<Request>>::Future: Send + 'static,
    <L::Service as Service<Request>>::Error: Into<BoxError>,
{
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, signal) = oneshot::channel::<()>();
    let task = tokio::spawn(router.serve_with_listener(listener, async move {
        let _ = signal.await;
    }));
    Served {
        addr,
        stop: Some(stop),
        task,
    }
}

impl Served {
    pub(crate) fn shutdown(&mut self) {
        let _ = self.stop.take().expect("shut down twice").send(());
    }

    /// Waits for `serve_with_listener` to return, and checks it returned `Ok`.
    pub(crate) async fn finished(self) {
        tokio::time::timeout(PROMPTLY, self.task)
            .await
            .expect("the server did not return")
            .expect("the server task failed")
            .expect("the server returned an error");
    }

    pub(crate) async fn connect(&self) -> Client {
        client::connect(self.addr).await
    }
}
