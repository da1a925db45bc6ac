//! The classic first Thrift server: `HelloService.say` on localhost:9090, buffered
//! transport, binary protocol (what the Python tutorial's server uses; Apache clients with
//! other framings and protocols are served too, detected per connection).
//!
//! ```text
//! cargo run -p examples --example hello_server
//! ```

use examples::hello::{HelloService, HelloServiceServer, SayError};

struct Hello;

impl HelloService for Hello {
    async fn say(&self, msg: String) -> Result<String, SayError> {
        let reply = format!("Received: {msg}");
        println!("{reply}");
        Ok(reply)
    }
}

#[tokio::main]
async fn main() -> Result<(), thrift_tower::Error> {
    let addr = std::env::var("HELLO_ADDR").unwrap_or_else(|_| "127.0.0.1:9090".into());
    let addr = addr.parse().map_err(|e| {
        thrift_tower::Error::from(std::io::Error::other(format!("HELLO_ADDR {addr}: {e}")))
    })?;
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    println!("hello_server listening on {addr}");
    thrift_tower::Server::builder()
        .add_service(HelloServiceServer::new(Hello))
        .serve_with_shutdown(addr, shutdown)
        .await
}
