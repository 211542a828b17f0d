//! A cloud's error text that quotes credentials (a 401 that echoes the bearer token,
//! an IAM error that repeats the password, the JWT or the OAuth token, a signature error that
//! names the AK and SK) is scrubbed before it is shown: no configured secret and no issued
//! token appears on `/`, in `/api/v1/targets`, in `/metrics` or in the debug log.

use std::time::Duration;

use cloud_task_exporter::sim::yandex::test_authorized_key_json;
use cloud_task_exporter::sim::{FakeCloud, Fault, FaultRule, lock};

use crate::binary::Exporter;
use crate::lifecycle::{
    HW_AK, HW_PASSWORD, HW_PROJECT, HW_SK, YC_OAUTH, YC_TOKEN, assert_nowhere, cbr_target, cloud,
    dms_target, private_key_lines, stop, up, write_config, yc_static, yc_target,
};

const TMP_AK: &str = "SCRUBTEMPORARYAK0001";
const TMP_SK: &str = "scrub-temporary-secret-key-0123456789abcdef";
const TMP_TOKEN: &str = "scrub-security-token-0123456789abcdefghijklmnopqrstuvwxyz";

fn vbs_temporary(name: &str, url: &str) -> String {
    format!(
        "  - name: {name}\n    provider: huawei_vbs\n    endpoint: {url}\n    region: ap-southeast-1\n    project_id: {HW_PROJECT}\n    auth: {{ access_key: {TMP_AK}, secret_key: {TMP_SK}, security_token: {TMP_TOKEN} }}\n    policy_ids: [policy-0001]\n"
    )
}

/// Every credential the simulator `cloud` was sent: bearer and Huawei tokens, security
/// tokens, and what IAM requests carried (JWTs, OAuth tokens, passwords).
fn sent_credentials(cloud: &FakeCloud) -> Vec<String> {
    let mut out = Vec::new();
    for r in cloud.sim().requests() {
        for (k, v) in &r.request.headers {
            match k.as_str() {
                "authorization" => out.extend(v.strip_prefix("Bearer ").map(str::to_string)),
                "x-auth-token" | "x-security-token" => out.push(v.clone()),
                _ => {}
            }
        }
        if let Ok(body) = serde_json::from_slice::<serde_json::Value>(&r.request.body) {
            for p in [
                "/jwt",
                "/yandexPassportOauthToken",
                "/auth/identity/password/user/password",
            ] {
                out.extend(body.pointer(p).and_then(|v| v.as_str()).map(str::to_string));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_10_credentials_echoed_by_a_cloud_appear_nowhere() {
    // Cloud A issues tokens normally; its task APIs answer 401 quoting what they were sent.
    let a = cloud().await;
    lock(&a.sim().huawei).add_temporary_aksk(TMP_AK, TMP_SK, TMP_TOKEN);
    for service in ["yandex_backup", "huawei_dms", "huawei_vbs"] {
        a.sim()
            .inject(FaultRule::service(service, Fault::EchoCredentials(401)));
    }
    a.sim().inject(FaultRule::service(
        "huawei_cbr",
        Fault::Status {
            status: 401,
            body: format!(
                r#"{{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: ak {HW_AK}, sk {HW_SK}, password {HW_PASSWORD}"}}"#
            ),
            retry_after: None,
        },
    ));
    // Cloud B's token services refuse, quoting the request body (JWT, OAuth token, password).
    let b = cloud().await;
    for service in ["yandex_iam", "huawei_iam"] {
        b.sim()
            .inject(FaultRule::service(service, Fault::EchoCredentials(400)));
    }
    let (ua, ub) = (a.url(), b.url());
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("sa-key.json");
    std::fs::write(&key, test_authorized_key_json()).unwrap();
    let cfg = dir.path().join("config.yaml");
    let targets = [
        ("yc-token", "yandex_backup"),
        ("yc-oauth", "yandex_backup"),
        ("hw-kafka", "huawei_dms"),
        ("hw-cbr", "huawei_cbr"),
        ("hw-vbs", "huawei_vbs"),
        ("yc-key-iam", "yandex_backup"),
        ("yc-oauth-iam", "yandex_backup"),
        ("hw-kafka-iam", "huawei_dms"),
    ];
    // Each target waits long for an answer: on a loaded machine the short test timeout can
    // end a poll before the echo arrives, and then no error of it quotes anything.
    let patient = |t: String| format!("{t}    interval: 30s\n    timeout: 20s\n");
    write_config(
        &cfg,
        "",
        &[
            yc_static("yc-token", &ua),
            yc_target(
                "yc-oauth",
                &ua,
                &format!("{{ oauth_token: {YC_OAUTH}, iam_endpoint: {ua} }}"),
            ),
            dms_target("hw-kafka", &ua, HW_PASSWORD),
            cbr_target("hw-cbr", &ua, HW_AK, HW_SK, ""),
            vbs_temporary("hw-vbs", &ua),
            yc_target(
                "yc-key-iam",
                &ub,
                &format!(
                    "{{ service_account_key_file: {}, iam_endpoint: {ub} }}",
                    key.display()
                ),
            ),
            yc_target(
                "yc-oauth-iam",
                &ub,
                &format!("{{ oauth_token: {YC_OAUTH}, iam_endpoint: {ub} }}"),
            ),
            dms_target("hw-kafka-iam", &ub, HW_PASSWORD),
        ]
        .map(patient),
    );
    let exp = Exporter::with_config(&cfg, &["--log.level=debug"]);
    let metrics = exp
        .wait_metrics(Duration::from_secs(45), |m| {
            targets.iter().all(|(t, p)| {
                up(m, t, p) == Some(0.0)
                    && m.lines().any(|l| {
                        // A poll that failed on the echo (not one that timed out on a
                        // loaded machine, which quotes nothing).
                        l.starts_with("cloud_task_target_poll_errors_total{")
                            && l.contains(&format!("target=\"{t}\""))
                            && !l.contains("reason=\"timeout\"")
                            && !l.contains("reason=\"network\"")
                            && !l.ends_with(" 0")
                    })
            })
        })
        .await;
    let (_, page) = exp.get("/").await;
    let (_, json) = exp.get("/api/v1/targets").await;
    let (code, _, log) = stop(exp, "TERM").await;
    assert_eq!(code, Some(0), "log:\n{log}");

    // The echoes happened, and what they quoted shows, scrubbed.
    for (cloud, service) in [
        (&a, "yandex_backup"),
        (&a, "huawei_dms"),
        (&a, "huawei_vbs"),
        (&a, "huawei_cbr"),
        (&b, "yandex_iam"),
        (&b, "huawei_iam"),
    ] {
        let statuses = cloud.sim().statuses_to(service);
        assert!(
            statuses.iter().any(|s| *s == 401 || *s == 400),
            "{service}: {statuses:?}"
        );
    }
    let mut secrets: Vec<String> = [
        YC_TOKEN,
        YC_OAUTH,
        HW_AK,
        HW_SK,
        HW_PASSWORD,
        TMP_AK,
        TMP_SK,
        TMP_TOKEN,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    secrets.extend(private_key_lines());
    let issued = [sent_credentials(&a), sent_credentials(&b)].concat();
    assert!(issued.len() > 10, "few credentials were sent: {issued:?}");
    secrets.extend(issued);
    assert_nowhere(
        secrets,
        &[
            ("log", &log),
            ("/metrics", &metrics),
            ("/", &page),
            ("/api/v1/targets", &json),
        ],
    );
    // Each target logged a failed poll quoting the echo, scrubbed (Huawei targets then back
    // off for 5 minutes, so their latest error on the pages is the back-off).
    for (t, _) in targets {
        assert!(
            log.lines()
                .any(|l| l.contains(&format!("target={t} ")) && l.contains("<redacted>")),
            "{t}: no logged failure shows the echoed credential scrubbed:\n{log}"
        );
    }
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let yc = v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "yc-token")
        .unwrap();
    let message = yc["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Bearer <redacted>"),
        "yc-token: the echo is not shown scrubbed: {message:?}"
    );
    assert!(page.contains("&lt;redacted&gt;"), "{page}");
}
