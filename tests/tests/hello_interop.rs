//! The hello service against the Python tutorial's programs, built by Debian's
//! `thrift -gen py` from the same IDL: our server answers the Python client, and our client
//! gets its answer from the Python server (TSimpleServer, buffered transport, binary
//! protocol). These are the functions the `hello_server` and `hello_client` examples run.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use tests::apache_python::{PYTHON, hello_python_code, repo_root, run_python_hello_client};

#[tokio::test(flavor = "multi_thread")]
async fn python_tutorial_client_against_our_server() {
    let gen_dir = hello_python_code();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(examples::serve_hello(listener, async {
        let _ = stopped.await;
    }));
    let stdout = run_python_hello_client(&gen_dir, port).await;
    assert_eq!(stdout, "client - say\nserver - Received: Hello!\n");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    let _ = std::fs::remove_dir_all(gen_dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn our_client_against_the_python_tutorial_server() {
    let gen_dir = hello_python_code();
    // A free port: bind, read it, release it for the Python server.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(PYTHON)
        .arg(repo_root().join("tests/python/hello_server.py"))
        .arg(&gen_dir)
        .arg(port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {PYTHON} ({e}): run tests/setup-debian.sh"));
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    if !first.contains("listening") {
        let _ = server.kill();
        let mut stderr = String::new();
        if let Some(mut pipe) = server.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
        }
        panic!("python server did not start: {first:?}; its stderr:\n{stderr}");
    }

    // The tutorial server prints before it listens: wait until it accepts connections.
    let addr = format!("127.0.0.1:{port}");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&addr).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let reply = examples::say_hello(&addr).await;
    // Stop the server first, so reading what it printed ends at its exit.
    let _ = server.kill();
    let _ = server.wait();
    let printed: Vec<String> = lines.map_while(Result::ok).collect();
    let _ = std::fs::remove_dir_all(gen_dir);
    assert_eq!(reply.unwrap(), "Received: Hello!");
    assert_eq!(printed, ["Received: Hello!"]);
}
