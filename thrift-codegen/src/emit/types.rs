//! Constants, typedefs, enums, structs, unions and exceptions.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::{Context, EmitError, doc_or, field_names, ident, variant_names};
use crate::ast::{BaseType, StructKind};
use crate::model::{
    ConstDef, Def, DefRef, EnumDef, FieldDef, Requiredness, StructDef, Ty, TypedefDef, Value,
};
use crate::naming::{self, Case};

impl Context<'_> {
    pub(crate) fn typedef(&self, r: DefRef, t: &TypedefDef) -> Result<TokenStream, EmitError> {
        let doc = doc_or(&t.doc, format!("The typedef `{}`.", t.name));
        let name = ident(self.def_name(r));
        let ty = self.rust_type(&t.ty, false)?;
        Ok(quote! {
            #doc
            pub type #name = #ty;
        })
    }

    pub(crate) fn constant(&self, r: DefRef, c: &ConstDef) -> Result<TokenStream, EmitError> {
        let doc = doc_or(&c.doc, format!("The constant `{}`.", c.name));
        let name = ident(self.def_name(r));
        let resolved = self.program.resolve(&c.ty).clone();
        Ok(match (&resolved, &c.value) {
            (Ty::Base(BaseType::String), Value::String(s)) => quote! {
                #doc
                pub const #name: &str = #s;
            },
            (Ty::Base(BaseType::Binary), Value::String(s)) => {
                let bytes = Literal::byte_string(s.as_bytes());
                quote! {
                    #doc
                    pub const #name: &[u8] = #bytes;
                }
            }
            (Ty::Base(_), _) | (Ty::Named(_), Value::Enum(..)) => {
                let ty = self.rust_type(&c.ty, false)?;
                let value = self.value_expr(&c.ty, &c.value)?;
                let approx = allow_approx([&c.value]);
                quote! {
                    #doc
                    #approx
                    pub const #name: #ty = #value;
                }
            }
            _ => {
                let ty = self.rust_type(&c.ty, false)?;
                let value = self.value_expr(&c.ty, &c.value)?;
                let complex = self.allow_complex(std::iter::once(&c.ty));
                let approx = allow_approx([&c.value]);
                quote! {
                    #doc
                    #complex
                    #approx
                    pub static #name: ::std::sync::LazyLock<#ty> = ::std::sync::LazyLock::new(|| #value);
                }
            }
        })
    }

    /// A Rust expression of type `ty` for the constant `value`.
    pub(crate) fn value_expr(&self, ty: &Ty, value: &Value) -> Result<TokenStream, EmitError> {
        self.value_expr_in(ty, value, false)
    }

    fn value_expr_in(&self, ty: &Ty, value: &Value, key: bool) -> Result<TokenStream, EmitError> {
        let resolved = self.program.resolve(ty).clone();
        Ok(match (&resolved, value) {
            (Ty::Base(BaseType::Bool), Value::Bool(b)) => quote!(#b),
            (Ty::Base(BaseType::I8), Value::Int(i)) => {
                let l = Literal::i8_unsuffixed(*i as i8);
                quote!(#l)
            }
            (Ty::Base(BaseType::I16), Value::Int(i)) => {
                let l = Literal::i16_unsuffixed(*i as i16);
                quote!(#l)
            }
            (Ty::Base(BaseType::I32), Value::Int(i)) => {
                let l = Literal::i32_unsuffixed(*i as i32);
                quote!(#l)
            }
            (Ty::Base(BaseType::I64), Value::Int(i)) => {
                let l = Literal::i64_unsuffixed(*i);
                quote!(#l)
            }
            (Ty::Base(BaseType::Double), Value::Double(d)) => {
                let l = double_literal(*d);
                if key {
                    quote!(::thrift_tower::OrderedF64(#l))
                } else {
                    quote!(#l)
                }
            }
            (Ty::Base(BaseType::Double), Value::Int(i)) => {
                let l = double_literal(*i as f64);
                if key {
                    quote!(::thrift_tower::OrderedF64(#l))
                } else {
                    quote!(#l)
                }
            }
            (Ty::Base(BaseType::String), Value::String(s)) if self.options.shared_strings => {
                quote!(::thrift_tower::ByteStr::from_static(#s))
            }
            (Ty::Base(BaseType::String), Value::String(s)) => {
                quote!(::std::string::String::from(#s))
            }
            (Ty::Base(BaseType::Binary), Value::String(s)) => {
                let bytes = Literal::byte_string(s.as_bytes());
                quote!(::thrift_tower::bytes::Bytes::from_static(#bytes))
            }
            (Ty::Base(BaseType::Uuid), Value::String(s)) => {
                let hex: Vec<u8> = s
                    .chars()
                    .filter_map(|c| c.to_digit(16))
                    .map(|d| d as u8)
                    .collect();
                let bytes = hex.chunks(2).map(|p| {
                    let b = Literal::u8_unsuffixed(p[0] * 16 + p.get(1).copied().unwrap_or(0));
                    quote!(#b)
                });
                quote!(::thrift_tower::Uuid::from_bytes([#(#bytes),*]))
            }
            (Ty::Named(r), Value::Enum(e, v)) if r == e => {
                let path = self.def_path(*r);
                let Def::Enum(def) = self.program.def(*r) else {
                    return Err(internal("enum value of a non-enum"));
                };
                match def.values.iter().position(|x| x.value == *v) {
                    Some(i) => {
                        let name = ident(&enum_value_names(def)[i]);
                        quote!(#path::#name)
                    }
                    None => {
                        let l = Literal::i32_unsuffixed(*v);
                        quote!(#path(#l))
                    }
                }
            }
            (Ty::Named(r), Value::Int(v)) if matches!(self.program.def(*r), Def::Enum(_)) => {
                return self.value_expr_in(ty, &Value::Enum(*r, *v as i32), key);
            }
            (Ty::List(elem), Value::List(items)) => {
                let items = items
                    .iter()
                    .map(|v| self.value_expr_in(elem, v, key))
                    .collect::<Result<Vec<_>, _>>()?;
                quote!(::std::vec![#(#items),*])
            }
            (Ty::Set(elem), Value::List(items)) => {
                let items = items
                    .iter()
                    .map(|v| self.value_expr_in(elem, v, true))
                    .collect::<Result<Vec<_>, _>>()?;
                quote!(::std::collections::BTreeSet::from([#(#items),*]))
            }
            (Ty::Map(k, v), Value::Map(entries)) => {
                let mut pairs = Vec::new();
                for (ek, ev) in entries {
                    let ek = self.value_expr_in(k, ek, true)?;
                    let ev = self.value_expr_in(v, ev, key)?;
                    pairs.push(quote!((#ek, #ev)));
                }
                quote!(::std::collections::BTreeMap::from([#(#pairs),*]))
            }
            (Ty::Named(r), Value::Struct(s, fields)) if r == s => {
                let Def::Struct(def) = self.program.def(*r) else {
                    return Err(internal("struct literal of a non-struct"));
                };
                let path = self.def_path(*r);
                let key_fields = self.is_keyed(Some(*r));
                if def.kind == StructKind::Union {
                    let [(i, v)] = fields.as_slice() else {
                        return Err(EmitError {
                            message: format!(
                                "a constant of union `{}` must set exactly one field",
                                def.name
                            ),
                        });
                    };
                    let variant = ident(&variant_names(&def.fields, &[])[*i]);
                    let v = self.value_expr_in(&def.fields[*i].ty, v, key_fields)?;
                    return Ok(quote!(#path::#variant(#v)));
                }
                if !self.is_defaultable(*r) {
                    return Err(EmitError {
                        message: format!(
                            "a constant of struct `{}` needs a default value for every field it leaves out",
                            def.name
                        ),
                    });
                }
                let names = field_names(&def.fields);
                let mut sets = Vec::new();
                for (i, v) in fields {
                    let f = &def.fields[*i];
                    let name = ident(&names[*i]);
                    let mut e = self.value_expr_in(&f.ty, v, key_fields)?;
                    if self.is_recursive(Some(*r), &f.ty) {
                        e = quote!(::std::boxed::Box::new(#e));
                    }
                    if self.field_is_option(Some(*r), f) {
                        e = quote!(::std::option::Option::Some(#e));
                    }
                    sets.push(quote!(#name: #e,));
                }
                if fields.len() == def.fields.len() {
                    quote!(#path { #(#sets)* })
                } else {
                    quote!(#path { #(#sets)* ..::std::default::Default::default() })
                }
            }
            _ => {
                return Err(internal(&format!(
                    "constant {value:?} does not fit type {}",
                    self.type_name(ty)
                )));
            }
        })
    }

    /// Whether the expression for `v` is as cheap as a literal (clippy then wants
    /// `unwrap_or(v)`, not `unwrap_or_else(|| v)`): no call, no allocation.
    fn is_cheap(&self, v: &Value) -> bool {
        match v {
            Value::Bool(_) | Value::Int(_) | Value::Double(_) | Value::Enum(..) => true,
            Value::String(_) | Value::List(_) | Value::Map(_) => false,
            Value::Struct(r, fields) => {
                let Def::Struct(def) = self.program.def(*r) else {
                    return false;
                };
                // `..Default::default()` and `Box::new` are calls.
                (def.kind == StructKind::Union || fields.len() == def.fields.len())
                    && fields.iter().all(|(i, v)| {
                        !self.is_recursive(Some(*r), &def.fields[*i].ty) && self.is_cheap(v)
                    })
            }
        }
    }

    pub(crate) fn enumeration(&self, r: DefRef, e: &EnumDef) -> TokenStream {
        let doc = doc_or(&e.doc, format!("The enum `{}`.", e.name));
        let name = ident(self.def_name(r));
        let names = enum_value_names(e);
        let consts = e.values.iter().zip(&names).map(|(v, cname)| {
            let doc = doc_or(&v.doc, format!("`{}` = {}.", v.name, v.value));
            let cname = ident(cname);
            let value = Literal::i32_unsuffixed(v.value);
            quote! {
                #doc
                pub const #cname: Self = Self(#value);
            }
        });
        let all = names.iter().map(|cname| {
            let cname = ident(cname);
            quote!(Self::#cname)
        });
        // Several names may share a value; the first one names it.
        let mut seen = std::collections::BTreeSet::new();
        let arms: Vec<TokenStream> = e
            .values
            .iter()
            .filter(|v| seen.insert(v.value))
            .map(|v| {
                let value = Literal::i32_unsuffixed(v.value);
                let wire = &v.name;
                quote!(#value => ::std::option::Option::Some(#wire),)
            })
            .collect();
        let wire_name = &e.name;
        // Debug shows the Rust type's name, as derived Debug would.
        let unnamed_format = format!("{}({{}})", name.to_string().trim_start_matches("r#"));
        let name_doc = format!(
            " The IDL name of this value, or `None` for a value `{wire_name}` does not name."
        );
        let attrs = self.type_attrs(r);
        quote! {
            #doc
            ///
            /// A value received from the wire that the IDL does not name is kept as is.
            #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
            #attrs
            pub struct #name(pub i32);

            impl #name {
                #(#consts)*

                /// Every value the IDL names, in declaration order.
                pub const VALUES: &[Self] = &[#(#all),*];

                #[doc = #name_doc]
                pub fn name(self) -> ::std::option::Option<&'static str> {
                    match self.0 {
                        #(#arms)*
                        _ => ::std::option::Option::None,
                    }
                }
            }

            impl ::std::fmt::Debug for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    match self.name() {
                        ::std::option::Option::Some(n) => f.write_str(n),
                        ::std::option::Option::None => write!(f, #unnamed_format, self.0),
                    }
                }
            }

            impl ::std::convert::From<i32> for #name {
                fn from(value: i32) -> Self {
                    Self(value)
                }
            }

            impl ::std::convert::From<#name> for i32 {
                fn from(value: #name) -> Self {
                    value.0
                }
            }

            impl ::thrift_tower::protocol::Thrift for #name {
                const WIRE_TYPE: ::thrift_tower::protocol::WireType = ::thrift_tower::protocol::WireType::I32;

                fn read<R: ::thrift_tower::protocol::ProtocolReader>(r: &mut R) -> ::std::result::Result<Self, ::thrift_tower::ProtocolError> {
                    r.read_i32().map(Self)
                }

                fn write<W: ::thrift_tower::protocol::ProtocolWriter>(&self, w: &mut W) -> ::std::result::Result<(), ::thrift_tower::ProtocolError> {
                    w.write_i32(self.0)
                }
            }
        }
    }

    /// The Rust type of a field as declared in the struct.
    pub(crate) fn field_type(
        &self,
        owner: Option<DefRef>,
        f: &FieldDef,
    ) -> Result<TokenStream, EmitError> {
        let mut ty = self.rust_type(&f.ty, self.is_keyed(owner))?;
        if self.is_recursive(owner, &f.ty) {
            ty = quote!(::std::boxed::Box<#ty>);
        }
        if self.field_is_option(owner, f) {
            ty = quote!(::std::option::Option<#ty>);
        }
        Ok(ty)
    }

    pub(crate) fn structure(&self, r: DefRef, s: &StructDef) -> Result<TokenStream, EmitError> {
        if s.kind == StructKind::Union {
            return self.union(r, s);
        }
        self.struct_item(Some(r), s, ident(self.def_name(r)))
    }

    /// A struct or exception named `name` in Rust; `owner` is `None` for the argument
    /// structs of functions, which are not definitions of the program.
    pub(crate) fn struct_item(
        &self,
        owner: Option<DefRef>,
        s: &StructDef,
        name: proc_macro2::Ident,
    ) -> Result<TokenStream, EmitError> {
        let kind = if s.kind == StructKind::Exception {
            "exception"
        } else {
            "struct"
        };
        let doc = doc_or(&s.doc, format!("The {kind} `{}`.", s.name));
        let mut derives = vec![quote!(Debug), quote!(Clone), quote!(PartialEq)];
        let ordered = match owner {
            Some(r) => self.is_struct_ordered(r),
            None => s.fields.iter().all(|f| self.ty_ordered(&f.ty, false)),
        };
        if ordered {
            derives.extend([quote!(Eq), quote!(Hash), quote!(PartialOrd), quote!(Ord)]);
        }
        // A default equal to the type's own default needs no hand-written `Default`
        // (except on an optional field, where it means `Some`).
        let has_defaults = s.fields.iter().any(|f| {
            f.default
                .as_ref()
                .is_some_and(|v| self.field_is_option(owner, f) || !is_zero(v))
        });
        let defaultable = match owner {
            Some(r) => self.is_defaultable(r),
            None => s
                .fields
                .iter()
                .all(|f| self.field_is_option(None, f) || self.ty_default(&f.ty)),
        };
        if defaultable && !has_defaults {
            derives.push(quote!(Default));
        }
        let names = field_names(&s.fields);
        let key_fields = self.is_keyed(owner);
        let mut fields = Vec::new();
        for (f, fname) in s.fields.iter().zip(&names) {
            let doc = doc_or(&f.doc, format!("Field {} (`{}`).", f.id, f.name));
            let fname = ident(fname);
            let ty = self.field_type(owner, f)?;
            let attrs = self.field_attrs(owner, &f.name);
            fields.push(quote! {
                #doc
                #attrs
                pub #fname: #ty,
            });
        }
        let approx = allow_approx(s.fields.iter().filter_map(|f| f.default.as_ref()));
        let default_impl = if defaultable && has_defaults {
            let mut inits = Vec::new();
            for (f, fname) in s.fields.iter().zip(&names) {
                let fname = ident(fname);
                let value = match &f.default {
                    Some(v) => {
                        let mut e = self.value_expr_in(&f.ty, v, key_fields)?;
                        if self.is_recursive(owner, &f.ty) {
                            e = quote!(::std::boxed::Box::new(#e));
                        }
                        if self.field_is_option(owner, f) {
                            e = quote!(::std::option::Option::Some(#e));
                        }
                        e
                    }
                    None => quote!(::std::default::Default::default()),
                };
                inits.push(quote!(#fname: #value,));
            }
            quote! {
                #approx
                impl ::std::default::Default for #name {
                    fn default() -> Self {
                        Self { #(#inits)* }
                    }
                }
            }
        } else {
            TokenStream::new()
        };
        let codec = self.struct_codec(owner, s, &name)?;
        let error_impl = if s.kind == StructKind::Exception {
            // Debug already names the exception and shows its fields.
            quote! {
                impl ::std::fmt::Display for #name {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        ::std::fmt::Debug::fmt(self, f)
                    }
                }

                impl ::std::error::Error for #name {}
            }
        } else {
            TokenStream::new()
        };
        let complex = self.allow_complex(s.fields.iter().map(|f| &f.ty));
        let attrs = match owner {
            Some(r) => self.type_attrs(r),
            None => TokenStream::new(),
        };
        Ok(quote! {
            #doc
            #[derive(#(#derives),*)]
            #attrs
            #complex
            pub struct #name {
                #(#fields)*
            }

            #default_impl
            #codec
            #error_impl
        })
    }

    /// `impl Thrift` for a struct or exception.
    fn struct_codec(
        &self,
        owner: Option<DefRef>,
        s: &StructDef,
        name: &proc_macro2::Ident,
    ) -> Result<TokenStream, EmitError> {
        let wire_name = &s.name;
        let mut locals = Vec::new();
        let mut arms = Vec::new();
        let mut build = Vec::new();
        let mut writes = Vec::new();
        let key_fields = self.is_keyed(owner);
        for (f, fname) in s.fields.iter().zip(field_names(&s.fields)) {
            let local = quote::format_ident!("f_{}", fname.trim_start_matches("r#"));
            let fname = ident(&fname);
            let id = Literal::i16_unsuffixed(f.id);
            let wt = self.wire_type(&f.ty);
            let boxed = self.is_recursive(owner, &f.ty);
            let option = self.field_is_option(owner, f);
            let mut read = quote!(::thrift_tower::protocol::Thrift::read(r)?);
            if boxed {
                read = quote!(::std::boxed::Box::new(#read));
            }
            locals.push(quote!(let mut #local = ::std::option::Option::None;));
            arms.push(quote!((#id, #wt) => #local = ::std::option::Option::Some(#read),));
            let value = if option {
                quote!(#local)
            } else if f.requiredness == Requiredness::Required {
                let field_wire = &f.name;
                quote!(#local.ok_or_else(|| ::thrift_tower::protocol::missing_required_field(#wire_name, #field_wire))?)
            } else if let Some(default) = &f.default {
                let e = self.value_expr_in(&f.ty, default, key_fields)?;
                if self.is_cheap(default) {
                    quote!(#local.unwrap_or(#e))
                } else {
                    quote!(#local.unwrap_or_else(|| #e))
                }
            } else {
                quote!(#local.unwrap_or_default())
            };
            build.push(quote!(#fname: #value,));
            let field_wire = &f.name;
            let write_one = |v: TokenStream| {
                quote! {
                    w.write_field_begin(#field_wire, #wt, #id)?;
                    ::thrift_tower::protocol::Thrift::write(#v, w)?;
                    w.write_field_end()?;
                }
            };
            writes.push(if option {
                let body = write_one(quote!(v));
                quote! {
                    if let ::std::option::Option::Some(v) = &self.#fname {
                        #body
                    }
                }
            } else {
                write_one(quote!(&self.#fname))
            });
        }
        let field_loop = if s.fields.is_empty() {
            quote! {
                loop {
                    let field = r.read_field_begin()?;
                    if field.wire_type == ::thrift_tower::protocol::WireType::Stop {
                        break;
                    }
                    r.skip(field.wire_type)?;
                    r.read_field_end()?;
                }
            }
        } else {
            quote! {
                loop {
                    let field = r.read_field_begin()?;
                    match (field.id, field.wire_type) {
                        (_, ::thrift_tower::protocol::WireType::Stop) => break,
                        #(#arms)*
                        (_, other) => r.skip(other)?,
                    }
                    r.read_field_end()?;
                }
            }
        };
        let approx = allow_approx(s.fields.iter().filter_map(|f| f.default.as_ref()));
        Ok(quote! {
            #approx
            impl ::thrift_tower::protocol::Thrift for #name {
                const WIRE_TYPE: ::thrift_tower::protocol::WireType = ::thrift_tower::protocol::WireType::Struct;

                fn read<R: ::thrift_tower::protocol::ProtocolReader>(r: &mut R) -> ::std::result::Result<Self, ::thrift_tower::ProtocolError> {
                    #(#locals)*
                    r.read_struct_begin()?;
                    #field_loop
                    r.read_struct_end()?;
                    ::std::result::Result::Ok(Self { #(#build)* })
                }

                fn write<W: ::thrift_tower::protocol::ProtocolWriter>(&self, w: &mut W) -> ::std::result::Result<(), ::thrift_tower::ProtocolError> {
                    w.write_struct_begin(#wire_name)?;
                    #(#writes)*
                    w.write_field_stop()?;
                    w.write_struct_end()
                }
            }
        })
    }

    /// A union: an enum with one variant per field.
    fn union(&self, r: DefRef, s: &StructDef) -> Result<TokenStream, EmitError> {
        let doc = doc_or(&s.doc, format!("The union `{}`.", s.name));
        let name = ident(self.def_name(r));
        let wire_name = &s.name;
        let mut derives = vec![quote!(Debug), quote!(Clone), quote!(PartialEq)];
        if self.is_struct_ordered(r) {
            derives.extend([quote!(Eq), quote!(Hash), quote!(PartialOrd), quote!(Ord)]);
        }
        let mut variants = Vec::new();
        let mut arms = Vec::new();
        let mut writes = Vec::new();
        let key_fields = self.is_keyed(Some(r));
        for (f, variant) in s.fields.iter().zip(variant_names(&s.fields, &[])) {
            let doc = doc_or(&f.doc, format!("Field {} (`{}`).", f.id, f.name));
            let variant = ident(&variant);
            let mut ty = self.rust_type(&f.ty, key_fields)?;
            let boxed = self.is_recursive(Some(r), &f.ty);
            if boxed {
                ty = quote!(::std::boxed::Box<#ty>);
            }
            let attrs = self.field_attrs(Some(r), &f.name);
            variants.push(quote! {
                #doc
                #attrs
                #variant(#ty),
            });
            let id = Literal::i16_unsuffixed(f.id);
            let wt = self.wire_type(&f.ty);
            let mut read = quote!(::thrift_tower::protocol::Thrift::read(r)?);
            if boxed {
                read = quote!(::std::boxed::Box::new(#read));
            }
            arms.push(quote! {
                (#id, #wt) => {
                    ::thrift_tower::protocol::union_field_unset(&value, #wire_name)?;
                    value = ::std::option::Option::Some(Self::#variant(#read));
                }
            });
            let field_wire = &f.name;
            writes.push(quote! {
                Self::#variant(v) => {
                    w.write_field_begin(#field_wire, #wt, #id)?;
                    ::thrift_tower::protocol::Thrift::write(v, w)?;
                    w.write_field_end()?;
                }
            });
        }
        if s.fields.is_empty() {
            return Err(EmitError {
                message: format!("union `{}` has no fields", s.name),
            });
        }
        let complex = self.allow_complex(s.fields.iter().map(|f| &f.ty));
        let attrs = self.type_attrs(r);
        Ok(quote! {
            #doc
            #[derive(#(#derives),*)]
            #attrs
            #complex
            // The IDL decides what a union holds; boxing its larger variants would change
            // the types users match on.
            #[allow(clippy::large_enum_variant)]
            pub enum #name {
                #(#variants)*
            }

            impl ::thrift_tower::protocol::Thrift for #name {
                const WIRE_TYPE: ::thrift_tower::protocol::WireType = ::thrift_tower::protocol::WireType::Struct;

                fn read<R: ::thrift_tower::protocol::ProtocolReader>(r: &mut R) -> ::std::result::Result<Self, ::thrift_tower::ProtocolError> {
                    let mut value = ::std::option::Option::None;
                    r.read_struct_begin()?;
                    loop {
                        let field = r.read_field_begin()?;
                        match (field.id, field.wire_type) {
                            (_, ::thrift_tower::protocol::WireType::Stop) => break,
                            #(#arms)*
                            (_, other) => r.skip(other)?,
                        }
                        r.read_field_end()?;
                    }
                    r.read_struct_end()?;
                    ::thrift_tower::protocol::union_value(value, #wire_name)
                }

                fn write<W: ::thrift_tower::protocol::ProtocolWriter>(&self, w: &mut W) -> ::std::result::Result<(), ::thrift_tower::ProtocolError> {
                    w.write_struct_begin(#wire_name)?;
                    match self {
                        #(#writes)*
                    }
                    w.write_field_stop()?;
                    w.write_struct_end()
                }
            }
        })
    }
}

/// A `double` as Rust: a literal, or the constant for an infinity (a number beyond the
/// range of a double in the IDL, `1e400`, reads as one, as in Apache's compiler).
fn double_literal(d: f64) -> TokenStream {
    if d.is_finite() {
        // Unsuffixed (`0.5`, `1.0`): every place a double goes has its type already.
        let l = Literal::f64_unsuffixed(d);
        quote!(#l)
    } else if d > 0.0 {
        quote!(f64::INFINITY)
    } else if d < 0.0 {
        quote!(f64::NEG_INFINITY)
    } else {
        quote!(f64::NAN)
    }
}

/// The Rust names of an enum's values, distinct and clear of `VALUES`, which the generated
/// code defines next to them.
fn enum_value_names(e: &EnumDef) -> Vec<String> {
    let names = e
        .values
        .iter()
        .map(|v| naming::screaming(&v.name))
        .collect();
    naming::unique(names, &["VALUES"], Case::Screaming)
}

/// `#[allow(clippy::approx_constant)]` where `values` hold a `double` with a fraction: the
/// IDL's number is kept as written, even where it is close to one of Rust's named constants
/// (all of which have a fraction).
fn allow_approx<'v>(values: impl IntoIterator<Item = &'v Value>) -> TokenStream {
    fn has_double(v: &Value) -> bool {
        match v {
            Value::Double(d) => d.is_finite() && d.fract() != 0.0,
            Value::List(items) => items.iter().any(has_double),
            Value::Map(entries) => entries.iter().any(|(k, v)| has_double(k) || has_double(v)),
            Value::Struct(_, fields) => fields.iter().any(|(_, v)| has_double(v)),
            Value::Bool(_) | Value::Int(_) | Value::String(_) | Value::Enum(..) => false,
        }
    }
    if values.into_iter().any(has_double) {
        quote!(#[allow(clippy::approx_constant)])
    } else {
        TokenStream::new()
    }
}

/// Whether `v` is what `Default::default()` gives for its Rust type.
fn is_zero(v: &Value) -> bool {
    match v {
        Value::Bool(b) => !b,
        Value::Int(i) => *i == 0,
        Value::Double(d) => d.to_bits() == 0,
        Value::String(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Enum(_, v) => *v == 0,
        Value::Struct(..) => false,
    }
}

#[cold]
fn internal(what: &str) -> EmitError {
    EmitError {
        message: format!("internal error: {what}"),
    }
}
