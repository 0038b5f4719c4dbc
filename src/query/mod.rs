//! Series selection (stub).

/// A selector could not be parsed (stub).
#[derive(Debug, thiserror::Error)]
#[error("invalid selector")]
pub struct SelectorError;
