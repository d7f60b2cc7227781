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

fn stem(w: &str) -> String {
    if w.len() > 4 && w.ends_with("ies") {
        return format!("{}y", &w[..w.len() - 3]);
    }
    if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") {
        return w[..w.len() - 1].to_owned();
    }
    w.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_drop_stopwords_and_fold_plurals() {
        assert_eq!(words("Show me the Alerts, please!"), ["alert"]);
        assert_eq!(words("queries of services"), ["query", "service"]);
    }
}
