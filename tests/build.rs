//! Generates Rust for the repository's own IDL files with thrift-codegen, the way a user's
//! build script would; the tests then use the generated types, servers and clients, and CI
//! compiles them under `-D warnings` and clippy.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    thrift_codegen::configure()
        // The test IDL has what Apache's compiler warns about (fields without ids, `byte`,
        // `optional` arguments) on purpose; thrift-codegen's own tests pin the warnings.
        .warnings(false)
        .compile(
            &[
                "idl/ThriftTest.thrift",
                "../thrift-codegen/tests/idl/grammar.thrift",
                "../thrift-codegen/tests/idl/forward.thrift",
                // thrift-codegen's golden files: their checked-in output must compile too.
                "../thrift-codegen/tests/golden/consts.thrift",
                "../thrift-codegen/tests/golden/enums.thrift",
                "../thrift-codegen/tests/golden/service.thrift",
                "../thrift-codegen/tests/golden/structs.thrift",
                "../thrift-codegen/tests/golden/unions.thrift",
            ],
            &["idl"],
        )?;
    // Shared strings (`ByteStr`): ThriftTest and hello again, so the tests can check those
    // types against Apache's bytes and programs and against the `String` ones. (The golden
    // files generated with options other than the defaults, `options.rs` and
    // `shared_strings.rs`, are compiled as they are checked in: see `src/lib.rs`.)
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?).join("shared_strings");
    thrift_codegen::configure()
        .out_dir(out)
        .warnings(false)
        .shared_strings(true)
        .compile(
            &["idl/ThriftTest.thrift", "../examples/idl/hello.thrift"],
            &["idl"],
        )?;
    Ok(())
}
