//! Numbers in the JSON protocol: integers and doubles formatted as they are written (a
//! double as C's `%.17g`, the bytes of Python's `TJSONProtocol`), and the helpers that
//! recognise and parse the number tokens a reader meets.

use super::excerpt::Excerpt;
use crate::protocol::error::ProtocolError;

/// Bytes a JSON number may contain; what is not one of them ends the number.
#[inline]
pub(super) fn is_numeric(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
}

/// Bytes of a double's token: a number, or one of the names of the non-finite values.
#[inline]
pub(super) fn is_double_char(b: u8) -> bool {
    is_numeric(b) || b.is_ascii_alphabetic()
}

pub(super) fn parse_integer(
    token: &[u8],
    what: &'static str,
    at: usize,
) -> Result<i64, ProtocolError> {
    use std::num::IntErrorKind;
    let text = std::str::from_utf8(token).unwrap_or_default();
    text.parse::<i64>().map_err(|e| match e.kind() {
        IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => ProtocolError::invalid(format!(
            "{what} {} at byte {at} is out of range for i64",
            Excerpt(token)
        )),
        _ => ProtocolError::invalid(format!(
            "expected {what} (an integer) at byte {at}, found {}",
            Excerpt(token)
        )),
    })
}

/// A double's value from its token: a number, or one of the names Apache's libraries give
/// the non-finite values (C++ and Java: `NaN`, `Infinity`, `-Infinity`; Python: `nan`,
/// `inf`, `-inf`).
pub(super) fn parse_double(token: &[u8], at: usize) -> Result<f64, ProtocolError> {
    match token {
        b"NaN" | b"nan" => return Ok(f64::NAN),
        b"Infinity" | b"inf" => return Ok(f64::INFINITY),
        b"-Infinity" | b"-inf" => return Ok(f64::NEG_INFINITY),
        _ => {}
    }
    // Rust's parser also takes names such as "infinity" or "NAN": only numbers go to it.
    let parsed = match token.iter().all(|&b| is_numeric(b)) {
        true => std::str::from_utf8(token).ok().and_then(|s| s.parse().ok()),
        false => None,
    };
    parsed.ok_or_else(|| {
        ProtocolError::invalid(format!(
            "expected a double at byte {at}, found {}",
            Excerpt(token)
        ))
    })
}

#[inline]
pub(super) fn narrow<T: TryFrom<i64>>(
    value: i64,
    type_name: &'static str,
    at: usize,
) -> Result<T, ProtocolError> {
    T::try_from(value).map_err(|_| out_of_range(value, type_name, at))
}

#[cold]
fn out_of_range(value: i64, type_name: &'static str, at: usize) -> ProtocolError {
    ProtocolError::invalid(format!(
        "{value} near byte {at} is out of range for {type_name}"
    ))
}

/// A number's text, formatted on the stack.
pub(super) struct NumBuf {
    buf: [u8; 32],
    len: usize,
}

impl NumBuf {
    pub(super) fn new() -> Self {
        NumBuf {
            buf: [0; 32],
            len: 0,
        }
    }

    pub(super) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    #[inline]
    fn push(&mut self, b: u8) {
        // No number written here is longer than 25 bytes; a longer one would be cut.
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn push_all(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.push(b);
        }
    }

    pub(super) fn push_integer(&mut self, value: i64) {
        if value < 0 {
            self.push(b'-');
        }
        let mut n = value.unsigned_abs();
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push_all(&digits[i..]);
    }

    /// A finite double as C's `%.17g` (Python's `'{0:.17g}'.format`, C++'s stream with
    /// precision 17): 17 significant digits, trailing zeros dropped, in exponent form below
    /// 1e-4 and from 1e17 on.
    pub(super) fn push_double(&mut self, value: f64) {
        // Rust's `{:.16e}` rounds exactly (ties to even), as Python and C do; what remains
        // is the layout %g chooses.
        let mut sci = NumBuf::new();
        let _ = std::fmt::Write::write_fmt(&mut sci, format_args!("{:.16e}", value.abs()));
        let (mantissa, exponent) = split_scientific(sci.as_bytes());
        let mut digits = [b'0'; 17];
        for (slot, &d) in digits
            .iter_mut()
            .zip(mantissa.iter().filter(|b| b.is_ascii_digit()))
        {
            *slot = d;
        }
        let significant = digits.iter().rposition(|&d| d != b'0').map_or(1, |i| i + 1);
        let digits = &digits[..significant];

        if value.is_sign_negative() {
            self.push(b'-');
        }
        if (-4..17).contains(&exponent) {
            if exponent >= 0 {
                let int_len = exponent as usize + 1;
                let (int, frac) = digits.split_at(int_len.min(digits.len()));
                self.push_all(int);
                for _ in int.len()..int_len {
                    self.push(b'0');
                }
                if !frac.is_empty() {
                    self.push(b'.');
                    self.push_all(frac);
                }
            } else {
                self.push_all(b"0.");
                for _ in 1..-exponent {
                    self.push(b'0');
                }
                self.push_all(digits);
            }
        } else {
            self.push_scientific(digits, exponent);
        }
    }

    /// `digits` (the significant ones, at least one) times ten to `exponent`, as
    /// `d.ddde+XX`: a sign always, two exponent digits at least (the form C's `%g`, Java
    /// and Python share).
    fn push_scientific(&mut self, digits: &[u8], exponent: i32) {
        let (first, rest) = digits.split_at(1);
        self.push_all(first);
        if !rest.is_empty() {
            self.push(b'.');
            self.push_all(rest);
        }
        self.push(b'e');
        self.push(if exponent < 0 { b'-' } else { b'+' });
        let exponent = exponent.unsigned_abs();
        if exponent < 10 {
            self.push(b'0');
        }
        self.push_integer(exponent.into());
    }
}

impl NumBuf {
    /// A double as Python's `str()` writes it (what python3-thrift's `TSimpleJSONProtocol`
    /// writes, through `'{0}'.format`): the shortest digits that read back as the same
    /// double, in fixed form with at least one decimal (`0.1`, `-0.0`, `1e+16`'s neighbour
    /// `1000000000000000.0`), in exponent form below 1e-4 and from 1e16 on (`1e-05`,
    /// `1e+16`, `1.5e+300`); `nan`, `inf` and `-inf` for the others.
    pub(super) fn push_python_float(&mut self, value: f64) {
        if value.is_nan() {
            return self.push_all(b"nan");
        }
        if value.is_infinite() {
            return self.push_all(if value > 0.0 { b"inf" } else { b"-inf" });
        }
        // Rust's `{:e}` gives the shortest digits that round-trip, as Python's repr does
        // (both the closest such digits to the value); what remains is Python's layout.
        let mut sci = NumBuf::new();
        let _ = std::fmt::Write::write_fmt(&mut sci, format_args!("{:e}", value.abs()));
        let (mantissa, exponent) = split_scientific(sci.as_bytes());
        let mut digits = [b'0'; 17];
        let mut n = 0;
        for &d in mantissa.iter().filter(|b| b.is_ascii_digit()) {
            if let Some(slot) = digits.get_mut(n) {
                *slot = d;
                n += 1;
            }
        }
        let digits = &digits[..n.max(1)];
        // Where the decimal point falls after the first `decpt` digits.
        let decpt = exponent + 1;

        if value.is_sign_negative() {
            self.push(b'-');
        }
        if !(-4 < decpt && decpt <= 16) {
            self.push_scientific(digits, exponent);
        } else if decpt <= 0 {
            self.push_all(b"0.");
            for _ in decpt..0 {
                self.push(b'0');
            }
            self.push_all(digits);
        } else {
            let int_len = decpt as usize;
            let (int, frac) = digits.split_at(int_len.min(digits.len()));
            self.push_all(int);
            for _ in int.len()..int_len {
                self.push(b'0');
            }
            self.push(b'.');
            self.push_all(if frac.is_empty() { b"0" } else { frac });
        }
    }
}

impl std::fmt::Write for NumBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push_all(s.as_bytes());
        Ok(())
    }
}

/// The mantissa and the exponent of Rust's `{:e}` form (`1.5e-7`): the digits before the
/// `e`, and the number after it (0 when there is none).
fn split_scientific(sci: &[u8]) -> (&[u8], i32) {
    let (mantissa, exponent) = match sci.iter().position(|&b| b == b'e') {
        Some(e) => (&sci[..e], &sci[e + 1..]),
        None => (sci, &b"0"[..]),
    };
    let exponent = std::str::from_utf8(exponent)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (mantissa, exponent)
}

#[cfg(test)]
mod tests {
    use crate::protocol::error::ProtocolErrorKind;
    use crate::protocol::json::test_support::{
        V, assert_bytes, assert_err, json, read, reader, show,
    };
    use crate::protocol::json::writer::JsonWriter;
    use crate::protocol::traits::{ProtocolReader, ProtocolWriter};
    use crate::protocol::wire::WireType;

    #[test]
    fn doubles_as_python_formats_them() {
        // python3-thrift 0.17 writes '{0:.17g}'.format(d).
        let values = [
            0.0,
            -0.0,
            1.0,
            -1.5,
            0.1,
            100.0,
            1e16,
            1e17,
            1e-4,
            1e-5,
            123456.789,
            5e-324,
            f64::MAX,
            1e15 + 0.25, // a tie at the 18th digit: rounds to even
        ];
        let v = V::List(
            WireType::Double,
            values.iter().map(|&d| V::Dbl(d)).collect(),
        );
        assert_bytes(
            &v,
            br#"["dbl",14,0,-0,1,-1.5,0.10000000000000001,100,10000000000000000,1e+17,0.0001,1.0000000000000001e-05,123456.789,4.9406564584124654e-324,1.7976931348623157e+308,1000000000000000.2]"#,
        );
        let back = read(&v, &json(&v)).unwrap();
        let V::List(_, back) = back else { panic!() };
        for (d, back) in values.iter().zip(back) {
            assert_eq!(V::Dbl(*d), back);
            let V::Dbl(back) = back else { panic!() };
            assert_eq!(d.to_bits(), back.to_bits(), "{d:e}");
        }
    }

    #[test]
    fn special_doubles_are_quoted_names() {
        // C++ and Java send these; Python sends bare nan/inf/-inf, which nothing reads.
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf);
        w.write_list_begin(WireType::Double, 3).unwrap();
        for d in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            w.write_double(d).unwrap();
        }
        w.write_list_end().unwrap();
        w.write_map_begin(WireType::Double, WireType::Double, 1)
            .unwrap();
        w.write_double(f64::NAN).unwrap();
        w.write_double(f64::NEG_INFINITY).unwrap();
        w.write_map_end().unwrap();
        assert_eq!(
            show(&buf),
            r#"["dbl",3,"NaN","Infinity","-Infinity"]["dbl","dbl",1,{"NaN":"-Infinity"}]"#
        );

        for input in [
            &br#"["dbl",3,"NaN","Infinity","-Infinity"]"#[..],
            br#"["dbl",3,nan,inf,-inf]"#,
            br#"["dbl",3,"nan","inf","-inf"]"#,
        ] {
            let mut r = reader(input);
            assert_eq!(r.read_list_begin().unwrap().len, 3);
            assert!(r.read_double().unwrap().is_nan());
            assert_eq!(r.read_double().unwrap(), f64::INFINITY);
            assert_eq!(r.read_double().unwrap(), f64::NEG_INFINITY);
            r.read_list_end().unwrap();
        }
        for bad in [
            &b"Inf"[..],
            b"\"infinity\"",
            b"NAN",
            b"1x",
            b"--1",
            b"1e",
            b"\"1\"",
        ] {
            assert_err(reader(bad).read_double(), ProtocolErrorKind::InvalidData);
        }
    }

    #[test]
    fn numbers_out_of_range() {
        let extremes = V::List(WireType::I8, vec![V::I8(127), V::I8(-128)]);
        assert_eq!(read(&extremes, br#"["i8",2,127,-128]"#).unwrap(), extremes);
        for (input, what) in [
            (&b"128"[..], "i8"),
            (b"-129", "i8"),
            (b"32768", "i16"),
            (b"-32769", "i16"),
            (b"2147483648", "i32"),
            (b"-2147483649", "i32"),
            (b"9223372036854775808", "i64"),
            (b"-9223372036854775809", "i64"),
        ] {
            let mut r = reader(input);
            let result = match what {
                "i8" => r.read_i8().map(drop),
                "i16" => r.read_i16().map(drop),
                "i32" => r.read_i32().map(drop),
                _ => r.read_i64().map(drop),
            };
            let err = result.unwrap_err();
            assert_eq!(err.kind(), ProtocolErrorKind::InvalidData, "{err}");
            assert!(err.to_string().contains("out of range"), "{err}");
        }
        for bad in [&b"1.0"[..], b"1e3", b"--1", b"+", b"[1]", b"\"1\"", b"true"] {
            assert_err(reader(bad).read_i32(), ProtocolErrorKind::InvalidData);
        }
        let mut r = reader(br#"{"32768":{"i8":1}}"#);
        r.read_struct_begin().unwrap();
        assert_err(r.read_field_begin(), ProtocolErrorKind::InvalidData);
        // Apache reads any non-zero integer as true.
        assert!(reader(b"2").read_bool().unwrap());
        assert!(!reader(b"0").read_bool().unwrap());
    }
}
