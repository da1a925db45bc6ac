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
    // The golden file of the builder's options, with the options of thrift-codegen's
    // tests/golden.rs (`with_options`), in a folder of its own.
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?).join("options");
    thrift_codegen::configure()
        .out_dir(out)
        .build_server(false)
        .type_attribute(
            ".options.Point",
            "#[derive(serde::Serialize, serde::Deserialize)]",
        )
        .type_attribute("Shape", "#[derive(serde::Serialize, serde::Deserialize)]")
        .type_attribute(
            ".options.Unit",
            "#[derive(serde::Serialize, serde::Deserialize)]",
        )
        .field_attribute(
            ".options.Point.label",
            r#"#[serde(default, skip_serializing_if = "Option::is_none")]"#,
        )
        .field_attribute("Shape.path", r#"#[serde(rename = "polyline")]"#)
        .extern_path(".enums", "crate::golden::enums")
        .compile(&["../thrift-codegen/tests/golden/options.thrift"], &["idl"])?;
    // Shared strings (`ByteStr`): the golden file of the option, and ThriftTest and hello
    // again, so the tests can check those types against Apache's bytes and programs and
    // against the `String` ones.
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?).join("shared_strings");
    thrift_codegen::configure()
        .out_dir(out)
        .warnings(false)
        .shared_strings(true)
        .compile(
            &[
                "../thrift-codegen/tests/golden/shared_strings.thrift",
                "idl/ThriftTest.thrift",
                "../examples/idl/hello.thrift",
            ],
            &["idl"],
        )?;
    Ok(())
}
