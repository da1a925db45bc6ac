//! [`MethodInfo`]: what the IDL says of a method, for layers and transports that must know
//! more than its name.

/// What the IDL says of a method: the service it belongs to, its name, whether it is
/// `oneway`, and whether it is marked idempotent (`(idempotent = "true")`, an annotation
/// Apache's compiler accepts too).
///
/// Generated clients put one, a constant of the generated code, on each request they make
/// ([`Request::method_info`](super::Request::method_info)), so a retry policy can ask whether
/// a call may be sent twice without matching method names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MethodInfo {
    /// The service's name in the IDL (the one that declares the method, for an inherited
    /// method).
    pub service: &'static str,
    /// The method's name in the IDL, as on the wire.
    pub name: &'static str,
    /// Declared `oneway`: the caller gets no reply.
    pub oneway: bool,
    /// Marked idempotent in the IDL: calling it twice has the effect of calling it once, so
    /// a call that may or may not have reached the server can be sent again.
    pub idempotent: bool,
}

impl MethodInfo {
    /// A method that is neither oneway nor idempotent.
    pub const fn new(service: &'static str, name: &'static str) -> Self {
        MethodInfo {
            service,
            name,
            oneway: false,
            idempotent: false,
        }
    }

    /// Says whether the method is oneway.
    pub const fn with_oneway(mut self, oneway: bool) -> Self {
        self.oneway = oneway;
        self
    }

    /// Says whether the method is idempotent.
    pub const fn with_idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }
}
