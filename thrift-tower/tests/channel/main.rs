//! The client `Channel` on real loopback sockets, against a small Thrift server written here
//! on a raw peer, so the tests decide exactly what comes back. One module per feature;
//! `test_server` and `calls` are what they share.

#[path = "../common/mod.rs"]
mod common;

mod calls;
mod test_server;

mod back_pressure;
mod configuration;
mod connecting;
mod failures_and_reconnects;
mod lifetime;
mod load;
mod pipelining;
mod pool;
mod timeouts;
#[cfg(unix)]
mod unix;
