//! Which series of one block match a set of matchers (Prometheus' PostingsForMatchers).
//!
//! A series matches when every matcher accepts its value for the matcher's label, or ""
//! when it lacks the label. Sets that must match are intersected; sets that must not are
//! subtracted; when nothing constrains from above, the start is every series.

use crate::error::Result;
use crate::index::{intersect, union, without, IndexReader};
use crate::query::{MatchOp, Matcher};

/// Sorted series refs of `ix` matching all of `matchers`. No matchers selects nothing.
pub(crate) fn select_postings(ix: &IndexReader, matchers: &[Matcher]) -> Result<Vec<u32>> {
    if matchers.is_empty() {
        return Ok(Vec::new());
    }
    let mut its: Vec<Vec<u32>> = Vec::new();
    let mut not_its: Vec<Vec<u32>> = Vec::new();
    for m in matchers {
        if m.is_match_all() {
            continue; // =~".*" accepts every value and absence alike
        }
        let negative = matches!(m.op(), MatchOp::NotEqual | MatchOp::NotRegex);
        if negative && m.inverse().is_match_all() {
            return Ok(Vec::new()); // !~".*" rejects everything
        }
        let list = if !m.matches_empty() {
            // The label must be set to a value the matcher accepts.
            matching_postings(ix, m)?
        } else if negative {
            // e.g. l!="foo": drop the series whose value the inverse accepts.
            not_its.push(matching_postings(ix, &m.inverse())?);
            continue;
        } else {
            // e.g. l="" or l=~"a|": also matches series without l, so subtract the
            // series with a value it rejects.
            not_its.push(rejected_postings(ix, m)?);
            continue;
        };
        if list.is_empty() {
            return Ok(list);
        }
        its.push(list);
    }
    // Smallest first keeps intersections cheap.
    its.sort_by_key(Vec::len);
    let mut it = its.into_iter();
    let mut out = match it.next() {
        Some(first) => it.fold(first, |acc, l| intersect(&acc, &l)),
        None => ix.all_postings()?,
    };
    for n in &not_its {
        if out.is_empty() {
            break;
        }
        out = without(&out, n);
    }
    Ok(out)
}

/// Series whose value of `m.name()` is set and accepted by `m`.
fn matching_postings(ix: &IndexReader, m: &Matcher) -> Result<Vec<u32>> {
    let name = m.name().as_bytes();
    let mut lists = Vec::new();
    if m.op() == MatchOp::Regex && m.is_match_nonempty() {
        // =~".+": every value of the label.
        for v in ix.label_values(name) {
            lists.push(read(ix, v?.1)?);
        }
    } else if let Some(values) = m.set_matches() {
        // Literal alternations and `=`: direct lookups, no scan of the label's values.
        for v in values {
            if let Some(off) = ix.postings_offset(name, v.as_bytes())? {
                lists.push(read(ix, off)?);
            }
        }
    } else {
        let prefix = m.prefix().unwrap_or("").as_bytes();
        for v in ix.label_values_from(name, prefix) {
            let (value, off) = v?;
            if !value.starts_with(prefix) {
                break;
            }
            if m.matches(value) {
                lists.push(read(ix, off)?);
            }
        }
    }
    Ok(union(lists))
}

/// Series whose value of `m.name()` is set and rejected by `m`.
fn rejected_postings(ix: &IndexReader, m: &Matcher) -> Result<Vec<u32>> {
    let mut lists = Vec::new();
    for v in ix.label_values(m.name().as_bytes()) {
        let (value, off) = v?;
        if !m.matches(value) {
            lists.push(read(ix, off)?);
        }
    }
    Ok(union(lists))
}

fn read(ix: &IndexReader, offset: u64) -> Result<Vec<u32>> {
    let mut v = Vec::new();
    ix.read_postings(offset, &mut v)?;
    Ok(v)
}
