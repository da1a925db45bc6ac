//! [`Limits`]: the bounds every decoder enforces before it allocates.

/// Bounds on what a peer may make us read. Every reader enforces them while it decodes:
/// a declared length is checked against these limits and against the bytes that remain
/// before anything is allocated, and nesting is counted.
///
/// The defaults are those of Apache Thrift's `TConfiguration`: 100 MiB per message,
/// 16,384,000 bytes per frame, 64 levels of nesting.
///
/// ```
/// use thrift_tower::protocol::Limits;
///
/// let limits = Limits::default().with_max_frame_size(1 << 20).with_recursion_limit(32);
/// assert_eq!(limits.max_frame_size(), 1 << 20);
/// assert_eq!(Limits::default().recursion_limit(), 64);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    max_message_size: usize,
    max_frame_size: usize,
    recursion_limit: u16,
    string_limit: usize,
    container_limit: usize,
}

impl Limits {
    /// `TConfiguration.DEFAULT_MAX_MESSAGE_SIZE`: 100 MiB.
    pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 100 * 1024 * 1024;
    /// `TConfiguration.DEFAULT_MAX_FRAME_SIZE`: 16,384,000 bytes (not 16 MiB).
    pub const DEFAULT_MAX_FRAME_SIZE: usize = 16_384_000;
    /// `TConfiguration.DEFAULT_RECURSION_DEPTH`: 64.
    pub const DEFAULT_RECURSION_LIMIT: u16 = 64;

    /// Apache's defaults; no separate bound on strings and containers beyond the message.
    pub const fn new() -> Self {
        Limits {
            max_message_size: Self::DEFAULT_MAX_MESSAGE_SIZE,
            max_frame_size: Self::DEFAULT_MAX_FRAME_SIZE,
            recursion_limit: Self::DEFAULT_RECURSION_LIMIT,
            string_limit: usize::MAX,
            container_limit: usize::MAX,
        }
    }

    /// The largest message, in bytes, that a reader accepts.
    pub const fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// Sets the largest message a reader accepts.
    pub const fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// The largest frame, in bytes, that the framed transport accepts.
    pub const fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// Sets the largest frame the framed transport accepts.
    pub const fn with_max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// How deeply structs and containers may nest.
    pub const fn recursion_limit(&self) -> u16 {
        self.recursion_limit
    }

    /// Sets how deeply structs and containers may nest.
    pub const fn with_recursion_limit(mut self, depth: u16) -> Self {
        self.recursion_limit = depth;
        self
    }

    /// The longest string or binary value, in bytes (unbounded by default: the bytes that
    /// remain in the message bound it).
    pub const fn string_limit(&self) -> usize {
        self.string_limit
    }

    /// Sets the longest string or binary value.
    pub const fn with_string_limit(mut self, bytes: usize) -> Self {
        self.string_limit = bytes;
        self
    }

    /// The most elements in one list, set or map (unbounded by default: the bytes that
    /// remain in the message bound it).
    pub const fn container_limit(&self) -> usize {
        self.container_limit
    }

    /// Sets the most elements in one list, set or map.
    pub const fn with_container_limit(mut self, elements: usize) -> Self {
        self.container_limit = elements;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}
