//! Token counts: the vocabularies built into tooleval are tiktoken's, and counts equal
//! tiktoken-rs's on every tool of the shipped pool and on text that trips tokenizers up.

use tooleval::tokens::{Encoding, table};

use crate::support::repo;

#[path = "../../examples/vocabulary.rs"]
#[allow(dead_code)]
mod vocabulary;

fn encodings() -> [(Encoding, &'static tiktoken_rs::CoreBPE); 2] {
    [
        (Encoding::O200kBase, tiktoken_rs::o200k_base_singleton()),
        (Encoding::Cl100kBase, tiktoken_rs::cl100k_base_singleton()),
    ]
}

#[test]
fn the_built_in_vocabularies_are_current() {
    for (encoding, bpe) in encodings() {
        let committed =
            std::fs::read(repo().join(format!("src/tokens/{}.bin", encoding.as_str()))).unwrap();
        assert!(
            table(vocabulary::vocabulary(bpe)) == committed,
            "src/tokens/{}.bin is stale: run `cargo run --example vocabulary`",
            encoding.as_str()
        );
    }
}

#[test]
fn counts_equal_tiktoken_on_the_pool_and_on_hard_text() {
    let mut set = tooleval::mcp::ToolSet::new(vec![("pool".into(), tooleval::mcp::shipped_pool())]);
    let mut texts: Vec<String> = set.tools.iter().map(|t| t.definition()).collect();
    assert!(texts.len() > 300, "{}", texts.len());
    texts.extend(
        [
            "",
            " ",
            "a  b   c    d",
            "trailing spaces   ",
            "line1\nline2\r\n\n\nline3\n",
            "\n\n  \n\t\t x\t\n",
            "1234567890 3.14159 1e10 0x1F 12,345,678",
            "Emoji 😀👍🏽👨‍👩‍👧‍👦 🇯🇵 test",
            "中文字符测试，日本語のテキスト、한국어 텍스트",
            "Ünïcödé naïve café résumé Straße ΑΒΓ привет мир",
            "e\u{301} vs é Å Å",
            "don't I'LL we've THEY'RE it's",
            "path/to/file.rs // comment https://example.com/a?b=c&d=e",
            "<|endoftext|> <|fim_prefix|>",
            "snake_case camelCase PascalCase SCREAMING_CASE kebab-case",
            "\u{200b}\u{feff}\u{a0}nbsp\u{3000}ideo",
            "ﾊﾝｶｸ ＦＵＬＬＷＩＤＴＨ ①②③ ½ ™",
            "a\u{0}b\u{7f}c",
        ]
        .map(str::to_owned),
    );
    texts.push("x".repeat(3000));
    texts.push(" ".repeat(500) + "end");
    for (encoding, bpe) in encodings() {
        for text in &texts {
            assert_eq!(
                encoding.count(text),
                bpe.encode_ordinary(text).len(),
                "{}: {text:.80?}",
                encoding.as_str()
            );
        }
    }
    // The tool set's counts are the definitions' counts.
    let total = set.count_tokens(Encoding::O200kBase);
    let expected: usize = set
        .tools
        .iter()
        .map(|t| {
            tiktoken_rs::o200k_base_singleton()
                .encode_ordinary(&t.definition())
                .len()
        })
        .sum();
    assert_eq!(total, expected);
}
