//! Postings lists and the sorted-set operations selection uses.
//!
//! ```text
//! ┌─────────┬─────────┬───────────────────────┬────────┐   4-byte aligned
//! │ len u32 │ n u32   │ n × series ref u32    │ CRC32C │   len = 4 + 4n
//! └─────────┴─────────┴───────────────────────┴────────┘
//! ```
//!
//! Lists are decoded into sorted `Vec<u32>`s of series refs: memory follows the number of
//! series a query touches, and merges/intersections become tight loops over slices.

use crate::decode::framed;
use crate::error::{Corruption, DecodeError};

/// Decode the postings list whose `len` field is at `offset`, appending its refs to `out`.
/// Checks the length rule, the CRC and that refs strictly increase.
pub(crate) fn read_into(file: &[u8], offset: u64, out: &mut Vec<u32>) -> Result<(), DecodeError> {
    let mut b = framed(file, offset)?;
    let body_start = b.offset();
    let len = b.remaining() as u64;
    let n = b.be32()?;
    if len != 4 + 4 * u64::from(n) {
        return Err(DecodeError::new(
            body_start,
            Corruption::Invalid("postings length does not match its count"),
        ));
    }
    let refs = b.rest();
    out.reserve(n as usize);
    let mut prev: Option<u32> = None;
    for (i, chunk) in refs.chunks_exact(4).enumerate() {
        let r = u32::from_be_bytes(chunk.try_into().unwrap_or_default());
        if prev.is_some_and(|p| p >= r) {
            return Err(DecodeError::new(
                body_start + 4 + 4 * i as u64,
                Corruption::Invalid("postings not strictly increasing"),
            ));
        }
        prev = Some(r);
        out.push(r);
    }
    Ok(())
}

/// Sorted union of sorted lists.
pub(crate) fn union(mut lists: Vec<Vec<u32>>) -> Vec<u32> {
    match lists.len() {
        0 => Vec::new(),
        1 => lists.pop().unwrap_or_default(),
        _ => {
            let mut all: Vec<u32> = lists.concat();
            all.sort_unstable();
            all.dedup();
            all
        }
    }
}

/// Elements of sorted `a` that are also in sorted `b`.
pub(crate) fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut out = Vec::with_capacity(small.len());
    let mut rest = large;
    for &x in small {
        // Gallop: lists of very different sizes are common (one job ∩ all of a metric).
        match rest.binary_search(&x) {
            Ok(i) => {
                out.push(x);
                rest = rest.get(i + 1..).unwrap_or_default();
            }
            Err(i) => rest = rest.get(i..).unwrap_or_default(),
        }
        if rest.is_empty() {
            break;
        }
    }
    out
}

/// Elements of sorted `a` that are not in sorted `b`.
pub(crate) fn without(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len());
    let mut j = 0;
    for &x in a {
        while b.get(j).is_some_and(|&y| y < x) {
            j += 1;
        }
        if b.get(j) != Some(&x) {
            out.push(x);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn encode(refs: &[u32]) -> Vec<u8> {
        let mut body = (refs.len() as u32).to_be_bytes().to_vec();
        for r in refs {
            body.extend_from_slice(&r.to_be_bytes());
        }
        let mut out = (body.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(&body);
        out.extend_from_slice(&crate::decode::crc32c(&body).to_be_bytes());
        out
    }

    #[test]
    fn rejects_unsorted_bad_length_and_crc() {
        let mut v = vec![];
        read_into(&encode(&[1, 5, 9]), 0, &mut v).unwrap();
        assert_eq!(v, [1, 5, 9]);
        assert!(read_into(&encode(&[5, 5]), 0, &mut v).is_err());
        let mut bad = encode(&[1, 2]);
        bad[3] += 4; // len no longer 4 + 4n
        assert!(read_into(&bad, 0, &mut v).is_err());
        let mut flipped = encode(&[1, 2]);
        flipped[9] ^= 1;
        let err = read_into(&flipped, 0, &mut v).unwrap_err();
        assert!(matches!(err.kind, Corruption::Checksum { .. }));
    }

    fn sorted_set() -> impl Strategy<Value = Vec<u32>> {
        proptest::collection::btree_set(0u32..500, 0..80).prop_map(|s| s.into_iter().collect())
    }

    proptest! {
        #[test]
        fn set_ops_match_btreeset(a in sorted_set(), b in sorted_set(), c in sorted_set()) {
            let (sa, sb): (BTreeSet<u32>, BTreeSet<u32>) = (a.iter().copied().collect(), b.iter().copied().collect());
            prop_assert_eq!(intersect(&a, &b), sa.intersection(&sb).copied().collect::<Vec<_>>());
            prop_assert_eq!(without(&a, &b), sa.difference(&sb).copied().collect::<Vec<_>>());
            let mut all: BTreeSet<u32> = sa.union(&sb).copied().collect();
            all.extend(c.iter().copied());
            prop_assert_eq!(union(vec![a.clone(), b.clone(), c.clone()]), all.into_iter().collect::<Vec<_>>());
            let mut out = vec![];
            read_into(&encode(&a), 0, &mut out).unwrap();
            prop_assert_eq!(out, a);
        }
    }
}
