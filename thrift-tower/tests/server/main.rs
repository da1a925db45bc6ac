//! The `Server` on real loopback sockets, against a small service written here, with a raw
//! peer as the client so the tests see exactly what is on the wire. One module per feature;
//! `service`, `serve` and `client` are what they share.

#[path = "../common/mod.rs"]
mod common;

mod client;
mod serve;
mod service;

mod abuse;
mod bad_input;
mod detection;
mod failures;
mod limits;
mod pipelining;
mod routing;
mod shutdown;
mod timeouts;
#[cfg(unix)]
mod unix;
