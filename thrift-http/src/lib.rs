//! Placeholder crate; see the workspace README.
