//! Integration test support: what the tests in `tests/` share.
//!
//! - [`dynamic`]: a codec for values described at run time, to encode and decode another
//!   implementation's test vectors through our protocol traits.
//! - [`apache_python`]: test vectors from Apache Thrift's Python library, made by running
//!   Debian's `thrift` compiler and `python3-thrift` (see `tests/setup-debian.sh`).
//! - [`apache_cpp`]: Apache's C++ cross-test programs (`tests/cpp/`), built against Debian's
//!   `libthrift-dev` once per test binary.
//! - [`logs`]: what the server logs while a test runs.
//! - [`backend`]: servers the fault tests kill, stop, slow down and restart.
//! - [`zookeeper`]: a real ZooKeeper server for the discovery tests.

pub mod apache_cpp;
pub mod apache_python;
pub mod backend;
pub mod cross;
pub mod dynamic;
pub mod logs;
pub mod process;
pub mod thrift_test_handler;
pub mod zookeeper;

/// Generated from `idl/ThriftTest.thrift`.
pub mod thrift_test {
    thrift_tower::include_idl!("thrift_test");
}

/// Generated from thrift-codegen's `tests/idl/grammar.thrift`, with the file it includes
/// (`grammar::shared_types`).
pub mod grammar {
    thrift_tower::include_idl!("grammar");
}

/// Generated from thrift-codegen's `tests/idl/forward.thrift`.
pub mod forward {
    thrift_tower::include_idl!("forward");
}

/// The IDL files of thrift-codegen's golden tests (`thrift-codegen/tests/golden/`), whose
/// generated code must compile under the workspace's lints as well as match the checked-in
/// files. In a module of their own, so their short names stay clear of the others.
pub mod golden {
    /// `consts.thrift`, with the file it includes (`consts::enums`).
    pub mod consts {
        thrift_tower::include_idl!("consts");
    }
    /// `enums.thrift`.
    pub mod enums {
        thrift_tower::include_idl!("enums");
    }
    /// `service.thrift`.
    pub mod service {
        thrift_tower::include_idl!("service");
    }
    /// `structs.thrift`.
    pub mod structs {
        thrift_tower::include_idl!("structs");
    }
    /// `unions.thrift`.
    pub mod unions {
        thrift_tower::include_idl!("unions");
    }
    /// `options.thrift`, generated with the builder's options of thrift-codegen's
    /// `tests/golden.rs`: serde's derives on some types, a client without a server,
    /// `enums.thrift`'s types taken from [`enums`] rather than generated again. The
    /// checked-in file itself, which that test keeps equal to what the options generate:
    /// the options are written there alone.
    pub mod options {
        include!("../../thrift-codegen/tests/golden/options.rs");
    }
    /// `shared_strings.thrift`, generated with `shared_strings(true)`: the checked-in file,
    /// as for [`options`].
    pub mod shared_strings {
        include!("../../thrift-codegen/tests/golden/shared_strings.rs");
    }
}

/// Generated from `idl/ThriftTest.thrift` with `shared_strings(true)`: every IDL `string`
/// a [`thrift_tower::ByteStr`].
pub mod thrift_test_shared {
    include!(concat!(env!("OUT_DIR"), "/shared_strings/thrift_test.rs"));
}

/// Generated from the examples' `idl/hello.thrift` with `shared_strings(true)`.
pub mod hello_shared {
    include!(concat!(env!("OUT_DIR"), "/shared_strings/hello.rs"));
}
