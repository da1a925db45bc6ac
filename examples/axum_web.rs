//! The hello service called from a web page, in one axum app on 127.0.0.1:3000:
//!
//! - `GET /` is a page whose script calls `say("Hello!")` with Apache Thrift's JavaScript
//!   library (npm `thrift`, JSON protocol over XHR) and shows `Received: Hello!`;
//! - `GET /bundle.js` is that script, with the library and the client `thrift --gen js:node`
//!   makes from `examples/idl/hello.thrift`;
//! - `POST /thrift` is the hello service, and `GET /health` answers `ok`, as in `axum_hello`.
//!
//! ```text
//! examples/web/build.sh        # once: npm ci, thrift --gen js:node, browserify
//! cargo run -p examples --example axum_web
//! # then open http://127.0.0.1:3000/
//! ```
//!
//! `build.sh` puts the page in `target/web/dist`; `AXUM_WEB_DIST` serves another folder,
//! `AXUM_ADDR` listens elsewhere, `RUST_LOG` changes what is logged (`tower_http=debug` by
//! default).

use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("tower_http=debug")),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("axum_web: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> std::io::Result<()> {
    let dist = examples::web::dist_dir();
    let app = examples::web::app(&dist)?;
    let addr = std::env::var("AXUM_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
    println!(
        "axum_web listening on http://{addr}/ (the page from {}; POST /thrift, GET /health)",
        dist.display()
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    examples::axum_app::serve(listener, app, shutdown).await
}
