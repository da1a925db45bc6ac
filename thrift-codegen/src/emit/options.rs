//! What the [`Builder`](crate::Builder)'s options ask of the emitter: which halves of a
//! service to generate, attributes to add to types and fields, and definitions to take
//! from elsewhere instead of generating them (`extern_path`).

use proc_macro2::TokenStream;
use quote::ToTokens;

/// The builder's options, checked and parsed.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// Generate each service's handler trait and server.
    pub(crate) server: bool,
    /// Generate each service's client.
    pub(crate) client: bool,
    /// IDL `string` as `thrift_tower::ByteStr` rather than `String`.
    pub(crate) shared_strings: bool,
    /// (path, attributes) for types: structs, unions, exceptions, enums.
    pub(crate) type_attributes: Vec<(IdlPath, TokenStream)>,
    /// (path, attributes) for fields of structs, unions and exceptions.
    pub(crate) field_attributes: Vec<(IdlPath, TokenStream)>,
    /// (`.module` or `.module.Name`, Rust path) of definitions generated elsewhere.
    pub(crate) extern_paths: Vec<(IdlPath, RustPath)>,
}

/// A Rust path given to `extern_path`: the whole path and the path of its parent, followed
/// by `::` (empty for a path of one segment).
#[derive(Debug, Clone)]
pub(crate) struct RustPath {
    pub(crate) full: TokenStream,
    pub(crate) parent: TokenStream,
}

impl RustPath {
    /// Parses `text`, or says why it is not a path.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let parse = || {
            syn::parse_str::<syn::Path>(text)
                .map_err(|e| format!("`{text}` is not a Rust path: {e}"))
        };
        let full = parse()?;
        let mut parent = parse()?;
        parent.segments.pop();
        parent.segments.pop_punct();
        let parent = if parent.segments.is_empty() {
            match parent.leading_colon {
                Some(colons) => colons.to_token_stream(),
                None => TokenStream::new(),
            }
        } else {
            quote::quote!(#parent::)
        };
        Ok(RustPath {
            full: full.to_token_stream(),
            parent,
        })
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            server: true,
            client: true,
            shared_strings: false,
            type_attributes: Vec::new(),
            field_attributes: Vec::new(),
            extern_paths: Vec::new(),
        }
    }
}

/// A path to IDL items, as the builder's options take it: `.` for every item,
/// `.module.Type.field` from the top (a prefix: `.module` is every item of the module), or
/// `Type.field` without the leading dot, which matches the end of an item's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdlPath {
    absolute: bool,
    segments: Vec<String>,
}

impl IdlPath {
    /// Parses `path`, or says why it is not one.
    pub(crate) fn parse(path: &str) -> Result<Self, String> {
        let (absolute, rest) = match path.strip_prefix('.') {
            Some(rest) => (true, rest),
            None => (false, path),
        };
        if rest.is_empty() {
            return if absolute {
                Ok(IdlPath {
                    absolute,
                    segments: Vec::new(),
                })
            } else {
                Err("an empty path (write `.` for every item)".into())
            };
        }
        let segments: Vec<String> = rest.split('.').map(str::to_string).collect();
        if segments.iter().any(|s| s.is_empty()) {
            return Err(format!("`{path}` has an empty part"));
        }
        Ok(IdlPath { absolute, segments })
    }

    /// Whether the item at `path` (module, definition, field: each as named in the IDL,
    /// the module as `include_idl!` names it) is one this path means.
    pub(crate) fn matches(&self, path: &[&str]) -> bool {
        if self.segments.len() > path.len() {
            return false;
        }
        let eq = |(a, b): (&String, &&str)| a == b;
        if self.absolute {
            self.segments.iter().zip(path).all(eq)
        } else {
            self.segments
                .iter()
                .zip(&path[path.len() - self.segments.len()..])
                .all(eq)
        }
    }

    /// Whether this is `.module.Name` (naming one definition) or `.module`.
    pub(crate) fn extern_form(&self) -> bool {
        self.absolute && matches!(self.segments.len(), 1 | 2)
    }

    /// The path exactly: `.module` or `.module.Name` equal to `path`.
    pub(crate) fn is(&self, path: &[&str]) -> bool {
        self.absolute && self.segments.len() == path.len() && self.matches(path)
    }
}

impl Options {
    /// The attributes for the type at `path` (module, name).
    pub(crate) fn type_attrs(&self, path: &[&str]) -> TokenStream {
        collect(&self.type_attributes, path)
    }

    /// The attributes for the field at `path` (module, type, field).
    pub(crate) fn field_attrs(&self, path: &[&str]) -> TokenStream {
        collect(&self.field_attributes, path)
    }

    /// Where definition `name` of `module` is defined instead, if elsewhere; and whether
    /// that is the path of the definition itself (`.module.Name`) rather than of its
    /// module (`.module`).
    pub(crate) fn extern_of(&self, module: &str, name: &str) -> Option<(&RustPath, bool)> {
        let module_name = module.trim_start_matches("r#");
        let exact = self
            .extern_paths
            .iter()
            .find(|(p, _)| p.is(&[module_name, name]))
            .map(|(_, rust)| (rust, true));
        exact.or_else(|| {
            self.extern_paths
                .iter()
                .find(|(p, _)| p.is(&[module_name]))
                .map(|(_, rust)| (rust, false))
        })
    }

    /// Whether the whole module is defined elsewhere.
    pub(crate) fn module_is_extern(&self, module: &str) -> bool {
        let module = module.trim_start_matches("r#");
        self.extern_paths.iter().any(|(p, _)| p.is(&[module]))
    }
}

fn collect(attributes: &[(IdlPath, TokenStream)], path: &[&str]) -> TokenStream {
    let mut out = TokenStream::new();
    for (p, attrs) in attributes {
        if p.matches(path) {
            attrs.to_tokens(&mut out);
        }
    }
    out
}

/// Parses `text` as outer attributes (`#[derive(Hash)] #[serde(default)]`).
pub(crate) fn parse_attributes(text: &str) -> Result<TokenStream, String> {
    use syn::parse::Parser;
    let invalid = || format!("`{text}` is not an attribute like `#[derive(Hash)]`");
    let attrs = syn::Attribute::parse_outer
        .parse_str(text)
        .map_err(|_| invalid())?;
    if attrs.is_empty() {
        return Err(invalid());
    }
    let mut out = TokenStream::new();
    for a in attrs {
        a.to_tokens(&mut out);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(path: &str) -> IdlPath {
        IdlPath::parse(path).unwrap()
    }

    #[test]
    fn paths_match_from_the_top_or_at_the_end() {
        let field = ["geo", "Point", "x"];
        assert!(p(".").matches(&field));
        assert!(p(".geo").matches(&field));
        assert!(p(".geo.Point").matches(&field));
        assert!(p(".geo.Point.x").matches(&field));
        assert!(p("Point.x").matches(&field));
        assert!(p("x").matches(&field));
        assert!(!p(".Point").matches(&field));
        assert!(!p(".geo.Line").matches(&field));
        assert!(!p("y").matches(&field));
        assert!(!p(".geo.Point.x.y").matches(&field));
        assert!(IdlPath::parse("").is_err());
        assert!(IdlPath::parse(".geo..x").is_err());
    }

    #[test]
    fn attributes_must_parse() {
        assert!(parse_attributes("#[derive(Hash)] #[serde(default)]").is_ok());
        assert!(parse_attributes("derive(Hash)").is_err());
        assert!(parse_attributes("#[derive(Hash").is_err());
    }
}
