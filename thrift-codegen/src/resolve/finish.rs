//! Pass 2, what needs every definition's shape: constants' values and fields' and
//! arguments' default values (evaluated in [`consts`](super::consts)), unions' fields not
//! `required`, each service's parent, and `throws` clauses that list only exceptions.

use super::lookup::{Target, Want};
use super::{Resolver, def_kind};
use crate::Diagnostic;
use crate::ast::{self, Requiredness, StructKind};
use crate::model::*;

impl Resolver {
    /// Fills in what pass 1 left out of definition `index` of `file`, and checks it.
    pub(super) fn finish(&mut self, file: usize, index: usize) -> Result<(), Diagnostic> {
        let r = DefRef { file, index };
        match &self.sources[file].doc.definitions[index] {
            ast::Definition::Const(_) => {
                let (_, value) = self.const_value(r)?;
                if let Def::Const(c) = &mut self.program.files[file].defs[index] {
                    c.value = value;
                }
            }
            ast::Definition::Struct(s) => {
                let s = s.clone();
                let mut defaults = Vec::new();
                for (i, f) in s.fields.iter().enumerate() {
                    if let Some(v) = &f.default {
                        let ty = match &self.program.files[file].defs[index] {
                            Def::Struct(d) => d.fields[i].ty.clone(),
                            _ => continue,
                        };
                        defaults.push((i, self.value(file, &ty, v)?));
                    }
                    if s.kind == StructKind::Union && f.requiredness == Requiredness::Required {
                        return Err(self.err(
                            file,
                            f.span,
                            format!(
                                "union `{}` cannot have a required field: `{}` (a union holds \
                                 exactly one of its fields; remove `required`)",
                                s.name.name, f.name.name
                            ),
                        ));
                    }
                }
                if let Def::Struct(d) = &mut self.program.files[file].defs[index] {
                    for (i, v) in defaults {
                        d.fields[i].default = Some(v);
                    }
                }
            }
            ast::Definition::Service(s) => {
                let s = s.clone();
                let extends = match &s.extends {
                    Some(ident) => match self.lookup(file, ident, Want::Service)? {
                        Target::Def(p) if matches!(self.program.def(p), Def::Service(_)) => Some(p),
                        target => {
                            let what = match target {
                                Target::Def(p) => {
                                    def_kind(&self.sources[p.file].doc.definitions[p.index])
                                }
                                Target::EnumValue(..) => "an enum value",
                            };
                            return Err(self.err(
                                file,
                                ident.span,
                                format!(
                                    "service `{}` extends `{}`, which is {what}, not a service",
                                    s.name.name, ident.name
                                ),
                            ));
                        }
                    },
                    None => None,
                };
                for (fi, f) in s.functions.iter().enumerate() {
                    for (ti, t) in f.throws.iter().enumerate() {
                        let ty = match &self.program.files[file].defs[index] {
                            Def::Service(d) => d.functions[fi].throws[ti].ty.clone(),
                            _ => continue,
                        };
                        let what = match self.program.resolve(&ty) {
                            Ty::Named(r) => match self.program.def(*r) {
                                Def::Struct(d) if d.kind == StructKind::Exception => continue,
                                _ => def_kind(&self.sources[r.file].doc.definitions[r.index]),
                            },
                            Ty::Base(_) => "a base type",
                            Ty::List(_) | Ty::Set(_) | Ty::Map(..) => "a container",
                        };
                        let named = self.type_name(&ty);
                        let alias = match self.program.resolve(&ty) {
                            resolved if *resolved != ty => {
                                format!(" (a typedef of `{}`)", self.type_name(resolved))
                            }
                            _ => String::new(),
                        };
                        return Err(self.err(
                            file,
                            t.ty.span,
                            format!(
                                "`throws` of `{}.{}` lists `{named}`{alias}, which is {what}, \
                                 not an exception",
                                s.name.name, f.name.name
                            ),
                        ));
                    }
                    for (ai, a) in f.args.iter().enumerate() {
                        if let Some(v) = &a.default {
                            let ty = match &self.program.files[file].defs[index] {
                                Def::Service(d) => d.functions[fi].args[ai].ty.clone(),
                                _ => continue,
                            };
                            let value = self.value(file, &ty, v)?;
                            if let Def::Service(d) = &mut self.program.files[file].defs[index] {
                                d.functions[fi].args[ai].default = Some(value);
                            }
                        }
                    }
                }
                if let Def::Service(d) = &mut self.program.files[file].defs[index] {
                    d.extends = extends;
                }
            }
            _ => {}
        }
        Ok(())
    }
}
