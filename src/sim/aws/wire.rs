//! The simulator's own wire types and encodings for AWS: REST-JSON error bodies, the
//! `List*Jobs` envelopes, the STS query-protocol XML, the instance metadata service's
//! credential document, and timestamps as the models send them (epoch seconds as JSON
//! numbers in REST-JSON, ISO 8601 in XML and IMDS). Member names are the botocore models'
//! (`botocore/data/backup/2018-11-15/service-2.json`, `botocore/data/sts/2011-06-15/service-2.json`).

use jiff::Timestamp;
use serde::Serialize;

use crate::sim::SimResponse;

/// A timestamp as REST-JSON sends it: epoch seconds, a JSON number with the milliseconds as
/// its fraction (`1516925490.087`; whole seconds keep a `.0`).
pub fn epoch(t: Timestamp) -> serde_json::Value {
    // Milliseconds fit an f64 exactly for any date the simulator sees.
    #[allow(clippy::cast_precision_loss)]
    let secs = t.as_millisecond() as f64 / 1000.0;
    serde_json::Number::from_f64(secs)
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

/// A JSON timestamp (epoch seconds, integer or fraction) read back, `None` for any other type.
pub fn read_epoch(v: &serde_json::Value) -> Option<f64> {
    v.as_f64()
}

/// ISO 8601 in UTC with seconds, `2026-12-07T11:00:00Z` (STS `Expiration`, IMDS times).
pub fn iso(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A fresh request id (`x-amzn-RequestId`, STS `RequestId`): a random UUID.
pub fn request_id() -> String {
    uuid()
}

/// A random UUID v4 in its usual text form.
pub fn uuid() -> String {
    let n = rand::random::<u128>();
    let h = format!("{n:032x}");
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// The body of an error the front end raises (authentication, validation, throttling):
/// `{"__type": "...", "message": "..."}`, as REST-JSON services send it.
#[derive(Debug, Serialize)]
struct CommonError<'a> {
    #[serde(rename = "__type")]
    kind: &'a str,
    message: &'a str,
}

/// The body of an error AWS Backup itself models (`InvalidParameterValueException`,
/// `ResourceNotFoundException`, `MissingParameterValueException`,
/// `ServiceUnavailableException`): the members `Code`, `Message`, `Type`, `Context`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct BackupError<'a> {
    #[serde(rename = "__type")]
    kind: &'a str,
    code: &'a str,
    message: &'a str,
    #[serde(rename = "Type")]
    fault: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    context: &'a str,
}

fn with_error_headers(mut r: SimResponse, kind: &str) -> SimResponse {
    r.headers = vec![("content-type".into(), "application/x-amz-json-1.1".into())];
    r.with_header("x-amzn-errortype", kind)
        .with_header("x-amzn-requestid", &request_id())
}

/// A front-end error: `x-amzn-ErrorType` and `{"__type", "message"}`.
pub fn error(status: u16, kind: &str, message: &str) -> SimResponse {
    let body = serde_json::to_value(CommonError { kind, message }).unwrap_or_default();
    with_error_headers(SimResponse::json(status, &body), kind)
}

/// An error modelled by AWS Backup: `x-amzn-ErrorType` and `{"__type", "Code", "Message",
/// "Type", "Context"}`.
pub fn backup_error(status: u16, kind: &str, message: &str, context: &str) -> SimResponse {
    let body = serde_json::to_value(BackupError {
        kind,
        code: kind,
        message,
        fault: "User",
        context,
    })
    .unwrap_or_default();
    with_error_headers(SimResponse::json(status, &body), kind)
}

/// `ValidationException` for a member that failed a model constraint, worded like AWS's
/// front end: `1 validation error detected: Value 'x' at 'maxResults' failed to satisfy
/// constraint: …`.
pub fn validation(value: &str, member: &str, constraint: &str) -> SimResponse {
    error(
        400,
        "ValidationException",
        &format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
        ),
    )
}

/// The envelope of `ListBackupJobs`, `ListCopyJobs` and `ListRestoreJobs`: the list under
/// its model name and `NextToken` when more pages follow.
#[derive(Debug, Serialize)]
pub struct ListJobsOutput {
    /// `BackupJobs`, `CopyJobs` or `RestoreJobs`.
    #[serde(skip)]
    pub list_name: &'static str,
    /// The page (`None`: the list sent as `null`).
    #[serde(skip)]
    pub jobs: Option<Vec<serde_json::Value>>,
    /// `NextToken`.
    #[serde(rename = "NextToken", skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl ListJobsOutput {
    /// The JSON body.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert(
                self.list_name.to_string(),
                self.jobs
                    .clone()
                    .map(serde_json::Value::Array)
                    .unwrap_or(serde_json::Value::Null),
            );
        }
        v
    }
}

/// One `ScheduledRunsPreview` member of `GetBackupPlan`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduledRun {
    /// `ExecutionTime` (epoch seconds).
    pub execution_time: serde_json::Value,
    /// `RuleId`.
    pub rule_id: String,
    /// `RuleExecutionType`: `SNAPSHOTS`, `CONTINUOUS`, `CONTINUOUS_AND_SNAPSHOTS`.
    pub rule_execution_type: &'static str,
}

/// Escapes text for an XML element.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The STS XML namespace.
pub const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// An XML response (`text/xml`).
pub fn xml(status: u16, body: String) -> SimResponse {
    SimResponse {
        status,
        headers: vec![("content-type".into(), "text/xml".into())],
        body: bytes::Bytes::from(body),
    }
}

/// An STS error: `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…`.
pub fn sts_error(status: u16, code: &str, message: &str) -> SimResponse {
    let id = request_id();
    xml(
        status,
        format!(
            "<ErrorResponse xmlns=\"{STS_NS}\">\n  <Error>\n    <Type>Sender</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{id}</RequestId>\n</ErrorResponse>\n",
            xml_escape(code),
            xml_escape(message)
        ),
    )
    .with_header("x-amzn-requestid", &id)
}

/// Temporary credentials as issued (STS `Credentials`, the IMDS document).
#[derive(Debug, Clone)]
pub struct IssuedCredentials {
    /// `AccessKeyId` (`ASIA…`).
    pub access_key_id: String,
    /// `SecretAccessKey`.
    pub secret_access_key: String,
    /// `SessionToken` / `Token`.
    pub session_token: String,
    /// `Expiration`.
    pub expiration: Timestamp,
}

/// The `AssumedRoleUser` of an STS answer.
#[derive(Debug, Clone)]
pub struct AssumedRoleUser {
    /// `Arn`: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub arn: String,
    /// `AssumedRoleId`: `AROA…:SESSION`.
    pub assumed_role_id: String,
}

/// An STS success answer: `<{action}Response><{action}Result>…` with the credentials and
/// the assumed role user, plus `extra` elements (already XML) in the result.
pub fn sts_credentials(
    action: &str,
    creds: &IssuedCredentials,
    user: &AssumedRoleUser,
    extra: &str,
) -> SimResponse {
    let id = request_id();
    xml(
        200,
        format!(
            "<{action}Response xmlns=\"{STS_NS}\">\n  <{action}Result>\n{extra}    <AssumedRoleUser>\n      <AssumedRoleId>{}</AssumedRoleId>\n      <Arn>{}</Arn>\n    </AssumedRoleUser>\n    <Credentials>\n      <AccessKeyId>{}</AccessKeyId>\n      <SecretAccessKey>{}</SecretAccessKey>\n      <SessionToken>{}</SessionToken>\n      <Expiration>{}</Expiration>\n    </Credentials>\n  </{action}Result>\n  <ResponseMetadata>\n    <RequestId>{id}</RequestId>\n  </ResponseMetadata>\n</{action}Response>\n",
            xml_escape(&user.assumed_role_id),
            xml_escape(&user.arn),
            xml_escape(&creds.access_key_id),
            xml_escape(&creds.secret_access_key),
            xml_escape(&creds.session_token),
            iso(creds.expiration),
        ),
    )
    .with_header("x-amzn-requestid", &id)
}

/// The instance metadata service's credential document
/// (`/latest/meta-data/iam/security-credentials/{role}`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImdsCredentials {
    /// `Success`.
    pub code: &'static str,
    /// ISO 8601.
    pub last_updated: String,
    /// `AWS-HMAC`.
    #[serde(rename = "Type")]
    pub kind: &'static str,
    /// `AccessKeyId`.
    pub access_key_id: String,
    /// `SecretAccessKey`.
    pub secret_access_key: String,
    /// `Token`.
    pub token: String,
    /// ISO 8601.
    pub expiration: String,
}

/// The EKS Pod Identity Agent's answer (`GET /v1/credentials`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PodIdentityCredentials {
    /// `AccessKeyId`.
    pub access_key_id: String,
    /// `SecretAccessKey`.
    pub secret_access_key: String,
    /// `Token`.
    pub token: String,
    /// `AccountId`.
    pub account_id: String,
    /// RFC 3339.
    pub expiration: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        let t: Timestamp = "2018-01-26T00:11:30.087Z".parse().unwrap();
        assert_eq!(epoch(t).to_string(), "1516925490.087");
        assert_eq!(iso(t), "2018-01-26T00:11:30Z");
        assert_eq!(
            read_epoch(&serde_json::json!(1516925490)),
            Some(1516925490.0)
        );
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_eq!(xml_escape("a<b&'"), "a&lt;b&amp;&apos;");
        let out = ListJobsOutput {
            list_name: "CopyJobs",
            jobs: None,
            next_token: Some("t".into()),
        };
        assert_eq!(
            out.to_json(),
            serde_json::json!({"CopyJobs": null, "NextToken": "t"})
        );
    }
}
