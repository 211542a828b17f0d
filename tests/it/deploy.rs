//! The configuration shipped in `deploy/` is valid: the Kubernetes ConfigMap's `config.yaml`
//! loads (with its secret file provided: its key is parsed as it loads), as `--check-config`
//! would see it inside the pod.

use std::path::Path;

use cloud_task_exporter::config::load_str_with_env;
use cloud_task_exporter::sim::yandex::test_authorized_key_json;

/// The block scalar under `config.yaml: |` in the manifest, de-indented.
fn configmap_config(manifest: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in manifest.lines() {
        if line.trim_end() == "config.yaml: |" || line.trim_end().ends_with(" config.yaml: |") {
            inside = true;
            continue;
        }
        if inside {
            if line.starts_with("---") || (!line.is_empty() && !line.starts_with("    ")) {
                break;
            }
            out.push_str(line.strip_prefix("    ").unwrap_or(line));
            out.push('\n');
        }
    }
    out
}

#[test]
fn kubernetes_configmap_config_loads_and_builds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest =
        std::fs::read_to_string(root.join("deploy/kubernetes/cloud-task-exporter.yaml")).unwrap();
    let text = configmap_config(&manifest);
    assert!(text.contains("targets:"), "config extracted:\n{text}");

    // The pod mounts the key from a Secret; here a temp file stands in for it.
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("sa-key.json");
    std::fs::write(&key, test_authorized_key_json()).unwrap();
    let text = text.replace(
        "/etc/cloud-task-exporter/secrets/sa-key.json",
        key.to_str().unwrap(),
    );
    let cfg = load_str_with_env(&text, Path::new("configmap:config.yaml"), &|_| None)
        .unwrap_or_else(|e| panic!("the shipped config does not load:\n{e}"));
    assert!(!cfg.targets.is_empty());
    assert!(
        cfg.state_file.is_some(),
        "the StatefulSet keeps a state file"
    );
}

/// Every example in `docs/configuration.md` that is a list of targets (`- name: ...`) loads,
/// with its `*_file` secrets and `${VAR}`s provided.
#[test]
fn readme_target_examples_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("docs/configuration.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, test_authorized_key_json()).unwrap();
    let mut checked = 0;
    for block in readme.split("```yaml\n").skip(1) {
        let block = block.split("```").next().unwrap_or_default();
        let first = block
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'));
        if !first.is_some_and(|l| l.starts_with("- name:")) {
            continue;
        }
        let mut text = String::from("targets:\n");
        for line in block.lines() {
            // Point every `*_file:` at a file that exists.
            let line = match line.find("_file: ") {
                Some(i) => {
                    let (head, rest) = line.split_at(i + "_file: ".len());
                    let end = rest.find([' ', ',', '}']).unwrap_or(rest.len());
                    format!("{head}{}{}", secret.display(), &rest[end..])
                }
                None => line.to_string(),
            };
            text.push_str("  ");
            text.push_str(&line);
            text.push('\n');
        }
        // Every variable is set; the one that holds a time holds one.
        let env = |n: &str| match n {
            "AWS_CREDENTIAL_EXPIRATION" => Some("2099-01-01T00:00:00Z".to_string()),
            _ => Some("from-the-environment".to_string()),
        };
        let cfg = load_str_with_env(&text, Path::new("docs/configuration.md"), &env)
            .unwrap_or_else(|e| panic!("an example does not load:\n{e}\n---\n{text}"));
        checked += cfg.targets.len();
    }
    assert!(checked >= 5, "targets checked: {checked}");
}
