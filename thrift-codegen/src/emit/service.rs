//! Services: the handler trait, the per-method error types, the argument and result
//! types, the server (a `tower::Service`) and the client (generic over one).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::{
    Context, EmitError, doc_attrs, doc_or, field_names, ident, joined, module_name, variant_names,
};
use crate::ast::StructKind;
use crate::model::{Def, DefRef, FunctionDef, ServiceDef, StructDef, Ty};
use crate::naming::{self, Case};

/// The variants every error and result enum has besides the declared exceptions.
const RESERVED_VARIANTS: &[&str] = &["Other", "Success"];

/// The client's own methods, which a function's method must not take the name of.
const CLIENT_METHODS: &[&str] = &["new", "with_protocol", "get_ref", "into_inner"];

/// Clippy's default `too-many-arguments-threshold`, counting `&self`.
const CLIPPY_MAX_ARGUMENTS: usize = 7;

/// Names of the per-method error types of one file: `SayError`, or `HelloServiceSayError`
/// where two services of the file (or a type) would otherwise share a name, numbered where
/// even that is taken.
pub(crate) struct ErrorNames {
    names: BTreeMap<(usize, String), String>,
}

impl ErrorNames {
    pub(crate) fn new(cx: &Context<'_>, file: usize) -> Self {
        let defs = &cx.program.files[file].defs;
        let mut taken: BTreeSet<String> = BTreeSet::new();
        for (index, def) in defs.iter().enumerate() {
            let name = cx.def_name(DefRef { file, index });
            if let Def::Service(_) = def {
                taken.insert(joined(name, "Server"));
                taken.insert(joined(name, "Client"));
            }
            taken.insert(name.to_string());
        }
        let mut count: BTreeMap<String, usize> = BTreeMap::new();
        for def in defs {
            if let Def::Service(s) = def {
                for (_, camel) in function_names(s) {
                    *count.entry(joined(&camel, "Error")).or_default() += 1;
                }
            }
        }
        let (mut keys, mut wanted) = (Vec::new(), Vec::new());
        for (index, def) in defs.iter().enumerate() {
            if let Def::Service(s) = def {
                for (f, (_, camel)) in s.functions.iter().zip(function_names(s)) {
                    let short = joined(&camel, "Error");
                    let name = if count[&short] > 1 || taken.contains(&short) {
                        joined(cx.def_name(DefRef { file, index }), &short)
                    } else {
                        short
                    };
                    keys.push((index, f.name.clone()));
                    wanted.push(name);
                }
            }
        }
        let taken: Vec<&str> = taken.iter().map(String::as_str).collect();
        let names = keys
            .into_iter()
            .zip(naming::unique(wanted, &taken, Case::Camel))
            .collect();
        ErrorNames { names }
    }

    fn get(&self, index: usize, function: &str) -> String {
        self.names
            .get(&(index, function.to_string()))
            .cloned()
            .unwrap_or_else(|| format!("{}Error", naming::camel(function)))
    }
}

/// A function together with the service that declares it.
struct Method<'a> {
    service: DefRef,
    function: &'a FunctionDef,
    /// Its method's name in the declaring service's trait (`snake_case`).
    name: String,
    /// Its name in the names of its types (`FooArgs`, `FooResult`).
    camel: String,
}

/// The Rust names of a service's functions, in order: (`snake_case` for methods,
/// `CamelCase` for the names of their types), each made distinct.
fn function_names(s: &ServiceDef) -> Vec<(String, String)> {
    let snake = s.functions.iter().map(|f| naming::snake(&f.name)).collect();
    let camel = s.functions.iter().map(|f| naming::camel(&f.name)).collect();
    naming::unique(snake, &[], Case::Snake)
        .into_iter()
        .zip(naming::unique(camel, &[], Case::Camel))
        .collect()
}

/// `#[allow(clippy::wrong_self_convention)]` for a method named `name` that clippy expects
/// to take no `self` (`new`, `from_*`) or to take `self` by value (`into_*`, `to_*_mut`):
/// the IDL names the function, and every call takes `&self`.
fn allow_self_convention(name: &str) -> TokenStream {
    let name = name.trim_start_matches("r#");
    if name == "new"
        || name.starts_with("from_")
        || name.starts_with("into_")
        || (name.starts_with("to_") && name.ends_with("_mut"))
    {
        quote!(#[allow(clippy::wrong_self_convention)])
    } else {
        TokenStream::new()
    }
}

/// `#[allow(clippy::too_many_arguments)]` for a method taking `args`: the IDL decides them,
/// and one method argument per IDL argument is what a caller expects.
fn allow_many(args: &[crate::model::FieldDef]) -> TokenStream {
    if args.len() + 1 > CLIPPY_MAX_ARGUMENTS {
        quote!(#[allow(clippy::too_many_arguments)])
    } else {
        TokenStream::new()
    }
}

impl Context<'_> {
    /// The functions of `service` and of the services it extends, parents first.
    fn methods(&self, service: DefRef) -> Vec<Method<'_>> {
        let mut chain = Vec::new();
        let mut current = Some(service);
        while let Some(r) = current {
            if chain.contains(&r) {
                break;
            }
            chain.push(r);
            current = match self.program.def(r) {
                Def::Service(s) => s.extends,
                _ => None,
            };
        }
        let mut out: Vec<Method<'_>> = Vec::new();
        for r in chain.into_iter().rev() {
            if let Def::Service(s) = self.program.def(r) {
                for (f, (name, camel)) in s.functions.iter().zip(function_names(s)) {
                    // A child's function of the same name replaces the parent's.
                    out.retain(|m| m.function.name != f.name);
                    out.push(Method {
                        service: r,
                        function: f,
                        name,
                        camel,
                    });
                }
            }
        }
        out
    }

    /// The path of the module holding a service's argument and result types.
    fn messages_module(&self, service: DefRef) -> TokenStream {
        let name = messages_module_name(self.def_name(service));
        if let Some((module, _)) = self.extern_module(service) {
            return quote!(#module #name);
        }
        let up = self.up(service.file != self.file);
        if service.file == self.file {
            quote!(#(#up::)* #name)
        } else {
            let module = ident(&module_name(self.program, service.file));
            quote!(#(#up::)* #module::#name)
        }
    }

    fn error_path(&self, m: &Method<'_>) -> TokenStream {
        let name = ident(&self.errors[m.service.file].get(m.service.index, &m.function.name));
        if let Some((module, _)) = self.extern_module(m.service) {
            return quote!(#module #name);
        }
        let up = self.up(m.service.file != self.file);
        if m.service.file == self.file {
            quote!(#(#up::)* #name)
        } else {
            let module = ident(&module_name(self.program, m.service.file));
            quote!(#(#up::)* #module::#name)
        }
    }

    fn args_struct(f: &FunctionDef) -> StructDef {
        StructDef {
            kind: StructKind::Struct,
            name: format!("{}_args", f.name),
            fields: f.args.clone(),
            doc: Some(format!("The arguments of `{}`.", f.name)),
            annotations: Default::default(),
        }
    }

    pub(crate) fn service(
        &self,
        r: DefRef,
        s: &ServiceDef,
        errors: &ErrorNames,
    ) -> Result<TokenStream, EmitError> {
        let mut items = Vec::new();
        for f in &s.functions {
            items.push(self.error_type(r, f, errors)?);
        }
        items.push(self.messages(r, s)?);
        if self.options.server {
            items.push(self.handler_trait(r, s)?);
            items.push(self.server(r, s)?);
        }
        if self.options.client {
            items.push(self.client(r, s)?);
        }
        Ok(quote!(#(#items)*))
    }

    fn error_type(
        &self,
        r: DefRef,
        f: &FunctionDef,
        errors: &ErrorNames,
    ) -> Result<TokenStream, EmitError> {
        let name = ident(&errors.get(r.index, &f.name));
        let wire = &f.name;
        let doc = format!(
            " The ways `{wire}` can fail: its declared exceptions, or [`Other`]({}::Other).",
            errors.get(r.index, &f.name)
        );
        let mut variants = Vec::new();
        let mut displays = Vec::new();
        let mut sources = Vec::new();
        let mut froms = Vec::new();
        let mut seen_types: HashMap<Ty, usize> = HashMap::new();
        for t in &f.throws {
            *seen_types.entry(t.ty.clone()).or_default() += 1;
        }
        for (t, variant) in f
            .throws
            .iter()
            .zip(variant_names(&f.throws, RESERVED_VARIANTS))
        {
            let variant = ident(&variant);
            let ty = self.rust_type(&t.ty, false)?;
            let vdoc = match &t.doc {
                Some(_) => doc_attrs(&t.doc),
                None => {
                    let d = format!(" The declared exception `{}`.", t.name);
                    quote!(#[doc = #d])
                }
            };
            variants.push(quote! {
                #vdoc
                #variant(#ty),
            });
            displays.push(quote!(Self::#variant(e) => ::std::fmt::Display::fmt(e, f),));
            sources.push(quote!(Self::#variant(e) => ::std::option::Option::Some(e),));
            if seen_types[&t.ty] == 1 {
                froms.push(quote! {
                    impl ::std::convert::From<#ty> for #name {
                        fn from(e: #ty) -> Self {
                            Self::#variant(e)
                        }
                    }
                });
            }
        }
        Ok(quote! {
            #[doc = #doc]
            #[derive(Debug)]
            #[allow(clippy::large_enum_variant)]
            pub enum #name {
                #(#variants)*
                /// A failure the IDL does not declare: a `TApplicationException` from the
                /// peer, or a transport, protocol or layer error. A handler that returns
                /// it sends the client a `TApplicationException`.
                ///
                /// In a handler, `?` turns a `std::io::Error`, a
                /// `Box<dyn Error + Send + Sync>` or (with thrift-tower's `anyhow`
                /// feature) an `anyhow::Error` into this variant; any other error
                /// converts with `.map_err(thrift_tower::Error::internal)`. The client
                /// gets an `INTERNAL_ERROR` exception.
                Other(::thrift_tower::Error),
            }

            impl #name {
                /// The failure the IDL does not declare, when this is one: a
                /// `thrift_tower::Error` to ask what happened (`is_timeout`, `is_unsent`,
                /// `application_exception`...).
                pub fn other(&self) -> ::std::option::Option<&::thrift_tower::Error> {
                    match self {
                        Self::Other(e) => ::std::option::Option::Some(e),
                        #[allow(unreachable_patterns)]
                        _ => ::std::option::Option::None,
                    }
                }
            }

            impl ::std::fmt::Display for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    match self {
                        #(#displays)*
                        Self::Other(e) => ::std::fmt::Display::fmt(e, f),
                    }
                }
            }

            impl ::std::error::Error for #name {
                fn source(&self) -> ::std::option::Option<&(dyn ::std::error::Error + 'static)> {
                    match self {
                        #(#sources)*
                        Self::Other(e) => ::std::option::Option::Some(e),
                    }
                }
            }

            #(#froms)*

            impl ::std::convert::From<::thrift_tower::Error> for #name {
                fn from(e: ::thrift_tower::Error) -> Self {
                    Self::Other(e)
                }
            }

            impl ::std::convert::From<::thrift_tower::ApplicationException> for #name {
                fn from(e: ::thrift_tower::ApplicationException) -> Self {
                    Self::Other(::thrift_tower::Error::from(e))
                }
            }

            impl ::std::convert::From<::std::io::Error> for #name {
                fn from(e: ::std::io::Error) -> Self {
                    Self::Other(::thrift_tower::Error::internal(e))
                }
            }

            impl ::std::convert::From<::thrift_tower::BoxError> for #name {
                fn from(e: ::thrift_tower::BoxError) -> Self {
                    Self::Other(::thrift_tower::Error::internal(e))
                }
            }

            impl ::std::convert::From<::thrift_tower::codegen::AnyhowError> for #name {
                fn from(e: ::thrift_tower::codegen::AnyhowError) -> Self {
                    Self::Other(::thrift_tower::Error::internal(e))
                }
            }
        })
    }

    /// The module of argument structs and result enums of a service's own functions.
    fn messages(&self, r: DefRef, s: &ServiceDef) -> Result<TokenStream, EmitError> {
        let module = messages_module_name(self.def_name(r));
        let doc = format!(
            " The messages of service `{}`: what each call and reply carries.",
            s.name
        );
        let mut items = Vec::new();
        self.depth.set(self.depth.get() + 1);
        let result = (|| {
            for (f, (_, camel)) in s.functions.iter().zip(function_names(s)) {
                let args = Self::args_struct(f);
                let name = args_type(&camel);
                items.push(self.struct_item(None, &args, name.clone())?);
                items.push(method_info(&s.name, f, &name));
                if !f.oneway {
                    items.push(self.result_enum(f, &camel)?);
                }
            }
            Ok::<(), EmitError>(())
        })();
        self.depth.set(self.depth.get() - 1);
        result?;
        let body = quote!(#(#items)*);
        Ok(quote! {
            #[doc = #doc]
            pub mod #module {
                #body
            }
        })
    }

    /// `enum FooResult { Success(T), Err1(E1), ... }` with the wire shape of Apache's
    /// `foo_result` struct: field 0 `success`, then the declared exceptions.
    fn result_enum(&self, f: &FunctionDef, camel: &str) -> Result<TokenStream, EmitError> {
        let name = result_type(camel);
        let wire_name = format!("{}_result", f.name);
        let doc = format!(
            " The reply of `{}`: its result or one of its declared exceptions.",
            f.name
        );
        let mut variants = Vec::new();
        let mut arms = Vec::new();
        let mut writes = Vec::new();
        let (success_variant, missing) = match &f.returns {
            Some(ty) => {
                let rt = self.rust_type(ty, false)?;
                let wt = self.wire_type(ty);
                variants.push(quote! {
                    /// The function returned.
                    Success(#rt),
                });
                arms.push(quote! {
                    (0, #wt) => value = ::std::option::Option::Some(Self::Success(::thrift_tower::protocol::Thrift::read(r)?)),
                });
                writes.push(quote! {
                    Self::Success(v) => {
                        w.write_field_begin("success", #wt, 0)?;
                        ::thrift_tower::protocol::Thrift::write(v, w)?;
                        w.write_field_end()?;
                    }
                });
                let message = format!("the reply of `{}` carries no result", f.name);
                (
                    TokenStream::new(),
                    quote! {
                        value.ok_or_else(|| ::thrift_tower::ProtocolError::invalid(#message))
                    },
                )
            }
            None => {
                variants.push(quote! {
                    /// The function returned.
                    Success,
                });
                writes.push(quote!(Self::Success => {}));
                (
                    quote!(Self::Success),
                    quote!(::std::result::Result::Ok(value.unwrap_or(Self::Success))),
                )
            }
        };
        let _ = success_variant;
        for (t, variant) in f
            .throws
            .iter()
            .zip(variant_names(&f.throws, RESERVED_VARIANTS))
        {
            let variant = ident(&variant);
            let ty = self.rust_type(&t.ty, false)?;
            let id = Literal::i16_unsuffixed(t.id);
            let wt = self.wire_type(&t.ty);
            let field_wire = &t.name;
            let vdoc = format!(" The declared exception `{}`.", t.name);
            variants.push(quote! {
                #[doc = #vdoc]
                #variant(#ty),
            });
            arms.push(quote! {
                (#id, #wt) => value = ::std::option::Option::Some(Self::#variant(::thrift_tower::protocol::Thrift::read(r)?)),
            });
            writes.push(quote! {
                Self::#variant(v) => {
                    w.write_field_begin(#field_wire, #wt, #id)?;
                    ::thrift_tower::protocol::Thrift::write(v, w)?;
                    w.write_field_end()?;
                }
            });
        }
        let read_body = if arms.is_empty() {
            // A void function without exceptions: the reply is an empty struct.
            quote! {
                r.read_struct_begin()?;
                loop {
                    let field = r.read_field_begin()?;
                    if field.wire_type == ::thrift_tower::protocol::WireType::Stop {
                        break;
                    }
                    r.skip(field.wire_type)?;
                    r.read_field_end()?;
                }
                r.read_struct_end()?;
                ::std::result::Result::Ok(Self::Success)
            }
        } else {
            quote! {
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
                #missing
            }
        };
        let ordered = f
            .returns
            .iter()
            .chain(f.throws.iter().map(|t| &t.ty))
            .all(|t| self.ty_ordered(t, false));
        let mut derives = vec![quote!(Debug), quote!(Clone), quote!(PartialEq)];
        if ordered {
            derives.push(quote!(Eq));
        }
        let complex = self.allow_complex(f.returns.iter());
        Ok(quote! {
            #[doc = #doc]
            #[derive(#(#derives),*)]
            #complex
            // A reply lives only while it is encoded or decoded; boxing would cost an
            // allocation per call for nothing.
            #[allow(clippy::large_enum_variant)]
            pub enum #name {
                #(#variants)*
            }

            impl ::thrift_tower::protocol::Thrift for #name {
                const WIRE_TYPE: ::thrift_tower::protocol::WireType = ::thrift_tower::protocol::WireType::Struct;

                fn read<R: ::thrift_tower::protocol::ProtocolReader>(r: &mut R) -> ::std::result::Result<Self, ::thrift_tower::ProtocolError> {
                    #read_body
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

    /// The Rust return type of a function, `Result<T, FooError>`.
    fn return_type(&self, m: &Method<'_>) -> Result<TokenStream, EmitError> {
        let ok = match &m.function.returns {
            Some(t) => self.rust_type(t, false)?,
            None => quote!(()),
        };
        let err = self.error_path(m);
        Ok(quote!(::std::result::Result<#ok, #err>))
    }

    fn arg_list(&self, f: &FunctionDef) -> Result<Vec<TokenStream>, EmitError> {
        f.args
            .iter()
            .zip(field_names(&f.args))
            .map(|(a, name)| {
                let name = ident(&name);
                let ty = self.field_type(None, a)?;
                Ok(quote!(#name: #ty))
            })
            .collect()
    }

    fn handler_trait(&self, r: DefRef, s: &ServiceDef) -> Result<TokenStream, EmitError> {
        let doc = doc_attrs(&s.doc);
        let rust_name = self.def_name(r);
        let name = ident(rust_name);
        let supertrait = match s.extends {
            Some(parent) => self.def_path(parent),
            None => quote!(::std::marker::Send + ::std::marker::Sync + 'static),
        };
        let mut fns = Vec::new();
        for (f, (method, camel)) in s.functions.iter().zip(function_names(s)) {
            let fname = ident(&method);
            let convention = allow_self_convention(&method);
            let m = Method {
                service: r,
                function: f,
                name: method,
                camel,
            };
            let fdoc = doc_or(&f.doc, format!("Handles `{}`.", f.name));
            let args = self.arg_list(f)?;
            let ret = self.return_type(&m)?;
            let oneway_doc = if f.oneway {
                quote!(#[doc = ""] #[doc = " A oneway call: the client gets no reply, whatever this returns."])
            } else {
                TokenStream::new()
            };
            let complex = self.allow_complex(f.args.iter().map(|a| &a.ty).chain(f.returns.iter()));
            let many = allow_many(&f.args);
            fns.push(quote! {
                #fdoc
                #oneway_doc
                #complex
                #many
                #convention
                fn #fname(&self, #(#args),*) -> impl ::std::future::Future<Output = #ret> + ::std::marker::Send;
            });
        }
        let server = joined(rust_name, "Server");
        // What else a call carries (its connection, headers, deadline) is one call away.
        let context = " A method reads the request it serves (its connection, headers and \
                       deadline) with `thrift_tower::server::with_request`.";
        let trait_doc = if s.doc.is_none() {
            let d = format!(
                " The handler of service `{}`: implement it and serve it with [`{server}`].",
                s.name,
            );
            quote!(#[doc = #d] #[doc = ""] #[doc = #context])
        } else {
            let d = format!(" Implement it and serve it with [`{server}`].");
            quote!(#doc #[doc = ""] #[doc = #d] #[doc = ""] #[doc = #context])
        };
        Ok(quote! {
            #trait_doc
            pub trait #name: #supertrait {
                #(#fns)*
            }
        })
    }

    fn server(&self, r: DefRef, s: &ServiceDef) -> Result<TokenStream, EmitError> {
        let trait_name = ident(self.def_name(r));
        let name = ident(&joined(self.def_name(r), "Server"));
        let wire = &s.name;
        let doc = format!(
            " Serves [`{trait_name}`] as a `tower::Service<Request, Response = Response>`: decodes \
             each call, awaits the handler and encodes its reply. An unknown method, arguments \
             that do not decode, an undeclared error and a panic become the \
             `TApplicationException` reply Apache's clients expect."
        );
        let mut arms = Vec::new();
        for m in self.methods(r) {
            let f = m.function;
            let method_wire = &f.name;
            let module = self.messages_module(m.service);
            let args_ty = args_type(&m.camel);
            let fname = ident(&m.name);
            let arg_names: Vec<TokenStream> = field_names(&f.args)
                .iter()
                .map(|n| {
                    let n = ident(n);
                    quote!(args.#n)
                })
                .collect();
            let error = self.error_path(&m);
            // Called through the declaring trait: a child service may redefine a parent's
            // function, and then both traits have a method of that name.
            let declaring = self.def_path(m.service);
            let call = quote!(#declaring::#fname(&*handler, #(#arg_names),*));
            let body = if f.oneway {
                quote! {
                    match #call.await {
                        ::std::result::Result::Ok(()) => ::std::result::Result::Ok(()),
                        ::std::result::Result::Err(#error::Other(e)) => ::std::result::Result::Err(::thrift_tower::codegen::handler_error(#method_wire, &e)),
                    }
                }
            } else {
                let result_ty = result_type(&m.camel);
                let success = if f.returns.is_some() {
                    quote!(::std::result::Result::Ok(v) => ::std::result::Result::Ok(#module::#result_ty::Success(v)),)
                } else {
                    quote!(::std::result::Result::Ok(()) => ::std::result::Result::Ok(#module::#result_ty::Success),)
                };
                let declared = variant_names(&f.throws, RESERVED_VARIANTS).into_iter().map(|v| {
                    let v = ident(&v);
                    quote!(::std::result::Result::Err(#error::#v(e)) => ::std::result::Result::Ok(#module::#result_ty::#v(e)),)
                });
                quote! {
                    match #call.await {
                        #success
                        #(#declared)*
                        ::std::result::Result::Err(#error::Other(e)) => ::std::result::Result::Err(::thrift_tower::codegen::handler_error(#method_wire, &e)),
                    }
                }
            };
            let serve = if f.oneway {
                quote!(serve_oneway)
            } else {
                quote!(serve)
            };
            let args_pat = if f.args.is_empty() {
                quote!(_args)
            } else {
                quote!(args)
            };
            arms.push(quote! {
                #method_wire => ::std::boxed::Box::pin(::thrift_tower::codegen::#serve(
                    request,
                    move |#args_pat: #module::#args_ty| async move { #body },
                )),
            });
        }
        let unknown = quote! {
            let response = ::thrift_tower::codegen::unknown_method(&request, #wire);
            ::std::boxed::Box::pin(::std::future::ready(::std::result::Result::Ok(response)))
        };
        let dispatch = if arms.is_empty() {
            // A service without functions answers every call as an unknown method.
            unknown
        } else {
            quote! {
                let handler = ::std::sync::Arc::clone(&self.handler);
                match request.method() {
                    #(#arms)*
                    _ => { #unknown }
                }
            }
        };
        Ok(quote! {
            #[doc = #doc]
            pub struct #name<H> {
                handler: ::std::sync::Arc<H>,
            }

            impl<H: #trait_name> #name<H> {
                /// A server calling `handler`.
                pub fn new(handler: H) -> Self {
                    Self::from_arc(::std::sync::Arc::new(handler))
                }

                /// A server calling a handler that is shared with other code.
                pub fn from_arc(handler: ::std::sync::Arc<H>) -> Self {
                    Self { handler }
                }
            }

            impl<H> ::std::clone::Clone for #name<H> {
                fn clone(&self) -> Self {
                    Self { handler: ::std::sync::Arc::clone(&self.handler) }
                }
            }

            impl<H> ::std::fmt::Debug for #name<H> {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.debug_struct(::std::stringify!(#name)).finish_non_exhaustive()
                }
            }

            impl<H> ::thrift_tower::NamedService for #name<H> {
                const NAME: &'static str = #wire;
            }

            impl<H: #trait_name> ::thrift_tower::codegen::Service<::thrift_tower::Request> for #name<H> {
                type Response = ::thrift_tower::Response;
                type Error = ::std::convert::Infallible;
                type Future = ::thrift_tower::codegen::BoxFuture<::std::result::Result<::thrift_tower::Response, ::std::convert::Infallible>>;

                fn poll_ready(&mut self, _cx: &mut ::std::task::Context<'_>) -> ::std::task::Poll<::std::result::Result<(), Self::Error>> {
                    ::std::task::Poll::Ready(::std::result::Result::Ok(()))
                }

                fn call(&mut self, request: ::thrift_tower::Request) -> Self::Future {
                    #dispatch
                }
            }
        })
    }

    fn client(&self, r: DefRef, s: &ServiceDef) -> Result<TokenStream, EmitError> {
        let name = ident(&joined(self.def_name(r), "Client"));
        let doc = format!(
            " A client of service `{}` over any `tower::Service<Request, Response = Response>`: \
             a channel, an HTTP transport, a balancer, or a stack of layers around them. Each \
             call clones the service, makes the clone ready and calls it; the call's future \
             owns that clone and borrows nothing, so it can be spawned, and is `Send` \
             whenever the service is.",
            s.name
        );
        let mut fns = Vec::new();
        let methods = self.methods(r);
        // One impl holds the methods of the whole chain of services and the client's own.
        let names = naming::unique(
            methods.iter().map(|m| m.name.clone()).collect(),
            CLIENT_METHODS,
            Case::Snake,
        );
        for (m, fname) in methods.iter().zip(names) {
            let convention = allow_self_convention(&fname);
            let f = m.function;
            let fdoc = doc_or(&f.doc, format!("Calls `{}`.", f.name));
            let fname = ident(&fname);
            let module = self.messages_module(m.service);
            let args_ty = args_type(&m.camel);
            let params = self.arg_list(f)?;
            let fields: Vec<TokenStream> = field_names(&f.args)
                .iter()
                .map(|n| {
                    let n = ident(n);
                    quote!(#n)
                })
                .collect();
            let ret = self.return_type(m)?;
            let error = self.error_path(m);
            let body = if f.oneway {
                quote! {
                    ::thrift_tower::codegen::call_oneway(inner, protocol, #module::#args_ty::METHOD, &args).await?;
                    ::std::result::Result::Ok(())
                }
            } else {
                let result_ty = result_type(&m.camel);
                let success = if f.returns.is_some() {
                    quote!(#module::#result_ty::Success(v) => ::std::result::Result::Ok(v),)
                } else {
                    quote!(#module::#result_ty::Success => ::std::result::Result::Ok(()),)
                };
                let declared = variant_names(&f.throws, RESERVED_VARIANTS).into_iter().map(|v| {
                    let v = ident(&v);
                    quote!(#module::#result_ty::#v(e) => ::std::result::Result::Err(#error::#v(e)),)
                });
                quote! {
                    let result: #module::#result_ty = ::thrift_tower::codegen::call(inner, protocol, #module::#args_ty::METHOD, &args).await?;
                    match result {
                        #success
                        #(#declared)*
                    }
                }
            };
            let complex = self.allow_complex(f.args.iter().map(|a| &a.ty).chain(f.returns.iter()));
            let many = allow_many(&f.args);
            fns.push(quote! {
                #fdoc
                #complex
                #many
                #convention
                pub fn #fname(&self, #(#params),*) -> impl ::std::future::Future<Output = #ret> + use<S> {
                    let inner = ::std::clone::Clone::clone(&self.inner);
                    let protocol = self.protocol;
                    async move {
                        let args = #module::#args_ty { #(#fields),* };
                        #body
                    }
                }
            });
        }
        Ok(quote! {
            #[doc = #doc]
            #[derive(Debug, Clone)]
            pub struct #name<S> {
                inner: S,
                protocol: ::thrift_tower::protocol::Protocol,
            }

            impl<S> #name<S> {
                /// A client sending calls through `inner`, encoded with the binary protocol.
                pub fn new(inner: S) -> Self {
                    Self { inner, protocol: ::thrift_tower::protocol::Protocol::Binary }
                }

                /// Encodes calls with `protocol` (it must be the one the transport speaks).
                pub fn with_protocol(mut self, protocol: ::thrift_tower::protocol::Protocol) -> Self {
                    self.protocol = protocol;
                    self
                }

                /// A reference to the service calls go through.
                pub fn get_ref(&self) -> &S {
                    &self.inner
                }

                /// Takes the client apart, giving back the service calls go through.
                pub fn into_inner(self) -> S {
                    self.inner
                }
            }

            impl<S> #name<S>
            where
                S: ::thrift_tower::codegen::Service<::thrift_tower::Request, Response = ::thrift_tower::Response> + ::std::clone::Clone,
                S::Error: ::std::convert::Into<::thrift_tower::BoxError>,
            {
                #(#fns)*
            }
        })
    }
}

/// `impl FooArgs { pub const METHOD: &MethodInfo = ... }`: what the IDL says of function
/// `f` of service `service`, which the client puts on each of its requests.
fn method_info(service: &str, f: &FunctionDef, args: &proc_macro2::Ident) -> TokenStream {
    let name = &f.name;
    let doc = format!(" What the IDL says of `{service}.{name}`, for layers and transports.");
    let oneway = f.oneway.then(|| quote!(.with_oneway(true)));
    let idempotent = f.idempotent.then(|| quote!(.with_idempotent(true)));
    quote! {
        impl #args {
            #[doc = #doc]
            pub const METHOD: &'static ::thrift_tower::codegen::MethodInfo =
                &::thrift_tower::codegen::MethodInfo::new(#service, #name) #oneway #idempotent;
        }
    }
}

/// `FooArgs`: the argument struct of a function whose `CamelCase` name is `camel`.
fn args_type(camel: &str) -> proc_macro2::Ident {
    ident(&joined(camel, "Args"))
}

/// `FooResult`: the reply enum of a function whose `CamelCase` name is `camel`.
fn result_type(camel: &str) -> proc_macro2::Ident {
    ident(&joined(camel, "Result"))
}

/// `<service>_messages`: the module of a service's argument and result types.
fn messages_module_name(service: &str) -> proc_macro2::Ident {
    let snake = naming::snake(service);
    format_ident!(
        "{}_messages",
        snake.trim_start_matches("r#").trim_end_matches('_')
    )
}
