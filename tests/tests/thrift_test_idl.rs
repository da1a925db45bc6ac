//! Our `tests/idl/ThriftTest.thrift` declares exactly the wire contract of Apache's: the
//! same enums, typedefs, structs (field ids, types, requiredness, defaults), constants and
//! services, as Debian's `thrift --gen json` describes both. Docs, annotations and
//! namespaces may differ.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tests::apache_python::{idl_dir, repo_root};

fn describe(idl: &Path, out: &Path) -> Value {
    std::fs::create_dir_all(out).unwrap();
    let status = Command::new("thrift")
        .args(["--gen", "json", "-out"])
        .arg(out)
        .arg(idl)
        .status()
        .unwrap_or_else(|e| panic!("cannot run `thrift` ({e}): run tests/setup-debian.sh"));
    assert!(
        status.success(),
        "thrift --gen json {} failed",
        idl.display()
    );
    let text = std::fs::read_to_string(out.join("ThriftTest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The description without what is not wire contract.
fn contract(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "doc" | "annotations" | "namespaces"))
                .map(|(k, v)| (k.clone(), contract(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(contract).collect()),
        other => other.clone(),
    }
}

#[test]
fn our_thrift_test_idl_is_apaches_wire_contract() {
    let apache = idl_dir().join("apache/ThriftTest.thrift");
    assert!(
        apache.is_file(),
        "{} is missing: set THRIFT_SHARED_IDL",
        apache.display()
    );
    let ours = repo_root().join("tests/idl/ThriftTest.thrift");
    let tmp = std::env::temp_dir().join(format!("thrift-test-idl-{}", std::process::id()));
    let a = contract(&describe(&apache, &tmp.join("apache")));
    let b = contract(&describe(&ours, &tmp.join("ours")));
    let _ = std::fs::remove_dir_all(&tmp);
    for key in ["enums", "typedefs", "structs", "constants", "services"] {
        let (x, y) = (&a[key], &b[key]);
        assert!(x.is_array() && !x.as_array().unwrap().is_empty() || key == "typedefs");
        if x != y {
            let (xs, ys) = (x.as_array().unwrap(), y.as_array().unwrap());
            for (i, (p, q)) in xs.iter().zip(ys).enumerate() {
                assert_eq!(p, q, "{key}[{i}] differs");
            }
            assert_eq!(xs.len(), ys.len(), "{key}: different counts");
        }
    }
}
