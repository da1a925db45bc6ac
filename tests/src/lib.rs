//! Integration test support: what the tests in `tests/` share.
//!
//! - [`dynamic`]: a codec for values described at run time, to encode and decode another
//!   implementation's test vectors through our protocol traits.
//! - [`apache_python`]: test vectors from Apache Thrift's Python library, made by running
//!   Debian's `thrift` compiler and `python3-thrift` (see `tests/setup-debian.sh`).

pub mod apache_python;
pub mod cross;
pub mod dynamic;
pub mod thrift_test_handler;

thrift_tower::include_idl!("thrift_test");
thrift_tower::include_idl!("grammar");
thrift_tower::include_idl!("shared_types");
thrift_tower::include_idl!("forward");
