//! Generates the examples' IDL, as any user's build script would.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    thrift_codegen::configure().compile(&["idl/hello.thrift", "idl/echo.thrift"], &["idl"])?;
    Ok(())
}
