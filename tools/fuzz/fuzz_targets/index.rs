//! Arbitrary bytes as an index file: open it, then read every series entry, symbol and
//! postings list it claims to have. Errors are fine; panics, hangs and huge allocations are not.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tsblock::format::SeriesRef;
use tsblock::index::{IndexReader, SeriesEntry};
use tsblock::storage::Bytes;

fuzz_target!(|data: &[u8]| {
    let Ok(ix) = IndexReader::from_bytes(Bytes::from_vec(data.to_vec()), Path::new("index")) else {
        return;
    };
    let mut entry = SeriesEntry::default();
    if let Ok(all) = ix.all_postings() {
        for r in all {
            if ix.series(SeriesRef(r), &mut entry).is_ok() {
                for &(n, v) in &entry.labels {
                    let _ = ix.symbol(n);
                    let _ = ix.symbol(v);
                }
            }
        }
    }
    let names: Vec<Vec<u8>> = ix.label_names().map(<[u8]>::to_vec).collect();
    for name in &names {
        for v in ix.label_values(name) {
            let Ok((value, off)) = v else { break };
            let _ = ix.postings_offset(name, value);
            let _ = ix.read_postings(off, &mut Vec::new());
        }
    }
    for ord in 0..ix.symbol_count().min(4096) {
        if let Ok(s) = ix.symbol(ord) {
            let _ = ix.find_symbol(&s.to_vec());
        }
    }
});
