//! STUB
#![allow(missing_docs, dead_code)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp { Equal, NotEqual, Regex, NotRegex }
#[derive(Debug, Clone)]
pub struct Matcher { name: String, op: MatchOp, value: String }
impl Matcher {
    pub fn name(&self) -> &str { &self.name }
    pub fn op(&self) -> MatchOp { self.op }
    pub fn value(&self) -> &str { &self.value }
    pub fn matches(&self, v: &[u8]) -> bool { v == self.value.as_bytes() }
    pub fn matches_empty(&self) -> bool { self.value.is_empty() }
    pub fn inverse(&self) -> Matcher { self.clone() }
    pub fn set_matches(&self) -> Option<&[String]> { None }
    pub fn prefix(&self) -> Option<&str> { None }
    pub fn is_match_all(&self) -> bool { false }
    pub fn is_match_nonempty(&self) -> bool { false }
}
