//! Arbitrary bytes as a tombstones file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tsblock::tombstones::Tombstones;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = Tombstones::parse(data) {
        let _ = t.interval_count();
    }
});
