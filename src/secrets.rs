//! Secrets: values read from the environment through `${VAR}` (and API keys), registered once
//! so that every byte tooleval writes shows `${VAR}` in their place.

/// Values read from the environment through `${VAR}`, with their names: never shown.
static SECRETS: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

/// Registers a value that came from `${name}`, so that every message and report shows
/// `${name}` in its place.
pub fn register_secret(name: &str, value: &str) {
    // Very short values would blank out ordinary words; they are not credentials anyway.
    if value.len() < 6 {
        return;
    }
    let mut s = SECRETS.lock().unwrap_or_else(|p| p.into_inner());
    if !s.iter().any(|(_, v)| v == value) {
        s.push((name.to_owned(), value.to_owned()));
        // Longest first, so a value containing another is replaced whole.
        s.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    }
}

/// Whether any value needs redacting.
pub fn has_secrets() -> bool {
    !SECRETS.lock().unwrap_or_else(|p| p.into_inner()).is_empty()
}

/// `text` with every registered value replaced by its `${VAR}`.
pub fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    let s = SECRETS.lock().unwrap_or_else(|p| p.into_inner());
    if !s.iter().any(|(_, v)| text.contains(v.as_str())) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = text.to_owned();
    for (name, value) in s.iter() {
        out = out.replace(value.as_str(), &format!("${{{name}}}"));
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_registered_values() {
        register_secret("TOOLEVAL_UNIT_SECRET", "sk-unit-test-value-123");
        register_secret("SHORT", "abc");
        assert_eq!(
            redact("key=sk-unit-test-value-123&x=abc"),
            "key=${TOOLEVAL_UNIT_SECRET}&x=abc"
        );
        assert!(matches!(
            redact("nothing here"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
