//! Name lookup: what a name written in a file refers to (a definition of the file, of an
//! included file, or an enum value), and, when it refers to nothing, an error that says why
//! and suggests the closest name. Every other step of the resolver looks names up here.

use super::{Resolver, def_ident, def_kind};
use crate::Diagnostic;
use crate::ast;
use crate::model::DefRef;

/// What kind of definition a name must denote where it is written, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Want {
    /// A type: after a field id, in a typedef, in `throws`...
    Type,
    /// A constant or an enum value, in a constant or a default value.
    Value,
    /// The service after `extends`.
    Service,
}

impl Want {
    fn noun(self) -> &'static str {
        match self {
            Want::Type => "type",
            Want::Value => "constant or enum value",
            Want::Service => "service",
        }
    }

    /// The names `def` offers where `self` is wanted, for "did you mean" hints.
    fn candidates(self, def: &ast::Definition) -> Vec<String> {
        match (self, def) {
            (
                Want::Type,
                ast::Definition::Typedef(_)
                | ast::Definition::Enum(_)
                | ast::Definition::Senum(_)
                | ast::Definition::Struct(_),
            )
            | (Want::Value, ast::Definition::Const(_))
            | (Want::Service, ast::Definition::Service(_)) => vec![def_ident(def).name.clone()],
            (Want::Value, ast::Definition::Enum(e)) => e
                .values
                .iter()
                .map(|v| format!("{}.{}", e.name.name, v.name.name))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The base types' keywords, for "did you mean" hints on unknown types.
const BASE_TYPE_NAMES: &[&str] = &[
    "bool", "byte", "i8", "i16", "i32", "i64", "double", "string", "binary", "uuid",
];

/// ` (did you mean `x`?)` when one of `candidates` is close to `name`, else nothing.
pub(super) fn did_you_mean(name: &str, candidates: &[String]) -> String {
    match crate::parser::closest(name, candidates.iter().map(String::as_str)) {
        Some(c) => format!(" (did you mean `{c}`?)"),
        None => String::new(),
    }
}

/// What a name refers to.
#[derive(Debug, Clone, Copy)]
pub(super) enum Target {
    Def(DefRef),
    EnumValue(DefRef, usize),
}

impl Resolver {
    pub(super) fn lookup(
        &self,
        file: usize,
        ident: &ast::Ident,
        want: Want,
    ) -> Result<Target, Diagnostic> {
        let src = &self.sources[file];
        let name = ident.name.as_str();
        if let Some(&i) = src.names.get(name) {
            return Ok(Target::Def(DefRef { file, index: i }));
        }
        // `Enum.VALUE`, `include.Name`, `include.Enum.VALUE`
        let parts: Vec<&str> = name.split('.').collect();
        let (scope, rest) = match src.includes.get(parts[0]) {
            Some(&inc) if parts.len() > 1 => (inc, &parts[1..]),
            _ => (file, &parts[..]),
        };
        let scope_src = &self.sources[scope];
        match rest {
            [def] => {
                if let Some(&i) = scope_src.names.get(*def) {
                    return Ok(Target::Def(DefRef {
                        file: scope,
                        index: i,
                    }));
                }
            }
            [en, value] => {
                if let Some(&i) = scope_src.names.get(*en)
                    && let ast::Definition::Enum(e) = &scope_src.doc.definitions[i]
                    && let Some(v) = e.values.iter().position(|v| v.name.name == *value)
                {
                    return Ok(Target::EnumValue(
                        DefRef {
                            file: scope,
                            index: i,
                        },
                        v,
                    ));
                }
            }
            _ => {}
        }
        let message = if scope == file {
            self.not_found_here(file, name, &parts, want)
        } else {
            self.not_found_in(scope, name, rest, want)
        };
        Err(self.err(file, ident.span, message))
    }

    /// Why `name` (split at dots into `parts`, not starting with an include) is not found in
    /// `file`.
    fn not_found_here(&self, file: usize, name: &str, parts: &[&str], want: Want) -> String {
        let src = &self.sources[file];
        let noun = want.noun();
        match parts {
            [_] => {
                let mut candidates: Vec<String> = Vec::new();
                if want == Want::Type {
                    candidates.extend(BASE_TYPE_NAMES.iter().map(|s| s.to_string()));
                }
                for def in &src.doc.definitions {
                    candidates.extend(want.candidates(def));
                }
                format!("unknown {noun} `{name}`{}", did_you_mean(name, &candidates))
            }
            [first, value] => match src.names.get(*first).map(|&i| &src.doc.definitions[i]) {
                Some(ast::Definition::Enum(e)) if want == Want::Value => {
                    let values: Vec<String> =
                        e.values.iter().map(|v| v.name.name.clone()).collect();
                    format!(
                        "enum `{first}` has no value `{value}`{}",
                        did_you_mean(value, &values)
                    )
                }
                Some(def) => {
                    let also = if want == Want::Value {
                        "an enum or "
                    } else {
                        ""
                    };
                    format!(
                        "unknown {noun} `{name}`: `{first}` is {}, not {also}an included file",
                        def_kind(def)
                    )
                }
                None => {
                    let also = if want == Want::Value {
                        format!(" and no enum `{first}` is defined here")
                    } else {
                        String::new()
                    };
                    format!("unknown {noun} `{name}`: no included file is named `{first}`{also}")
                }
            },
            _ => format!("unknown {noun} `{name}`"),
        }
    }

    /// Why `rest` of `name` is not found in the included file `scope`.
    fn not_found_in(&self, scope: usize, name: &str, rest: &[&str], want: Want) -> String {
        let src = &self.sources[scope];
        let file_name = src
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let noun = want.noun();
        match rest {
            [def] => {
                let candidates: Vec<String> = src
                    .doc
                    .definitions
                    .iter()
                    .flat_map(|d| want.candidates(d))
                    .collect();
                format!(
                    "unknown {noun} `{name}`: `{file_name}` defines no `{def}`{}",
                    did_you_mean(def, &candidates)
                )
            }
            [first, value] => match src.names.get(*first).map(|&i| &src.doc.definitions[i]) {
                Some(ast::Definition::Enum(e)) if want == Want::Value => {
                    let values: Vec<String> =
                        e.values.iter().map(|v| v.name.name.clone()).collect();
                    format!(
                        "enum `{first}` of `{file_name}` has no value `{value}`{}",
                        did_you_mean(value, &values)
                    )
                }
                Some(def) => format!(
                    "unknown {noun} `{name}`: `{first}` of `{file_name}` is {}, not an enum",
                    def_kind(def)
                ),
                None => format!("unknown {noun} `{name}`: `{file_name}` defines no `{first}`"),
            },
            _ => format!("unknown {noun} `{name}`"),
        }
    }
}
