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
    Ok(())
}
