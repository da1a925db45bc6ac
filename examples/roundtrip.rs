//! Encodes the call `say("Hello!")` of `service HelloService { string say(1: string msg) }`
//! in each of Thrift's three protocols, prints the bytes, and decodes them back.
//!
//! ```text
//! cargo run -p examples --example roundtrip
//! ```

use bytes::{Bytes, BytesMut};
use thrift_tower::protocol::{
    FieldHeader, Limits, ProtocolReader, ProtocolWriter, Thrift, WireType,
    binary::{BinaryReader, BinaryWriter},
    compact::{CompactReader, CompactWriter},
    json::{JsonReader, JsonWriter},
};
use thrift_tower::{MessageHeader, MessageType, ProtocolError};

/// The arguments of `say`, written the way generated code will write them.
#[derive(Debug, PartialEq)]
struct SayArgs {
    msg: Option<String>,
}

impl Thrift for SayArgs {
    const WIRE_TYPE: WireType = WireType::Struct;

    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        let mut msg = None;
        r.read_struct_begin()?;
        loop {
            let FieldHeader { wire_type, id } = r.read_field_begin()?;
            match (id, wire_type) {
                (_, WireType::Stop) => break,
                (1, WireType::String) => msg = Some(r.read_string()?),
                _ => r.skip(wire_type)?,
            }
            r.read_field_end()?;
        }
        r.read_struct_end()?;
        Ok(SayArgs { msg })
    }

    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_struct_begin("say_args")?;
        if let Some(msg) = &self.msg {
            w.write_field_begin("msg", WireType::String, 1)?;
            w.write_string(msg)?;
            w.write_field_end()?;
        }
        w.write_field_stop()?;
        w.write_struct_end()
    }
}

fn write_call<W: ProtocolWriter>(w: &mut W, args: &SayArgs) -> Result<(), ProtocolError> {
    w.write_message_begin(&MessageHeader::new("say", MessageType::Call, 1))?;
    args.write(w)?;
    w.write_message_end()
}

fn read_call<R: ProtocolReader>(r: &mut R) -> Result<(MessageHeader, SayArgs), ProtocolError> {
    let header = r.read_message_begin()?;
    let args = SayArgs::read(r)?;
    r.read_message_end()?;
    Ok((header, args))
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> Result<(), ProtocolError> {
    let args = SayArgs {
        msg: Some("Hello!".to_string()),
    };
    let limits = Limits::default();

    let mut buf = BytesMut::new();
    write_call(&mut BinaryWriter::new(&mut buf), &args)?;
    let binary: Bytes = buf.split().freeze();
    write_call(&mut CompactWriter::new(&mut buf), &args)?;
    let compact: Bytes = buf.split().freeze();
    write_call(&mut JsonWriter::new(&mut buf), &args)?;
    let json: Bytes = buf.split().freeze();

    println!("binary  ({:2} bytes): {}", binary.len(), hex(&binary));
    println!("compact ({:2} bytes): {}", compact.len(), hex(&compact));
    println!(
        "json    ({:2} bytes): {}",
        json.len(),
        String::from_utf8_lossy(&json)
    );

    let decoded = [
        ("binary", read_call(&mut BinaryReader::new(binary, limits))?),
        (
            "compact",
            read_call(&mut CompactReader::new(compact, limits))?,
        ),
        ("json", read_call(&mut JsonReader::new(json, limits))?),
    ];
    for (protocol, (header, back)) in decoded {
        assert_eq!(back, args, "{protocol} round trip");
        println!(
            "{protocol:>7}: decoded {:?} #{} {}({:?})",
            header.message_type,
            header.seqid,
            header.name,
            back.msg.as_deref().unwrap_or_default()
        );
    }
    Ok(())
}
