//! The one HTTP client every provider uses: per-request timeout, retries with jittered
//! exponential backoff (honouring `Retry-After`), a request-rate and concurrency limit per
//! target, a response-size cap, and a count of every attempt by status code.
//!
//! Providers build a fresh `reqwest::Request` for each attempt (Huawei signatures carry the
//! time), so `Http::send` takes a closure.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::HeaderMap;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::error::{ProviderError, Reason};
use crate::config::settings::Settings;

/// Longest wait a server's `Retry-After` can impose on one retry.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Longest computed backoff between retries.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Builds the shared reqwest client: rustls, gzip, a user agent, no proxy surprises.
#[allow(
    clippy::disallowed_methods,
    reason = "the fallback when the builder fails"
)]
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("cloud-task-exporter/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(90))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// Counts of HTTP attempts by status code (`error` when no response), shared with metrics.
#[derive(Debug, Default)]
pub struct RequestCounts(Mutex<BTreeMap<String, u64>>);

impl RequestCounts {
    /// Adds one attempt with this code label.
    pub fn record(&self, code: &str) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // Every request after the first of its code finds it: no key to allocate.
        match m.get_mut(code) {
            Some(n) => *n += 1,
            None => {
                m.insert(code.to_string(), 1);
            }
        }
    }

    /// A copy of the counts.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the counts (restoring from the state file).
    pub fn restore(&self, counts: BTreeMap<String, u64>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = counts;
    }
}

/// Requests of a target faster than one per `STEP` leave in groups on a grid of this step.
const STEP: Duration = Duration::from_millis(5);

/// Spaces requests `1/rate` apart (a token bucket of one token). Uses tokio time.
///
/// A slot in the future is waited for up to the next multiple of [`STEP`] (when slots are
/// closer than that): the requests whose slots fall within one step leave together, so a
/// target at 1,000 requests a second wakes its thread once per step for five requests, not
/// once per request (the thread's wake-ups, not the requests, were most of the kernel's
/// share of a request's CPU). No request leaves before its slot, and no second holds more
/// than one step's worth of requests beyond the rate.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    period: Duration,
    /// The next free slot; never held across an await.
    next: Mutex<Option<Instant>>,
    /// The grid's origin.
    origin: Instant,
}

impl RateLimiter {
    /// `rate` requests per second; 0 or less means unlimited.
    pub(crate) fn new(rate: f64) -> RateLimiter {
        let period = if rate > 0.0 && rate.is_finite() {
            Duration::from_secs_f64(1.0 / rate)
        } else {
            Duration::ZERO
        };
        RateLimiter {
            period,
            next: Mutex::new(None),
            origin: Instant::now(),
        }
    }

    /// When a request with `slot` leaves: at its slot, or at the end of its step when
    /// slots are closer than a step.
    fn departure(&self, slot: Instant) -> Instant {
        if self.period >= STEP {
            return slot;
        }
        let step = STEP.as_nanos();
        let since = slot.saturating_duration_since(self.origin).as_nanos();
        let steps = since.div_ceil(step);
        let wait = u64::try_from(steps * step - since).unwrap_or(0);
        slot + Duration::from_nanos(wait)
    }

    /// Waits for the next slot. A slot already due is taken without a timer.
    pub(crate) async fn acquire(&self) {
        if self.period.is_zero() {
            return;
        }
        let (slot, now) = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = match *next {
                Some(n) if n > now => n,
                _ => now,
            };
            *next = Some(slot + self.period);
            (slot, now)
        };
        if slot > now {
            tokio::time::sleep_until(self.departure(slot)).await;
        }
    }
}

/// A response that arrived with a 2xx status, body read in full (within the cap).
#[derive(Debug)]
pub(crate) struct Response {
    /// Response headers.
    pub(crate) headers: HeaderMap,
    /// The body.
    pub(crate) body: Bytes,
    /// The body with its task list taken out, kept for as long as the response so that what
    /// is decoded from it may borrow from it (`records::decode_page`).
    pub(crate) envelope: std::sync::OnceLock<String>,
}

impl Response {
    /// A response of `body` with `headers`.
    pub(crate) fn new(headers: HeaderMap, body: Bytes) -> Response {
        Response {
            headers,
            body,
            envelope: std::sync::OnceLock::new(),
        }
    }

    /// Decodes the body as JSON of type `T`; `what` names the call in the error.
    pub(crate) fn json<'a, T: serde::Deserialize<'a>>(
        &'a self,
        what: &str,
    ) -> Result<T, ProviderError> {
        decode_json(&self.body, what)
    }
}

/// Decodes JSON, naming the call and the JSON path of the first problem.
pub(crate) fn decode_json<'a, T: serde::Deserialize<'a>>(
    body: &'a [u8],
    what: &str,
) -> Result<T, ProviderError> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Err(ProviderError::decode(format!(
            "{what}: response body is not valid UTF-8"
        )));
    };
    // Checked once here, the text is not checked again string by string as `from_slice`
    // would (a tenth of a poll's decoding).
    serde_json::from_str(text).map_err(|e| {
        // serde quotes the offending value, which may be a credential the body echoed.
        let e = crate::scrub::scrub(&e.to_string()).into_owned();
        ProviderError::decode(format!("{what}: invalid response body: {e}"))
    })
}

/// What a provider reads from an error answer beyond its status: the [`Reason`] its headers or
/// body give, or `None` to keep the one the status gives. An API that reports throttling with
/// another status than 429 (AWS: HTTP 400 with `x-amzn-ErrorType: ThrottlingException`) says
/// so here, and the answer is then retried and counted as `throttled` like a 429.
pub(crate) type Classify = fn(status: u16, headers: &HeaderMap, body: &[u8]) -> Option<Reason>;

/// Per-target HTTP access: one per target, shared by its provider and discovery.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
    max_body: u64,
    limiter: Arc<RateLimiter>,
    permits: Arc<Semaphore>,
    counts: Arc<RequestCounts>,
    classify: Option<Classify>,
}

impl Http {
    /// Builds the client for a target from its settings.
    pub(crate) fn new(
        client: reqwest::Client,
        settings: &Settings,
        counts: Arc<RequestCounts>,
    ) -> Http {
        Http {
            client,
            timeout: settings.timeout,
            retries: settings.retries,
            backoff: settings.retry_backoff,
            max_body: settings.max_response_bytes,
            limiter: Arc::new(RateLimiter::new(settings.requests_per_second)),
            permits: Arc::new(Semaphore::new(settings.concurrency.max(1) as usize)),
            counts,
            classify: None,
        }
    }

    /// The same client, reading error answers with `classify` too ([`Classify`]).
    pub(crate) fn with_classifier(mut self, classify: Classify) -> Http {
        self.classify = Some(classify);
        self
    }

    /// The reqwest client, for building requests.
    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends the request `build` makes, retrying 429, 5xx, timeouts and connection errors.
    ///
    /// Returns the first 2xx response. Any other final outcome is a [`ProviderError`] whose
    /// reason follows the status (401/403 `auth`, 429 `throttled`, 5xx `server`, other 4xx
    /// `client`), unless the provider's [`Classify`] says otherwise, and whose message holds the API's own error code and message. `what` names
    /// the call in messages.
    pub(crate) async fn send<F>(&self, what: &str, build: F) -> Result<Response, ProviderError>
    where
        F: Fn() -> Result<reqwest::Request, ProviderError>,
    {
        let mut attempt = 0u32;
        loop {
            let req = build()?;
            let outcome = self.attempt(what, req).await;
            let (err, retry_after) = match outcome {
                Ok(resp) => return Ok(resp),
                Err(e) => e,
            };
            let retryable = matches!(
                err.reason,
                Reason::Throttled | Reason::Server | Reason::Timeout | Reason::Network
            );
            if !retryable || attempt >= self.retries {
                return Err(err);
            }
            let delay = match retry_after {
                Some(d) => d.min(MAX_RETRY_AFTER),
                None => backoff_delay(self.backoff, attempt),
            };
            tracing::debug!(call = what, attempt, delay_ms = delay.as_millis() as u64, reason = err.reason(), error = %err, "Retrying request.");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        what: &str,
        req: reqwest::Request,
    ) -> Result<Response, (ProviderError, Option<Duration>)> {
        self.limiter.acquire().await;
        let _permit = self.permits.acquire().await.map_err(|_| {
            (
                ProviderError::new(Reason::Network, format!("{what}: client closed")),
                None,
            )
        })?;
        let result = tokio::time::timeout(self.timeout, async {
            let mut resp = self.client.execute(req).await?;
            let status = resp.status();
            // Taken, not copied: the body is read without them.
            let headers = std::mem::take(resp.headers_mut());
            let body = read_capped(resp, self.max_body).await;
            Ok::<_, reqwest::Error>((status, headers, body))
        })
        .await;
        let (status, headers, body) = match result {
            Err(_) => {
                self.counts.record("error");
                return Err((
                    ProviderError::new(
                        Reason::Timeout,
                        format!("{what}: no response within {:?}", self.timeout),
                    ),
                    None,
                ));
            }
            Ok(Err(e)) => {
                self.counts.record("error");
                let reason = if e.is_timeout() {
                    Reason::Timeout
                } else {
                    Reason::Network
                };
                return Err((
                    ProviderError::new(reason, format!("{what}: {}", error_chain(&e))),
                    None,
                ));
            }
            Ok(Ok(parts)) => parts,
        };
        self.counts.record(status.as_str());
        let status = status.as_u16();
        let body = match body {
            Ok(b) => b,
            Err(BodyError::TooLarge) => {
                return Err((
                    ProviderError::decode(format!(
                        "{what}: response body larger than {} bytes",
                        self.max_body
                    )),
                    None,
                ));
            }
            Err(BodyError::Read(e)) => {
                // The connection died mid-body: a network fault, retried like one.
                let reason = if e.is_timeout() {
                    Reason::Timeout
                } else {
                    Reason::Network
                };
                return Err((
                    ProviderError::new(
                        reason,
                        format!("{what}: response body cut short: {}", error_chain(&e)),
                    ),
                    None,
                ));
            }
        };
        if let Err(e) = super::budget::spend_bytes(what, body.len() as u64) {
            return Err((e, None));
        }
        if (200..300).contains(&status) {
            return Ok(Response::new(headers, body));
        }
        let by_status = match status {
            401 | 403 => Reason::Auth,
            429 => Reason::Throttled,
            500..=599 => Reason::Server,
            _ => Reason::Client,
        };
        let reason = self
            .classify
            .and_then(|c| c(status, &headers, &body))
            .unwrap_or(by_status);
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let detail = error_detail(&body).or_else(|| plain_detail(&headers, &body));
        let err = ProviderError {
            reason,
            status: Some(status),
            message: format!(
                "{what}: HTTP {status}{}",
                detail.map(|d| format!(": {d}")).unwrap_or_default()
            ),
        };
        Err((err, retry_after))
    }
}

enum BodyError {
    TooLarge,
    Read(reqwest::Error),
}

async fn read_capped(mut resp: reqwest::Response, max: u64) -> Result<Bytes, BodyError> {
    if resp.content_length().is_some_and(|n| n > max) {
        return Err(BodyError::TooLarge);
    }
    // A body that arrives in one chunk is kept as it is; a longer one is gathered once, into
    // a buffer of the announced length when there is one.
    let Some(first) = resp.chunk().await.map_err(BodyError::Read)? else {
        return Ok(Bytes::new());
    };
    if first.len() as u64 > max {
        return Err(BodyError::TooLarge);
    }
    let Some(second) = resp.chunk().await.map_err(BodyError::Read)? else {
        return Ok(first);
    };
    let announced = resp.content_length().unwrap_or(0).min(max) as usize;
    let mut buf = BytesMut::with_capacity(announced.max(first.len() + second.len()));
    buf.extend_from_slice(&first);
    let mut next = Some(second);
    while let Some(chunk) = next {
        if buf.len() as u64 + chunk.len() as u64 > max {
            return Err(BodyError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
        next = resp.chunk().await.map_err(BodyError::Read)?;
    }
    Ok(buf.freeze())
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    crate::scrub::scrub(&s).into_owned()
}

/// `base * 2^attempt`, capped at [`MAX_BACKOFF`], with ±50 % jitter.
pub(crate) fn backoff_delay(base: Duration, attempt: u32) -> Duration {
    let exp = base
        .saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX))
        .min(MAX_BACKOFF);
    let jitter: f64 = rand::random_range(0.5..1.5);
    exp.mul_f64(jitter).min(MAX_BACKOFF)
}

/// Parses `Retry-After` in seconds or HTTP-date form, relative to `now`.
pub(crate) fn parse_retry_after(v: &str, now: SystemTime) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate_parse(v)?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

fn httpdate_parse(v: &str) -> Option<SystemTime> {
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7).
    let strptime = jiff::fmt::strtime::parse("%a, %d %b %Y %H:%M:%S GMT", v).ok()?;
    let dt = strptime.to_datetime().ok()?;
    let ts = jiff::tz::TimeZone::UTC.to_timestamp(dt).ok()?;
    Some(SystemTime::from(ts))
}

/// The API's own error code and message from an error body, whatever the service's shape
/// (`docs/providers.md` "What every provider shares", "Error bodies"): `error_code|errorCode|code|Code|__type` and
/// `error_msg|errorMsg|errorMessage|message|Message`, searched recursively. `None` when the body is
/// not JSON or has neither. An XML body (the AWS Query protocol's `<ErrorResponse>`, STS) gives
/// its first `<Code>` and `<Message>`. Every registered secret is scrubbed from the values
/// before they are cut to 300 characters (a cut must not leave half a token behind).
pub(crate) fn error_detail(body: &[u8]) -> Option<String> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return xml_error_detail(body);
    };
    fn find<'a>(
        v: &'a serde_json::Value,
        keys: &[&str],
        depth: u8,
    ) -> Option<&'a serde_json::Value> {
        let obj = v.as_object()?;
        for k in keys {
            if let Some(x) = obj.get(*k).filter(|x| x.is_string() || x.is_number()) {
                return Some(x);
            }
        }
        if depth == 0 {
            return None;
        }
        obj.values().find_map(|x| find(x, keys, depth - 1))
    }
    let show = |x: &serde_json::Value| match x {
        serde_json::Value::String(s) => crate::scrub::scrub(s).chars().take(300).collect(),
        other => crate::scrub::scrub(&other.to_string()).into_owned(),
    };
    let code = find(
        &v,
        &["error_code", "errorCode", "code", "Code", "__type"],
        3,
    )
    .map(show);
    let msg = find(
        &v,
        &[
            "error_msg",
            "errorMsg",
            "errorMessage",
            "message",
            "Message",
        ],
        3,
    )
    .map(show);
    match (code, msg) {
        (Some(c), Some(m)) => Some(format!("{c}: {m}")),
        (Some(c), None) => Some(c),
        (None, Some(m)) => Some(m),
        (None, None) => None,
    }
}

/// The first line of a `text/plain` error body (the EKS Pod Identity Agent's and the instance
/// metadata service's errors are plain text), scrubbed and cut to 300 characters; `None` for
/// any other type, a body that is not UTF-8, or one with control characters in that line.
fn plain_detail(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let plain = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("text/plain")
        });
    if !plain {
        return None;
    }
    let line = std::str::from_utf8(body).ok()?.lines().next()?.trim();
    if line.is_empty() || line.chars().any(char::is_control) {
        return None;
    }
    Some(crate::scrub::scrub(line).chars().take(300).collect())
}

/// `Code: Message` of an XML error body (`<Error><Code>…</Code><Message>…</Message>`).
fn xml_error_detail(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let element = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = start + text[start..].find(&format!("</{name}>"))?;
        let v = text[start..end].trim();
        (!v.is_empty()).then(|| crate::scrub::scrub(v).chars().take(300).collect::<String>())
    };
    match (element("Code"), element("Message")) {
        (Some(c), Some(m)) => Some(format!("{c}: {m}")),
        (c, m) => c.or(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // 1994-11-06 08:49:37
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn error_bodies_of_every_service() {
        let cases: [(&str, &str); 7] = [
            (
                r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
                "ThrottlingException: Rate exceeded",
            ),
            (
                r#"{"__type":"InvalidParameterValueException","Code":"ERROR_1","Message":"bad","Type":"User"}"#,
                "ERROR_1: bad",
            ),
            (
                r#"{"code":16,"message":"bad token","details":[]}"#,
                "16: bad token",
            ),
            (
                r#"{"error_msg":"sig","error_code":"APIGW.0301","request_id":"x"}"#,
                "APIGW.0301: sig",
            ),
            (
                r#"{"error":{"message":"XXXX","code":"VBS.1"}}"#,
                "VBS.1: XXXX",
            ),
            (
                r#"{"errorMessage":"Authorization failed.","errorCode":"CCE.01401001"}"#,
                "CCE.01401001: Authorization failed.",
            ),
            (
                r#"{"error_code":"DMS.1","error_msg":"m","error_ext_msg":null}"#,
                "DMS.1: m",
            ),
        ];
        for (body, want) in cases {
            assert_eq!(
                error_detail(body.as_bytes()).as_deref(),
                Some(want),
                "{body}"
            );
        }
        assert_eq!(error_detail(b"<html>"), None);
        assert_eq!(
            error_detail(b"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error><RequestId>r</RequestId></ErrorResponse>").as_deref(),
            Some("AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity")
        );
    }

    #[test]
    fn a_plain_text_error_gives_its_first_line() {
        let typed = |t: &str| {
            let mut h = HeaderMap::new();
            h.insert(
                reqwest::header::CONTENT_TYPE,
                reqwest::header::HeaderValue::from_str(t).unwrap(),
            );
            h
        };
        let plain = typed("text/plain; charset=utf-8");
        assert_eq!(
            plain_detail(
                &plain,
                b"Service account token cannot be empty\nsecond line\n"
            )
            .as_deref(),
            Some("Service account token cannot be empty")
        );
        assert_eq!(
            plain_detail(&plain, "x".repeat(400).as_bytes()).map(|d| d.len()),
            Some(300)
        );
        // Not plain text, not UTF-8, empty, or with a control character: nothing.
        assert_eq!(plain_detail(&typed("text/html"), b"<html>"), None);
        assert_eq!(plain_detail(&HeaderMap::new(), b"Not Found"), None);
        assert_eq!(plain_detail(&plain, b"\xff\xfe"), None);
        assert_eq!(plain_detail(&plain, b"\n"), None);
        assert_eq!(plain_detail(&plain, b"a\x1b[31mb"), None);
    }

    #[test]
    fn backoff_grows_and_caps() {
        let b = Duration::from_millis(100);
        assert!(backoff_delay(b, 0) <= Duration::from_millis(150));
        assert!(backoff_delay(b, 3) >= Duration::from_millis(400));
        assert!(backoff_delay(b, 40) <= MAX_BACKOFF);
    }

    /// Faster than one a step, requests leave together at the end of each step, never
    /// before their slot, and as many a second as the rate allows.
    #[tokio::test(start_paused = true)]
    async fn a_fast_rate_limiter_lets_requests_go_in_steps() {
        let l = Arc::new(RateLimiter::new(1000.0));
        let t0 = Instant::now();
        let left = Arc::new(Mutex::new(Vec::new()));
        let mut set = tokio::task::JoinSet::new();
        for i in 0..2000u32 {
            let (l, left) = (Arc::clone(&l), Arc::clone(&left));
            set.spawn(async move {
                l.acquire().await;
                left.lock().unwrap().push((i, t0.elapsed()));
            });
        }
        while set.join_next().await.is_some() {}
        // The k-th request to leave had the k-th slot, k ms in.
        let mut left: Vec<Duration> = left.lock().unwrap().iter().map(|(_, at)| *at).collect();
        left.sort();
        for (k, at) in left.iter().enumerate() {
            let slot = Duration::from_millis(k as u64);
            assert!(
                *at >= slot && *at < slot + STEP,
                "request {k} left at {at:?}"
            );
        }
        let mut departures = left.clone();
        departures.dedup();
        assert_eq!(
            departures.len(),
            401,
            "the first at once, then one departure a step"
        );
        for w in 0..1000 {
            let from = Duration::from_millis(w);
            let n = left
                .iter()
                .filter(|at| **at >= from && **at < from + Duration::from_secs(1))
                .count();
            assert!(n <= 1005, "{n} requests in the second from {from:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limiter_spaces_requests() {
        let l = RateLimiter::new(10.0);
        let t0 = Instant::now();
        for _ in 0..5 {
            l.acquire().await;
        }
        assert_eq!(t0.elapsed(), Duration::from_millis(400));
    }
}
