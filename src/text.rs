//! Words of a text as the offline ranking and description similarity compare them: lower-cased,
//! stop words dropped, plurals folded.

const STOPWORDS: &[&str] = &[
    "a", "an", "and", "any", "are", "as", "at", "be", "by", "can", "could", "do", "does", "for",
    "from", "get", "give", "had", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its",
    "just", "me", "my", "no", "not", "of", "on", "or", "our", "please", "show", "so", "some",
    "than", "that", "the", "their", "them", "then", "there", "these", "this", "to", "up", "us",
    "use", "was", "we", "were", "what", "when", "which", "who", "will", "with", "would", "you",
    "your",
];

/// Lower-cased, stop words dropped, plurals folded.
pub(crate) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

/// Words in a row a text may share with another before it counts as a copy: `improve` holds a
/// proposal to it against the tune prompts, `generate` a prompt against the tool's texts.
pub(crate) const OVERLAP_WORDS: usize = 5;

/// Lower-cased words, every other character a separator (stop words kept: a copied run is
/// copied word for word).
pub(crate) fn plain_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Runs of `len` words, joined by spaces.
fn runs_of(words: &[String], len: usize) -> impl Iterator<Item = String> + '_ {
    words.windows(len).map(|w| w.join(" "))
}

/// Whether the words of `text` hold `run` (words joined by spaces) in a row.
fn contains_run(text: &[String], run: &str) -> bool {
    let len = run.split(' ').count();
    runs_of(text, len).any(|r| r == run)
}

/// The runs of `OVERLAP_WORDS` words of some source texts (the whole text, for a source of 3
/// or 4 words), indexed to tell whether another text copies one. A run that `own` texts already
/// hold is not counted (it is their wording, not the source's), nor a run of stop words alone.
pub(crate) struct Copies<'a> {
    runs: std::collections::HashMap<String, &'a str>,
    lengths: Vec<usize>,
}

impl<'a> Copies<'a> {
    pub(crate) fn new(sources: impl IntoIterator<Item = &'a str>, own: &[Vec<String>]) -> Self {
        let own_runs: std::collections::HashSet<String> =
            own.iter().flat_map(|t| runs_of(t, OVERLAP_WORDS)).collect();
        let mut runs = std::collections::HashMap::new();
        let mut lengths: Vec<usize> = vec![OVERLAP_WORDS];
        for source in sources {
            let words = plain_words(source);
            let len = words.len().min(OVERLAP_WORDS);
            if len < 3 {
                continue;
            }
            if !lengths.contains(&len) {
                lengths.push(len);
            }
            for r in runs_of(&words, len) {
                let own_wording = len == OVERLAP_WORDS && own_runs.contains(&r)
                    || len < OVERLAP_WORDS && own.iter().any(|t| contains_run(t, &r));
                if !own_wording && !self::words(&r).is_empty() {
                    runs.entry(r).or_insert(source);
                }
            }
        }
        Copies { runs, lengths }
    }

    /// The first run of `text` that a source holds, with that source.
    pub(crate) fn find(&self, text: &str) -> Option<(String, &'a str)> {
        let words = plain_words(text);
        self.lengths.iter().find_map(|&len| {
            runs_of(&words, len).find_map(|r| self.runs.get(&r).map(|s| (r.clone(), *s)))
        })
    }
}

/// The text of a reply without the Markdown code fence a model may wrap it in.
pub(crate) fn unfence(reply: &str) -> &str {
    let t = reply.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let body = rest.split_once('\n').map_or("", |(_, b)| b);
    body.trim_end()
        .strip_suffix("```")
        .unwrap_or(body)
        .trim_matches('\n')
}

fn stem(w: &str) -> String {
    if w.len() > 4 && w.ends_with("ies") {
        return format!("{}y", &w[..w.len() - 3]);
    }
    if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") {
        return w[..w.len() - 1].to_owned();
    }
    w.to_owned()
}

/// Dollars as a person reads them: `$0.0123`, `$1.24`, `$123`.
pub(crate) fn dollars(x: f64) -> String {
    if x == 0.0 {
        "$0".to_owned()
    } else if x < 0.01 {
        // Two significant digits at least, down to a millionth of a dollar.
        let places = ((-x.log10()).ceil() as usize + 1).clamp(4, 7);
        format!("${x:.places$}")
    } else if x < 100.0 {
        format!("${x:.2}")
    } else {
        format!("${x:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_keep_two_significant_digits_when_small() {
        assert_eq!(dollars(0.0), "$0");
        assert_eq!(dollars(0.0048), "$0.0048");
        assert_eq!(dollars(0.00003), "$0.000030");
        assert_eq!(dollars(0.057), "$0.06");
        assert_eq!(dollars(1234.5), "$1234");
    }

    #[test]
    fn words_drop_stopwords_and_fold_plurals() {
        assert_eq!(words("Show me the Alerts, please!"), ["alert"]);
        assert_eq!(words("queries of services"), ["query", "service"]);
    }
}
