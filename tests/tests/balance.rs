//! `client::Balanced` with servers that come and go at run time (tower's `Change`): calls
//! go only to the servers in the set, a server added receives calls, and one removed
//! receives none after.

use examples::hello::HelloServiceClient;
use examples::stack::Running;
use thrift_tower::Endpoint;
use thrift_tower::client::Balanced;
use tower::discover::Change;

#[tokio::test(flavor = "multi_thread")]
async fn balance_follows_servers_added_and_removed_at_run_time() {
    let a = Running::start("a").await.unwrap();
    let b = Running::start("b").await.unwrap();
    let (balanced, changes) = Balanced::with_changes(4);
    let client = HelloServiceClient::new(balanced);

    changes
        .send(Change::Insert("a", Endpoint::new(a.addr.clone()).unwrap()))
        .await
        .unwrap();
    for i in 0..20 {
        let reply = client.say(format!("{i}")).await.unwrap();
        assert_eq!(reply, format!("a received: {i}"));
    }
    assert_eq!((a.handler.calls(), b.handler.calls()), (20, 0));

    changes
        .send(Change::Insert("b", Endpoint::new(b.addr.clone()).unwrap()))
        .await
        .unwrap();
    for i in 0..200 {
        client.say(format!("{i}")).await.unwrap();
    }
    let (to_a, to_b) = (a.handler.calls() - 20, b.handler.calls());
    assert_eq!(to_a + to_b, 200);
    assert!(to_a > 0 && to_b > 0, "a got {to_a}, b got {to_b}");

    changes.send(Change::Remove("a")).await.unwrap();
    // The removal is taken in when the balancer is next asked for a server; from then on
    // every call goes to b.
    client.say("after".into()).await.unwrap();
    let a_before = a.handler.calls();
    for i in 0..50 {
        let reply = client.say(format!("{i}")).await.unwrap();
        assert_eq!(reply, format!("b received: {i}"));
    }
    assert_eq!(a.handler.calls(), a_before);

    a.stop().await.unwrap();
    b.stop().await.unwrap();
}
