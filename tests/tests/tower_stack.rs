//! The hello service composed with tower's middleware, as `examples/tower_stack.rs` runs
//! it: three servers behind load shedding, a concurrency limit and a timeout; one client
//! balancing over them (p2c over channels, which weigh themselves), with a timeout and a
//! retry of calls that could not be sent. Every call must succeed, every server must get
//! some, and when one server stops, the calls that follow must all succeed on the others.

use examples::stack::{Counted, Running, balanced_client};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balanced_calls_survive_a_server_going_away() {
    let mut servers = Vec::new();
    for name in ["alpha", "beta", "gamma"] {
        servers.push(Running::start(name).await.unwrap());
    }
    let addrs: Vec<String> = servers.iter().map(|s| s.addr.clone()).collect();
    let handlers: Vec<Counted> = servers.iter().map(|s| s.handler.clone()).collect();
    let (client, retries) = balanced_client(&addrs, 3).await.unwrap();

    // Calls from many tasks at once: the client's futures are `Send` and own what they use.
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.say(format!("call {i}")).await })
        })
        .collect();
    for task in tasks {
        let reply = task.await.unwrap().unwrap();
        assert!(reply.contains(" received: call "), "{reply}");
    }
    let counts: Vec<usize> = handlers.iter().map(Counted::calls).collect();
    assert_eq!(counts.iter().sum::<usize>(), 300, "{counts:?}");
    assert!(
        counts.iter().all(|&n| n > 0),
        "a server got no call: {counts:?}"
    );

    servers.remove(0).stop().await.unwrap();
    // The stopped server's FINs reach the client's sockets as it returns; a call written in
    // that instant cannot be told from one the server read (Thrift has no GOAWAY, as HTTP/1.1
    // keep-alive has not), so the calls start once they have arrived. Closed connections seen
    // before a call is written make it unsent, and sent to another server.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let before: Vec<usize> = handlers.iter().map(Counted::calls).collect();
    for i in 0..100 {
        let reply = client.say(format!("after {i}")).await.unwrap();
        assert!(!reply.starts_with("alpha"), "{reply}");
    }
    let after: Vec<usize> = handlers.iter().map(Counted::calls).collect();
    assert_eq!(after[0], before[0]);
    assert_eq!(after[1] + after[2] - before[1] - before[2], 100);
    // The calls that found the stopped server's connections closed were sent again, and
    // counted; none was held back.
    assert_eq!(retries.refused_by_budget(), 0);
}
