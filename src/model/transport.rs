//! How a request reaches a model server: a POST through reqwest to the one endpoint, over its
//! pool of keep-alive connections, through a proxy from the environment (`HTTPS_PROXY`,
//! `HTTP_PROXY`, `ALL_PROXY`, minus `NO_PROXY`) when one applies. Failures are sorted here into
//! what a retry may cure and what it cannot.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderMap;

use super::{ErrorKind, ModelError};

/// An idle connection is dropped after this long (servers close theirs after 5 to 120 s).
const IDLE: Duration = Duration::from_secs(60);

/// POSTs to one endpoint with fixed headers.
pub(crate) struct Transport {
    client: reqwest::Client,
    url: reqwest::Url,
    headers: HeaderMap,
}

/// A complete HTTP answer, whatever its status.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<Duration>,
    /// `x-should-retry: true` or `false`: the server's own word on whether a retry may help.
    pub should_retry: Option<bool>,
    pub body: Bytes,
}

impl Transport {
    /// `Err` says why no client could be set up (a message for the user).
    pub(crate) fn new(
        url: reqwest::Url,
        headers: HeaderMap,
        timeout: Duration,
    ) -> Result<Self, String> {
        // reqwest is built without a bundled crypto provider: ring's is installed once, before
        // any client (`main_with` does it too; a second install is a no-op).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10).min(timeout))
            .timeout(timeout)
            .pool_idle_timeout(IDLE)
            .tcp_nodelay(true)
            // Retries are ours (counted, with backoff and `Retry-After`).
            .retry(reqwest::retry::never().max_retries_per_request(0))
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(Transport {
            client,
            url,
            headers,
        })
    }

    /// One POST of `body`: the answer, or a transient (timeout, dropped connection) or fatal (no
    /// server) failure.
    pub(crate) async fn post(&self, body: Bytes) -> Result<Answer, ModelError> {
        let response = self
            .client
            .post(self.url.clone())
            .headers(self.headers.clone())
            .body(body)
            .send()
            .await
            .map_err(|e| self.failed(&e, e.is_connect(), e.is_timeout()))?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let should_retry = should_retry(response.headers());
        let body = response
            .bytes()
            .await
            .map_err(|e| self.failed(&e, false, e.is_timeout()))?;
        Ok(Answer {
            status,
            retry_after,
            should_retry,
            body,
        })
    }

    /// A request that got no complete answer: a timeout or a dropped connection (transient), or
    /// no server at all (fatal).
    fn failed(&self, e: &dyn std::error::Error, connect: bool, timeout: bool) -> ModelError {
        let mut cause = String::new();
        let mut timed_out = timeout;
        let mut src = e.source();
        while let Some(s) = src {
            cause = s.to_string();
            timed_out |= s
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut);
            src = s.source();
        }
        if cause.is_empty() && !timeout {
            cause = e.to_string();
        }
        let (what, kind) = if timed_out {
            ("the request timed out", ErrorKind::Transient)
        } else if connect {
            ("cannot connect to the model server", ErrorKind::Fatal)
        } else {
            ("the request failed", ErrorKind::Transient)
        };
        let url = public_url(self.url.as_str());
        let mut err = ModelError::new(
            kind,
            if cause.is_empty() {
                format!("{what} ({url})")
            } else {
                format!("{what} ({url}): {cause}")
            },
        );
        if kind == ErrorKind::Fatal {
            err.hint = Some(
                "check that the model server runs and that `model.base_url` (or the provider's *_BASE_URL variable) points at it"
                    .into(),
            );
        }
        err
    }
}

/// `x-should-retry`, the header Anthropic's and OpenAI's servers send to say whether a retry may
/// help; their SDKs obey it over the status (anthropic-sdk-python `_base_client.py`
/// `_should_retry`, as of 2026). Only `true` and `false` count.
fn should_retry(headers: &HeaderMap) -> Option<bool> {
    match headers.get("x-should-retry")?.to_str().ok()? {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// The wait a server asks for: `retry-after-ms` (milliseconds, read first, as the SDKs do), else
/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms / 1000.0).min(MAX_RETRY_AFTER));
    }
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs).min(MAX_RETRY_AFTER));
    }
    let when = httpdate_to_system_time(v)?;
    Some(retry_at(when, std::time::SystemTime::now()))
}

/// The wait until `when` as of `now`: none for a moment past, at most an hour (as for seconds).
fn retry_at(when: std::time::SystemTime, now: std::time::SystemTime) -> Duration {
    when.duration_since(now)
        .unwrap_or(Duration::ZERO)
        .min(MAX_RETRY_AFTER)
}

/// The longest wait a `Retry-After` is taken at: a server asking more is asked again sooner.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

fn httpdate_to_system_time(v: &str) -> Option<std::time::SystemTime> {
    humantime::parse_rfc3339_weak(v).ok().or_else(|| {
        // IMF-fixdate, e.g. "Wed, 21 Oct 2026 07:28:00 GMT".
        let parts: Vec<&str> = v.split_whitespace().collect();
        let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
            return None;
        };
        let months = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let m = months.iter().position(|x| x == month)? + 1;
        humantime::parse_rfc3339_weak(&format!("{year}-{m:02}-{:0>2} {time}", day)).ok()
    })
}

/// The URL without credentials or query: safe for reports.
pub(crate) fn public_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string().trim_end_matches('/').to_owned()
        }
        Err(_) => "(unparsable URL)".into(),
    }
}

#[cfg(test)]
mod retry_after_tests {
    use super::*;

    #[test]
    fn public_url_drops_credentials_and_query() {
        assert_eq!(
            public_url("https://user:secret@host:8080/v1?key=abc"),
            "https://host:8080/v1"
        );
        assert_eq!(
            public_url("http://127.0.0.1:11434/v1/"),
            "http://127.0.0.1:11434/v1"
        );
    }

    fn header(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, v.parse().unwrap());
        h
    }

    #[test]
    fn retry_after_ms_comes_first_and_should_retry_is_read() {
        let mut h = header("7");
        h.insert("retry-after-ms", "1500".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(1500)));
        h.insert("retry-after-ms", "soon".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let mut h = HeaderMap::new();
        assert_eq!(should_retry(&h), None);
        h.insert("x-should-retry", "false".parse().unwrap());
        assert_eq!(should_retry(&h), Some(false));
        h.insert("x-should-retry", "true".parse().unwrap());
        assert_eq!(should_retry(&h), Some(true));
        h.insert("x-should-retry", "yes".parse().unwrap());
        assert_eq!(should_retry(&h), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates_and_caps_both() {
        assert_eq!(retry_after(&header("7")), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after(&header(" 1.5 ")),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(retry_after(&header("99999")), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after(&header("-3")), None);
        assert_eq!(retry_after(&header("soon")), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
        // An IMF-fixdate (RFC 9110) and an RFC 3339 time, as of a fixed moment.
        let date = httpdate_to_system_time("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
        let same = httpdate_to_system_time("2026-10-21T07:28:00Z").unwrap();
        assert_eq!(date, same);
        let now = same - Duration::from_secs(90);
        assert_eq!(retry_at(date, now), Duration::from_secs(90));
        assert_eq!(
            retry_at(date, same + Duration::from_secs(5)),
            Duration::ZERO
        );
        assert_eq!(
            retry_at(date, same - Duration::from_secs(86_400)),
            MAX_RETRY_AFTER
        );
        assert_eq!(
            httpdate_to_system_time("Wed, 21 Foo 2026 07:28:00 GMT"),
            None
        );
        assert_eq!(
            httpdate_to_system_time("Wed, 21 Oct 2026 07:28:00 CET"),
            None
        );
        // A date in the past is no wait at all.
        assert_eq!(
            retry_after(&header("Thu, 01 Jan 1970 00:00:00 GMT")),
            Some(Duration::ZERO)
        );
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    /// An HTTP/1.1 server on 127.0.0.1 answering `{"n": <request number>}` to every request;
    /// with `close`, it says `connection: close` and closes after each answer. Counts the
    /// connections it accepted and keeps every request head.
    struct Server {
        url: reqwest::Url,
        connections: Arc<AtomicUsize>,
        heads: Arc<Mutex<Vec<String>>>,
    }

    async fn server(close: bool) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/v1/chat/completions",
            listener.local_addr().unwrap()
        );
        let connections = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let (c, h) = (connections.clone(), heads.clone());
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                c.fetch_add(1, Ordering::SeqCst);
                let heads = h.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    loop {
                        // One request: the head, then as many body bytes as it says.
                        let end = loop {
                            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                                break i + 4;
                            }
                            let mut chunk = [0u8; 4096];
                            match socket.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        };
                        let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                        let length: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .map_or(0, |v| v.trim().parse().unwrap());
                        while buf.len() < end + length {
                            let mut chunk = [0u8; 4096];
                            let n = socket.read(&mut chunk).await.unwrap();
                            assert!(n > 0, "the body was cut short");
                            buf.extend_from_slice(&chunk[..n]);
                        }
                        buf.drain(..end + length);
                        let n = {
                            let mut heads = heads.lock().unwrap();
                            heads.push(head);
                            heads.len()
                        };
                        let body = format!("{{\"n\": {n}}}");
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{}\r\n{body}",
                            body.len(),
                            if close { "connection: close\r\n" } else { "" }
                        );
                        socket.write_all(answer.as_bytes()).await.unwrap();
                        if close {
                            return;
                        }
                    }
                });
            }
        });
        Server {
            url: reqwest::Url::parse(&url).unwrap(),
            connections,
            heads,
        }
    }

    fn transport(url: &reqwest::Url) -> Transport {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer sk-test".parse().unwrap());
        Transport::new(url.clone(), headers, Duration::from_secs(10)).unwrap()
    }

    #[tokio::test]
    async fn connections_are_kept_and_reused() {
        let server = server(false).await;
        let transport = transport(&server.url);
        for i in 1..=3 {
            let answer = transport.post(Bytes::from_static(b"{}")).await.unwrap();
            assert_eq!(answer.status, 200);
            assert_eq!(answer.body, format!("{{\"n\": {i}}}"));
        }
        assert_eq!(server.connections.load(Ordering::SeqCst), 1);
        // As many connections as requests were in flight at once, then no more.
        for _ in 0..2 {
            let bodies = (0..4).map(|_| transport.post(Bytes::from_static(b"{}")));
            for answer in futures::future::join_all(bodies).await {
                assert_eq!(answer.unwrap().status, 200);
            }
        }
        assert_eq!(server.connections.load(Ordering::SeqCst), 4);
        let heads = server.heads.lock().unwrap();
        assert_eq!(heads.len(), 11);
        let port = server.url.port().unwrap();
        for head in heads.iter() {
            assert!(
                head.starts_with("post /v1/chat/completions http/1.1\r\n"),
                "{head}"
            );
            assert!(
                head.contains(&format!("\r\nhost: 127.0.0.1:{port}\r\n")),
                "{head}"
            );
            assert!(
                head.contains("\r\nauthorization: bearer sk-test\r\n"),
                "{head}"
            );
            assert!(head.contains("\r\ncontent-length: 2\r\n"), "{head}");
        }
    }

    #[tokio::test]
    async fn a_connection_the_server_closes_is_not_used_again() {
        let server = server(true).await;
        let transport = transport(&server.url);
        for i in 1..=3 {
            let answer = transport.post(Bytes::from_static(b"{}")).await.unwrap();
            assert_eq!(answer.body, format!("{{\"n\": {i}}}"));
        }
        assert_eq!(server.connections.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn no_server_is_a_fatal_connect_error() {
        // A port that was free a moment ago.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url =
            reqwest::Url::parse(&format!("http://127.0.0.1:{port}/v1/chat/completions")).unwrap();
        let err = transport(&url)
            .post(Bytes::from_static(b"{}"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Fatal, "{}", err.message);
        assert!(
            err.message
                .starts_with("cannot connect to the model server"),
            "{}",
            err.message
        );
        assert!(err.hint.is_some());
    }

    /// The time limit of a request, as an error.
    #[derive(Debug)]
    struct Elapsed;

    impl std::fmt::Display for Elapsed {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("no answer within the time limit")
        }
    }

    impl std::error::Error for Elapsed {}

    /// An error whose cause is `inner`.
    #[derive(Debug)]
    struct Wrapped(std::io::Error);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("client error")
        }
    }

    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn failures_say_what_happened_and_whether_a_retry_may_cure_it() {
        let url = reqwest::Url::parse("http://127.0.0.1:9/v1/chat/completions").unwrap();
        let t = transport(&url);
        // The time limit: transient, and nothing more to say.
        let e = t.failed(&Elapsed, false, true);
        assert_eq!(e.kind, ErrorKind::Transient);
        assert_eq!(
            e.message,
            "the request timed out (http://127.0.0.1:9/v1/chat/completions)"
        );
        assert!(e.hint.is_none());
        // A connection that timed out is a timeout, not a missing server.
        let slow = Wrapped(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "connect timed out",
        ));
        let e = t.failed(&slow, true, false);
        assert_eq!(e.kind, ErrorKind::Transient);
        assert!(
            e.message.starts_with("the request timed out ("),
            "{}",
            e.message
        );
        assert!(e.message.ends_with(": connect timed out"), "{}", e.message);
        // Refused: fatal, with the deepest cause and a hint.
        let refused = Wrapped(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "refused",
        ));
        let e = t.failed(&refused, true, false);
        assert_eq!(e.kind, ErrorKind::Fatal);
        assert!(e.message.ends_with("): refused"), "{}", e.message);
        assert!(e.hint.is_some());
        // Dropped mid-answer: transient; an error without a cause speaks for itself.
        let e = t.failed(&Elapsed, false, false);
        assert_eq!(e.kind, ErrorKind::Transient);
        assert_eq!(
            e.message,
            "the request failed (http://127.0.0.1:9/v1/chat/completions): no answer within the time limit"
        );
    }
}
