//! Rust names for IDL names: `snake_case` for modules, fields and functions, `CamelCase`
//! for types and variants, `SCREAMING_SNAKE_CASE` for constants, keywords escaped. The wire
//! keeps the IDL's names; only the Rust side changes.

/// Rust's strict and reserved keywords (edition 2024), which need `r#` or renaming.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Keywords that cannot be raw identifiers; they get a trailing `_` instead.
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super"];

/// Splits an IDL name into lowercase words: `getHTTPResponse2` → `get http response2`,
/// `user_id` → `user id`, `XMLParser` → `xml parser`.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '.' || c == '-' {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_uppercase() && !current.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            // A new word starts at an upper-case letter after a lower-case letter or digit
            // (`fooBar`), or at the last capital of an acronym (`HTTPResponse`).
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                words.push(std::mem::take(&mut current));
            }
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn escape(name: String) -> String {
    if NOT_RAW.contains(&name.as_str()) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name.as_str()) {
        format!("r#{name}")
    } else if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name
    }
}

/// `snake_case`, escaped: fields, arguments, functions, modules.
pub fn snake(name: &str) -> String {
    let joined = words(name).join("_");
    escape(if joined.is_empty() {
        "_".into()
    } else {
        joined
    })
}

/// `CamelCase`, escaped: types and enum variants.
pub fn camel(name: &str) -> String {
    let joined: String = words(name)
        .iter()
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(first) => first.to_uppercase().chain(cs).collect::<String>(),
                None => String::new(),
            }
        })
        .collect();
    escape(if joined.is_empty() {
        "_".into()
    } else {
        joined
    })
}

/// `SCREAMING_SNAKE_CASE`: constants and enum values.
pub fn screaming(name: &str) -> String {
    let joined = words(name).join("_").to_uppercase();
    escape(if joined.is_empty() {
        "_".into()
    } else {
        joined
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(snake("testMultiException"), "test_multi_exception");
        assert_eq!(snake("getHTTPResponse2"), "get_http_response2");
        assert_eq!(snake("string_thing"), "string_thing");
        assert_eq!(snake("type"), "r#type");
        assert_eq!(snake("self"), "self_");
        assert_eq!(snake("ThriftTest"), "thrift_test");
        assert_eq!(camel("Xtruct2"), "Xtruct2");
        assert_eq!(camel("some_union"), "SomeUnion");
        assert_eq!(camel("XMLParser"), "XmlParser");
        assert_eq!(camel("Self"), "Self_");
        assert_eq!(screaming("myNumberz"), "MY_NUMBERZ");
        assert_eq!(screaming("ONE"), "ONE");
        assert_eq!(screaming("i32_thing"), "I32_THING");
        assert_eq!(snake("1abc"), "_1abc");
    }
}
