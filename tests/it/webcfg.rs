//! `--web.config.file`: TLS, client certificates and basic auth on a real loopback socket,
//! with certificates generated at test time.

use std::path::Path;

use cloud_task_exporter::config::web::WebConfig;
use cloud_task_exporter::web::Web;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

use crate::support::TestServer as Server;

/// A CA and PEM files it signed.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().unwrap();
        Ca {
            issuer: CertifiedIssuer::self_signed(params, key).unwrap(),
        }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// (certificate PEM, key PEM) for a server on 127.0.0.1 or a client.
    fn leaf(&self, server: bool) -> (String, String) {
        let sans = if server {
            vec!["127.0.0.1".to_string(), "localhost".to_string()]
        } else {
            Vec::new()
        };
        let mut params = CertificateParams::new(sans).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, if server { "server" } else { "client" });
        params.extended_key_usages = vec![if server {
            ExtendedKeyUsagePurpose::ServerAuth
        } else {
            ExtendedKeyUsagePurpose::ClientAuth
        }];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// A server certificate signed by a fresh CA, written as `certs/server.{crt,key}` under `dir`;
/// returns the CA.
fn server_files(dir: &Path) -> Ca {
    let ca = Ca::new("server CA");
    let (cert, key) = ca.leaf(true);
    std::fs::create_dir_all(dir.join("certs")).unwrap();
    std::fs::write(dir.join("certs/server.crt"), cert).unwrap();
    std::fs::write(dir.join("certs/server.key"), key).unwrap();
    ca
}

fn load(dir: &Path, yaml: &str) -> Result<WebConfig, String> {
    let path = dir.join("web.yml");
    std::fs::write(&path, yaml).unwrap();
    WebConfig::load(&path).map_err(|e| e.message)
}

fn client(ca: &Ca, identity: Option<(String, String)>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap()])
        .timeout(std::time::Duration::from_secs(20));
    if let Some((cert, key)) = identity {
        b = b.identity(reqwest::Identity::from_pem(format!("{key}{cert}").as_bytes()).unwrap());
    }
    b.build().unwrap()
}

#[tokio::test]
async fn tls_with_basic_auth_admits_only_the_right_password() {
    let dir = tempfile::tempdir().unwrap();
    let ca = server_files(dir.path());
    let hash = bcrypt::hash("s3cret", 4).unwrap();
    // Relative paths resolve against the web config's directory, not the working directory.
    let cfg = load(
        dir.path(),
        &format!(
            "tls_server_config:\n  cert_file: certs/server.crt\n  key_file: certs/server.key\n  min_version: TLS12\nhttp_server_config:\n  http2: true\n  headers:\n    X-Frame-Options: deny\nbasic_auth_users:\n  alice: '{hash}'\n"
        ),
    )
    .unwrap();
    let srv = Server::start(Web::new(&cfg)).await;
    let c = client(&ca, None);

    let r = c.get(srv.url("https", "/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Basic");
    assert_eq!(r.headers()["x-frame-options"], "deny");
    for (user, pw) in [("alice", "wrong"), ("mallory", "s3cret"), ("", "")] {
        let r = c
            .get(srv.url("https", "/metrics"))
            .basic_auth(user, Some(pw))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{user}:{pw}");
    }
    for path in ["/metrics", "/-/healthy", "/", "/metrics"] {
        let r = c
            .get(srv.url("https", path))
            .basic_auth("alice", Some("s3cret"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["x-frame-options"], "deny");
    }
    // Every endpoint needs the password, including unknown paths.
    let r = c.get(srv.url("https", "/nope")).send().await.unwrap();
    assert_eq!(r.status(), 401);

    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap();
    let r = plain
        .get(srv.url("http", "/metrics"))
        .basic_auth("alice", Some("s3cret"))
        .send()
        .await;
    assert!(r.is_err(), "{r:?}");
    // Nor does a client that does not trust the server's CA.
    let other = client(&Ca::new("other CA"), None);
    assert!(
        other
            .get(srv.url("https", "/-/healthy"))
            .send()
            .await
            .is_err()
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn basic_auth_without_tls() {
    let dir = tempfile::tempdir().unwrap();
    let hash = bcrypt::hash("pw", 4).unwrap();
    let cfg = load(dir.path(), &format!("basic_auth_users:\n  bob: {hash}\n")).unwrap();
    assert!(cfg.tls.is_none());
    let srv = Server::start(Web::new(&cfg)).await;
    let c = cloud_task_exporter::provider::http::client();
    let r = c.get(srv.url("http", "/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .get(srv.url("http", "/metrics"))
        .basic_auth("bob", Some("pw"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    srv.shutdown().await;
}

#[tokio::test]
async fn required_client_certificate_refuses_clients_without_a_valid_one() {
    let dir = tempfile::tempdir().unwrap();
    let ca = server_files(dir.path());
    let client_ca = Ca::new("client CA");
    std::fs::write(dir.path().join("clients.pem"), client_ca.pem()).unwrap();
    let cfg = load(
        dir.path(),
        "tls_server_config:\n  cert_file: certs/server.crt\n  key_file: certs/server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: clients.pem\n",
    )
    .unwrap();
    let srv = Server::start(Web::new(&cfg)).await;

    let anonymous = client(&ca, None);
    let r = anonymous.get(srv.url("https", "/-/healthy")).send().await;
    assert!(r.is_err(), "{r:?}");
    let stranger = client(&ca, Some(Ca::new("rogue CA").leaf(false)));
    let r = stranger.get(srv.url("https", "/-/healthy")).send().await;
    assert!(r.is_err(), "{r:?}");
    let known = client(&ca, Some(client_ca.leaf(false)));
    let r = known
        .get(srv.url("https", "/-/healthy"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    srv.shutdown().await;
}

#[tokio::test]
async fn optional_client_certificate_admits_anonymous_clients() {
    let dir = tempfile::tempdir().unwrap();
    let ca = server_files(dir.path());
    let client_ca = Ca::new("client CA");
    std::fs::write(dir.path().join("clients.pem"), client_ca.pem()).unwrap();
    let cfg = load(
        dir.path(),
        "tls_server_config:\n  cert_file: certs/server.crt\n  key_file: certs/server.key\n  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: clients.pem\n  min_version: TLS13\n",
    )
    .unwrap();
    let srv = Server::start(Web::new(&cfg)).await;
    let r = client(&ca, None)
        .get(srv.url("https", "/-/healthy"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client(&ca, Some(client_ca.leaf(false)))
        .get(srv.url("https", "/-/healthy"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    srv.shutdown().await;
}

#[tokio::test]
async fn replacing_the_web_config_changes_users_for_the_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let web = Web::new(&load(dir.path(), "").unwrap());
    let srv = Server::start(web.clone()).await;
    let c = cloud_task_exporter::provider::http::client();
    let r = c.get(srv.url("http", "/-/healthy")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let hash = bcrypt::hash("pw", 4).unwrap();
    web.replace(&load(dir.path(), &format!("basic_auth_users:\n  bob: {hash}\n")).unwrap());
    let r = c.get(srv.url("http", "/-/healthy")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    srv.shutdown().await;
}

#[test]
fn bad_web_configs_name_the_file_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.yml").display().to_string();
    let _ca = server_files(dir.path());
    for (yaml, want) in [
        (
            "tls_server_config:\n  cert_file: certs/server.crt\n  key_flie: certs/server.key\n",
            "line 3: unknown field `key_flie`",
        ),
        (
            "basic_auth_user:\n  a: b\n",
            "line 1: unknown field `basic_auth_user`",
        ),
        (
            "tls_server_config:\n  cert_file: certs/missing.crt\n  key_file: certs/server.key\n",
            "line 2: tls_server_config.cert_file: cannot read",
        ),
        (
            "tls_server_config:\n  cert_file: certs/server.key\n  key_file: certs/server.key\n",
            "tls_server_config.cert_file",
        ),
        (
            "tls_server_config:\n  cert_file: certs/server.crt\n  key_file: certs/server.crt\n",
            "tls_server_config.key_file",
        ),
        (
            "tls_server_config:\n  cert_file: certs/server.crt\n  key_file: certs/server.key\n  client_auth_type: RequireAndVerifyClientCert\n",
            "needs client_ca_file",
        ),
        (
            "tls_server_config:\n  cert_file: certs/server.crt\n  key_file: certs/server.key\n  client_ca_file: certs/server.crt\n",
            "client_auth_type is NoClientCert",
        ),
        (
            "tls_server_config:\n  cert_file: certs/server.crt\n  key_file: certs/server.key\n  min_version: TLS13\n  max_version: TLS12\n",
            "min_version is greater than max_version",
        ),
        (
            "tls_server_config:\n  cert_file: certs/server.crt\n  key_file: certs/server.key\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
            "line 4: tls_server_config.cipher_suites: is not supported",
        ),
        (
            "basic_auth_users:\n  alice: password123\n",
            "line 2: basic_auth_users: user \"alice\": not a bcrypt hash",
        ),
    ] {
        let e = load(dir.path(), yaml).unwrap_err();
        assert!(e.starts_with(&format!("{file}: ")), "{yaml}\n{e}");
        assert!(e.contains(want), "{yaml}\nwant {want:?} in\n{e}");
        assert!(
            !e.contains("password123") && !e.contains("PRIVATE KEY"),
            "{e}"
        );
    }
    let e = WebConfig::load(&dir.path().join("absent.yml")).unwrap_err();
    assert!(
        e.message
            .contains("absent.yml: cannot read web config file")
    );
}
