//! Constant evaluation: the value of each constant, found through the constants it names
//! (in any order, a cycle being an error), and every written value (a constant's, a default)
//! checked against the type it initialises and converted to a model [`Value`].

use std::path::Path;

use super::lookup::{Target, Want, did_you_mean};
use super::{Resolver, def_ident};
use crate::Diagnostic;
use crate::ast::{self, BaseType, ConstValue, Span, StructKind};
use crate::model::*;

/// State of a constant during resolution, to allow forward references and catch cycles.
#[derive(Debug, Clone)]
pub(super) enum ConstState {
    Pending,
    InProgress,
    Done(Ty, Value),
}

impl Resolver {
    /// The value of a constant, resolving the constants it refers to first.
    pub(super) fn const_value(&mut self, r: DefRef) -> Result<(Ty, Value), Diagnostic> {
        match self.consts.get(&r).cloned().unwrap_or(ConstState::Pending) {
            ConstState::Done(ty, v) => Ok((ty, v)),
            ConstState::InProgress => {
                let name = def_ident(&self.sources[r.file].doc.definitions[r.index]).clone();
                let from = self.const_stack.iter().position(|c| *c == r).unwrap_or(0);
                Err(self.err(
                    r.file,
                    name.span,
                    format!(
                        "constant `{}` refers to itself{}",
                        name.name,
                        self.cycle(&self.const_stack[from..])
                    ),
                ))
            }
            ConstState::Pending => {
                self.consts.insert(r, ConstState::InProgress);
                self.const_stack.push(r);
                let ast::Definition::Const(c) =
                    self.sources[r.file].doc.definitions[r.index].clone()
                else {
                    unreachable_const(r)?
                };
                let ty = match self.program.def(r) {
                    Def::Const(d) => d.ty.clone(),
                    _ => unreachable_const(r)?,
                };
                let value = self.value(r.file, &ty, &c.value)?;
                self.const_stack.pop();
                self.consts
                    .insert(r, ConstState::Done(ty.clone(), value.clone()));
                Ok((ty, value))
            }
        }
    }

    /// Checks `v` against `ty` and converts it.
    pub(super) fn value(
        &mut self,
        file: usize,
        ty: &Ty,
        v: &ConstValue,
    ) -> Result<Value, Diagnostic> {
        let resolved = self.program.resolve(ty).clone();
        let mismatch = |this: &Self, what: &str| {
            this.err(
                file,
                v.span(),
                format!(
                    "expected a value of type `{}`, found {what}",
                    this.type_name(ty)
                ),
            )
        };
        // A name stands for another constant's value, or an enum value.
        if let ConstValue::Identifier(ident) = v {
            // `true` and `false` are integer tokens to Apache's lexer.
            if matches!(ident.name.as_str(), "true" | "false")
                && matches!(resolved, Ty::Base(BaseType::Bool))
            {
                return Ok(Value::Bool(ident.name == "true"));
            }
            let target = self.lookup(file, ident, Want::Value);
            // Where an enum is expected, Apache's compiler reads `Other.VALUE` by its last
            // part only, as a value of the expected enum (its EnumTest has
            // `MyEnum2 me2_2 = MyEnum1.ME2_2`); do the same where the name does not already
            // denote a value of that enum or a constant.
            if let Ty::Named(e) = &resolved
                && let Def::Enum(en) = self.program.def(*e)
                && let Some((_, last)) = ident.name.rsplit_once('.')
                && !matches!(target, Ok(Target::Def(_)))
                && !matches!(target, Ok(Target::EnumValue(r, _)) if r == *e)
                && let Some(value) = en.values.iter().find(|v| v.name == last)
            {
                return Ok(Value::Enum(*e, value.value));
            }
            return match target? {
                Target::EnumValue(e, i) => {
                    let Def::Enum(en) = self.program.def(e) else {
                        return Err(mismatch(self, "a name"));
                    };
                    let value = en.values[i].value;
                    match &resolved {
                        Ty::Named(r) if *r == e => Ok(Value::Enum(e, value)),
                        Ty::Base(BaseType::I8 | BaseType::I16 | BaseType::I32 | BaseType::I64) => {
                            self.check_int(file, v.span(), ty, i64::from(value), &ident.name)?;
                            Ok(Value::Int(i64::from(value)))
                        }
                        _ => Err(mismatch(self, &format!("the enum value `{}`", ident.name))),
                    }
                }
                Target::Def(r) => match self.program.def(r) {
                    Def::Const(_) => {
                        let (cty, value) = self.const_value(r)?;
                        if self.compatible(&resolved, &cty) {
                            self.convert(file, v.span(), ty, value, &ident.name)
                        } else {
                            Err(mismatch(
                                self,
                                &format!(
                                    "the constant `{}` of type `{}`",
                                    ident.name,
                                    self.type_name(&cty)
                                ),
                            ))
                        }
                    }
                    _ => Err(mismatch(
                        self,
                        &format!("`{}`, which is not a constant", ident.name),
                    )),
                },
            };
        }
        match (&resolved, v) {
            (Ty::Base(BaseType::Bool), ConstValue::Int(i, _)) if *i == 0 || *i == 1 => {
                Ok(Value::Bool(*i == 1))
            }
            (
                Ty::Base(BaseType::I8 | BaseType::I16 | BaseType::I32 | BaseType::I64),
                ConstValue::Int(i, _),
            ) => {
                self.check_int(file, v.span(), ty, *i, "")?;
                Ok(Value::Int(*i))
            }
            (Ty::Base(BaseType::Double), ConstValue::Int(i, _)) => Ok(Value::Double(*i as f64)),
            (Ty::Base(BaseType::Double), ConstValue::Double(d, _)) => Ok(Value::Double(*d)),
            (Ty::Base(BaseType::String | BaseType::Binary), ConstValue::Literal(s, _)) => {
                Ok(Value::String(s.clone()))
            }
            (Ty::Base(BaseType::Uuid), ConstValue::Literal(s, _)) => {
                let hex: String = s
                    .trim_matches(|c| c == '{' || c == '}')
                    .chars()
                    .filter(|c| *c != '-')
                    .collect();
                if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(self.err(file, v.span(), format!("`{s}` is not a UUID")));
                }
                Ok(Value::String(s.clone()))
            }
            (Ty::List(elem) | Ty::Set(elem), ConstValue::List(items, _)) => {
                let elem = (**elem).clone();
                let mut out = Vec::new();
                for item in items {
                    out.push(self.value(file, &elem, item)?);
                }
                Ok(Value::List(out))
            }
            // `{}` is accepted as an empty list or set, as Apache's compiler does.
            (Ty::List(_) | Ty::Set(_), ConstValue::Map(items, _)) if items.is_empty() => {
                Ok(Value::List(Vec::new()))
            }
            (Ty::Map(k, val), ConstValue::Map(items, _)) => {
                let (k, val) = ((**k).clone(), (**val).clone());
                let mut out = Vec::new();
                for (ik, iv) in items {
                    out.push((self.value(file, &k, ik)?, self.value(file, &val, iv)?));
                }
                Ok(Value::Map(out))
            }
            (Ty::Map(..), ConstValue::List(items, _)) if items.is_empty() => {
                Ok(Value::Map(Vec::new()))
            }
            (Ty::Named(r), ConstValue::Int(i, _))
                if matches!(self.program.def(*r), Def::Enum(_)) =>
            {
                let Ok(i32v) = i32::try_from(*i) else {
                    return Err(self.err(
                        file,
                        v.span(),
                        format!(
                            "{i} does not fit in enum `{}` (enum values are 32-bit: {} to {})",
                            self.type_name(ty),
                            i32::MIN,
                            i32::MAX
                        ),
                    ));
                };
                Ok(Value::Enum(*r, i32v))
            }
            (Ty::Named(r), ConstValue::Map(items, _))
                if matches!(self.program.def(*r), Def::Struct(_)) =>
            {
                let r = *r;
                let Def::Struct(sd) = self.program.def(r).clone() else {
                    return Err(mismatch(self, "a map"));
                };
                let kind = match sd.kind {
                    StructKind::Struct => "struct",
                    StructKind::Union => "union",
                    StructKind::Exception => "exception",
                };
                let field_list = || {
                    let names: Vec<String> =
                        sd.fields.iter().map(|f| format!("`{}`", f.name)).collect();
                    if names.is_empty() {
                        "it has none".to_string()
                    } else {
                        format!("it has {}", names.join(", "))
                    }
                };
                let mut out: Vec<(usize, Value)> = Vec::new();
                for (k, val) in items {
                    let ConstValue::Literal(fname, span) = k else {
                        return Err(self.err(
                            file,
                            k.span(),
                            format!(
                                "expected a field name of `{}` in quotes ({})",
                                sd.name,
                                field_list()
                            ),
                        ));
                    };
                    let Some(i) = sd.fields.iter().position(|f| f.name == *fname) else {
                        let names: Vec<String> = sd.fields.iter().map(|f| f.name.clone()).collect();
                        let hint = match did_you_mean(fname, &names) {
                            h if h.is_empty() => format!(" ({})", field_list()),
                            h => h,
                        };
                        return Err(self.err(
                            file,
                            *span,
                            format!("{kind} `{}` has no field `{fname}`{hint}", sd.name),
                        ));
                    };
                    if out.iter().any(|(o, _)| *o == i) {
                        return Err(self.err(
                            file,
                            *span,
                            format!("field `{fname}` of `{}` is given twice", sd.name),
                        ));
                    }
                    let value = self.value(file, &sd.fields[i].ty, val)?;
                    out.push((i, value));
                }
                if sd.kind == StructKind::Union && out.len() != 1 {
                    return Err(self.err(
                        file,
                        v.span(),
                        format!(
                            "a value of union `{}` sets exactly one field, this one sets {}",
                            sd.name,
                            out.len()
                        ),
                    ));
                }
                Ok(Value::Struct(r, out))
            }
            (_, ConstValue::Int(..)) => Err(mismatch(self, "an integer")),
            (_, ConstValue::Double(..)) => Err(mismatch(self, "a floating-point number")),
            (_, ConstValue::Literal(..)) => Err(mismatch(self, "a string")),
            (_, ConstValue::List(..)) => Err(mismatch(self, "a list")),
            (_, ConstValue::Map(..)) => Err(mismatch(self, "a map")),
            (_, ConstValue::Identifier(_)) => Err(mismatch(self, "a name")),
        }
    }

    /// Checks that the integer `i` fits the integer type `ty` resolves to. `name`: the
    /// constant or enum value `i` comes from, if any.
    fn check_int(
        &self,
        file: usize,
        span: Span,
        ty: &Ty,
        i: i64,
        name: &str,
    ) -> Result<(), Diagnostic> {
        let Ty::Base(b) = self.program.resolve(ty) else {
            return Ok(());
        };
        let (lo, hi) = match b {
            BaseType::I8 => (i64::from(i8::MIN), i64::from(i8::MAX)),
            BaseType::I16 => (i64::from(i16::MIN), i64::from(i16::MAX)),
            BaseType::I32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
            _ => return Ok(()),
        };
        if (lo..=hi).contains(&i) {
            return Ok(());
        }
        let what = if name.is_empty() {
            i.to_string()
        } else {
            format!("`{name}` ({i})")
        };
        let base = self.type_name(&Ty::Base(*b));
        let named = self.type_name(ty);
        let target = if named == base {
            format!("`{base}` ({lo} to {hi})")
        } else {
            format!("`{named}`, an `{base}` ({lo} to {hi})")
        };
        Err(self.err(file, span, format!("{what} does not fit in {target}")))
    }

    /// The value of another constant, `name`, as a value of type `ty` (whose type it is
    /// [`compatible`](Self::compatible) with): integers checked against a narrower type,
    /// converted to `double` where one is expected.
    fn convert(
        &self,
        file: usize,
        span: Span,
        ty: &Ty,
        value: Value,
        name: &str,
    ) -> Result<Value, Diagnostic> {
        Ok(match (self.program.resolve(ty), value) {
            (Ty::Base(BaseType::Double), Value::Int(i)) => Value::Double(i as f64),
            (Ty::Base(_), Value::Int(i)) => {
                self.check_int(file, span, ty, i, name)?;
                Value::Int(i)
            }
            (Ty::List(elem) | Ty::Set(elem), Value::List(items)) => Value::List(
                items
                    .into_iter()
                    .map(|v| self.convert(file, span, elem, v, name))
                    .collect::<Result<_, _>>()?,
            ),
            (Ty::Map(k, v), Value::Map(entries)) => Value::Map(
                entries
                    .into_iter()
                    .map(|(ek, ev)| {
                        Ok((
                            self.convert(file, span, k, ek, name)?,
                            self.convert(file, span, v, ev, name)?,
                        ))
                    })
                    .collect::<Result<_, Diagnostic>>()?,
            ),
            (_, value) => value,
        })
    }

    /// Whether a constant of type `from` may initialise a value of type `to` (integers are
    /// checked against a narrower type by [`convert`](Self::convert)).
    fn compatible(&self, to: &Ty, from: &Ty) -> bool {
        let (to, from) = (self.program.resolve(to), self.program.resolve(from));
        let int = |b: &BaseType| {
            matches!(
                b,
                BaseType::I8 | BaseType::I16 | BaseType::I32 | BaseType::I64
            )
        };
        match (to, from) {
            (Ty::Base(a), Ty::Base(b)) => {
                a == b
                    || (int(a) || *a == BaseType::Double) && int(b)
                    || matches!(
                        (a, b),
                        (BaseType::String, BaseType::Binary) | (BaseType::Binary, BaseType::String)
                    )
            }
            (Ty::List(a), Ty::List(b))
            | (Ty::Set(a), Ty::Set(b))
            | (Ty::List(a), Ty::Set(b))
            | (Ty::Set(a), Ty::List(b)) => self.compatible(a, b),
            (Ty::Map(ak, av), Ty::Map(bk, bv)) => {
                self.compatible(ak, bk) && self.compatible(av, bv)
            }
            (Ty::Named(a), Ty::Named(b)) => a == b,
            _ => false,
        }
    }
}

#[cold]
fn unreachable_const<T>(r: DefRef) -> Result<T, Diagnostic> {
    Err(Diagnostic::file(
        Path::new(""),
        format!("internal error: definition {r:?} is not a constant"),
    ))
}
