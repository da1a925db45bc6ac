//! Pass 1, shapes: each definition as the model has it, with its types resolved, implicit
//! field ids and enum values assigned, and what is wrong within one definition rejected
//! (duplicate ids and names, a `oneway` function that returns or throws, an `idempotent`
//! annotation that is neither true nor false). Constants and
//! default values are left as placeholders for [pass 2](super::finish), which needs every
//! definition's shape to check them.

use super::lookup::{Target, Want};
use super::{Resolver, def_kind};
use crate::Diagnostic;
use crate::ast::{self, BaseType, TypeKind};
use crate::model::*;

impl Resolver {
    fn resolve_type(&self, file: usize, ty: &ast::Type) -> Result<Ty, Diagnostic> {
        let text = &self.sources[file].text;
        let written = text.get(ty.span.start..ty.span.end).unwrap_or_default();
        match &ty.kind {
            TypeKind::Base(BaseType::I8) if written == "byte" => {
                self.byte_uses.borrow_mut().push((file, ty.span));
            }
            TypeKind::List(element) if element.kind == TypeKind::Base(BaseType::I8) => self.warn(
                file,
                ty.span,
                format!(
                    "consider `binary` instead of `{written}`: it holds the same bytes as one \
                     value (`Bytes` in Rust, not a `Vec<i8>`), though on the wire it is not a \
                     list",
                ),
            ),
            _ => {}
        }
        Ok(match &ty.kind {
            TypeKind::Base(b) => Ty::Base(*b),
            TypeKind::List(t) => Ty::List(Box::new(self.resolve_type(file, t)?)),
            TypeKind::Set(t) => Ty::Set(Box::new(self.resolve_type(file, t)?)),
            TypeKind::Map(k, v) => Ty::Map(
                Box::new(self.resolve_type(file, k)?),
                Box::new(self.resolve_type(file, v)?),
            ),
            TypeKind::Named(ident) => match self.lookup(file, ident, Want::Type)? {
                Target::Def(r) => match &self.sources[r.file].doc.definitions[r.index] {
                    ast::Definition::Typedef(_)
                    | ast::Definition::Enum(_)
                    | ast::Definition::Struct(_)
                    | ast::Definition::Senum(_) => Ty::Named(r),
                    def @ (ast::Definition::Const(_) | ast::Definition::Service(_)) => {
                        return Err(self.err(
                            file,
                            ident.span,
                            format!("`{}` is {}, not a type", ident.name, def_kind(def)),
                        ));
                    }
                },
                Target::EnumValue(..) => {
                    return Err(self.err(
                        file,
                        ident.span,
                        format!("`{}` is an enum value, not a type", ident.name),
                    ));
                }
            },
        })
    }

    fn fields(
        &self,
        file: usize,
        fields: &[ast::Field],
        owner: &str,
        list: FieldList,
    ) -> Result<Vec<FieldDef>, Diagnostic> {
        let text = &self.sources[file].text;
        let mut out: Vec<FieldDef> = Vec::new();
        // Apache gives fields without a (positive) id the ids -1, -2, ... in order.
        let mut next_auto: i64 = -1;
        for f in fields {
            let what = format!("{} `{}` of `{owner}`", list.noun(), f.name.name);
            let id = match f.id {
                Some(id) if id > 0 => {
                    if id > i64::from(i16::MAX) {
                        return Err(self.err(
                            file,
                            f.span,
                            format!(
                                "field id {id} of `{owner}.{}` is too large (field ids are \
                                 16-bit: at most 32767)",
                                f.name.name
                            ),
                        ));
                    }
                    id
                }
                Some(written) => {
                    let id = next_auto;
                    next_auto -= 1;
                    self.warn(
                        file,
                        id_span(text, f.span),
                        format!(
                            "the id {written} of {what} is not positive, so it is ignored \
                             and the {} gets the implicit id {id}, as with Apache's compiler \
                             (ids go from 1 to 32767)",
                            list.noun()
                        ),
                    );
                    id
                }
                None => {
                    let id = next_auto;
                    next_auto -= 1;
                    self.warn(
                        file,
                        f.span,
                        format!(
                            "{what} has no id: it gets the implicit id {id}, which changes \
                             when {} without an id is added before it (write one, like `1:`)",
                            list.a_noun()
                        ),
                    );
                    id
                }
            };
            if let Some(i) = out.iter().position(|o| i64::from(o.id) == id) {
                return Err(self.err(
                    file,
                    f.span,
                    format!(
                        "field id {id} of `{owner}` is used twice: by `{}` and `{}`",
                        out[i].name, f.name.name
                    ),
                ));
            }
            if out.iter().any(|o| o.name == f.name.name) {
                return Err(self.err(
                    file,
                    f.name.span,
                    format!("`{owner}` has two fields named `{}`", f.name.name),
                ));
            }
            let mut requiredness = f.requiredness;
            if list != FieldList::Struct && requiredness == Requiredness::Optional {
                // Apache's compiler ignores it (and says so): an argument is always sent.
                requiredness = Requiredness::Default;
                let message = if list == FieldList::Arguments {
                    format!(
                        "`optional` is ignored in an argument list: {what} is always sent, \
                         as with Apache's compiler"
                    )
                } else {
                    "`optional` is ignored in a throws list, as with Apache's compiler".into()
                };
                self.warn(
                    file,
                    keyword_span(text, f.span, f.ty.span, "optional"),
                    message,
                );
            }
            out.push(FieldDef {
                id: id as i16,
                name: f.name.name.clone(),
                ty: self.resolve_type(file, &f.ty)?,
                requiredness,
                default: None,
                doc: f.doc.clone(),
            });
        }
        Ok(out)
    }

    /// Definition `index` of `file` as the model has it, values aside.
    pub(super) fn shape(&self, file: usize, index: usize) -> Result<Def, Diagnostic> {
        let placeholder = Value::Bool(false);
        Ok(match &self.sources[file].doc.definitions[index] {
            ast::Definition::Const(c) => Def::Const(ConstDef {
                name: c.name.name.clone(),
                ty: self.resolve_type(file, &c.ty)?,
                value: placeholder,
                doc: c.doc.clone(),
            }),
            ast::Definition::Typedef(t) => Def::Typedef(TypedefDef {
                name: t.name.name.clone(),
                ty: self.resolve_type(file, &t.ty)?,
                doc: t.doc.clone(),
            }),
            ast::Definition::Senum(s) => Def::Typedef(TypedefDef {
                name: s.name.name.clone(),
                ty: Ty::Base(BaseType::String),
                doc: s.doc.clone(),
            }),
            ast::Definition::Enum(e) => {
                let mut values: Vec<EnumValueDef> = Vec::new();
                let mut next: i64 = 0;
                for v in &e.values {
                    let value = v.value.unwrap_or(next);
                    let Ok(value32) = i32::try_from(value) else {
                        let implicit = if v.value.is_none() {
                            " (the previous value plus one)"
                        } else {
                            ""
                        };
                        return Err(self.err(
                            file,
                            v.name.span,
                            format!(
                                "the value of `{}.{}`, {value}{implicit}, does not fit in an \
                                 i32 (enum values are 32-bit: {} to {})",
                                e.name.name,
                                v.name.name,
                                i32::MIN,
                                i32::MAX
                            ),
                        ));
                    };
                    if values.iter().any(|o| o.name == v.name.name) {
                        return Err(self.err(
                            file,
                            v.name.span,
                            format!(
                                "enum `{}` has two values named `{}`",
                                e.name.name, v.name.name
                            ),
                        ));
                    }
                    values.push(EnumValueDef {
                        name: v.name.name.clone(),
                        value: value32,
                        doc: v.doc.clone(),
                    });
                    next = value + 1;
                }
                Def::Enum(EnumDef {
                    name: e.name.name.clone(),
                    values,
                    doc: e.doc.clone(),
                })
            }
            ast::Definition::Struct(s) => Def::Struct(StructDef {
                kind: s.kind,
                name: s.name.name.clone(),
                fields: self.fields(file, &s.fields, &s.name.name, FieldList::Struct)?,
                doc: s.doc.clone(),
                annotations: s.annotations.clone(),
            }),
            ast::Definition::Service(s) => {
                let mut functions: Vec<FunctionDef> = Vec::new();
                for f in &s.functions {
                    if functions.iter().any(|o| o.name == f.name.name) {
                        return Err(self.err(
                            file,
                            f.name.span,
                            format!(
                                "service `{}` has two functions named `{}`",
                                s.name.name, f.name.name
                            ),
                        ));
                    }
                    let owner = format!("{}.{}", s.name.name, f.name.name);
                    let returns = match &f.returns {
                        Some(t) => Some(self.resolve_type(file, t)?),
                        None => None,
                    };
                    if f.oneway
                        && let Some(t) = &f.returns
                    {
                        return Err(self.err(
                            file,
                            t.span,
                            format!(
                                "oneway function `{owner}` cannot return a value: the caller \
                                 gets no reply (declare it `void`)"
                            ),
                        ));
                    }
                    if f.oneway
                        && let Some(t) = f.throws.first()
                    {
                        return Err(self.err(
                            file,
                            t.span,
                            format!(
                                "oneway function `{owner}` cannot throw: the caller gets no reply"
                            ),
                        ));
                    }
                    let idempotent = self.idempotent(file, &owner, &f.annotations)?;
                    functions.push(FunctionDef {
                        name: f.name.name.clone(),
                        oneway: f.oneway,
                        idempotent,
                        returns,
                        args: self.fields(file, &f.args, &owner, FieldList::Arguments)?,
                        throws: self.fields(file, &f.throws, &owner, FieldList::Throws)?,
                        doc: f.doc.clone(),
                    });
                }
                Def::Service(ServiceDef {
                    name: s.name.name.clone(),
                    extends: None,
                    functions,
                    doc: s.doc.clone(),
                })
            }
        })
    }

    /// Whether function `owner`'s `annotations` declare it idempotent: `idempotent` with the
    /// value `"true"` or `"1"` (also what `(idempotent)` alone means), or `"false"` or `"0"`.
    /// The first `idempotent` annotation counts. Apache's compiler accepts any annotation, so
    /// IDL that says this still compiles there.
    fn idempotent(
        &self,
        file: usize,
        owner: &str,
        annotations: &ast::Annotations,
    ) -> Result<bool, Diagnostic> {
        let Some(annotation) = annotations.0.iter().find(|a| a.key == "idempotent") else {
            return Ok(false);
        };
        match annotation.value.as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            other => Err(self.err(
                file,
                annotation.span,
                format!(
                    "expected `\"true\"` or `\"false\"` (or `\"1\"` or `\"0\"`) for \
                     `idempotent` of function `{owner}`, found `\"{other}\"`"
                ),
            )),
        }
    }
}

/// Which list of fields: a struct's, a function's arguments, or its `throws` clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldList {
    Struct,
    Arguments,
    Throws,
}

impl FieldList {
    /// What one of its fields is called in messages.
    fn noun(self) -> &'static str {
        match self {
            FieldList::Struct => "field",
            FieldList::Arguments => "argument",
            FieldList::Throws => "exception",
        }
    }

    /// The same, with its article.
    fn a_noun(self) -> &'static str {
        match self {
            FieldList::Struct => "a field",
            FieldList::Arguments => "an argument",
            FieldList::Throws => "an exception",
        }
    }
}

/// Where the id of a field written at `field` is: its first token (an integer literal).
fn id_span(text: &str, field: ast::Span) -> ast::Span {
    let rest = text.get(field.start..field.end).unwrap_or_default();
    let len = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_alphanumeric() || (i == 0 && matches!(c, '-' | '+'))))
        .map_or(rest.len(), |(i, _)| i);
    ast::Span::new(field.start, field.start + len.max(1))
}

/// Where `keyword` is written in a field, before its type at `ty` (else the whole field).
fn keyword_span(text: &str, field: ast::Span, ty: ast::Span, keyword: &str) -> ast::Span {
    text.get(field.start..ty.start)
        .and_then(|before| before.find(keyword))
        .map_or(field, |at| {
            ast::Span::new(field.start + at, field.start + at + keyword.len())
        })
}
