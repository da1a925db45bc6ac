//! Thrift-aware tower layers. Everything else (timeouts, retries with budgets, load
//! shedding, concurrency limits, balancing) is tower's own and works unchanged.

mod multiplex;

pub use self::multiplex::{Multiplex, MultiplexLayer};
