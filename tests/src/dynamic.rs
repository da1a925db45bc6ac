//! A schema-driven codec: any Thrift value described at run time by a [`Ty`] and held as a
//! [`Value`] tree, written and read through the public
//! [`ProtocolWriter`]/[`ProtocolReader`] traits.
//!
//! Conformance tests use it to encode values that exist only as data (vectors produced by
//! another implementation) without generating Rust types for them. It keeps what the wire
//! keeps: struct fields, set elements and map entries stay in the order they were read or
//! are to be written, so a value read from a peer's bytes compares exactly with what the
//! peer encoded, and writing it again can reproduce the peer's bytes.
//!
//! ```
//! use bytes::Bytes;
//! use thrift_tower::protocol::Limits;
//! use thrift_tower::protocol::binary::{BinaryReader, BinaryWriter};
//! use tests::dynamic::{Ty, Value, read_value, write_value};
//!
//! let ty = Ty::List(Box::new(Ty::Double));
//! let value = Value::List(vec![Value::Double(-0.0), Value::Double(f64::NAN)]);
//! let mut buf = Vec::new();
//! write_value(&mut BinaryWriter::new(&mut buf), &ty, &value)?;
//! let back = read_value(&mut BinaryReader::new(Bytes::from(buf), Limits::default()), &ty)?;
//! assert_eq!(back, value); // doubles compare by their bits: -0.0 and NaN included
//! # Ok::<(), thrift_tower::ProtocolError>(())
//! ```

use std::fmt;
use std::sync::Arc;

use thrift_tower::ProtocolError;
use thrift_tower::protocol::{ProtocolReader, ProtocolWriter, WireType};

/// The type of a value, as far as the wire is concerned: enums are [`Ty::I32`], typedefs
/// are what they stand for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// `bool`
    Bool,
    /// `i8` (`byte`)
    I8,
    /// `i16`
    I16,
    /// `i32`, and enums
    I32,
    /// `i64`
    I64,
    /// `double`
    Double,
    /// `string`: UTF-8 text
    String,
    /// `binary`: any bytes (the same wire type as `string`)
    Binary,
    /// A struct, union or exception.
    Struct(Arc<StructTy>),
    /// `list<T>`
    List(Box<Ty>),
    /// `set<T>`
    Set(Box<Ty>),
    /// `map<K, V>`
    Map(Box<Ty>, Box<Ty>),
}

impl Ty {
    /// The type id this type has on the wire.
    pub fn wire_type(&self) -> WireType {
        match self {
            Ty::Bool => WireType::Bool,
            Ty::I8 => WireType::I8,
            Ty::I16 => WireType::I16,
            Ty::I32 => WireType::I32,
            Ty::I64 => WireType::I64,
            Ty::Double => WireType::Double,
            Ty::String | Ty::Binary => WireType::String,
            Ty::Struct(_) => WireType::Struct,
            Ty::List(_) => WireType::List,
            Ty::Set(_) => WireType::Set,
            Ty::Map(..) => WireType::Map,
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Bool => f.write_str("bool"),
            Ty::I8 => f.write_str("i8"),
            Ty::I16 => f.write_str("i16"),
            Ty::I32 => f.write_str("i32"),
            Ty::I64 => f.write_str("i64"),
            Ty::Double => f.write_str("double"),
            Ty::String => f.write_str("string"),
            Ty::Binary => f.write_str("binary"),
            Ty::Struct(s) => f.write_str(&s.name),
            Ty::List(t) => write!(f, "list<{t}>"),
            Ty::Set(t) => write!(f, "set<{t}>"),
            Ty::Map(k, v) => write!(f, "map<{k},{v}>"),
        }
    }
}

/// What the IDL declared a struct type as. Unions and exceptions are structs on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructKind {
    /// `struct`
    Struct,
    /// `union`
    Union,
    /// `exception`
    Exception,
}

/// A field's requiredness as the IDL declared it.
///
/// [`read_value`] does not enforce it: Apache's libraries write structs whose required
/// fields are unset (Python never validates before writing), and a conformance test must
/// read what is on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requiredness {
    /// `required`
    Required,
    /// `optional`
    Optional,
    /// neither (Apache calls it "default" or "opt-in, req-out")
    Default,
}

/// A struct, union or exception type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructTy {
    /// The IDL name.
    pub name: String,
    /// Struct, union or exception.
    pub kind: StructKind,
    /// The fields, in declaration order.
    pub fields: Vec<FieldTy>,
}

impl StructTy {
    /// The field with id `id`.
    pub fn field(&self, id: i16) -> Option<&FieldTy> {
        self.fields.iter().find(|f| f.id == id)
    }
}

/// A field of a [`StructTy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldTy {
    /// The field id.
    pub id: i16,
    /// The field name (some protocols could put it on the wire; Apache's three do not).
    pub name: String,
    /// Required, optional or default.
    pub required: Requiredness,
    /// The field's type.
    pub ty: Ty,
}

/// A Thrift value, in wire order.
///
/// Equality is exact: doubles compare by their bits (so `NaN == NaN` and `0.0 != -0.0`),
/// and fields, set elements and map entries compare in order.
#[derive(Debug, Clone)]
pub enum Value {
    /// `bool`
    Bool(bool),
    /// `i8`
    I8(i8),
    /// `i16`
    I16(i16),
    /// `i32` (and enums)
    I32(i32),
    /// `i64`
    I64(i64),
    /// `double`
    Double(f64),
    /// `string`
    String(String),
    /// `binary`
    Binary(Vec<u8>),
    /// A struct, union or exception: the fields present, by id, in wire order.
    Struct(Vec<(i16, Value)>),
    /// `list<T>`
    List(Vec<Value>),
    /// `set<T>`, in wire order
    Set(Vec<Value>),
    /// `map<K, V>`, in wire order
    Map(Vec<(Value, Value)>),
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::I8(a), Value::I8(b)) => a == b,
            (Value::I16(a), Value::I16(b)) => a == b,
            (Value::I32(a), Value::I32(b)) => a == b,
            (Value::I64(a), Value::I64(b)) => a == b,
            (Value::Double(a), Value::Double(b)) => a.to_bits() == b.to_bits(),
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Binary(a), Value::Binary(b)) => a == b,
            (Value::Struct(a), Value::Struct(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Set(a), Value::Set(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Value {
    /// Where `self` and `other` first differ, as a path from the root (`field 3 / [0] /
    /// key 1`) and both sides; `None` when they are equal.
    pub fn first_difference(&self, other: &Value) -> Option<String> {
        fn at(path: &str, a: &Value, b: &Value) -> Option<String> {
            let here = |what: String| {
                let path = if path.is_empty() { "the root" } else { path };
                Some(format!("at {path}: {what}"))
            };
            let child = |step: String| {
                if path.is_empty() {
                    step
                } else {
                    format!("{path} / {step}")
                }
            };
            let seq = |a: &[Value], b: &[Value]| {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    if let Some(d) = at(&child(format!("[{i}]")), x, y) {
                        return Some(d);
                    }
                }
                (a.len() != b.len())
                    .then(|| here(format!("{} elements vs {}", a.len(), b.len())))
                    .flatten()
            };
            match (a, b) {
                (Value::Struct(x), Value::Struct(y)) => {
                    for (i, ((id_x, v_x), (id_y, v_y))) in x.iter().zip(y).enumerate() {
                        if id_x != id_y {
                            return here(format!("field #{i} has id {id_x} vs {id_y}"));
                        }
                        if let Some(d) = at(&child(format!("field {id_x}")), v_x, v_y) {
                            return Some(d);
                        }
                    }
                    let ids = |s: &[(i16, Value)]| s.iter().map(|f| f.0).collect::<Vec<_>>();
                    (x.len() != y.len())
                        .then(|| here(format!("fields {:?} vs {:?}", ids(x), ids(y))))
                        .flatten()
                }
                (Value::List(x), Value::List(y)) | (Value::Set(x), Value::Set(y)) => seq(x, y),
                (Value::Map(x), Value::Map(y)) => {
                    for (i, ((k_x, v_x), (k_y, v_y))) in x.iter().zip(y).enumerate() {
                        if let Some(d) = at(&child(format!("key {i}")), k_x, k_y) {
                            return Some(d);
                        }
                        if let Some(d) = at(&child(format!("value {i}")), v_x, v_y) {
                            return Some(d);
                        }
                    }
                    (x.len() != y.len())
                        .then(|| here(format!("{} entries vs {}", x.len(), y.len())))
                        .flatten()
                }
                _ if a == b => None,
                _ => here(format!("{} vs {}", a.brief(), b.brief())),
            }
        }
        at("", self, other)
    }

    /// The same value with every NaN replaced by [`f64::NAN`]: to compare what went
    /// through an encoding that cannot carry a NaN's sign and payload (JSON text).
    pub fn with_canonical_nans(&self) -> Value {
        match self {
            Value::Double(d) if d.is_nan() => Value::Double(f64::NAN),
            Value::Struct(fields) => Value::Struct(
                fields
                    .iter()
                    .map(|(id, v)| (*id, v.with_canonical_nans()))
                    .collect(),
            ),
            Value::List(items) => {
                Value::List(items.iter().map(Value::with_canonical_nans).collect())
            }
            Value::Set(items) => Value::Set(items.iter().map(Value::with_canonical_nans).collect()),
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.with_canonical_nans(), v.with_canonical_nans()))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// A one-line description, shortened for long strings and containers.
    fn brief(&self) -> String {
        fn cut(s: String) -> String {
            if s.chars().count() > 80 {
                let head: String = s.chars().take(77).collect();
                format!("{head}...")
            } else {
                s
            }
        }
        match self {
            Value::Double(d) => format!("double {d:?} (bits {:#018x})", d.to_bits()),
            Value::String(s) => cut(format!("string {s:?}")),
            Value::Binary(b) => cut(format!("binary[{}] {}", b.len(), hex(b))),
            Value::Struct(f) => format!("struct of {} fields", f.len()),
            Value::List(v) => format!("list of {}", v.len()),
            Value::Set(v) => format!("set of {}", v.len()),
            Value::Map(v) => format!("map of {}", v.len()),
            other => format!("{other:?}"),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cold]
fn mismatch(ty: &Ty, value: &Value) -> ProtocolError {
    ProtocolError::invalid(format!("cannot write {} as {ty}", value.brief()))
}

/// Writes `value` as a `ty` with `w`.
///
/// Fails if the value does not have that type (a struct field whose id the type lacks, a
/// string for an i32...), as well as when the writer fails.
pub fn write_value<W: ProtocolWriter>(
    w: &mut W,
    ty: &Ty,
    value: &Value,
) -> Result<(), ProtocolError> {
    match (ty, value) {
        (Ty::Bool, Value::Bool(v)) => w.write_bool(*v),
        (Ty::I8, Value::I8(v)) => w.write_i8(*v),
        (Ty::I16, Value::I16(v)) => w.write_i16(*v),
        (Ty::I32, Value::I32(v)) => w.write_i32(*v),
        (Ty::I64, Value::I64(v)) => w.write_i64(*v),
        (Ty::Double, Value::Double(v)) => w.write_double(*v),
        (Ty::String, Value::String(v)) => w.write_string(v),
        (Ty::Binary, Value::Binary(v)) => w.write_binary(v),
        (Ty::Struct(st), Value::Struct(fields)) => {
            w.write_struct_begin(&st.name)?;
            for (id, v) in fields {
                let Some(field) = st.field(*id) else {
                    return Err(ProtocolError::invalid(format!(
                        "{} has no field with id {id}",
                        st.name
                    )));
                };
                w.write_field_begin(&field.name, field.ty.wire_type(), *id)?;
                write_value(w, &field.ty, v)?;
                w.write_field_end()?;
            }
            w.write_field_stop()?;
            w.write_struct_end()
        }
        (Ty::List(elem), Value::List(items)) => {
            w.write_list_begin(elem.wire_type(), items.len())?;
            for v in items {
                write_value(w, elem, v)?;
            }
            w.write_list_end()
        }
        (Ty::Set(elem), Value::Set(items)) => {
            w.write_set_begin(elem.wire_type(), items.len())?;
            for v in items {
                write_value(w, elem, v)?;
            }
            w.write_set_end()
        }
        (Ty::Map(kt, vt), Value::Map(entries)) => {
            w.write_map_begin(kt.wire_type(), vt.wire_type(), entries.len())?;
            for (k, v) in entries {
                write_value(w, kt, k)?;
                write_value(w, vt, v)?;
            }
            w.write_map_end()
        }
        _ => Err(mismatch(ty, value)),
    }
}

/// Checks the element type a container header declares; an empty container may declare
/// anything (the compact protocol writes no types for an empty map).
fn check_element(
    what: &str,
    len: usize,
    expected: &Ty,
    found: WireType,
) -> Result<(), ProtocolError> {
    if len > 0 && expected.wire_type() != found {
        return Err(ProtocolError::invalid(format!(
            "{what} of {len} {found} elements where {expected} elements were expected"
        )));
    }
    Ok(())
}

/// Reads a `ty` with `r`.
///
/// A struct's fields are kept in wire order; a field whose id the type lacks, or whose
/// wire type differs from the declared one, is skipped (as Apache's generated code does)
/// and so is absent from the result. Requiredness is not checked (see [`Requiredness`]).
pub fn read_value<R: ProtocolReader>(r: &mut R, ty: &Ty) -> Result<Value, ProtocolError> {
    Ok(match ty {
        Ty::Bool => Value::Bool(r.read_bool()?),
        Ty::I8 => Value::I8(r.read_i8()?),
        Ty::I16 => Value::I16(r.read_i16()?),
        Ty::I32 => Value::I32(r.read_i32()?),
        Ty::I64 => Value::I64(r.read_i64()?),
        Ty::Double => Value::Double(r.read_double()?),
        Ty::String => Value::String(r.read_string()?),
        Ty::Binary => Value::Binary(r.read_binary()?.to_vec()),
        Ty::Struct(st) => {
            r.read_struct_begin()?;
            let mut fields = Vec::new();
            loop {
                let header = r.read_field_begin()?;
                if header.wire_type == WireType::Stop {
                    break;
                }
                match st.field(header.id) {
                    Some(field) if field.ty.wire_type() == header.wire_type => {
                        fields.push((header.id, read_value(r, &field.ty)?));
                    }
                    _ => r.skip(header.wire_type)?,
                }
                r.read_field_end()?;
            }
            r.read_struct_end()?;
            Value::Struct(fields)
        }
        Ty::List(elem) => {
            let h = r.read_list_begin()?;
            check_element("list", h.len, elem, h.element)?;
            let items = (0..h.len)
                .map(|_| read_value(r, elem))
                .collect::<Result<_, _>>()?;
            r.read_list_end()?;
            Value::List(items)
        }
        Ty::Set(elem) => {
            let h = r.read_set_begin()?;
            check_element("set", h.len, elem, h.element)?;
            let items = (0..h.len)
                .map(|_| read_value(r, elem))
                .collect::<Result<_, _>>()?;
            r.read_set_end()?;
            Value::Set(items)
        }
        Ty::Map(kt, vt) => {
            let h = r.read_map_begin()?;
            check_element("map", h.len, kt, h.key)?;
            check_element("map", h.len, vt, h.value)?;
            let entries = (0..h.len)
                .map(|_| Ok((read_value(r, kt)?, read_value(r, vt)?)))
                .collect::<Result<_, ProtocolError>>()?;
            r.read_map_end()?;
            Value::Map(entries)
        }
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use thrift_tower::protocol::Limits;
    use thrift_tower::protocol::binary::{BinaryReader, BinaryWriter};

    use super::*;

    fn point() -> Ty {
        Ty::Struct(Arc::new(StructTy {
            name: "Point".into(),
            kind: StructKind::Struct,
            fields: vec![
                FieldTy {
                    id: 1,
                    name: "x".into(),
                    required: Requiredness::Required,
                    ty: Ty::I32,
                },
                FieldTy {
                    id: 2,
                    name: "tags".into(),
                    required: Requiredness::Optional,
                    ty: Ty::Map(Box::new(Ty::String), Box::new(Ty::Bool)),
                },
            ],
        }))
    }

    fn binary(ty: &Ty, value: &Value) -> Vec<u8> {
        let mut buf = Vec::new();
        write_value(&mut BinaryWriter::new(&mut buf), ty, value).unwrap();
        buf
    }

    #[test]
    fn struct_round_trip_keeps_wire_order() {
        let value = Value::Struct(vec![
            (
                2,
                Value::Map(vec![
                    (Value::String("b".into()), Value::Bool(true)),
                    (Value::String("a".into()), Value::Bool(false)),
                ]),
            ),
            (1, Value::I32(-1)),
        ]);
        let bytes = binary(&point(), &value);
        assert_eq!(
            bytes,
            b"\x0d\x00\x02\x0b\x02\x00\x00\x00\x02\x00\x00\x00\x01b\x01\x00\x00\x00\x01a\x00\
              \x08\x00\x01\xff\xff\xff\xff\x00"
        );
        let mut r = BinaryReader::new(Bytes::from(bytes), Limits::default());
        assert_eq!(read_value(&mut r, &point()).unwrap(), value);
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn unknown_and_mistyped_fields_are_skipped() {
        // field 1 as a string (declared i32), field 9 unknown, then field 1 as an i32
        let bytes =
            b"\x0b\x00\x01\x00\x00\x00\x01z\x03\x00\x09\x07\x08\x00\x01\x00\x00\x00\x05\x00";
        let mut r = BinaryReader::new(Bytes::from_static(bytes), Limits::default());
        let value = read_value(&mut r, &point()).unwrap();
        assert_eq!(value, Value::Struct(vec![(1, Value::I32(5))]));
    }

    #[test]
    fn values_that_do_not_fit_the_type_are_errors() {
        let mut buf = Vec::new();
        let mut w = BinaryWriter::new(&mut buf);
        assert!(write_value(&mut w, &Ty::I32, &Value::I64(1)).is_err());
        let err = write_value(&mut w, &point(), &Value::Struct(vec![(3, Value::I32(1))]));
        assert!(err.unwrap_err().to_string().contains("no field with id 3"));
    }

    #[test]
    fn doubles_compare_by_bits() {
        assert_eq!(Value::Double(f64::NAN), Value::Double(f64::NAN));
        assert_ne!(Value::Double(0.0), Value::Double(-0.0));
    }

    #[test]
    fn canonical_nans_forget_sign_and_payload() {
        let payload = Value::List(vec![Value::Double(f64::from_bits(0xfff0_0000_0000_0001))]);
        assert_ne!(payload, Value::List(vec![Value::Double(f64::NAN)]));
        assert_eq!(
            payload.with_canonical_nans(),
            Value::List(vec![Value::Double(f64::NAN)])
        );
    }

    #[test]
    fn first_difference_names_the_path() {
        let a = Value::Struct(vec![(1, Value::List(vec![Value::I8(1), Value::I8(2)]))]);
        let b = Value::Struct(vec![(1, Value::List(vec![Value::I8(1), Value::I8(3)]))]);
        assert_eq!(
            a.first_difference(&b).unwrap(),
            "at field 1 / [1]: I8(2) vs I8(3)"
        );
        assert_eq!(a.first_difference(&a), None);
        let c = Value::Struct(vec![]);
        assert_eq!(
            a.first_difference(&c).unwrap(),
            "at the root: fields [1] vs []"
        );
    }
}
