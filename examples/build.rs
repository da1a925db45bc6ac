//! Generates the examples' IDL, as any user's build script would.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    thrift_codegen::configure().compile(&["idl/hello.thrift", "idl/echo.thrift"], &["idl"])?;
    // The echo service again with every `string` a `thrift_tower::ByteStr` sharing the
    // received message (`echo_server --strings shared`), in a folder of its own.
    let shared = std::path::PathBuf::from(std::env::var("OUT_DIR")?).join("shared");
    thrift_codegen::configure()
        .out_dir(shared)
        .shared_strings(true)
        .compile(&["idl/echo.thrift"], &["idl"])?;
    Ok(())
}
