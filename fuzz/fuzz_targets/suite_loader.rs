//! Feeds arbitrary bytes, read as UTF-8 (lossily), to the suite loader and to the located layer
//! that places its errors. Both must return, never panic, and any error must render as
//! `error: ...`. See docs/fuzzing.md.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tooleval::config::{Places, Seg};

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data).into_owned();
    // The loader reads places only for files that parsed; read them for every input here.
    let places = Places::parse(&source);
    let _ = places.value(&[Seg::Key("tasks"), Seg::Index(0), Seg::Key("id")]);
    if let Err(e) = tooleval::config::suite_from_str(Path::new("fuzz.yaml"), source) {
        let text = e.render();
        assert!(text.starts_with("error:"), "{text}");
    }
});
