//! Secrets: values read from the environment through `${VAR}` (and API keys), registered once
//! so that every byte tooleval writes shows `${VAR}` in their place.

/// Values read from the environment through `${VAR}`, with their names: never shown.
static SECRETS: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

/// Registers a value that came from `${name}`, so that every message and report shows
/// `${name}` in its place.
pub(crate) fn register_secret(name: &str, value: &str) {
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
pub(crate) fn has_secrets() -> bool {
    !SECRETS.lock().unwrap_or_else(|p| p.into_inner()).is_empty()
}

/// `text` with every registered value replaced by its `${VAR}`.
pub(crate) fn redact(text: &str) -> std::borrow::Cow<'_, str> {
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

/// A writer that passes text on with every registered value replaced by its `${VAR}`, a chunk
/// at a time: a report is redacted as it streams to disk, never held whole in memory. The end
/// of each chunk is held back until the next, so a value split across two writes is still
/// found. Call [`Redacting::finish`] at the end.
pub(crate) struct Redacting<W: std::io::Write> {
    inner: W,
    pending: Vec<u8>,
    /// Bytes held back: one less than the longest value.
    hold: usize,
}

impl<W: std::io::Write> Redacting<W> {
    const CHUNK: usize = 64 * 1024;

    pub(crate) fn new(inner: W) -> Self {
        let longest = SECRETS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(_, v)| v.len())
            .max()
            .unwrap_or(0);
        Redacting {
            inner,
            pending: Vec::with_capacity(Self::CHUNK),
            hold: longest.saturating_sub(1),
        }
    }

    /// Writes out what is pending, all of it at the end, else all but what a value split across
    /// the next write could begin with.
    fn drain(&mut self, all: bool) -> std::io::Result<()> {
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            // A character split across writes waits for its other bytes.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(e) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        };
        let text = std::str::from_utf8(&self.pending[..valid])
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let redacted = redact(text);
        let mut cut = if all {
            redacted.len()
        } else {
            redacted.len().saturating_sub(self.hold)
        };
        while !redacted.is_char_boundary(cut) {
            cut -= 1;
        }
        self.inner.write_all(&redacted.as_bytes()[..cut])?;
        let mut rest = redacted.as_bytes()[cut..].to_vec();
        rest.extend_from_slice(&self.pending[valid..]);
        self.pending = rest;
        Ok(())
    }

    /// Writes out everything left and flushes.
    pub(crate) fn finish(mut self) -> std::io::Result<()> {
        self.drain(true)?;
        self.inner.flush()
    }
}

impl<W: std::io::Write> std::io::Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= Self::CHUNK {
            self.drain(false)?;
        }
        Ok(buf.len())
    }

    /// Passes on all but the held-back end (which may begin a value).
    fn flush(&mut self) -> std::io::Result<()> {
        self.drain(false)?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_a_stream_whatever_the_writes_split() {
        register_secret("TOOLEVAL_STREAM_SECRET", "sk-stream-secret-4567");
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!("line {i} é sk-stream-secret-4567;"));
        }
        let expected = text.replace("sk-stream-secret-4567", "${TOOLEVAL_STREAM_SECRET}");
        // Writes of every size from 1 to 13 bytes: values and characters split at every point.
        let mut out = Vec::new();
        let mut w = Redacting::new(&mut out);
        let bytes = text.as_bytes();
        let (mut at, mut size) = (0, 1);
        while at < bytes.len() {
            let end = (at + size).min(bytes.len());
            std::io::Write::write_all(&mut w, &bytes[at..end]).unwrap();
            at = end;
            size = size % 13 + 1;
        }
        w.finish().unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

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
