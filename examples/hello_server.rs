//! The classic first Thrift server: `HelloService.say` on localhost:9090, buffered
//! transport, binary protocol (what the Python tutorial's server uses; Apache clients with
//! other framings and protocols are served too, detected per connection).
//!
//! ```text
//! cargo run -p examples --example hello_server
//! ```
//!
//! `HELLO_ADDR` changes the address.

#[tokio::main]
async fn main() -> Result<(), thrift_tower::Error> {
    let addr = std::env::var("HELLO_ADDR").unwrap_or_else(|_| "127.0.0.1:9090".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("hello_server listening on {addr}");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    examples::serve_hello(listener, shutdown).await
}
