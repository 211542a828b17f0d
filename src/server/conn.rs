//! The accept loop and the life of one connection: how many are served at once, how long a
//! client may take to send its request headers or keep an idle connection open, and what the
//! loop does when `accept` fails (a full file table).
//!
//! The timeouts follow Go's `net/http` server, which the Prometheus exporter-toolkit serves
//! with: a connection's first request must have its headers complete within
//! [`Limits::header_read_timeout`] of the connection being ready (after the TLS handshake);
//! afterwards a keep-alive connection may wait [`Limits::idle_timeout`] for the first byte of
//! its next request, whose headers must then be complete within the header timeout. A
//! connection on which nothing moves for the idle timeout while no request is being handled
//! (a client that stops reading its response, too) is closed. hyper's own
//! `header_read_timeout` is not used: it starts as soon as hyper waits for a request head, so
//! it also cuts keep-alive connections that are merely idle, and cannot give the two
//! separate limits. A watchdog per connection does both instead, fed by the byte counts of
//! the socket and the start and end of each request.
//!
//! At most [`Limits::max_connections`] connections are served at once; when all are taken,
//! the loop stops accepting and new connections wait in the kernel's listen backlog until one
//! closes (as Prometheus' `--web.max-connections` does). A failed `accept` (`EMFILE`,
//! `ENFILE`) is retried after a delay that doubles from 5 ms to 1 s, as in Go's
//! `http.Server.Serve`, and logged at most once per [`LOG_EVERY`] with a count.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{AppState, route};

/// Connection limits of the HTTP server. [`Limits::default`] is what the exporter runs with
/// (documented in `docs/configuration.md` "Connection limits of the HTTP server"); tests shorten the timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a client may take to complete the TLS handshake.
    pub tls_handshake_timeout: Duration,
    /// From the moment a connection is ready (first request) or the first byte of a request
    /// arrives (later requests) until its headers are complete. Go's `ReadHeaderTimeout`.
    pub header_read_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request, or go without any
    /// byte moving while no request is being handled. Go's `IdleTimeout`.
    pub idle_timeout: Duration,
    /// Connections served at once; beyond that, new ones wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            tls_handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
            max_connections: 512,
        }
    }
}

/// First delay after a failed `accept`; it doubles with each further failure.
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(5);
/// Longest delay between two `accept` attempts.
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// At most one log line per this interval for repeated accept failures or a full server.
pub(crate) const LOG_EVERY: Duration = Duration::from_secs(5);

/// A log line at most every [`LOG_EVERY`], counting the occurrences in between.
#[derive(Debug, Default)]
struct Every {
    last: Option<Instant>,
    /// Occurrences since the last line, the one being logged included.
    count: u64,
}

impl Every {
    /// Counts one occurrence; `Some(count)` when a line is due now.
    fn tick(&mut self, now: Instant) -> Option<u64> {
        self.count += 1;
        if self.last.is_some_and(|l| now < l + LOG_EVERY) {
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.count))
    }
}

/// The delay between failed `accept`s and their rate-limited log.
#[derive(Debug, Default)]
struct AcceptErrors {
    delay: Duration,
    log: Every,
    failures: u64,
}

impl AcceptErrors {
    /// Records a failure: the time to wait before the next attempt.
    fn failed(&mut self, e: &std::io::Error) -> Duration {
        self.delay = if self.delay.is_zero() {
            ACCEPT_BACKOFF_MIN
        } else {
            (self.delay * 2).min(ACCEPT_BACKOFF_MAX)
        };
        self.failures += 1;
        if let Some(failures) = self.log.tick(Instant::now()) {
            tracing::warn!(error = %e, failures, retry_in_ms = self.delay.as_millis() as u64, "Accept failed; backing off.");
        }
        self.delay
    }

    /// Records a success: the delay starts over (the log limit does not, so a loop that
    /// keeps failing and recovering still logs its failures at most once per [`LOG_EVERY`]).
    fn succeeded(&mut self) {
        if self.failures > 0 {
            tracing::info!(failures = self.failures, "Accepting connections again.");
        }
        self.delay = Duration::ZERO;
        self.failures = 0;
    }
}

/// Serves until `stop` fires, with the TLS, basic auth and headers of `web` and these limits.
pub async fn serve_with_limits(
    listener: TcpListener,
    st: AppState,
    web: crate::web::Web,
    limits: Limits,
    stop: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut errors = AcceptErrors::default();
    let mut full = Every::default();
    let mut conns = tokio::task::JoinSet::new();
    loop {
        // A free slot first: while every one is taken, new connections wait in the backlog.
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(s) => s,
            Err(_) => {
                if let Some(times) = full.tick(Instant::now()) {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        times,
                        "Connection limit reached; new connections wait until one closes."
                    );
                }
                tokio::select! {
                    _ = stop.cancelled() => break,
                    s = Arc::clone(&slots).acquire_owned() => match s {
                        Ok(s) => s,
                        Err(_) => break,
                    },
                }
            }
        };
        let (stream, peer) = tokio::select! {
            _ = stop.cancelled() => break,
            r = listener.accept() => match r {
                Ok(x) => {
                    errors.succeeded();
                    x
                }
                Err(e) => {
                    let delay = errors.failed(&e);
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        _ = tokio::time::sleep(delay) => continue,
                    }
                }
            },
        };
        let st = st.clone();
        let stop = stop.clone();
        let web = web.clone();
        conns.spawn(async move {
            let _slot = slot;
            match web.tls() {
                None => serve_conn(stream, peer, st, web, limits, stop).await,
                Some(acceptor) => {
                    let tls = tokio::select! {
                        _ = stop.cancelled() => return,
                        r = tokio::time::timeout(limits.tls_handshake_timeout, acceptor.accept(stream)) => r,
                    };
                    match tls {
                        Ok(Ok(tls)) => serve_conn(tls, peer, st, web, limits, stop).await,
                        Ok(Err(e)) => {
                            tracing::debug!(peer = %peer, error = %e, "TLS handshake failed.");
                        }
                        Err(_) => tracing::debug!(peer = %peer, "TLS handshake timed out."),
                    }
                }
            }
        });
        while conns.try_join_next().is_some() {}
    }
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
}

/// Serves HTTP/1.1 on one connection (plain or TLS) until it closes, a timeout of `limits`
/// closes it, or `stop` fires.
async fn serve_conn<S>(
    stream: S,
    peer: SocketAddr,
    st: AppState,
    web: crate::web::Web,
    limits: Limits,
    stop: CancellationToken,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let io = Tracked {
        inner: stream,
        activity: Arc::clone(&activity),
    };
    let requests = Arc::clone(&activity);
    let svc = service_fn(move |req: Request<Incoming>| {
        let handling = Handling::start(Arc::clone(&requests));
        let st = st.clone();
        let web = web.clone();
        async move {
            let _handling = handling;
            // Every answer but the exposition is scrubbed of secrets: a last line of
            // defence for error text a cloud sent back.
            let scrub = req.uri().path() != st.telemetry_path;
            let mut resp = if web.authorized(req.headers()).await {
                route(req, &st).await
            } else {
                unauthorized()
            };
            if scrub {
                resp = super::body::scrubbed(resp).await;
            }
            web.decorate(&mut resp);
            Ok::<_, Infallible>(resp)
        }
    });
    // No hyper timer: the watchdog below does the header and idle timeouts (module doc).
    let conn = http1::Builder::new()
        .header_read_timeout(None)
        .serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        why = activity.expired(limits) => {
            // Dropping the connection closes the socket.
            tracing::debug!(peer = %peer, reason = why, "Closed a connection.");
        }
        _ = stop.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(2), conn).await;
        }
    }
}

/// What the watchdog of one connection knows.
#[derive(Debug)]
struct State {
    /// When the connection was ready to read its first request.
    opened: Instant,
    /// The last time a byte was read or written, or a request ended.
    last_io: Instant,
    /// When the first byte of the next request arrived, while no request is being handled.
    head_since: Option<Instant>,
    /// Requests being handled.
    in_flight: usize,
    /// Requests started on this connection.
    started: u64,
}

/// The activity of one connection, shared by its socket wrapper, its service and its
/// watchdog.
#[derive(Debug)]
struct Activity {
    state: Mutex<State>,
    changed: Notify,
}

impl Activity {
    fn new() -> Activity {
        let now = Instant::now();
        Activity {
            state: Mutex::new(State {
                opened: now,
                last_io: now,
                head_since: None,
                in_flight: 0,
                started: 0,
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes arrived.
    fn read(&self) {
        let now = Instant::now();
        let mut s = self.lock();
        s.last_io = now;
        if s.in_flight == 0 && s.head_since.is_none() {
            s.head_since = Some(now);
            // The header deadline may come before the idle one the watchdog sleeps on.
            let first = s.started == 0;
            drop(s);
            if !first {
                self.changed.notify_one();
            }
        }
    }

    /// Bytes left.
    fn wrote(&self) {
        self.lock().last_io = Instant::now();
    }

    /// When the connection is to be closed, and why; `None` while a request is handled.
    fn deadline(&self, limits: &Limits) -> Option<(Instant, &'static str)> {
        let s = self.lock();
        if s.in_flight > 0 {
            None
        } else if s.started == 0 {
            Some((
                s.opened + limits.header_read_timeout,
                "no complete request headers in time",
            ))
        } else if let Some(t) = s.head_since {
            Some((
                t + limits.header_read_timeout,
                "no complete request headers in time",
            ))
        } else {
            Some((s.last_io + limits.idle_timeout, "idle for too long"))
        }
    }

    /// Resolves when a deadline passes; says which.
    async fn expired(&self, limits: Limits) -> &'static str {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            match self.deadline(&limits) {
                None => changed.await,
                Some((at, why)) if Instant::now() >= at => return why,
                Some((at, _)) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = changed => {}
                    }
                }
            }
        }
    }
}

/// One request being handled: from the moment hyper has its headers until the service's
/// future ends (answered or dropped).
struct Handling(Arc<Activity>);

impl Handling {
    fn start(activity: Arc<Activity>) -> Handling {
        {
            let mut s = activity.lock();
            s.in_flight += 1;
            s.started += 1;
            s.head_since = None;
        }
        activity.changed.notify_one();
        Handling(activity)
    }
}

impl Drop for Handling {
    fn drop(&mut self) {
        {
            let mut s = self.0.lock();
            s.in_flight -= 1;
            s.last_io = Instant::now();
        }
        self.0.changed.notify_one();
    }
}

/// A socket that tells its [`Activity`] about every byte read or written.
struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The `401` answer to a request without valid credentials.
fn unauthorized() -> hyper::Response<super::Body> {
    let mut r = hyper::Response::new(super::Body::from("Unauthorized\n"));
    *r.status_mut() = hyper::StatusCode::UNAUTHORIZED;
    r.headers_mut().insert(
        hyper::header::WWW_AUTHENTICATE,
        hyper::header::HeaderValue::from_static("Basic"),
    );
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_rate_limited_with_a_count() {
        let mut every = Every::default();
        let t0 = Instant::now();
        assert_eq!(every.tick(t0), Some(1));
        for i in 1..100u64 {
            assert_eq!(every.tick(t0 + Duration::from_millis(i)), None);
        }
        assert_eq!(every.tick(t0 + LOG_EVERY), Some(100));
        assert_eq!(every.tick(t0 + LOG_EVERY + Duration::from_secs(1)), None);
    }

    #[test]
    fn accept_backoff_doubles_from_5ms_to_1s_and_starts_over_after_a_success() {
        let mut errors = AcceptErrors::default();
        let e = std::io::Error::from_raw_os_error(24); // EMFILE
        let delays: Vec<u64> = (0..10)
            .map(|_| errors.failed(&e).as_millis() as u64)
            .collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        errors.succeeded();
        assert_eq!(errors.failed(&e), ACCEPT_BACKOFF_MIN);
    }
}
