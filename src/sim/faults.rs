//! Fault injection: rules that replace or damage the response to matching requests.

use std::time::Duration;

use super::SimRequest;

/// What goes wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status and body instead (and `Retry-After` when given).
    Status {
        /// HTTP status.
        status: u16,
        /// Body (the service's error shape is the caller's choice).
        body: String,
        /// `Retry-After` header value.
        retry_after: Option<String>,
    },
    /// Wait this long before answering normally.
    Delay(Duration),
    /// Send the headers and the first half of the real body, then close the connection.
    Truncate,
    /// Answer 200 with this body instead of the real one.
    Garbage(String),
    /// Answer 200 with exactly these bytes (not necessarily UTF-8) as a JSON body.
    RawBody(bytes::Bytes),
    /// Answer 200 with a valid-looking JSON body of this many bytes.
    Oversize(usize),
    /// Close the connection without answering.
    Reset,
    /// Answer with this status and a JSON error body whose message quotes the credentials the
    /// request carried (`Authorization`, `X-Auth-Token`, `X-Security-Token`) and its body (an
    /// IAM request's password, JWT or OAuth token), as careless services and proxies do.
    EchoCredentials(u16),
}

/// When a fault applies: a service (or any), an optional path substring, and how many times.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// Service name as in the request log; `None` matches every service.
    pub service: Option<String>,
    /// Only requests whose path contains this.
    pub path_contains: Option<String>,
    /// Remaining uses; `None` = until cleared.
    pub times: Option<u32>,
    /// The fault.
    pub fault: Fault,
}

impl FaultRule {
    /// A rule for every request to `service`, until cleared.
    pub fn service(service: &str, fault: Fault) -> FaultRule {
        FaultRule {
            service: Some(service.to_string()),
            path_contains: None,
            times: None,
            fault,
        }
    }

    /// Limits the rule to `n` uses.
    pub fn times(mut self, n: u32) -> FaultRule {
        self.times = Some(n.max(1));
        self
    }

    /// Limits the rule to paths containing `s`.
    pub fn path(mut self, s: &str) -> FaultRule {
        self.path_contains = Some(s.to_string());
        self
    }

    pub(crate) fn matches(&self, service: &str, req: &SimRequest) -> bool {
        self.service.as_deref().is_none_or(|s| s == service)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| req.path.contains(p))
    }
}

impl Fault {
    /// A status with an empty JSON object body.
    pub fn status(status: u16) -> Fault {
        Fault::Status {
            status,
            body: "{}".to_string(),
            retry_after: None,
        }
    }

    /// 429 with `Retry-After`.
    pub fn throttle(retry_after: &str) -> Fault {
        Fault::Status {
            status: 429,
            body: r#"{"code":8,"message":"The request limit exceeded"}"#.to_string(),
            retry_after: Some(retry_after.to_string()),
        }
    }
}
