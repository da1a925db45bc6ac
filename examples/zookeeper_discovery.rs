//! Service discovery on ZooKeeper: three hello servers register under `/services/hello` as
//! ServerSet members, a client balances over whatever members it finds there, one server
//! leaves and another joins, and the calls follow.
//!
//! Needs a ZooKeeper; Debian's (`apt-get install zookeeper`) runs standalone with
//!
//! ```text
//! java -cp /etc/zookeeper/conf:/usr/share/java/zookeeper.jar \
//!     org.apache.zookeeper.server.ZooKeeperServerMain 2181 /tmp/zookeeper-data
//! cargo run -p examples --example zookeeper_discovery [-- 127.0.0.1:2181]
//! ```

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let connect = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:2181".to_string());
    examples::discovery::run(&connect, std::io::stdout()).await?;
    Ok(())
}
