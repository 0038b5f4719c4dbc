//! Arbitrary text as a selector; parsed matchers are run against the input itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tsblock::query::{parse_metric_selector, parse_selector};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = parse_selector(text);
    if let Ok(ms) = parse_metric_selector(text) {
        for m in &ms {
            let _ = m.matches(data);
            let _ = m.matches(b"");
            // Display must re-parse to the same matcher.
            let again = parse_metric_selector(&format!("{{{m}}}")).expect("Display re-parses");
            assert_eq!(again.first().map(|a| (a.name(), a.op(), a.value())), Some((m.name(), m.op(), m.value())));
        }
    }
});
