//! The HTTP server (`docs/configuration.md` "HTTP endpoints"): `/metrics`, `/`, `/api/v1/targets`, `/-/healthy`, `/-/ready`,
//! `POST /-/reload`. Handlers are plain functions of a request and the [`AppState`], so tests
//! call [`route`] without a socket; the accept loop, connection limits and timeouts are in
//! `server/conn.rs`.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use hyper::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, VARY};
use hyper::{Method, Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::hub::Hub;
use crate::timefmt::wall_now;

mod body;
mod conn;

pub use body::Body;
pub use conn::{Limits, serve_with_limits};

/// Why a reload was rejected; the old configuration keeps running.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The config file does not load.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigErrors),
    /// The web config file does not load.
    #[error(transparent)]
    Web(#[from] crate::config::web::WebConfigError),
    /// Reading the file was interrupted (a panic while loading it: a bug).
    #[error("{}: reload failed: {source}", .file.display())]
    Interrupted {
        /// The config file.
        file: std::path::PathBuf,
        /// What became of the loading task.
        #[source]
        source: tokio::task::JoinError,
    },
    /// The exporter runs without a config file (`--demo`).
    #[error("no config file to reload")]
    NoConfigFile,
}

/// A reload request: the reply says whether the new config was applied.
pub type ReloadRequest = oneshot::Sender<Result<(), ReloadError>>;

/// What handlers read.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Snapshots and the exposition cache.
    pub hub: Arc<Hub>,
    /// Path of the exposition (default `/metrics`).
    pub telemetry_path: String,
    /// Buckets of `cloud_task_duration_seconds`.
    pub buckets: Arc<std::sync::RwLock<Vec<f64>>>,
    /// Where `POST /-/reload` sends requests; `None` without `--web.enable-lifecycle`.
    pub reload: Option<mpsc::Sender<ReloadRequest>>,
}

type Resp = Response<Body>;

fn text(status: StatusCode, body: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(Body::from(body.into()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn with_type(mut r: Resp, ct: &'static str) -> Resp {
    r.headers_mut()
        .insert(CONTENT_TYPE, hyper::header::HeaderValue::from_static(ct));
    r
}

/// Answers one request.
pub async fn route<B>(req: Request<B>, st: &AppState) -> Resp {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    if path == "/-/reload" {
        if method != Method::POST && method != Method::PUT {
            return text(StatusCode::METHOD_NOT_ALLOWED, "use POST\n");
        }
        let Some(tx) = &st.reload else {
            return text(
                StatusCode::FORBIDDEN,
                "lifecycle APIs are not enabled (--web.enable-lifecycle)\n",
            );
        };
        let (reply_tx, reply_rx) = oneshot::channel();
        if tx.send(reply_tx).await.is_err() {
            return text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n");
        }
        return match reply_rx.await {
            Ok(Ok(())) => text(StatusCode::OK, "config reloaded\n"),
            Ok(Err(e)) => text(
                StatusCode::BAD_REQUEST,
                format!("config reload failed, old config kept:\n{e}\n"),
            ),
            Err(_) => text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n"),
        };
    }
    if method != Method::GET && method != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    if path == st.telemetry_path {
        let buckets = st.buckets.read().unwrap_or_else(|e| e.into_inner()).clone();
        let gzip = req
            .headers()
            .get(ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|e| e.trim().split(';').next() == Some("gzip"))
            });
        let mut r = with_type(
            text(StatusCode::OK, Bytes::new()),
            "text/plain; version=0.0.4; charset=utf-8",
        );
        r.headers_mut().insert(
            VARY,
            hyper::header::HeaderValue::from_static("Accept-Encoding"),
        );
        if gzip {
            r.headers_mut().insert(
                CONTENT_ENCODING,
                hyper::header::HeaderValue::from_static("gzip"),
            );
            *r.body_mut() = Body::chunks(crate::metrics::exposition_gzip_parts(&st.hub, &buckets));
            return r;
        }
        *r.body_mut() = Body::chunks(crate::metrics::exposition_parts(&st.hub, &buckets));
        return r;
    }
    match path.as_str() {
        "/-/healthy" => text(StatusCode::OK, "Healthy.\n"),
        "/-/ready" => {
            if st.hub.ready() {
                text(StatusCode::OK, "Ready.\n")
            } else {
                text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Not ready: waiting for the first poll of every target.\n",
                )
            }
        }
        "/api/v1/targets" => with_type(
            text(
                StatusCode::OK,
                crate::status::targets_json(&st.hub, wall_now()).to_string(),
            ),
            "application/json",
        ),
        "/" => with_type(
            text(
                StatusCode::OK,
                crate::status_page::render(
                    &crate::status::view(&st.hub, wall_now()),
                    &st.telemetry_path,
                ),
            ),
            "text/html; charset=utf-8",
        ),
        crate::status_page::RUNBOOK_PATH => with_type(
            text(StatusCode::OK, crate::status_page::runbook()),
            "text/html; charset=utf-8",
        ),
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// Serves plain HTTP without auth until `stop` fires.
pub async fn serve(listener: TcpListener, st: AppState, stop: CancellationToken) {
    serve_with(listener, st, crate::web::Web::default(), stop).await
}

/// Serves until `stop` fires, with the TLS, basic auth and headers of `web`
/// (`--web.config.file`) and the default connection [`Limits`].
pub(crate) async fn serve_with(
    listener: TcpListener,
    st: AppState,
    web: crate::web::Web,
    stop: CancellationToken,
) {
    serve_with_limits(listener, st, web, Limits::default(), stop).await
}

/// `--web.listen-address` is not `HOST:PORT`; the message says what to write instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid --web.listen-address {addr:?}: {source}{hint}")]
pub struct ListenAddressError {
    /// The address as given.
    addr: String,
    /// What to write instead, for the usual slips (a bare port, a host name).
    hint: String,
    /// The parser's complaint.
    #[source]
    source: std::net::AddrParseError,
}

/// Parses `--web.listen-address` (`:9733`, `0.0.0.0:9733`, `[::]:9733`, `127.0.0.1:0`).
pub fn parse_listen(addr: &str) -> Result<SocketAddr, ListenAddressError> {
    let a = if let Some(port) = addr.strip_prefix(':') {
        format!("0.0.0.0:{port}")
    } else {
        addr.to_string()
    };
    a.parse().map_err(|e| {
        // Say what to write instead for the usual slips: a bare port, a host name.
        let hint = if !addr.is_empty() && addr.bytes().all(|b| b.is_ascii_digit()) {
            format!(" (a port alone needs a colon: write :{addr} for every interface, or 127.0.0.1:{addr})")
        } else if let Some(port) = addr.strip_prefix("localhost:") {
            format!(" (write an IP address: 127.0.0.1:{port}, or :{port} for every interface)")
        } else {
            " (write HOST:PORT with an IP address, e.g. :9733, 127.0.0.1:9733 or [::1]:9733)"
                .to_string()
        };
        ListenAddressError {
            addr: addr.to_string(),
            hint,
            source: e,
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn listen_address_errors_say_what_to_write() {
        let e = super::parse_listen("9745").unwrap_err().to_string();
        assert!(e.contains("write :9745"), "{e}");
        let e = super::parse_listen("localhost:9745")
            .unwrap_err()
            .to_string();
        assert!(e.contains("127.0.0.1:9745"), "{e}");
        assert!(super::parse_listen(":9745").is_ok());
    }
}
