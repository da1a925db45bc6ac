//! A generated client used from code that is not async, through `client::Blocking`: it
//! connects, its calls block until their answers (declared exceptions typed, as in async
//! code), and a server that went away is an error of the call, not a hang.

use std::time::Duration;

use tests::thrift_test::{TestExceptionError, ThriftTestClient, ThriftTestServer, Xtruct};
use tests::thrift_test_handler::ThriftTestHandler;
use thrift_tower::client::Blocking;
use thrift_tower::{Endpoint, Server};

#[test]
fn blocking_calls_from_plain_code() {
    // The server, on a runtime of its own in another thread.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(
        Server::builder()
            .add_service(ThriftTestServer::new(ThriftTestHandler))
            .serve_with_listener(listener, async {
                let _ = stopped.await;
            }),
    );

    let endpoint = Endpoint::from(addr).timeout(Duration::from_secs(5));
    let client = Blocking::connect(endpoint, ThriftTestClient::new).unwrap();
    assert_eq!(
        client.call(|c| c.test_string("blocking".into())).unwrap(),
        "blocking"
    );
    let sent = Xtruct {
        string_thing: "x".into(),
        byte_thing: 1,
        i32_thing: 2,
        i64_thing: 3,
    };
    assert_eq!(client.call(|c| c.test_struct(sent.clone())).unwrap(), sent);
    match client.call(|c| c.test_exception("Xception".into())) {
        Err(TestExceptionError::Err1(e)) => assert_eq!(e.error_code, 1001),
        other => panic!("{other:?}"),
    }
    // Several calls at once, in one block.
    let (a, b) = client.call(|c| async move { tokio::join!(c.test_i32(1), c.test_i32(2)) });
    assert_eq!((a.unwrap(), b.unwrap()), (1, 2));

    // The server goes away: the next call fails, it does not hang.
    let _ = stop.send(());
    runtime.block_on(server).unwrap().unwrap();
    let err = client.call(|c| c.test_i32(3)).unwrap_err();
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}
