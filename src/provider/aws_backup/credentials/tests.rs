//! The sources as the config load resolves them: the default chain's order (botocore's
//! `create_credential_resolver` in `botocore/credentials.py`), profiles of the shared files,
//! the variables' precedence, and what is refused.

use std::path::Path;

use super::chain::resolve;
use super::profile::{Files, explicit};
use super::source::Env;
use super::*;

const SECRET: &str = "test-secret-key-0123456789abcdefghij";

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    /// A home directory with `~/.aws/credentials` and `~/.aws/config` as given (`None`: absent).
    fn new(credentials: Option<&str>, config: Option<&str>) -> Home {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".aws")).unwrap();
        if let Some(c) = credentials {
            std::fs::write(dir.path().join(".aws/credentials"), c).unwrap();
        }
        if let Some(c) = config {
            std::fs::write(dir.path().join(".aws/config"), c).unwrap();
        }
        Home { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// An environment with `HOME` and `vars`.
    fn env(&self, vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let home = self.path().display().to_string();
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |n: &str| {
            if n == "HOME" {
                return Some(home.clone());
            }
            vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone())
        }
    }
}

/// The chain's choice, described (secrets never appear in it).
fn chosen(env: &Env<'_>) -> String {
    let s = resolve(env, None).unwrap_or_else(|e| panic!("{e}"));
    let d = describe(&s);
    assert!(!d.contains(SECRET), "{d}");
    d
}

fn keys_of(s: &Source) -> (String, Option<String>) {
    match s {
        Source::Static(k) | Source::Environment(k) => (
            k.access_key_id.expose().to_string(),
            k.session_token.as_ref().map(|t| t.expose().to_string()),
        ),
        Source::Profile { resolved, .. } => keys_of(resolved),
        other => panic!("not keys: {other:?}"),
    }
}

const CREDENTIALS: &str = "[default]\naws_access_key_id = AKIAFILEDEFAULT\naws_secret_access_key = test-secret-key-0123456789abcdefghij\n\n[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = test-secret-key-0123456789abcdefghij\naws_session_token = base-session-token\n";

#[test]
fn the_chain_goes_in_botocores_order() {
    let config = "[default]\nregion = eu-west-1\n[profile cfg]\naws_access_key_id = AKIACONFIG\naws_secret_access_key = test-secret-key-0123456789abcdefghij\n\
                  [profile role]\nrole_arn = arn:aws:iam::111122223333:role/r\nsource_profile = base\n";
    let home = Home::new(Some(CREDENTIALS), Some(config));
    let token = home.path().join("token");
    let token = token.display().to_string();
    let web = [
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token.as_str()),
        ("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/web"),
    ];
    let env_keys = [
        ("AWS_ACCESS_KEY_ID", "AKIAENV"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
    ];
    // 1. The environment's keys come first, before any profile or web identity.
    let all: Vec<(&str, &str)> = env_keys
        .iter()
        .chain(web.iter())
        .chain([("AWS_PROFILE", "role")].iter())
        .copied()
        .collect();
    assert_eq!(chosen(&home.env(&all)), "environment (AWS_ACCESS_KEY_ID)");
    // 2. A role of the profile comes before web identity from the variables.
    let role_web: Vec<(&str, &str)> = web
        .iter()
        .chain([("AWS_PROFILE", "role")].iter())
        .copied()
        .collect();
    let d = chosen(&home.env(&role_web));
    assert!(
        d.starts_with("profile role (")
            && d.contains("assume role arn:aws:iam::111122223333:role/r with profile base ("),
        "{d}"
    );
    assert!(d.ends_with("): static keys"), "{d}");
    // 3. Web identity from the variables comes before the profile's keys.
    assert_eq!(
        chosen(&home.env(&web)),
        format!("web identity (arn:aws:iam::111122223333:role/web, token file {token})")
    );
    // 5. The credentials file's keys, then 7. the config file's.
    let s = resolve(&home.env(&[]), None).unwrap();
    assert_eq!(keys_of(&s).0, "AKIAFILEDEFAULT");
    let s = resolve(&home.env(&[("AWS_PROFILE", "cfg")]), None).unwrap();
    assert_eq!(keys_of(&s).0, "AKIACONFIG");
    assert!(describe(&s).contains(".aws/config"), "{}", describe(&s));
    // 9. The instance's role last.
    let empty = Home::new(None, None);
    assert_eq!(
        chosen(&empty.env(&[])),
        "instance metadata (http://169.254.169.254)"
    );
}

#[test]
fn the_variables_of_the_environment_step() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |n: &str| {
            vars.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        }
    };
    // Botocore reads AWS_SECURITY_TOKEN before AWS_SESSION_TOKEN.
    let s = resolve(
        &env(&[
            ("AWS_ACCESS_KEY_ID", "AKIAENV"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_SESSION_TOKEN", "session-token"),
            ("AWS_SECURITY_TOKEN", "security-token"),
        ]),
        None,
    )
    .unwrap();
    assert_eq!(keys_of(&s).1.as_deref(), Some("security-token"));
    // A key id without its secret stops the chain, as botocore's PartialCredentialsError.
    let e = resolve(&env(&[("AWS_ACCESS_KEY_ID", "AKIAENV")]), None).unwrap_err();
    assert_eq!(e, "environment: AWS_SECRET_ACCESS_KEY is not set");
    // A blank key id is no key id.
    let s = resolve(&env(&[("AWS_ACCESS_KEY_ID", " ")]), None).unwrap();
    assert!(matches!(s, Source::InstanceMetadata { .. }));
}

#[test]
fn the_instance_metadata_step_honours_its_variables() {
    let home = Home::new(
        None,
        Some("[default]\nec2_metadata_service_endpoint = http://10.0.0.1:8080/\n"),
    );
    let url = |vars: &[(&str, &str)]| match resolve(&home.env(vars), None) {
        Ok(Source::InstanceMetadata { url }) => url.to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(url(&[]), "http://10.0.0.1:8080", "the profile's endpoint");
    assert_eq!(
        url(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9")]),
        "http://127.0.0.1:9"
    );
    let bare = Home::new(None, None);
    let v6 = resolve(
        &bare.env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6")]),
        None,
    )
    .unwrap();
    assert_eq!(describe(&v6), "instance metadata (http://[fd00:ec2::254])");
    // The config's metadata_url wins.
    let over = BaseUrl::parse("http://127.0.0.1:1").unwrap();
    let s = resolve(&bare.env(&[]), Some(over)).unwrap();
    assert_eq!(describe(&s), "instance metadata (http://127.0.0.1:1)");
    // Disabled, and nothing else: the chain finds nothing and says what it looked at.
    let e = resolve(&bare.env(&[("AWS_EC2_METADATA_DISABLED", "True")]), None).unwrap_err();
    assert!(
        e.starts_with(
            "no credentials found: AWS_ACCESS_KEY_ID is not set, profile 'default' has none in "
        ),
        "{e}"
    );
    assert!(e.ends_with("and AWS_EC2_METADATA_DISABLED is true"), "{e}");
    let e = resolve(
        &bare.env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "169.254.169.254")]),
        None,
    )
    .unwrap_err();
    assert!(e.starts_with("AWS_EC2_METADATA_SERVICE_ENDPOINT: "), "{e}");
    // 8. Container credentials come before the instance's role.
    let s = resolve(
        &bare.env(&[(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://169.254.170.23/v1/credentials",
        )]),
        None,
    )
    .unwrap();
    assert_eq!(
        describe(&s),
        "container credentials (http://169.254.170.23/v1/credentials)"
    );
}

#[test]
fn a_named_profile_must_exist() {
    let home = Home::new(Some(CREDENTIALS), None);
    let e = resolve(&home.env(&[("AWS_PROFILE", "nope")]), None).unwrap_err();
    assert!(
        e.starts_with("AWS_PROFILE names profile 'nope', which is in neither "),
        "{e}"
    );
    // AWS_DEFAULT_PROFILE is read first.
    let s = resolve(
        &home.env(&[("AWS_DEFAULT_PROFILE", "base"), ("AWS_PROFILE", "nope")]),
        None,
    )
    .unwrap();
    assert_eq!(
        keys_of(&s),
        ("AKIABASE".into(), Some("base-session-token".into()))
    );
}

fn files(home: &Home, env: &Env<'_>) -> Files {
    let _ = home;
    Files::locate(env, None, None).unwrap()
}

#[test]
fn an_explicit_profile_reads_no_variables() {
    let home = Home::new(Some(CREDENTIALS), None);
    let env = home.env(&[
        ("AWS_ACCESS_KEY_ID", "AKIAENV"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"),
        ("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/web"),
    ]);
    let f = files(&home, &env);
    let s = explicit(&f, "default", &env).unwrap();
    assert_eq!(keys_of(&s).0, "AKIAFILEDEFAULT");
    let e = explicit(&f, "missing", &env).err().unwrap();
    assert!(e.starts_with("no profile 'missing' in "), "{e}");
    // The files the variables name.
    let other = Home::new(None, None);
    let path = home.path().join(".aws/credentials").display().to_string();
    let env = other.env(&[("AWS_SHARED_CREDENTIALS_FILE", &path)]);
    let s = explicit(&files(&other, &env), "base", &env).unwrap();
    assert_eq!(keys_of(&s).0, "AKIABASE");
}

#[test]
fn roles_chain_through_source_profiles() {
    let config = "[profile prod]\nrole_arn = arn:aws:iam::111122223333:role/prod\nsource_profile = hop\nexternal_id = ext-1\nrole_session_name = backups\nduration_seconds = 1800\n\
                  [profile hop]\nrole_arn = arn:aws:iam::111122223333:role/hop\nsource_profile = base\n\
                  [profile self]\nrole_arn = arn:aws:iam::111122223333:role/self\nsource_profile = self\naws_access_key_id = AKIASELF\naws_secret_access_key = test-secret-key-0123456789abcdefghij\n\
                  [profile a]\nrole_arn = arn:aws:iam::111122223333:role/a\nsource_profile = b\n\
                  [profile b]\nrole_arn = arn:aws:iam::111122223333:role/b\nsource_profile = a\n\
                  [profile env]\nrole_arn = arn:aws:iam::111122223333:role/env\ncredential_source = Environment\n\
                  [profile ec2]\nrole_arn = arn:aws:iam::111122223333:role/ec2\ncredential_source = Ec2InstanceMetadata\n\
                  [profile wi]\nrole_arn = arn:aws:iam::111122223333:role/wi\nweb_identity_token_file = /var/run/token\nrole_session_name = wi-session\n";
    let home = Home::new(Some(CREDENTIALS), Some(config));
    let env = home.env(&[]);
    let f = files(&home, &env);
    let Source::Profile { resolved, .. } = explicit(&f, "prod", &env).unwrap() else {
        panic!()
    };
    let Source::AssumeRole { role, base } = *resolved else {
        panic!()
    };
    assert_eq!(
        role,
        Role {
            role_arn: "arn:aws:iam::111122223333:role/prod".into(),
            external_id: Some("ext-1".into()),
            session_name: Some("backups".into()),
            duration_seconds: Some(1800),
        }
    );
    let d = describe(&base);
    assert!(
        d.starts_with("profile hop")
            && d.contains("assume role arn:aws:iam::111122223333:role/hop with profile base"),
        "{d}"
    );
    // A profile may source itself for its own keys.
    let s = explicit(&f, "self", &env).unwrap();
    assert!(
        describe(&s).contains("role/self with profile self"),
        "{}",
        describe(&s)
    );
    let e = explicit(&f, "a", &env).err().unwrap();
    assert_eq!(e, "profiles source each other in a loop: a → b → a");
    // credential_source: the environment's keys, or the instance's role.
    let e = explicit(&f, "env", &env).err().unwrap();
    assert_eq!(
        e,
        "profile 'env': credential_source Environment, but AWS_ACCESS_KEY_ID is not set"
    );
    let with_keys = home.env(&[
        ("AWS_ACCESS_KEY_ID", "AKIAENV"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
    ]);
    let s = explicit(&f, "env", &with_keys).unwrap();
    assert!(
        describe(&s).ends_with("with environment (AWS_ACCESS_KEY_ID)"),
        "{}",
        describe(&s)
    );
    let s = explicit(&f, "ec2", &env).unwrap();
    assert!(describe(&s).ends_with("with instance metadata (http://169.254.169.254)"));
    // Web identity in a profile.
    let Source::Profile { resolved, .. } = explicit(&f, "wi", &env).unwrap() else {
        panic!()
    };
    assert_eq!(
        *resolved,
        Source::WebIdentity(WebIdentity {
            role_arn: "arn:aws:iam::111122223333:role/wi".into(),
            token_file: "/var/run/token".into(),
            session_name: Some("wi-session".into()),
        })
    );
}

#[test]
fn what_an_exporter_cannot_do_is_refused_by_name() {
    let config = "[profile sso]\nsso_session = corp\nsso_account_id = 1\n\
                  [profile proc]\ncredential_process = /bin/creds\n\
                  [profile mfa]\nrole_arn = arn:aws:iam::111122223333:role/m\nsource_profile = base\nmfa_serial = arn:aws:iam::1:mfa/u\n\
                  [profile norole]\nweb_identity_token_file = /t\n\
                  [profile nosource]\nrole_arn = arn:aws:iam::111122223333:role/n\n\
                  [profile both]\nrole_arn = arn:aws:iam::111122223333:role/n\nsource_profile = base\ncredential_source = Environment\n\
                  [profile half]\naws_access_key_id = AKIAHALF\n\
                  [profile empty]\nregion = eu-west-1\n";
    let home = Home::new(Some(CREDENTIALS), Some(config));
    let env = home.env(&[]);
    let f = files(&home, &env);
    let err = |p: &str| explicit(&f, p, &env).err().unwrap();
    assert!(
        err("sso").contains("IAM Identity Center (SSO)"),
        "{}",
        err("sso")
    );
    assert!(
        err("proc").contains("credential_process"),
        "{}",
        err("proc")
    );
    assert!(err("mfa").contains("MFA code"), "{}", err("mfa"));
    assert!(
        err("norole").contains("no role ARN is set"),
        "{}",
        err("norole")
    );
    assert_eq!(
        err("nosource"),
        "profile 'nosource' has role_arn but neither source_profile nor credential_source"
    );
    assert_eq!(
        err("both"),
        "profile 'both' has both source_profile and credential_source"
    );
    assert!(
        err("half").ends_with(": aws_secret_access_key is missing or empty")
            && !err("half").contains(SECRET),
        "{}",
        err("half")
    );
    assert!(
        err("empty").starts_with("profile 'empty' has no credentials"),
        "{}",
        err("empty")
    );
    // A file that configparser refuses is an error naming it and the line.
    let bad = Home::new(Some("[default]\naws_access_key_id = A\n[default]\n"), None);
    let env = bad.env(&[]);
    let e = Files::locate(&env, None, None).err().unwrap();
    assert!(
        e.starts_with("cannot parse ") && e.ends_with("line 3: section [default] appears twice"),
        "{e}"
    );
}

#[test]
fn describing_never_shows_a_secret() {
    let keys = StaticKeys {
        access_key_id: Secret::new("AKIADESCRIBE0000"),
        secret_access_key: Secret::new(SECRET),
        session_token: Some(Secret::new("describe-session-token")),
        expires: None,
    };
    let s = Source::AssumeRole {
        role: Role {
            role_arn: "arn:aws:iam::111122223333:role/r".into(),
            external_id: Some("external-id-value".into()),
            session_name: None,
            duration_seconds: None,
        },
        base: Box::new(Source::Environment(keys)),
    };
    let auth = Auth {
        source: s,
        sts_endpoint: None,
        by_chain: false,
    };
    let cs = CredentialSource::new(&auth, "eu-west-1");
    let shown = format!("{} {cs:?} {auth:?}", cs.describe());
    for secret in [SECRET, "AKIADESCRIBE0000", "describe-session-token"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert_eq!(
        cs.describe(),
        "assume role arn:aws:iam::111122223333:role/r with environment (AWS_ACCESS_KEY_ID)"
    );
}
