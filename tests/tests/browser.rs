//! The hello service called from a web page in a real browser: the page of the `axum_web`
//! example, built by `examples/web/build.sh` (npm `thrift` 0.17.0, Apache's JavaScript
//! library, with the client `thrift --gen js:node` makes, bundled by browserify), served by
//! the same app in-process, loaded by headless Chromium. The page calls `say("Hello!")` over
//! XHR in the JSON protocol; the test reads the DOM Chromium dumps, and what the server got.
//!
//! Requires node, npm, Debian's `thrift` compiler and Debian's `chromium`
//! (`tests/setup-debian.sh`), and the npm registry the first time; the test fails, never
//! skips, without them.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::{self, Next};
use axum::response::Response;
use tests::apache_python::repo_root;
use tests::process::{check_tool, describe, nanos, run_bounded};
use tokio::net::TcpListener;

/// How long building the page may take: `npm ci` from the registry the first time.
const BUILD_LIMIT: Duration = Duration::from_secs(300);
/// How long Chromium may take to load the page, run its call and dump the DOM.
const BROWSER_LIMIT: Duration = Duration::from_secs(30);
/// The page's clock (virtual, paused while a request is in flight) runs this far before
/// Chromium dumps the DOM: beyond the page's own 10 s limit on a call, so a call that fails
/// shows its error.
const VIRTUAL_TIME_BUDGET_MS: u32 = 15_000;
/// What Apache's JavaScript client is told to send, and gets back.
const JSON_TYPE: &str = "application/vnd.apache.thrift.json; charset=utf-8";

/// One request the app got, and its answer.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    content_type: Option<String>,
    body: String,
    status: u16,
    reply_type: Option<String>,
}

#[tokio::test(flavor = "multi_thread")]
async fn apache_javascript_client_in_chromium_calls_the_hello_service() {
    for (command, what) in [
        (["node", "--version"], "node (Debian's nodejs)"),
        (["npm", "--version"], "npm (Debian's npm)"),
        (
            ["thrift", "-version"],
            "the thrift compiler (Debian's thrift-compiler)",
        ),
        (["chromium", "--version"], "Debian's chromium"),
    ] {
        if let Err(e) = check_tool(Command::new(command[0]).arg(command[1]), what) {
            panic!("{e}");
        }
    }
    let dist = tokio::task::spawn_blocking(build_page).await.unwrap();

    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = examples::web::app(&dist)
        .unwrap()
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            recorded(request, next, record.clone())
        }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(examples::axum_app::serve(listener, app, async {
        let _ = stopped.await;
    }));

    let url = format!("http://127.0.0.1:{port}/");
    let dom = tokio::task::spawn_blocking(move || dump_dom(&url))
        .await
        .unwrap();
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    let seen = seen.lock().unwrap().clone();
    let dom = dom.unwrap_or_else(|e| panic!("{e}\nthe requests the server got: {seen:#?}"));

    let (reply, error) = (element_text(&dom, "reply"), element_text(&dom, "error"));
    assert_eq!(
        (reply, error),
        (Some("Received: Hello!"), Some("")),
        "the page does not show the reply; the requests the server got: {seen:#?}\nthe DOM:\n{dom}"
    );
    let calls: Vec<&Seen> = seen.iter().filter(|s| s.path == "/thrift").collect();
    let [call] = calls[..] else {
        panic!("not one request on /thrift: {seen:#?}");
    };
    assert_eq!(call.method, "POST", "{call:#?}");
    assert_eq!(call.content_type.as_deref(), Some(JSON_TYPE), "{call:#?}");
    // A JSON-protocol call of `say` (type 1), the client's first (seqid 1), whose argument
    // 1 is the string "Hello!".
    assert_eq!(
        call.body, r#"[1,"say",1,1,{"1":{"str":"Hello!"}}]"#,
        "{call:#?}"
    );
    assert_eq!(call.status, 200, "{call:#?}");
    assert_eq!(call.reply_type.as_deref(), Some(JSON_TYPE), "{call:#?}");
}

/// Runs `examples/web/build.sh` into `web/` of the target folder, where `axum_web` finds the
/// page too; returns the folder of the page.
fn build_page() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let build = target.join("web");
    let dist = build.join("dist");
    let mut command = Command::new("bash");
    command
        .arg(repo_root().join("examples/web/build.sh"))
        .arg(&build)
        .arg(&dist);
    let run = run_bounded(&mut command, BUILD_LIMIT)
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", describe(&command)));
    match run.status {
        Some(status) if status.success() => dist,
        status => panic!(
            "{} {}:\n{}\n{}",
            describe(&command),
            status.map_or(
                format!("did not finish within {BUILD_LIMIT:?} and was killed"),
                |s| format!("exited with {s}")
            ),
            run.stdout,
            run.stderr
        ),
    }
}

/// Loads `url` in headless Chromium, with a profile folder of its own, and returns the DOM it
/// dumps once the page's clock has run [`VIRTUAL_TIME_BUDGET_MS`]; or what went wrong.
fn dump_dom(url: &str) -> Result<String, String> {
    let profile = std::env::temp_dir().join(format!(
        "thrift-tower-chromium-{}-{}",
        std::process::id(),
        nanos()
    ));
    let mut command = Command::new("chromium");
    command
        // Its temporary files too, so that nothing is left when it is killed.
        .env("TMPDIR", &profile)
        // As root (CI containers) Chromium starts only without its sandbox.
        .args(["--headless", "--no-sandbox", "--disable-gpu"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args([
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}"))
        .arg("--dump-dom")
        .arg(url);
    let run = run_bounded(&mut command, BROWSER_LIMIT);
    let _ = std::fs::remove_dir_all(&profile);
    let run = run.map_err(|e| format!("cannot run {}: {e}", describe(&command)))?;
    match run.status {
        Some(status) if status.success() => Ok(run.stdout),
        status => Err(format!(
            "{} {}; its stderr:\n{}\nits stdout:\n{}",
            describe(&command),
            status.map_or(
                format!("did not finish within {BROWSER_LIMIT:?} and was killed"),
                |s| format!("exited with {s}")
            ),
            run.stderr,
            run.stdout
        )),
    }
}

/// The text of the `<pre>` element with the given id in `dom`, if there is one.
fn element_text<'a>(dom: &'a str, id: &str) -> Option<&'a str> {
    let start = format!("<pre id=\"{id}\">");
    let rest = &dom[dom.find(&start)? + start.len()..];
    Some(&rest[..rest.find("</pre>")?])
}

/// Passes `request` on, noting it in `seen` when it arrives and its answer when that goes
/// out (a request never answered keeps status 0).
async fn recorded(request: Request, next: Next, seen: Arc<Mutex<Vec<Seen>>>) -> Response {
    let (parts, body) = request.into_parts();
    // The page's requests are small; a larger body is cut, which the test would see.
    let bytes = axum::body::to_bytes(body, 1 << 16)
        .await
        .unwrap_or_default();
    let index = {
        let mut seen = seen.lock().unwrap();
        seen.push(Seen {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            content_type: content_type(&parts.headers),
            body: String::from_utf8_lossy(&bytes).into_owned(),
            status: 0,
            reply_type: None,
        });
        seen.len() - 1
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    if let Some(entry) = seen.lock().unwrap().get_mut(index) {
        entry.status = response.status().as_u16();
        entry.reply_type = content_type(response.headers());
    }
    response
}

/// The `Content-Type` header, when it is text.
fn content_type(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
