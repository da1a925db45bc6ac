//! Placeholder while the compact protocol is written.
#![allow(missing_docs, unreachable_pub, dead_code, unused_variables)]
use super::*;
use crate::message::MessageHeader;
use bytes::{BufMut, Bytes};

#[derive(Debug)]
pub struct CompactReader<I = Bytes> {
    input: I,
}
impl<I: Input> CompactReader<I> {
    pub fn new(input: I, _limits: Limits) -> Self {
        Self { input }
    }
}
#[derive(Debug)]
pub struct CompactWriter<B> {
    buf: B,
}
impl<B: BufMut> CompactWriter<B> {
    pub fn new(buf: B) -> Self {
        Self { buf }
    }
}
fn ni() -> ProtocolError {
    ProtocolError::new(crate::ProtocolErrorKind::NotImplemented, "compact")
}
impl<I: Input> ProtocolReader for CompactReader<I> {
    fn read_message_begin(&mut self) -> Result<MessageHeader, ProtocolError> {
        Err(ni())
    }
    fn read_message_end(&mut self) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn read_struct_begin(&mut self) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn read_struct_end(&mut self) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn read_field_begin(&mut self) -> Result<FieldHeader, ProtocolError> {
        Err(ni())
    }
    fn read_field_end(&mut self) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn read_list_begin(&mut self) -> Result<ListHeader, ProtocolError> {
        Err(ni())
    }
    fn read_list_end(&mut self) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn read_set_begin(&mut self) -> Result<ListHeader, ProtocolError> {
        Err(ni())
    }
    fn read_set_end(&mut self) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn read_map_begin(&mut self) -> Result<MapHeader, ProtocolError> {
        Err(ni())
    }
    fn read_map_end(&mut self) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn read_bool(&mut self) -> Result<bool, ProtocolError> {
        Err(ni())
    }
    fn read_i8(&mut self) -> Result<i8, ProtocolError> {
        Err(ni())
    }
    fn read_i16(&mut self) -> Result<i16, ProtocolError> {
        Err(ni())
    }
    fn read_i32(&mut self) -> Result<i32, ProtocolError> {
        Err(ni())
    }
    fn read_i64(&mut self) -> Result<i64, ProtocolError> {
        Err(ni())
    }
    fn read_double(&mut self) -> Result<f64, ProtocolError> {
        Err(ni())
    }
    fn read_uuid(&mut self) -> Result<[u8; 16], ProtocolError> {
        Err(ni())
    }
    fn read_string(&mut self) -> Result<String, ProtocolError> {
        Err(ni())
    }
    fn read_binary(&mut self) -> Result<Bytes, ProtocolError> {
        Err(ni())
    }
}
impl<B: BufMut> ProtocolWriter for CompactWriter<B> {
    fn write_message_begin(&mut self, header: &MessageHeader) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_message_end(&mut self) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_struct_begin(&mut self, name: &str) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_struct_end(&mut self) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_field_begin(
        &mut self,
        name: &str,
        wire_type: WireType,
        id: i16,
    ) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_field_end(&mut self) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_field_stop(&mut self) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_list_begin(&mut self, element: WireType, len: usize) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_list_end(&mut self) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_set_begin(&mut self, element: WireType, len: usize) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_set_end(&mut self) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_map_begin(
        &mut self,
        key: WireType,
        value: WireType,
        len: usize,
    ) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_map_end(&mut self) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_bool(&mut self, value: bool) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_i8(&mut self, value: i8) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_i16(&mut self, value: i16) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_i32(&mut self, value: i32) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_i64(&mut self, value: i64) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_double(&mut self, value: f64) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_uuid(&mut self, value: &[u8; 16]) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_string(&mut self, value: &str) -> Result<(), ProtocolError> {
        Err(ni())
    }
    fn write_binary(&mut self, value: &[u8]) -> Result<(), ProtocolError> {
        Err(ni())
    }
}
