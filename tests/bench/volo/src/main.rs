//! volo-thrift's echo server for the benchmark: `volo-echo --port N`. Prints
//! `echo_server listening on port N`, then serves framed binary (volo's default) until
//! killed.

// The generated file declares `pub mod volo_gen` itself.
include!(concat!(env!("OUT_DIR"), "/volo_gen.rs"));

use volo_gen::echo::{EchoRequest, EchoResponse, EchoService, EchoServiceServer};

struct Echo;

impl EchoService for Echo {
    async fn echo(&self, request: EchoRequest) -> Result<EchoResponse, volo_thrift::ServerError> {
        Ok(EchoResponse {
            payload: request.payload,
            items: request.items,
            ..Default::default()
        })
    }
}

#[volo::main]
async fn main() {
    let mut port = 9090u16;
    let args: Vec<String> = std::env::args().collect();
    for pair in args.windows(2) {
        if pair[0] == "--port" {
            port = pair[1].parse().expect("--port N");
        }
    }
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    println!("echo_server listening on port {port}");
    EchoServiceServer::new(Echo)
        .run(volo::net::Address::from(addr))
        .await
        .unwrap();
}
