//! The hello service called from a web page: what `axum_web` serves, and what the browser
//! test (`tests/tests/browser.rs`) runs in Chromium.
//!
//! The app of [`axum_app`](crate::axum_app) (`GET /health`, the hello service at
//! `POST /thrift`) plus a page: `GET /` is `index.html` and `GET /bundle.js` its script,
//! which calls `say("Hello!")` with Apache Thrift's JavaScript library (npm `thrift`, JSON
//! protocol over XHR). `examples/web/build.sh` builds the page into `target/web/dist`;
//! the app serves the files from there as they are at each request, so a rebuild needs no
//! restart.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::routing::get_service;
use tower_http::services::ServeFile;
use tower_http::trace::TraceLayer;

/// The environment variable naming the folder of the built page, instead of
/// [`default_dist_dir`].
pub const DIST_ENV: &str = "AXUM_WEB_DIST";

/// The files of the page, as `build.sh` leaves them in its output folder.
const FILES: [(&str, &str); 2] = [("/", "index.html"), ("/bundle.js", "bundle.js")];

/// Where `examples/web/build.sh` puts the page when given no folder: `web/dist` in
/// `$CARGO_TARGET_DIR`, or in the repository's `target/`.
pub fn default_dist_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let examples = Path::new(env!("CARGO_MANIFEST_DIR"));
            examples.parent().unwrap_or(examples).join("target")
        });
    target.join("web/dist")
}

/// The folder of the built page: `$AXUM_WEB_DIST`, or [`default_dist_dir`].
pub fn dist_dir() -> PathBuf {
    std::env::var_os(DIST_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(default_dist_dir)
}

/// The routes of [`axum_app::routes`](crate::axum_app::routes) plus `GET /` and
/// `GET /bundle.js` from `dist`, without layers. Fails, saying how to build the page, when
/// a file of it is missing.
pub fn routes(dist: &Path) -> std::io::Result<Router> {
    let mut router = crate::axum_app::routes();
    for (path, file) in FILES {
        let file = dist.join(file);
        if !file.is_file() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "{} is missing: build the page first with examples/web/build.sh (it needs \
                     node, npm and thrift, which tests/setup-debian.sh installs), or set {DIST_ENV} \
                     to the folder it built",
                    file.display()
                ),
            ));
        }
        router = router.route(path, get_service(ServeFile::new(file)));
    }
    Ok(router)
}

/// [`routes`] behind tower-http's `TraceLayer`, as [`axum_app::app`](crate::axum_app::app).
pub fn app(dist: &Path) -> std::io::Result<Router> {
    Ok(routes(dist)?.layer(TraceLayer::new_for_http()))
}
