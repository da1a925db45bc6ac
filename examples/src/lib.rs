//! Code the examples share: the Rust generated from `idl/hello.thrift`.

thrift_tower::include_idl!("hello");
