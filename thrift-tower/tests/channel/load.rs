//! The channel's `Load`, as tower's balancers read it: a channel that cannot connect ranks
//! last for its penalty, then counts its calls in flight.

use std::future::poll_fn;
use std::time::{Duration, Instant};

use thrift_tower::Endpoint;
use thrift_tower::protocol::Protocol;
use thrift_tower::transport::Framing;
use tokio::net::TcpListener;
use tower_service::Service;

use crate::calls::{call, request};
use crate::common::peer::PROMPTLY;
use crate::test_server::{Event, Payload, TestServer};

#[tokio::test]
async fn load_ranks_a_channel_that_cannot_connect_last_for_its_penalty() {
    use thrift_tower::client::ChannelLoad;
    use tower::load::Load;

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut channel = Endpoint::from(addr)
        .failure_penalty(Duration::from_millis(300))
        .connect_lazy();
    let idle = ChannelLoad {
        failing: false,
        in_flight: 0,
    };
    assert_eq!(channel.load(), idle);

    let error = call(
        &mut channel,
        request("echo", 0, Protocol::Binary, Payload::new(1)),
    )
    .await
    .unwrap_err();
    assert!(error.is_connect(), "{error}");
    let failed_at = Instant::now();
    let failing = channel.load();
    assert!(failing.failing, "{failing:?}");
    // Failing outranks any number of calls in flight on a channel that is not failing.
    assert!(
        failing
            > ChannelLoad {
                failing: false,
                in_flight: usize::MAX
            }
    );

    // The penalty ends; a server is back; a call connects, and the load counts it.
    while channel.load().failing {
        assert!(failed_at.elapsed() < PROMPTLY, "still failing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(failed_at.elapsed() >= Duration::from_millis(250));
    let mut server = TestServer::start_on(addr, Framing::Buffered, Protocol::Binary).await;
    poll_fn(|cx| channel.poll_ready(cx)).await.unwrap();
    let pending = channel.call(request("hang", 0, Protocol::Binary, Payload::new(2)));
    assert_eq!(
        channel.load(),
        ChannelLoad {
            failing: false,
            in_flight: 1
        }
    );
    drop(pending);
    assert_eq!(server.event().await, Event::Connected);
}
