//! Regenerates the token vocabularies built into tooleval (`src/tokens/*.bin`) from tiktoken-rs,
//! OpenAI's tokenizers in Rust: `cargo run --example vocabulary`. A test checks they are current.

fn main() -> std::io::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tokens");
    for (name, bpe) in [
        ("o200k_base", tiktoken_rs::o200k_base_singleton()),
        ("cl100k_base", tiktoken_rs::cl100k_base_singleton()),
    ] {
        let table = tooleval::tokens::table(vocabulary(bpe));
        let path = dir.join(format!("{name}.bin"));
        std::fs::write(&path, &table)?;
        println!("{}: {} bytes", path.display(), table.len());
    }
    Ok(())
}

/// Every ordinary token of an encoding with its rank (special tokens left out: they are read as
/// ordinary text when counting).
pub fn vocabulary(bpe: &tiktoken_rs::CoreBPE) -> Vec<(Vec<u8>, u32)> {
    let special: Vec<Vec<u8>> = bpe
        .special_tokens()
        .into_iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    (0..300_000)
        .filter_map(|rank| Some((bpe.decode_bytes(&[rank]).ok()?, rank)))
        .filter(|(bytes, _)| !special.contains(bytes))
        .collect()
}
