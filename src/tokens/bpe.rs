//! Byte-pair encoding over a vocabulary compiled into the binary: nothing is built at start-up
//! (a rank is a binary search in a sorted table), so a cold `tooleval tools` counts tokens in
//! milliseconds and a few megabytes, with the same counts as OpenAI's tiktoken.
//!
//! The table (`*.bin` beside this file) is generated from tiktoken-rs's vocabularies by
//! `cargo run --example vocabulary`; a test checks it is current.

use std::cmp::Ordering;
use std::sync::LazyLock;

/// A vocabulary: byte strings and their ranks, sorted by bytes.
///
/// Layout, all integers u32 little-endian: `n`, `n + 1` offsets into the bytes area, `n` ranks,
/// then the bytes of every entry back to back.
pub(crate) struct Vocabulary {
    table: &'static [u8],
    len: usize,
}

impl Vocabulary {
    /// Reads a table; an empty or short one holds no entries (every piece then counts per byte).
    pub(crate) const fn new(table: &'static [u8]) -> Vocabulary {
        let len = if table.len() >= 4 {
            u32::from_le_bytes([table[0], table[1], table[2], table[3]]) as usize
        } else {
            0
        };
        Vocabulary { table, len }
    }

    fn word(&self, i: usize) -> usize {
        self.table
            .get(4 * i..4 * i + 4)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn key(&self, i: usize) -> &'static [u8] {
        let base = 4 * (1 + (self.len + 1) + self.len);
        let (start, end) = (self.word(1 + i), self.word(2 + i));
        self.table.get(base + start..base + end).unwrap_or_default()
    }

    /// The rank of a byte string, if it is a token.
    pub(crate) fn rank(&self, bytes: &[u8]) -> Option<u32> {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.key(mid).cmp(bytes) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Some(self.word(1 + self.len + 1 + mid) as u32),
            }
        }
        None
    }

    /// The number of entries.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// Builds a table from `(bytes, rank)` entries (for the generator and the staleness test).
pub fn table(mut entries: Vec<(Vec<u8>, u32)>) -> Vec<u8> {
    entries.sort();
    let mut out = Vec::new();
    out.extend((entries.len() as u32).to_le_bytes());
    let mut offset = 0u32;
    for (bytes, _) in &entries {
        out.extend(offset.to_le_bytes());
        offset += bytes.len() as u32;
    }
    out.extend(offset.to_le_bytes());
    for (_, rank) in &entries {
        out.extend(rank.to_le_bytes());
    }
    for (bytes, _) in &entries {
        out.extend(bytes);
    }
    out
}

/// An encoding: a vocabulary and the pattern that splits text into pieces before merging.
pub(crate) struct Bpe {
    vocabulary: Vocabulary,
    pattern: LazyLock<Option<fancy_regex::Regex>>,
}

impl Bpe {
    pub(crate) const fn new(
        vocabulary: Vocabulary,
        pattern: fn() -> Option<fancy_regex::Regex>,
    ) -> Bpe {
        Bpe {
            vocabulary,
            pattern: LazyLock::new(pattern),
        }
    }

    /// The number of tokens of `text`, as tiktoken's `encode_ordinary` would give them.
    pub(crate) fn count(&self, text: &str) -> usize {
        let Some(re) = self.pattern.as_ref() else {
            return text.len();
        };
        let mut n = 0;
        let mut at = 0;
        for piece in re.find_iter(text) {
            match piece {
                Ok(m) => {
                    n += self.piece_tokens(m.as_str().as_bytes());
                    at = m.end();
                }
                // The matcher gave up (backtracking limit): count the rest per byte rather
                // than not at all; tiktoken's patterns do not reach the limit on real text.
                Err(_) => return n + text.len() - at,
            }
        }
        n
    }

    /// Tokens of one piece: tiktoken's byte-pair merge, lowest rank first.
    fn piece_tokens(&self, piece: &[u8]) -> usize {
        if piece.len() <= 1 || self.vocabulary.rank(piece).is_some() {
            return piece.len().min(1);
        }
        let rank = |a: usize, b: usize| self.vocabulary.rank(&piece[a..b]).unwrap_or(u32::MAX);
        // (start, rank of the pair starting here); the two sentinels end the piece.
        let mut parts: Vec<(usize, u32)> =
            (0..piece.len() - 1).map(|i| (i, rank(i, i + 2))).collect();
        parts.push((piece.len() - 1, u32::MAX));
        parts.push((piece.len(), u32::MAX));
        let pair_after_merge = |parts: &[(usize, u32)], i: usize| {
            if i + 3 < parts.len() {
                rank(parts[i].0, parts[i + 3].0)
            } else {
                u32::MAX
            }
        };
        loop {
            let (mut min, mut at) = (u32::MAX, 0);
            for (i, &(_, r)) in parts[..parts.len() - 1].iter().enumerate() {
                if r < min {
                    (min, at) = (r, i);
                }
            }
            if min == u32::MAX {
                break;
            }
            if at > 0 {
                parts[at - 1].1 = pair_after_merge(&parts, at - 1);
            }
            parts[at].1 = pair_after_merge(&parts, at);
            parts.remove(at + 1);
        }
        parts.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_table_merges_lowest_rank_first() {
        let entries = [
            ("a", 0),
            ("b", 1),
            ("c", 2),
            ("ab", 3),
            ("bc", 4),
            ("abc", 5),
        ];
        let t: &'static [u8] = Box::leak(
            table(
                entries
                    .iter()
                    .map(|(s, r)| (s.as_bytes().to_vec(), *r))
                    .collect(),
            )
            .into_boxed_slice(),
        );
        let v = Vocabulary::new(t);
        assert_eq!(v.len(), 6);
        assert_eq!(v.rank(b"bc"), Some(4));
        assert_eq!(v.rank(b"ca"), None);
        let bpe = Bpe::new(Vocabulary::new(t), || fancy_regex::Regex::new(r"\S+").ok());
        assert_eq!(bpe.count("abc"), 1);
        // "abca": ab (3) merges first, then no pair of "ab"+"c"... "abc" (5) merges, + "a".
        assert_eq!(bpe.count("abca"), 2);
        assert_eq!(bpe.count("cab"), 2);
        assert_eq!(bpe.count("a b"), 2);
        assert_eq!(Bpe::new(Vocabulary::new(&[]), || None).count("abc"), 3);
    }
}
