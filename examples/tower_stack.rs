//! The hello service with tower's middleware: three servers behind a concurrency limit,
//! load shedding and a timeout, and one client that balances its calls over them, bounds
//! each call and retries a call that could not be sent on another server. Halfway, one
//! server stops; the calls go on. It prints the calls each server answered and the
//! retries the client made.
//!
//! ```text
//! cargo run -p examples --example tower_stack
//! RUST_LOG=thrift_tower=debug cargo run -p examples --example tower_stack   # a span per call
//! ```

use examples::stack::{Counted, Running, balanced_client};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let mut servers = Vec::new();
    for name in ["alpha", "beta", "gamma"] {
        servers.push(Running::start(name).await?);
    }
    let addrs: Vec<String> = servers.iter().map(|s| s.addr.clone()).collect();
    let handlers: Vec<Counted> = servers.iter().map(|s| s.handler.clone()).collect();
    println!("servers on {}", addrs.join(", "));

    let (client, retries) = balanced_client(&addrs, 3).await?;
    let calls = (0..300).map(|i| {
        let client = client.clone();
        async move { client.say(format!("call {i}")).await }
    });
    for reply in futures_join(calls).await {
        reply?;
    }
    report("300 calls over three servers", &handlers);
    println!("retries so far: {}", retries.retries());

    // One server goes away; calls that find it gone are sent to another.
    servers.remove(0).stop().await?;
    // Its connections' closes reach us a moment later: a call written in that very instant
    // could have been read, as far as we can tell, and is not sent again (`say` is not
    // idempotent); one after is.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let before: Vec<usize> = handlers.iter().map(Counted::calls).collect();
    for i in 0..100 {
        client.say(format!("after {i}")).await?;
    }
    let after: Vec<usize> = handlers.iter().map(Counted::calls).collect();
    println!(
        "100 calls with alpha stopped: alpha {}, beta {}, gamma {}",
        after[0] - before[0],
        after[1] - before[1],
        after[2] - before[2]
    );
    println!(
        "retries: {} (calls that found alpha gone, sent to another server); held back by the budget: {}",
        retries.retries(),
        retries.refused_by_budget()
    );
    Ok(())
}

/// Runs the calls at once and returns their results in order.
async fn futures_join<F: std::future::Future + Send + 'static>(
    calls: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send,
{
    let tasks: Vec<_> = calls.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await.expect("a call task panicked"));
    }
    out
}

fn report(what: &str, handlers: &[Counted]) {
    let counts: Vec<String> = ["alpha", "beta", "gamma"]
        .iter()
        .zip(handlers)
        .map(|(name, h)| format!("{name} {}", h.calls()))
        .collect();
    println!("{what}: {}", counts.join(", "));
}
