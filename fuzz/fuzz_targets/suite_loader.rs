//! Feeds arbitrary bytes, read as UTF-8 (lossily), to the suite loader. The loader must return,
//! never panic, and any error must render as `error: ...`. See docs/fuzzing.md.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data).into_owned();
    if let Err(e) = tooleval::config::suite_from_str(Path::new("fuzz.yaml"), source) {
        let text = e.render();
        assert!(text.starts_with("error:"), "{text}");
    }
});
