//! The HTTP server (SPEC §6): `/metrics`, `/`, `/api/v1/targets`, `/-/healthy`, `/-/ready`,
//! `POST /-/reload`. Handlers are plain functions of a request and the [`AppState`], so tests
//! call [`route`] without a socket; the accept loop, connection limits and timeouts are in
//! `server/conn.rs`.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, VARY};
use hyper::{Method, Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::hub::Hub;
use crate::scheduler::wall_now;

mod conn;

pub use conn::{Limits, serve_with_limits};

/// A reload request: the reply says whether the new config was applied.
pub type ReloadRequest = oneshot::Sender<Result<(), String>>;

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

type Resp = Response<Full<Bytes>>;

fn text(status: StatusCode, body: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(Full::new(body.into()));
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
        let body = crate::metrics::exposition(&st.hub, &buckets);
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
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            if enc.write_all(&body).is_ok()
                && let Ok(z) = enc.finish()
            {
                r.headers_mut().insert(
                    CONTENT_ENCODING,
                    hyper::header::HeaderValue::from_static("gzip"),
                );
                *r.body_mut() = Full::new(Bytes::from(z));
                return r;
            }
        }
        *r.body_mut() = Full::new(body);
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
            text(StatusCode::OK, targets_json(&st.hub).to_string()),
            "application/json",
        ),
        "/" => with_type(
            text(StatusCode::OK, landing(&st.hub, &st.telemetry_path)),
            "text/html; charset=utf-8",
        ),
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// `/api/v1/targets`: every target, its last poll, its error, each resource's last success.
pub fn targets_json(hub: &Hub) -> serde_json::Value {
    let snaps = hub.snapshots();
    let now = wall_now();
    let mut out = Vec::new();
    for name in hub.target_names() {
        let Some(s) = snaps.iter().find(|s| s.name == name) else {
            out.push(serde_json::json!({"name": name, "polled": false}));
            continue;
        };
        let mut resources = serde_json::Map::new();
        for r in &s.tallies.resources {
            let last_success = latest(&s.tallies, r, |l| l.last_success);
            let last_failure = latest(&s.tallies, r, |l| l.last_failure);
            resources.insert(
                r.clone(),
                serde_json::json!({
                    "last_success": last_success,
                    "last_success_age_seconds": last_success.map(|t| (now - t).max(0.0)),
                    "last_failure": last_failure,
                    "active_tasks": s.tallies.active.iter().filter(|a| &a.resource == r).count(),
                }),
            );
        }
        let units: serde_json::Map<String, serde_json::Value> = s
            .status
            .units
            .iter()
            .map(|(u, h)| {
                (
                    u.clone(),
                    serde_json::json!({
                        "up": h.up,
                        "last_success": h.last_success,
                        "error": h.last_error.as_ref().map(|e| serde_json::json!({"reason": e.reason(), "message": e.message})),
                    }),
                )
            })
            .collect();
        out.push(serde_json::json!({
            "name": s.name,
            "provider": s.provider.as_str(),
            "labels": s.labels,
            "polled": s.status.polled,
            "up": s.status.up,
            "last_poll": s.status.last_attempt,
            "last_success": s.status.last_success,
            "error": s.status.last_error.as_ref().map(|e| serde_json::json!({"reason": e.reason(), "message": e.message})),
            "resources_polled": s.status.resources,
            "units": units,
            "tracked_tasks": s.tracked,
            "resources": resources,
        }));
    }
    serde_json::json!({ "targets": out })
}

/// The latest of a `last_*` time over every task type of one resource.
fn latest(
    tallies: &crate::accounting::Tallies,
    resource: &str,
    pick: impl Fn(&crate::accounting::LastCompletion) -> Option<f64>,
) -> Option<f64> {
    tallies
        .last
        .iter()
        .filter(|((res, _), _)| res == resource)
        .filter_map(|(_, l)| pick(l))
        .reduce(f64::max)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn age(now: f64, t: Option<f64>) -> String {
    match t {
        None => "never".to_string(),
        Some(t) => format!("{} ago", human((now - t).max(0.0) as u64)),
    }
}

/// `42s`, `36m 20s`, `2h 5m`, `3d 4h`: the two largest units, for people.
fn human(secs: u64) -> String {
    let units = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];
    let Some(i) = units.iter().position(|(n, _)| secs >= *n) else {
        return "0s".to_string();
    };
    let (big, b) = units[i];
    let mut out = format!("{}{b}", secs / big);
    if let Some((small, s)) = units.get(i + 1) {
        let rest = secs % big / small;
        if rest > 0 {
            out.push_str(&format!(" {rest}{s}"));
        }
    }
    out
}

fn landing(hub: &Hub, metrics_path: &str) -> String {
    let now = wall_now();
    let mut rows = String::new();
    let snaps = hub.snapshots();
    for name in hub.target_names() {
        let Some(s) = snaps.iter().find(|s| s.name == name) else {
            rows.push_str(&format!("<tr><td>{}</td><td></td><td class=wait>waiting for first poll</td><td></td><td></td></tr>\n", esc(&name)));
            continue;
        };
        let (class, state) = if s.status.up {
            ("ok", "up")
        } else {
            ("bad", "down")
        };
        let mut err = s
            .status
            .last_error
            .as_ref()
            .map(|e| format!("{}: {}", e.reason(), esc(&e.message)))
            .unwrap_or_default();
        for (unit, h) in &s.status.units {
            if let Some(e) = h.last_error.as_ref().filter(|_| !h.up) {
                err.push_str(&format!(
                    "<br><span class=bad>{}: {}: {}</span>",
                    esc(unit),
                    e.reason(),
                    esc(&e.message)
                ));
            }
        }
        let mut res = String::new();
        for r in &s.tallies.resources {
            let ls = latest(&s.tallies, r, |l| l.last_success);
            let class = match ls {
                Some(t) if now - t < 86_400.0 => "ok",
                Some(t) if now - t < 3.0 * 86_400.0 => "warn",
                _ => "bad",
            };
            res.push_str(&format!(
                "<span class={class}>{}: {}</span><br>",
                esc(r),
                age(now, ls)
            ));
        }
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class={class}>{state}, last poll {}</td><td>{err}</td><td>{res}</td></tr>\n",
            esc(&s.name),
            s.provider.as_str(),
            age(now, s.status.last_attempt)
        ));
    }
    format!(
        "<!doctype html><html><head><meta charset=utf-8><title>cloud-task-exporter</title><style>\
body{{font-family:sans-serif;margin:2em}}td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}}table{{border-collapse:collapse}}\
.ok{{color:#1a7f37}}.warn{{color:#9a6700}}.bad{{color:#cf222e}}.wait{{color:#666}}</style></head><body>\
<h1>cloud-task-exporter</h1><p><a href=\"{m}\">Metrics</a> · <a href=\"/api/v1/targets\">Targets (JSON)</a> · \
<a href=\"/-/healthy\">Health</a> · <a href=\"/-/ready\">Readiness</a></p><p>Version {v}</p>\
<table><tr><th>Target</th><th>Provider</th><th>Last poll</th><th>Error</th><th>Last success per resource</th></tr>\n{rows}</table></body></html>\n",
        m = esc(metrics_path),
        v = crate::metrics::VERSION,
    )
}

/// Serves plain HTTP without auth until `stop` fires.
pub async fn serve(listener: TcpListener, st: AppState, stop: CancellationToken) {
    serve_with(listener, st, crate::web::Web::default(), stop).await
}

/// Serves until `stop` fires, with the TLS, basic auth and headers of `web`
/// (`--web.config.file`) and the default connection [`Limits`].
pub async fn serve_with(
    listener: TcpListener,
    st: AppState,
    web: crate::web::Web,
    stop: CancellationToken,
) {
    serve_with_limits(listener, st, web, Limits::default(), stop).await
}

/// Parses `--web.listen-address` (`:9733`, `0.0.0.0:9733`, `[::]:9733`, `127.0.0.1:0`).
pub fn parse_listen(addr: &str) -> Result<SocketAddr, String> {
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
        format!("invalid --web.listen-address {addr:?}: {e}{hint}")
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn listen_address_errors_say_what_to_write() {
        let e = super::parse_listen("9745").unwrap_err();
        assert!(e.contains("write :9745"), "{e}");
        let e = super::parse_listen("localhost:9745").unwrap_err();
        assert!(e.contains("127.0.0.1:9745"), "{e}");
        assert!(super::parse_listen(":9745").is_ok());
    }

    #[test]
    fn ages_read_like_people_write_them() {
        assert_eq!(super::human(0), "0s");
        assert_eq!(super::human(42), "42s");
        assert_eq!(super::human(2180), "36m 20s");
        assert_eq!(super::human(7500), "2h 5m");
        assert_eq!(super::human(3 * 86_400 + 4 * 3600 + 59), "3d 4h");
        assert_eq!(super::human(86_400), "1d");
    }
}
