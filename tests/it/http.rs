//! HTTP routes, called without a socket.

use std::sync::{Arc, RwLock};

use cloud_task_exporter::accounting::Account;
use cloud_task_exporter::hub::Hub;
use cloud_task_exporter::provider::ProviderKind;
use cloud_task_exporter::server::{AppState, route};
use http_body_util::BodyExt;
use hyper::Request;

use crate::support::{BUCKETS, snapshot};

fn state(hub: Arc<Hub>) -> AppState {
    AppState {
        hub,
        telemetry_path: "/metrics".to_string(),
        buckets: Arc::new(RwLock::new(BUCKETS.to_vec())),
        reload: None,
    }
}

async fn get(st: &AppState, path: &str) -> (u16, String) {
    let resp = route(Request::get(path).body(()).unwrap(), st).await;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn ready_only_after_every_target_polled() {
    let hub = Hub::new();
    hub.set_targets(&["a".to_string(), "b".to_string()]);
    let st = state(Arc::clone(&hub));
    assert_eq!(get(&st, "/-/healthy").await.0, 200);
    assert_eq!(get(&st, "/-/ready").await.0, 503);
    hub.publish(snapshot(
        "a",
        ProviderKind::YandexBackup,
        Account::default(),
        true,
    ));
    assert_eq!(get(&st, "/-/ready").await.0, 503);
    hub.publish(snapshot(
        "b",
        ProviderKind::YandexBackup,
        Account::default(),
        false,
    ));
    assert_eq!(get(&st, "/-/ready").await.0, 200);
}

#[tokio::test]
async fn routes_and_methods() {
    let hub = Hub::new();
    hub.set_targets(&["a".to_string()]);
    hub.publish(snapshot(
        "a",
        ProviderKind::YandexBackup,
        Account::new(&["backup"], &["vm1".to_string()]),
        true,
    ));
    let st = state(hub);
    let (code, body) = get(&st, "/metrics").await;
    assert_eq!(code, 200);
    assert!(
        body.contains(
            "cloud_task_target_up{provider=\"yandex_backup\",target=\"a\",env=\"test\"} 1"
        ),
        "{body}"
    );
    let (code, body) = get(&st, "/api/v1/targets").await;
    assert_eq!(code, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["targets"][0]["name"], "a");
    assert_eq!(v["targets"][0]["up"], true);
    let (code, body) = get(&st, "/").await;
    assert_eq!(code, 200);
    assert!(body.contains("<td>a</td>"));
    assert_eq!(get(&st, "/nope").await.0, 404);
    let resp = route(Request::post("/metrics").body(()).unwrap(), &st).await;
    assert_eq!(resp.status().as_u16(), 405);
    let resp = route(Request::post("/-/reload").body(()).unwrap(), &st).await;
    assert_eq!(
        resp.status().as_u16(),
        403,
        "reload needs --web.enable-lifecycle"
    );
}

#[tokio::test]
#[cfg_attr(
    missing_promtool,
    ignore = "needs promtool (apt-get install prometheus); CI installs it and runs this"
)]
async fn metrics_gzip_when_asked() {
    let hub = Hub::new();
    hub.set_targets(&["a".to_string()]);
    hub.publish(snapshot(
        "a",
        ProviderKind::YandexBackup,
        Account::default(),
        true,
    ));
    let st = state(hub);
    let resp = route(
        Request::get("/metrics")
            .header("accept-encoding", "deflate, gzip;q=1.0")
            .body(())
            .unwrap(),
        &st,
    )
    .await;
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    // Every gzip member, as Prometheus (Go's gzip.Reader) reads them.
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(&body[..]), &mut text)
        .unwrap();
    assert!(text.contains("cloud_task_target_up"));
    if cfg!(target_os = "linux") {
        assert!(text.contains("process_cpu_seconds_total"), "{text}");
    }
    crate::support::promtool_check(&text).unwrap();
    // The task families are compressed once per generation: a second scrape reuses them.
    let gz = |st: &cloud_task_exporter::server::AppState| {
        cloud_task_exporter::metrics::exposition_gzip(&st.hub, &BUCKETS)
    };
    let first = st
        .hub
        .cached_gzip(|_| unreachable!("cached by the scrape above"));
    assert!(gz(&st).starts_with(&first));
    st.hub.publish(snapshot(
        "a",
        ProviderKind::YandexBackup,
        Account::default(),
        false,
    ));
    let again = gz(&st);
    assert!(
        !again.starts_with(&first),
        "a publish makes a new generation"
    );
}
