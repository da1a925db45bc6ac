//! Generates volo's code for the benchmark's echo service, from the same IDL as ours.

fn main() {
    volo_build::Builder::thrift()
        .add_service("../../../examples/idl/echo.thrift")
        .write()
        .unwrap();
}
