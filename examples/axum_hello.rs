//! A Thrift endpoint beside REST routes, in one axum app on 127.0.0.1:3000:
//!
//! - `GET /health` answers `ok`;
//! - `POST /thrift` is the hello service (`say(msg)` answers `"Received: " + msg`), for any
//!   Apache HTTP client in the binary, compact or JSON protocol;
//!
//! both behind tower-http's `TraceLayer`, whose spans are printed (`RUST_LOG` to change
//! what; `tower_http=debug` by default).
//!
//! ```text
//! cargo run -p examples --example axum_hello
//! curl http://127.0.0.1:3000/health
//! python3 -c 'import sys; sys.path.append("gen-py")
//! from thrift.transport import THttpClient; from thrift.protocol import TBinaryProtocol
//! from hello import HelloService
//! t = THttpClient.THttpClient("http://127.0.0.1:3000/thrift")
//! print(HelloService.Client(TBinaryProtocol.TBinaryProtocol(t)).say("Hello!"))'
//! ```
//!
//! (`gen-py` from `thrift --gen py examples/idl/hello.thrift`.) `AXUM_ADDR` changes the
//! address.

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("tower_http=debug")),
        )
        .init();
    let addr = std::env::var("AXUM_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("axum_hello listening on http://{addr} (GET /health, POST /thrift)");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    examples::axum_app::serve(listener, examples::axum_app::app(), shutdown).await
}
