//! `ProviderError`: why a poll failed, with a stable `reason` for labels.

/// The `reason` label of `cloud_task_target_poll_errors_total` (`docs/metrics.md` "Every series").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// 401/403, bad credentials, token exchange failed.
    Auth,
    /// 429 after retries.
    Throttled,
    /// 5xx after retries.
    Server,
    /// Other 4xx.
    Client,
    /// A request timed out.
    Timeout,
    /// Connection refused, reset, DNS, TLS.
    Network,
    /// A body that is not what the API documents (not JSON, wrong top-level shape, too big).
    Decode,
    /// A bug in the exporter (a panic while polling); never caused by data alone.
    Internal,
}

impl Reason {
    /// Every reason, in exposition order.
    pub const ALL: [Reason; 8] = [
        Reason::Auth,
        Reason::Throttled,
        Reason::Server,
        Reason::Client,
        Reason::Timeout,
        Reason::Network,
        Reason::Decode,
        Reason::Internal,
    ];

    /// The label value.
    pub const fn as_label(self) -> &'static str {
        match self {
            Reason::Auth => "auth",
            Reason::Throttled => "throttled",
            Reason::Server => "server",
            Reason::Client => "client",
            Reason::Timeout => "timeout",
            Reason::Network => "network",
            Reason::Decode => "decode",
            Reason::Internal => "internal",
        }
    }
}

/// A failed request or poll. The message names what failed and where; it never holds a secret.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    /// Stable classification.
    pub reason: Reason,
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// Human-readable detail (API error code and message where the body had them).
    pub message: String,
}

impl ProviderError {
    /// Builds an error of the given reason.
    pub fn new(reason: Reason, message: impl Into<String>) -> ProviderError {
        ProviderError {
            reason,
            status: None,
            message: message.into(),
        }
    }

    /// A body that does not decode.
    pub fn decode(message: impl Into<String>) -> ProviderError {
        ProviderError::new(Reason::Decode, message)
    }

    /// A bug in the exporter (a panic while polling).
    pub fn internal(message: impl Into<String>) -> ProviderError {
        ProviderError::new(Reason::Internal, message)
    }

    /// Credentials rejected or unobtainable.
    pub fn auth(message: impl Into<String>) -> ProviderError {
        ProviderError::new(Reason::Auth, message)
    }

    /// The error with the unit it came from (`instance 'fhm…'`, `policy '…'`) named in
    /// front of the message, unless the message already starts with it.
    pub(crate) fn in_unit(mut self, unit: &str) -> ProviderError {
        if !self.message.starts_with(unit) {
            self.message = format!("{unit}: {}", self.message);
        }
        self
    }

    /// The label value of the reason.
    pub fn reason(&self) -> &'static str {
        self.reason.as_label()
    }

    /// True for a 401 response (the caller refreshes credentials once and retries).
    pub(crate) fn is_unauthorized(&self) -> bool {
        self.status == Some(401)
    }
}
