//! The hello service in an axum app: what `axum_hello` serves, and what the browser
//! example (`axum_web`) and the tests build on.
//!
//! One port, two kinds of route: `GET /health` is an ordinary axum handler, `POST /thrift`
//! is the Thrift endpoint ([`thrift_http::service`] around the generated server), both
//! behind tower-http's `TraceLayer`. Any Apache HTTP client reaches the Thrift route, e.g.
//! Python's `THttpClient('http://127.0.0.1:3000/thrift')`.

use axum::Router;
use axum::routing::get;
use tower_http::trace::TraceLayer;

use crate::Hello;
use crate::hello::HelloServiceServer;

/// Where the Thrift endpoint is mounted.
pub const THRIFT_PATH: &str = "/thrift";

/// The app's routes, without layers: `GET /health` answering `ok`, and the hello service
/// at `POST /thrift` (any protocol Apache's HTTP clients speak, told from each body).
pub fn routes() -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route_service(
            THRIFT_PATH,
            thrift_http::service(HelloServiceServer::new(Hello)),
        )
}

/// [`routes`] behind tower-http's `TraceLayer`: a span per HTTP request, with its method
/// and path, and an event when the response goes out.
pub fn app() -> Router {
    routes().layer(TraceLayer::new_for_http())
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
