//! The classic first Thrift client: calls `HelloService.say("Hello!")` on localhost:9090
//! with the buffered transport and the binary protocol, as the Python tutorial's client.
//!
//! ```text
//! cargo run -p examples --example hello_client
//! ```
//!
//! `HELLO_ADDR` changes the address.

#[tokio::main]
async fn main() -> Result<(), examples::hello::SayError> {
    let addr = std::env::var("HELLO_ADDR").unwrap_or_else(|_| "127.0.0.1:9090".into());
    println!("client - say");
    let reply = examples::say_hello(&addr).await?;
    println!("server - {reply}");
    Ok(())
}
