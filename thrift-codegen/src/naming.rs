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
pub(crate) fn snake(name: &str) -> String {
    let joined = words(name).join("_");
    escape(if joined.is_empty() {
        "_".into()
    } else {
        joined
    })
}

/// `CamelCase`, escaped: types and enum variants.
pub(crate) fn camel(name: &str) -> String {
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
pub(crate) fn screaming(name: &str) -> String {
    let joined = words(name).join("_").to_uppercase();
    escape(if joined.is_empty() {
        "_".into()
    } else {
        joined
    })
}

/// The case of a list of names given to [`unique`], which decides how a number is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    /// `field_2`
    Snake,
    /// `Variant2`
    Camel,
    /// `VALUE_2`
    Screaming,
}

/// Makes converted names distinct where IDL names that differ only in case or underscores
/// (`ClassAndProp`, `ClassAndProp_`, `classAndProp`) convert to one Rust name: the first
/// keeps it, each later one gets the smallest number that makes it free (`class_and_prop_2`).
/// `reserved` are names the generated code defines itself next to these.
pub(crate) fn unique(names: Vec<String>, reserved: &[&str], case: Case) -> Vec<String> {
    use std::collections::BTreeSet;
    let mut taken: BTreeSet<String> = reserved.iter().map(|r| (*r).to_string()).collect();
    let mut firsts = vec![false; names.len()];
    for (i, name) in names.iter().enumerate() {
        firsts[i] = taken.insert(name.clone());
    }
    names
        .into_iter()
        .zip(firsts)
        .map(|(name, first)| {
            if first {
                return name;
            }
            (2..)
                .map(|n| numbered(&name, n, case))
                .find(|candidate| taken.insert(candidate.clone()))
                .unwrap_or(name)
        })
        .collect()
}

/// `name` with the number `n` added in the style of `case`: `field_2`, `Variant2`,
/// `Xtruct2_2` (a number right after a number would read as one), `VALUE_2`.
pub(crate) fn numbered(name: &str, n: usize, case: Case) -> String {
    let base = name.trim_start_matches("r#").trim_end_matches('_');
    let separator = match case {
        Case::Camel if !base.ends_with(|c: char| c.is_ascii_digit()) => "",
        _ => "_",
    };
    format!("{base}{separator}{n}")
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

    #[test]
    fn unique_names() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let fields = [
            "ClassAndProp",
            "ClassAndProp_",
            "class_and_prop_2",
            "ClassAndProp__",
        ];
        assert_eq!(
            unique(
                names(&fields).iter().map(|n| snake(n)).collect(),
                &[],
                Case::Snake
            ),
            names(&[
                "class_and_prop",
                "class_and_prop_3",
                "class_and_prop_2",
                "class_and_prop_4"
            ])
        );
        assert_eq!(
            unique(
                names(&["r#type", "r#type", "self_", "self_"]),
                &[],
                Case::Snake
            ),
            names(&["r#type", "type_2", "self_", "self_2"])
        );
        assert_eq!(
            unique(
                names(&["Tricky", "Tricky", "Other", "Xtruct2", "Xtruct2"]),
                &["Other"],
                Case::Camel
            ),
            names(&["Tricky", "Tricky2", "Other2", "Xtruct2", "Xtruct2_2"])
        );
        assert_eq!(
            unique(
                names(&["VALUES", "ONE", "ONE"]),
                &["VALUES"],
                Case::Screaming
            ),
            names(&["VALUES_2", "ONE", "ONE_2"])
        );
    }
}
