//! Test vectors from Apache Thrift's own Python library: values of every type in Apache's
//! `ThriftTest.thrift`, with the bytes `TBinaryProtocol`, `TCompactProtocol` and
//! `TJSONProtocol` write for them.
//!
//! [`generate`] compiles the IDL with Debian's `thrift` compiler (`--gen py --gen json`)
//! into a temporary folder and runs `tests/python/vectors.py` there with Debian's
//! `/usr/bin/python3` (the only interpreter that has `python3-thrift`); [`parse`] reads what
//! the script prints. The script's docstring describes the format.
//!
//! Nothing here is optional: when the compiler, the Python library or the IDL is missing,
//! [`generate`] fails with a message that says to run `tests/setup-debian.sh`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value as Json;
use thrift_tower::{MessageHeader, MessageType};

use crate::dynamic::{FieldTy, Requiredness, StructKind, StructTy, Ty, Value};
use crate::process::check_tool;

/// The interpreter that has Debian's `python3-thrift` (a pyenv `python3` first on `PATH`
/// does not).
pub const PYTHON: &str = "/usr/bin/python3";

/// The environment variable that overrides where the shared IDL folder is (by default
/// `../shared/idl` beside the repository).
pub const IDL_ENV: &str = "THRIFT_SHARED_IDL";

const SETUP_HINT: &str = "run tests/setup-debian.sh (it installs Debian's thrift-compiler \
                          and python3-thrift) and make sure the shared IDL folder exists";

/// How bytes were encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Encoding {
    /// `TBinaryProtocol` with the strict (versioned) message header, Apache's default.
    Binary,
    /// `TBinaryProtocol` with the old unversioned message header (`strictWrite=False`);
    /// only message cases have it.
    BinaryOld,
    /// `TCompactProtocol`.
    Compact,
    /// `TJSONProtocol`.
    Json,
    /// `TSimpleJSONProtocol`, which is write-only.
    SimpleJson,
}

impl Encoding {
    /// The name the script uses.
    pub const fn key(self) -> &'static str {
        match self {
            Encoding::Binary => "binary",
            Encoding::BinaryOld => "binary_old",
            Encoding::Compact => "compact",
            Encoding::Json => "json",
            Encoding::SimpleJson => "simple_json",
        }
    }

    fn from_key(key: &str) -> Result<Self, String> {
        Ok(match key {
            "binary" => Encoding::Binary,
            "binary_old" => Encoding::BinaryOld,
            "compact" => Encoding::Compact,
            "json" => Encoding::Json,
            "simple_json" => Encoding::SimpleJson,
            other => return Err(format!("unknown encoding {other:?}")),
        })
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A `TApplicationException` as Python built it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedApplicationException {
    /// The type code.
    pub kind: i32,
    /// The message; `None` when Python left it unset (and so did not write field 1).
    pub message: Option<String>,
}

/// One value and its encodings.
#[derive(Debug, Clone)]
pub struct Case {
    /// A unique name, `Struct/what` or `message/...`.
    pub name: String,
    /// The value's type (the body's type for a message).
    pub ty: Ty,
    /// The value (the body of a message).
    pub value: Value,
    /// The header when the bytes are a whole message.
    pub message: Option<MessageHeader>,
    /// Set when the value is a `TApplicationException`.
    pub application_exception: Option<ExpectedApplicationException>,
    /// What Python wrote, per encoding.
    pub bytes: BTreeMap<Encoding, Vec<u8>>,
    /// Encodings whose bytes Python's own reader does not read back as the value, with
    /// the reason: those bytes are no contract to follow.
    pub python_cannot_read: BTreeMap<Encoding, String>,
}

/// Everything the script produced.
#[derive(Debug, Clone)]
pub struct Vectors {
    /// Whether Python's C-accelerated protocols were available, and so checked by the
    /// script to give the same bytes as the pure-Python ones.
    pub accelerated: bool,
    /// Every struct type used, by name.
    pub structs: BTreeMap<String, Arc<StructTy>>,
    /// The cases, in the script's order.
    pub cases: Vec<Case>,
}

/// The repository root (the workspace folder).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// `thrift --gen py` of the examples' `hello.thrift`, in a fresh temporary folder of its
/// own, which the caller removes when done (tests running at once each get their own).
pub fn hello_python_code() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "thrift-tower-hello-{}-{}",
        std::process::id(),
        crate::process::nanos()
    ));
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let status = Command::new("thrift")
        .args(["--gen", "py", "-out"])
        .arg(&dir)
        .arg(repo_root().join("examples/idl/hello.thrift"))
        .status()
        .unwrap_or_else(|e| panic!("cannot run thrift ({e}): run tests/setup-debian.sh"));
    assert!(status.success(), "thrift --gen py failed");
    dir
}

/// Runs the Python tutorial's hello client (`tests/python/hello_client.py`, on the code
/// [`hello_python_code`] made in `gen_dir`) against a server on `port`, and returns what it
/// printed; fails the test, showing the client's output, if the client fails.
pub async fn run_python_hello_client(gen_dir: &Path, port: u16) -> String {
    let output = tokio::process::Command::new(PYTHON)
        .arg(repo_root().join("tests/python/hello_client.py"))
        .arg(gen_dir)
        .arg(port.to_string())
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {PYTHON} ({e}): run tests/setup-debian.sh"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "python client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The shared IDL folder: `$THRIFT_SHARED_IDL`, or `../shared/idl` beside the repository.
pub fn idl_dir() -> PathBuf {
    match std::env::var_os(IDL_ENV) {
        Some(dir) => PathBuf::from(dir),
        None => repo_root().join("../shared/idl"),
    }
}

/// Apache's `ThriftTest.thrift` in the shared IDL folder, or why it cannot be found.
pub fn thrift_test_idl() -> Result<PathBuf, String> {
    let idl = idl_dir().join("apache/ThriftTest.thrift");
    if idl.is_file() {
        Ok(idl)
    } else {
        Err(format!(
            "{} not found: set {IDL_ENV} to the shared IDL folder (by default ../shared/idl \
             beside the repository)",
            idl.display()
        ))
    }
}

/// Compiles `ThriftTest.thrift`, runs the script once and parses its output.
pub fn generate() -> Result<Vectors, String> {
    let idl = thrift_test_idl()?;
    let script = repo_root().join("tests/python/vectors.py");
    check_tool(
        Command::new("thrift").arg("-version"),
        "the thrift compiler",
    )?;
    check_tool(
        Command::new(PYTHON).args(["-c", "import thrift.protocol.TCompactProtocol"]),
        "Apache Thrift's Python library (python3-thrift) in /usr/bin/python3",
    )?;

    let out_dir = TempDir::new()?;
    let output = Command::new("thrift")
        .args(["--gen", "py", "--gen", "json", "-out"])
        .arg(out_dir.path())
        .arg(&idl)
        .output()
        .map_err(|e| format!("cannot run thrift: {e}; {SETUP_HINT}"))?;
    if !output.status.success() {
        return Err(format!(
            "thrift --gen py --gen json {} failed ({}):\n{}",
            idl.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let output = Command::new(PYTHON)
        .arg("-B")
        .arg(&script)
        .arg(out_dir.path())
        .env("PYTHONHASHSEED", "0")
        .output()
        .map_err(|e| format!("cannot run {PYTHON}: {e}; {SETUP_HINT}"))?;
    if !output.status.success() {
        return Err(format!(
            "{PYTHON} {} failed ({}):\n{}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let text = String::from_utf8(output.stdout)
        .map_err(|e| format!("{} printed non-UTF-8: {e}", script.display()))?;
    parse(&text)
}

/// Has Apache's Python library decode each `(struct, encoding, bytes)` as that ThriftTest
/// struct and encode it again (`tests/python/reencode.py`); answers per item, in order:
/// Python's bytes, or the error Python raised.
pub fn python_reencode(
    items: &[(&str, Encoding, Vec<u8>)],
) -> Result<Vec<Result<Vec<u8>, String>>, String> {
    reencode(items, None)
}

/// As [`python_reencode`], but Python encodes what it decoded in `into` (which may be a
/// write-only encoding such as [`Encoding::SimpleJson`]).
pub fn python_reencode_into(
    items: &[(&str, Encoding, Vec<u8>)],
    into: Encoding,
) -> Result<Vec<Result<Vec<u8>, String>>, String> {
    reencode(items, Some(into))
}

fn reencode(
    items: &[(&str, Encoding, Vec<u8>)],
    into: Option<Encoding>,
) -> Result<Vec<Result<Vec<u8>, String>>, String> {
    use std::io::Write;

    let idl = thrift_test_idl()?;
    let out_dir = TempDir::new()?;
    let output = Command::new("thrift")
        .args(["--gen", "py", "-out"])
        .arg(out_dir.path())
        .arg(&idl)
        .output()
        .map_err(|e| format!("cannot run thrift: {e}; {SETUP_HINT}"))?;
    if !output.status.success() {
        return Err(format!(
            "thrift --gen py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let script = repo_root().join("tests/python/reencode.py");
    let mut child = Command::new(PYTHON)
        .arg("-B")
        .arg(&script)
        .arg(out_dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {PYTHON}: {e}; {SETUP_HINT}"))?;
    let mut input = String::new();
    for (name, encoding, bytes) in items {
        input.push_str(&format!("{name} {} {}", encoding.key(), hex(bytes)));
        if let Some(into) = into {
            input.push_str(&format!(" {}", into.key()));
        }
        input.push('\n');
    }
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    // Write from a thread so a full pipe cannot deadlock against our read of stdout.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    writer
        .join()
        .map_err(|_| "writer panicked")?
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let text = String::from_utf8(output.stdout).map_err(|e| e.to_string())?;
    let answers: Vec<Result<Vec<u8>, String>> = text
        .lines()
        .map(|line| match line.strip_prefix("OK ") {
            Some(h) => unhex(h),
            None => Err(line.to_string()),
        })
        .collect();
    if answers.len() != items.len() {
        return Err(format!(
            "{} answered {} of {} requests",
            script.display(),
            answers.len(),
            items.len()
        ));
    }
    Ok(answers)
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A folder under the system's temporary directory, unique to this process and moment,
/// removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<Self, String> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!(
            "thrift-tower-apache-vectors-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(TempDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover folder in the temporary directory harms nothing.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Parses the script's output.
pub fn parse(text: &str) -> Result<Vectors, String> {
    let doc: Json = serde_json::from_str(text).map_err(|e| format!("bad vectors JSON: {e}"))?;
    let structs_json = obj(&doc, "structs")?;
    let mut resolver = Resolver {
        json: structs_json,
        done: BTreeMap::new(),
        in_progress: Vec::new(),
    };
    for name in structs_json.keys() {
        resolver.resolve(name)?;
    }
    let structs = resolver.done;
    let cases = arr(&doc, "cases")?
        .iter()
        .map(|c| {
            let name = str_field(c, "name")?;
            parse_case(c, &structs).map_err(|e| format!("case {name}: {e}"))
        })
        .collect::<Result<_, _>>()?;
    Ok(Vectors {
        accelerated: doc["accelerated"].as_bool().unwrap_or(false),
        structs,
        cases,
    })
}

fn parse_case(c: &Json, structs: &BTreeMap<String, Arc<StructTy>>) -> Result<Case, String> {
    let ty = parse_ty(&c["type"], &mut |name| {
        structs
            .get(name)
            .cloned()
            .ok_or_else(|| format!("unknown struct {name}"))
    })?;
    let value = parse_value(&c["value"])?;
    let message = match c.get("message") {
        None => None,
        Some(m) => {
            let code = int(&m["type"])?;
            let code = u8::try_from(code).map_err(|_| format!("message type {code}"))?;
            let message_type = MessageType::from_code(code).map_err(|e| e.to_string())?;
            let seqid = int(&m["seqid"])?;
            let seqid = i32::try_from(seqid).map_err(|_| format!("seqid {seqid}"))?;
            Some(MessageHeader::new(
                str_field(m, "name")?.to_owned(),
                message_type,
                seqid,
            ))
        }
    };
    let application_exception = match c.get("application_exception") {
        None => None,
        Some(e) => {
            let kind = int(&e["type"])?;
            Some(ExpectedApplicationException {
                kind: i32::try_from(kind).map_err(|_| format!("exception type {kind}"))?,
                message: e["message"].as_str().map(str::to_owned),
            })
        }
    };
    let mut bytes = BTreeMap::new();
    for (key, hex) in obj(c, "bytes")? {
        let hex = hex.as_str().ok_or("bytes are not a hex string")?;
        bytes.insert(Encoding::from_key(key)?, unhex(hex)?);
    }
    let mut python_cannot_read = BTreeMap::new();
    if let Some(reasons) = c.get("python_cannot_read").and_then(Json::as_object) {
        for (key, reason) in reasons {
            let reason = reason.as_str().unwrap_or_default().to_owned();
            python_cannot_read.insert(Encoding::from_key(key)?, reason);
        }
    }
    Ok(Case {
        name: str_field(c, "name")?.to_owned(),
        ty,
        value,
        message,
        application_exception,
        bytes,
        python_cannot_read,
    })
}

/// Builds the struct types from their JSON, each once, refusing recursive types (an
/// `Arc` tree cannot hold a cycle; ThriftTest has none).
struct Resolver<'a> {
    json: &'a serde_json::Map<String, Json>,
    done: BTreeMap<String, Arc<StructTy>>,
    in_progress: Vec<String>,
}

impl Resolver<'_> {
    fn resolve(&mut self, name: &str) -> Result<Arc<StructTy>, String> {
        if let Some(done) = self.done.get(name) {
            return Ok(done.clone());
        }
        if self.in_progress.iter().any(|n| n == name) {
            return Err(format!(
                "struct {name} is recursive, which this harness does not support"
            ));
        }
        let all = self.json;
        let json = all
            .get(name)
            .ok_or_else(|| format!("unknown struct {name}"))?;
        self.in_progress.push(name.to_owned());
        let kind = match str_field(json, "kind")? {
            "struct" => StructKind::Struct,
            "union" => StructKind::Union,
            "exception" => StructKind::Exception,
            other => return Err(format!("{name}: unknown kind {other:?}")),
        };
        let mut fields = Vec::new();
        for f in arr(json, "fields")? {
            let id = int(&f["id"])?;
            let required = match str_field(f, "req")? {
                "required" => Requiredness::Required,
                "optional" => Requiredness::Optional,
                "default" => Requiredness::Default,
                other => return Err(format!("{name}: unknown requiredness {other:?}")),
            };
            fields.push(FieldTy {
                id: i16::try_from(id).map_err(|_| format!("{name}: field id {id}"))?,
                name: str_field(f, "name")?.to_owned(),
                required,
                ty: parse_ty(&f["type"], &mut |n| self.resolve(n))?,
            });
        }
        self.in_progress.pop();
        let st = Arc::new(StructTy {
            name: name.to_owned(),
            kind,
            fields,
        });
        self.done.insert(name.to_owned(), st.clone());
        Ok(st)
    }
}

/// Parses a type: `"i32"`, `{"list": T}`, `{"map": [K, V]}`, `{"struct": name}`...
fn parse_ty(
    json: &Json,
    structs: &mut dyn FnMut(&str) -> Result<Arc<StructTy>, String>,
) -> Result<Ty, String> {
    if let Some(name) = json.as_str() {
        return Ok(match name {
            "bool" => Ty::Bool,
            "i8" => Ty::I8,
            "i16" => Ty::I16,
            "i32" => Ty::I32,
            "i64" => Ty::I64,
            "double" => Ty::Double,
            "string" => Ty::String,
            "binary" => Ty::Binary,
            other => return Err(format!("unknown type {other:?}")),
        });
    }
    let (tag, arg) = single(json)?;
    Ok(match tag {
        "struct" => Ty::Struct(structs(arg.as_str().ok_or("struct name is not a string")?)?),
        "list" => Ty::List(Box::new(parse_ty(arg, structs)?)),
        "set" => Ty::Set(Box::new(parse_ty(arg, structs)?)),
        "map" => match arg.as_array().map(Vec::as_slice) {
            Some([k, v]) => Ty::Map(
                Box::new(parse_ty(k, structs)?),
                Box::new(parse_ty(v, structs)?),
            ),
            _ => return Err(format!("bad map type {arg}")),
        },
        other => return Err(format!("unknown type {other:?}")),
    })
}

/// Parses a tagged value: `{"i32": 5}`, `{"double": "<hex bits>"}`, `{"struct": [[id, v]]}`...
fn parse_value(json: &Json) -> Result<Value, String> {
    let (tag, v) = single(json)?;
    let list = |v: &Json| -> Result<Vec<Value>, String> {
        v.as_array()
            .ok_or_else(|| format!("{tag} value is not an array"))?
            .iter()
            .map(parse_value)
            .collect()
    };
    let pairs = |v| pairs(tag, v);
    Ok(match tag {
        "bool" => Value::Bool(v.as_bool().ok_or("bool value is not a boolean")?),
        "i8" => Value::I8(int(v)?.try_into().map_err(|_| format!("i8 {v}"))?),
        "i16" => Value::I16(int(v)?.try_into().map_err(|_| format!("i16 {v}"))?),
        "i32" => Value::I32(int(v)?.try_into().map_err(|_| format!("i32 {v}"))?),
        "i64" => Value::I64(int(v)?),
        "double" => {
            let hex = v.as_str().ok_or("double value is not a hex string")?;
            let bits = u64::from_str_radix(hex, 16).map_err(|e| format!("double {hex}: {e}"))?;
            Value::Double(f64::from_bits(bits))
        }
        "string" => Value::String(v.as_str().ok_or("string value is not a string")?.to_owned()),
        "binary" => Value::Binary(unhex(v.as_str().ok_or("binary value is not hex")?)?),
        "struct" => Value::Struct(
            pairs(v)?
                .into_iter()
                .map(|(id, field)| {
                    let id = int(id)?;
                    let id = i16::try_from(id).map_err(|_| format!("field id {id}"))?;
                    Ok((id, parse_value(field)?))
                })
                .collect::<Result<_, String>>()?,
        ),
        "list" => Value::List(list(v)?),
        "set" => Value::Set(list(v)?),
        "map" => Value::Map(
            pairs(v)?
                .into_iter()
                .map(|(k, x)| Ok((parse_value(k)?, parse_value(x)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => return Err(format!("unknown value tag {other:?}")),
    })
}

fn pairs<'a>(tag: &str, v: &'a Json) -> Result<Vec<(&'a Json, &'a Json)>, String> {
    v.as_array()
        .ok_or_else(|| format!("{tag} value is not an array"))?
        .iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([a, b]) => Ok((a, b)),
            _ => Err(format!("bad {tag} entry {pair}")),
        })
        .collect()
}

fn single(json: &Json) -> Result<(&str, &Json), String> {
    match json.as_object() {
        Some(map) if map.len() == 1 => {
            let (k, v) = map.iter().next().ok_or("empty object")?;
            Ok((k.as_str(), v))
        }
        _ => Err(format!("expected an object with one key, found {json}")),
    }
}

fn obj<'a>(json: &'a Json, key: &str) -> Result<&'a serde_json::Map<String, Json>, String> {
    json[key]
        .as_object()
        .ok_or_else(|| format!("`{key}` is not an object"))
}

fn arr<'a>(json: &'a Json, key: &str) -> Result<&'a Vec<Json>, String> {
    json[key]
        .as_array()
        .ok_or_else(|| format!("`{key}` is not an array"))
}

fn str_field<'a>(json: &'a Json, key: &str) -> Result<&'a str, String> {
    json[key]
        .as_str()
        .ok_or_else(|| format!("`{key}` is not a string"))
}

fn int(json: &Json) -> Result<i64, String> {
    json.as_i64()
        .ok_or_else(|| format!("{json} is not a 64-bit integer"))
}

/// Decodes a hex string.
pub fn unhex(hex: &str) -> Result<Vec<u8>, String> {
    if hex.len() % 2 != 0 {
        return Err(format!("odd-length hex {hex:?}"));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("bad hex at {i} in {hex:?}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_small_document() {
        let doc = r#"{"accelerated": true,
            "structs": {
                "Outer": {"kind": "struct", "fields": [
                    {"id": 1, "name": "inner", "req": "optional", "type": {"struct": "Inner"}},
                    {"id": -2, "name": "m", "req": "default", "type": {"map": ["i8", {"set": "double"}]}}
                ]},
                "Inner": {"kind": "exception", "fields": [
                    {"id": 1, "name": "b", "req": "required", "type": "binary"}
                ]}
            },
            "cases": [{"name": "c", "type": {"struct": "Outer"},
                "value": {"struct": [[-2, {"map": [[{"i8": -1}, {"set": [{"double": "8000000000000000"}]}]]}]]},
                "message": {"name": "m", "type": 3, "seqid": -1},
                "bytes": {"binary": "00ff", "json": ""},
                "python_cannot_read": {"json": "why"}}]}"#;
        let v = parse(doc).unwrap();
        assert!(v.accelerated);
        let case = &v.cases[0];
        let Ty::Struct(outer) = &case.ty else {
            panic!()
        };
        assert_eq!(outer.fields[0].ty, Ty::Struct(v.structs["Inner"].clone()));
        assert_eq!(v.structs["Inner"].kind, StructKind::Exception);
        assert_eq!(
            case.value,
            Value::Struct(vec![(
                -2,
                Value::Map(vec![(Value::I8(-1), Value::Set(vec![Value::Double(-0.0)]))])
            )])
        );
        assert_eq!(
            case.message,
            Some(MessageHeader::new("m", MessageType::Exception, -1))
        );
        assert_eq!(case.bytes[&Encoding::Binary], vec![0x00, 0xff]);
        assert_eq!(case.python_cannot_read[&Encoding::Json], "why");
    }

    #[test]
    fn recursive_structs_are_refused() {
        let doc = r#"{"structs": {"R": {"kind": "struct", "fields": [
            {"id": 1, "name": "r", "req": "optional", "type": {"list": {"struct": "R"}}}]}},
            "cases": []}"#;
        assert!(parse(doc).unwrap_err().contains("recursive"));
    }
}
