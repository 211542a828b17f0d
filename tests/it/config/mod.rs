//! The configuration loader (`docs/configuration.md`): defaults, overrides, `${VAR}`, `*_file` secrets, and one
//! test per kind of error, each asserting the message names the file, line, target and key.
//! One topic per file under `config/`; the helpers they share are here.

use std::path::Path;

use cloud_task_exporter::config::{self, Config, ConfigErrors};

// Valid configs: defaults, overrides, every key.
mod loading;
// Errors in the file's shape: YAML, keys, types, empty values.
mod syntax;
// Errors in a target: name, provider, units, provider keys, endpoints, labels.
mod targets;
// Errors in a target's auth.
mod auth;
// Poll settings and expectations: what is valid, what is an error.
mod settings;
// ${VAR}, *_file secrets, service-account keys, redaction.
mod values;
// config.example.yaml and --check-config.
mod example;

fn env(name: &str) -> Option<String> {
    let v = match name {
        "YC_IAM_TOKEN" => "t1.iam-token-value",
        "HW_ACCESS_KEY" => "AKEXAMPLE",
        "HW_SECRET_KEY" => "sk-example-secret",
        "HW_IAM_PASSWORD" => "iam-password-secret",
        "AWS_ACCESS_KEY_ID" => "AKIAEXAMPLEEXAMPLE01",
        "AWS_SECRET_ACCESS_KEY" => "aws-example-secret-access-key",
        "PAGE" => "50",
        "REGION" => "eu-west-101",
        _ => return None,
    };
    Some(v.to_string())
}

fn load(yaml: &str) -> Result<Config, ConfigErrors> {
    config::load_str_with_env(yaml, Path::new("config.yaml"), &env)
}

fn ok(yaml: &str) -> Config {
    match load(yaml) {
        Ok(c) => c,
        Err(e) => panic!("expected a valid config, got:\n{e}"),
    }
}

fn errors(yaml: &str) -> Vec<String> {
    match load(yaml) {
        Ok(c) => panic!("expected errors, got {c:#?}"),
        Err(e) => e.0.into_iter().map(|e| e.message).collect(),
    }
}

/// The only error of `yaml`.
fn error(yaml: &str) -> String {
    let errs = errors(yaml);
    assert_eq!(errs.len(), 1, "expected one error, got {errs:#?}");
    errs.into_iter().next().unwrap()
}

const YC: &str = "
targets:
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t1.abc }
    compute_instance_ids: [fhm1]
";
