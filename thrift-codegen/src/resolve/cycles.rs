//! Cycle checks: a typedef that leads back to itself (after pass 1) and a service that
//! extends itself (after pass 2), each reported at the first definition of the cycle, with
//! the cycle spelled out. Constants that refer to themselves are caught while they are
//! evaluated (in [`consts`](super::consts)), and named the same way.

use super::{Resolver, def_ident};
use crate::Diagnostic;
use crate::ast;
use crate::model::*;

impl Resolver {
    /// Rejects typedefs that lead back to themselves, reported at the first typedef of the
    /// cycle: `typedef B A` `typedef A B`.
    pub(super) fn check_typedef_cycles(&self) -> Result<(), Diagnostic> {
        for (file, f) in self.program.files.iter().enumerate() {
            for (index, def) in f.defs.iter().enumerate() {
                let Def::Typedef(t) = def else { continue };
                let start = DefRef { file, index };
                let mut chain = vec![start];
                let mut ty = &t.ty;
                while let Ty::Named(r) = ty {
                    if *r == start {
                        let span = def_ident(&self.sources[file].doc.definitions[index]).span;
                        return Err(self.err(
                            file,
                            span,
                            format!(
                                "typedef `{}` refers to itself{}",
                                t.name,
                                self.cycle(&chain)
                            ),
                        ));
                    }
                    // A cycle that does not pass through `start` is reported at its own
                    // first typedef.
                    if chain.contains(r) {
                        break;
                    }
                    chain.push(*r);
                    match self.program.def(*r) {
                        Def::Typedef(next) => ty = &next.ty,
                        _ => break,
                    }
                }
            }
        }
        Ok(())
    }

    /// Rejects a service that extends itself, directly or not (Apache's compiler cannot
    /// meet one: it wants a parent defined before its child).
    pub(super) fn check_service_chains(&self) -> Result<(), Diagnostic> {
        for (file, f) in self.program.files.iter().enumerate() {
            for (index, def) in f.defs.iter().enumerate() {
                let Def::Service(service) = def else { continue };
                let ast::Definition::Service(written) = &self.sources[file].doc.definitions[index]
                else {
                    continue;
                };
                let start = DefRef { file, index };
                let mut chain = vec![start];
                let mut parent = service.extends;
                while let Some(p) = parent {
                    if p == start {
                        let span = written
                            .extends
                            .as_ref()
                            .map_or(written.name.span, |e| e.span);
                        return Err(self.err(
                            file,
                            span,
                            format!(
                                "service `{}` extends itself{}",
                                service.name,
                                self.cycle(&chain)
                            ),
                        ));
                    }
                    if chain.contains(&p) {
                        break;
                    }
                    chain.push(p);
                    let Def::Service(ps) = self.program.def(p) else {
                        break;
                    };
                    parent = ps.extends;
                }
            }
        }
        Ok(())
    }

    /// ` (A -> B -> A)` for a cycle through more than one definition, else nothing.
    pub(super) fn cycle(&self, chain: &[DefRef]) -> String {
        if chain.len() < 2 {
            return String::new();
        }
        let names: Vec<&str> = chain
            .iter()
            .chain(&chain[..1])
            .map(|r| {
                def_ident(&self.sources[r.file].doc.definitions[r.index])
                    .name
                    .as_str()
            })
            .collect();
        format!(" ({})", names.join(" -> "))
    }
}
