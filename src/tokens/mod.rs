//! Token counts: what each tool definition costs in every request's context, counted with the
//! model's tokenizer (o200k_base or cl100k_base) from a vocabulary built into the binary.

mod bpe;

use serde::{Deserialize, Serialize};

pub use bpe::table;
pub(crate) use bpe::{Bpe, Vocabulary};

/// The tokenizer. Counts are exact for OpenAI models of that encoding and an estimate for others.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// GPT-4o, GPT-4.1, o-series.
    #[default]
    O200kBase,
    /// GPT-4, GPT-3.5.
    Cl100kBase,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::O200kBase => "o200k_base",
            Encoding::Cl100kBase => "cl100k_base",
        }
    }

    /// The encoding [`Encoding::as_str`] names.
    pub(crate) fn named(name: &str) -> Option<Encoding> {
        [Encoding::O200kBase, Encoding::Cl100kBase]
            .into_iter()
            .find(|e| e.as_str() == name)
    }

    fn bpe(self) -> &'static Bpe {
        match self {
            Encoding::O200kBase => &O200K_BASE,
            Encoding::Cl100kBase => &CL100K_BASE,
        }
    }

    /// The number of tokens of `text` (special tokens are read as ordinary text).
    pub fn count(self, text: &str) -> usize {
        self.bpe().count(text)
    }
}

/// The pre-tokenizing pattern of o200k_base, as OpenAI's tiktoken defines it.
const O200K_PATTERN: &str = concat!(
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    "|",
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    "|",
    r"\p{N}{1,3}",
    "|",
    r" ?[^\s\p{L}\p{N}]+[\r\n/]*",
    "|",
    r"\s*[\r\n]+",
    "|",
    r"\s+(?!\S)",
    "|",
    r"\s+",
);

/// The pre-tokenizing pattern of cl100k_base.
const CL100K_PATTERN: &str = r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s";

static O200K_BASE: Bpe = Bpe::new(Vocabulary::new(include_bytes!("o200k_base.bin")), || {
    fancy_regex::Regex::new(O200K_PATTERN).ok()
});

static CL100K_BASE: Bpe = Bpe::new(Vocabulary::new(include_bytes!("cl100k_base.bin")), || {
    fancy_regex::Regex::new(CL100K_PATTERN).ok()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_known_encodings() {
        // "hello world" is [24912, 2375] in o200k_base and [15339, 1917] in cl100k_base.
        assert_eq!(O200K_BASE_VOCAB.rank(b"hello"), Some(24912));
        assert_eq!(O200K_BASE_VOCAB.rank(b" world"), Some(2375));
        assert_eq!(CL100K_BASE_VOCAB.rank(b"hello"), Some(15339));
        assert_eq!(Encoding::O200kBase.count("hello world"), 2);
        assert_eq!(Encoding::Cl100kBase.count("hello world"), 2);
        assert_eq!(Encoding::O200kBase.count(""), 0);
        assert_eq!(O200K_BASE_VOCAB.len(), 199_998);
        assert_eq!(CL100K_BASE_VOCAB.len(), 100_256);
    }

    const O200K_BASE_VOCAB: Vocabulary = Vocabulary::new(include_bytes!("o200k_base.bin"));
    const CL100K_BASE_VOCAB: Vocabulary = Vocabulary::new(include_bytes!("cl100k_base.bin"));
}
