//! Arbitrary bytes as an XOR chunk payload: decoding must end in samples or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tsblock::chunkenc::XorIter;

fuzz_target!(|data: &[u8]| {
    if let Ok(it) = XorIter::new(data, 0) {
        let claimed = it.num_samples() as usize;
        let n = it.take_while(Result::is_ok).count();
        assert!(n <= claimed);
    }
});
