//! STUB
#![allow(missing_docs, dead_code)]
use super::Matcher;
#[derive(Debug, thiserror::Error)]
#[error("invalid selector")]
pub struct SelectorError;
pub fn parse_selector(_s: &str) -> Result<Vec<Matcher>, SelectorError> { Err(SelectorError) }
