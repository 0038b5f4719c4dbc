//! STUB
#![allow(missing_docs, dead_code)]
use crate::error::DecodeError;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding { Xor = 1 }
impl TryFrom<u8> for Encoding { type Error = u8; fn try_from(b: u8) -> Result<Self, u8> { if b == 1 { Ok(Encoding::Xor) } else { Err(b) } } }
pub struct XorIter<'a> { d: &'a [u8] }
impl<'a> XorIter<'a> {
    pub fn new(d: &'a [u8], _o: u64) -> Result<Self, DecodeError> { Ok(XorIter { d }) }
    pub fn next_sample(&mut self) -> Result<Option<(i64, f64)>, DecodeError> { let _ = self.d; Ok(None) }
}
