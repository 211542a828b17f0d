//! The simulator's listener: hyper on `127.0.0.1:0`, faults applied around [`Sim::dispatch`].

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Fault, Sim, SimRequest, SimResponse};

type Body = BoxBody<Bytes, std::io::Error>;

/// A running simulator.
#[derive(Debug)]
pub struct FakeCloud {
    addr: SocketAddr,
    sim: Arc<Sim>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl FakeCloud {
    /// Starts a simulator over `sim` on `127.0.0.1:0`.
    pub async fn start(sim: Arc<Sim>) -> std::io::Result<FakeCloud> {
        Self::start_on(
            sim,
            "127.0.0.1:0"
                .parse()
                .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0))),
        )
        .await
    }

    /// Starts a simulator over `sim` on a given address.
    pub async fn start_on(sim: Arc<Sim>, addr: SocketAddr) -> std::io::Result<FakeCloud> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let stop = CancellationToken::new();
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&sim), stop.clone()));
        Ok(FakeCloud {
            addr,
            sim,
            stop,
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the base URL to configure as `endpoint` & co.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The shared state.
    pub fn sim(&self) -> &Arc<Sim> {
        &self.sim
    }

    /// Stops accepting and waits for the accept loop to end.
    pub async fn shutdown(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

async fn accept_loop(listener: TcpListener, sim: Arc<Sim>, stop: CancellationToken) {
    loop {
        let stream = tokio::select! {
            _ = stop.cancelled() => return,
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(_) => continue,
            },
        };
        let sim = Arc::clone(&sim);
        let stop = stop.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| handle(Arc::clone(&sim), req));
            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                _ = conn => {}
                _ = stop.cancelled() => {}
            }
        });
    }
}

#[derive(Debug)]
struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("simulated connection reset")
    }
}

impl std::error::Error for ResetConnection {}

async fn handle(sim: Arc<Sim>, req: Request<Incoming>) -> Result<Response<Body>, ResetConnection> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let sreq = SimRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    };
    let service = Sim::service_of(&sreq);
    sim.run_hooks(service);
    let fault = sim.take_fault(service, &sreq);
    if let Some(Fault::Delay(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    let resp = match &fault {
        Some(Fault::Reset) => {
            sim.record(service, sreq, 0);
            return Err(ResetConnection);
        }
        Some(Fault::Status {
            status,
            body,
            retry_after,
        }) => {
            let mut r = SimResponse {
                status: *status,
                headers: vec![("content-type".into(), "application/json".into())],
                body: Bytes::from(body.clone()),
            };
            if let Some(ra) = retry_after {
                r = r.with_header("retry-after", ra);
            }
            r
        }
        Some(Fault::EchoCredentials(status)) => echo_credentials(*status, &sreq),
        Some(Fault::RawBody(b)) => SimResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: b.clone(),
        },
        Some(Fault::Garbage(g)) => SimResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Bytes::from(g.clone()),
        },
        Some(Fault::Oversize(n)) => {
            let pad = "x".repeat(n.saturating_sub(16));
            SimResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: Bytes::from(format!("{{\"pad\":\"{pad}\"}}")),
            }
        }
        _ => sim.dispatch(&sreq),
    };
    sim.record(service, sreq, resp.status);
    let mut builder = Response::builder().status(resp.status);
    for (k, v) in &resp.headers {
        builder = builder.header(k, v);
    }
    let body: Body = if matches!(fault, Some(Fault::Truncate)) {
        builder = builder.header("content-length", resp.body.len().to_string());
        let half = resp.body.slice(..resp.body.len() / 2);
        let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = vec![
            Ok(Frame::data(half)),
            Err(std::io::Error::other("simulated truncation")),
        ];
        BodyExt::boxed(StreamBody::new(futures_stream(frames)))
    } else {
        Full::new(resp.body)
            .map_err(|e: Infallible| match e {})
            .boxed()
    };
    builder.body(body).map_err(|_| ResetConnection)
}

/// The answer of [`Fault::EchoCredentials`]: the credentials first, so that any cut of the
/// message a client makes still holds them.
fn echo_credentials(status: u16, req: &SimRequest) -> SimResponse {
    let mut quoted: Vec<String> = [
        "authorization",
        "x-auth-token",
        "x-security-token",
        "x-amz-security-token",
    ]
    .iter()
    .filter_map(|h| Some(format!("{h}: {}", req.header(h)?)))
    .collect();
    if !req.body.is_empty() {
        quoted.push(format!("body: {}", String::from_utf8_lossy(&req.body)));
    }
    let message = format!("The request was refused; it carried {}", quoted.join("; "));
    SimResponse::json(
        status,
        &serde_json::json!({"code": status, "message": message}),
    )
}

fn futures_stream(
    items: Vec<Result<Frame<Bytes>, std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<Frame<Bytes>, std::io::Error>> + Send + Sync + 'static
{
    // Between two frames the stream yields once, so hyper flushes the headers and the first
    // part of the body to the socket before the error aborts the connection: the client sees
    // a response that starts well and is then cut short.
    struct Iter {
        items: std::vec::IntoIter<Result<Frame<Bytes>, std::io::Error>>,
        yielded: bool,
    }
    impl futures_core::Stream for Iter {
        type Item = Result<Frame<Bytes>, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            if !self.yielded {
                self.yielded = true;
                cx.waker().wake_by_ref();
                return std::task::Poll::Pending;
            }
            self.yielded = false;
            std::task::Poll::Ready(self.items.next())
        }
    }
    Iter {
        items: items.into_iter(),
        yielded: true,
    }
}
