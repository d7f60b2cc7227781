//! How a request reaches a model server: hyper's pooled client straight to the server, or reqwest
//! when a proxy from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, minus `NO_PROXY`)
//! applies to it.
//!
//! The direct way is the one taken almost always; it skips what a general-purpose client does
//! for every request (redirect bookkeeping, re-parsing the URL, a retry layer copying the
//! request), which was a fifth of a run's CPU against a fast local model. Both ways send the same
//! bytes with the same headers and report failures the same way.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use reqwest::header::HeaderMap;

use super::{ErrorKind, ModelError};
use crate::model::openai::public_url;

type Direct = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

enum Way {
    Direct(Direct),
    Proxied(reqwest::Client),
}

/// POSTs to one endpoint with fixed headers.
pub struct Transport {
    way: Way,
    uri: hyper::Uri,
    url: reqwest::Url,
    headers: HeaderMap,
    timeout: Duration,
}

/// A complete HTTP answer, whatever its status.
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Bytes,
}

impl Transport {
    /// `Err` says why no client could be set up (a message for the user).
    pub fn new(url: reqwest::Url, headers: HeaderMap, timeout: Duration) -> Result<Self, String> {
        let uri: hyper::Uri = url
            .as_str()
            .parse()
            .map_err(|e| format!("`{}` is not a usable URL: {e}", public_url(url.as_str())))?;
        let connect_timeout = Duration::from_secs(10).min(timeout);
        let proxied = hyper_util::client::proxy::matcher::Matcher::from_env()
            .intercept(&uri)
            .is_some();
        let way = if proxied {
            Way::Proxied(
                reqwest::Client::builder()
                    .connect_timeout(connect_timeout)
                    .timeout(timeout)
                    // Retries are ours (counted, with backoff and `Retry-After`).
                    .retry(reqwest::retry::never().max_retries_per_request(0))
                    .build()
                    .map_err(|e| format!("cannot set up the HTTP client: {e}"))?,
            )
        } else {
            let tls = <rustls::ClientConfig as rustls_platform_verifier::ConfigVerifierExt>::with_platform_verifier()
                .map_err(|e| format!("cannot set up TLS: {e}"))?;
            let mut http = HttpConnector::new();
            http.enforce_http(false);
            http.set_nodelay(true);
            http.set_connect_timeout(Some(connect_timeout));
            let https = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls)
                .https_or_http()
                .enable_http1()
                .wrap_connector(http);
            Way::Direct(
                Client::builder(hyper_util::rt::TokioExecutor::new())
                    .pool_idle_timeout(Duration::from_secs(60))
                    .build(https),
            )
        };
        Ok(Transport {
            way,
            uri,
            url,
            headers,
            timeout,
        })
    }

    /// One POST of `body`: the answer, or a transient (timeout, dropped connection) or fatal (no
    /// server) failure.
    pub async fn post(&self, body: Bytes) -> Result<Answer, ModelError> {
        match &self.way {
            Way::Direct(client) => {
                let mut request = hyper::Request::post(self.uri.clone())
                    .body(Full::new(body))
                    .map_err(|e| ModelError::new(ErrorKind::Other, e.to_string()))?;
                *request.headers_mut() = self.headers.clone();
                let exchange = async {
                    let response = client.request(request).await.map_err(|e| {
                        let connect = e.is_connect();
                        (Box::new(e) as Box<dyn std::error::Error>, connect)
                    })?;
                    let (parts, body) = response.into_parts();
                    let body = body
                        .collect()
                        .await
                        .map_err(|e| (Box::new(e) as Box<dyn std::error::Error>, false))?
                        .to_bytes();
                    Ok::<_, (Box<dyn std::error::Error>, bool)>(Answer {
                        status: parts.status.as_u16(),
                        retry_after: retry_after(&parts.headers),
                        body,
                    })
                };
                match tokio::time::timeout(self.timeout, exchange).await {
                    Ok(Ok(answer)) => Ok(answer),
                    Ok(Err((e, connect))) => Err(self.failed(&*e, connect, false)),
                    Err(_) => Err(self.failed(&Elapsed, false, true)),
                }
            }
            Way::Proxied(client) => {
                let response = client
                    .post(self.url.clone())
                    .headers(self.headers.clone())
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| self.failed(&e, e.is_connect(), e.is_timeout()))?;
                let status = response.status().as_u16();
                let retry_after = retry_after(response.headers());
                let body = response
                    .bytes()
                    .await
                    .map_err(|e| self.failed(&e, false, e.is_timeout()))?;
                Ok(Answer {
                    status,
                    retry_after,
                    body,
                })
            }
        }
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
                "check that the model server runs and that `base_url` (or OPENAI_BASE_URL) points at it"
                    .into(),
            );
        }
        err
    }
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

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(3600.0)));
    }
    let when = httpdate_to_system_time(v)?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

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
