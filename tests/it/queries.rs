//! Every PromQL query we ship (the Grafana dashboard, the examples in `docs/metrics.md` and the
//! alert rules) names only metrics the exporter serves, and the queries parse as `promtool check
//! rules` sees them (the rules file itself is checked by promtool in `.ci/run`).

use std::path::Path;

use cloud_task_exporter::metrics::names;

const NAMES: &[&str] = names::ALL;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The dashboard's queries with Grafana's variables replaced by what they expand to.
fn dashboard_queries() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("deploy/grafana/cloud-task-exporter.json"))
        .expect("dashboard");
    let dash: serde_json::Value = serde_json::from_str(&text).expect("dashboard is JSON");
    let mut out = Vec::new();
    for p in dash["panels"].as_array().expect("panels") {
        for t in p["targets"].as_array().expect("targets") {
            out.push(
                t["expr"]
                    .as_str()
                    .expect("expr")
                    .replace("$__rate_interval", "5m")
                    .replace("$provider", ".*")
                    .replace("$target", ".*"),
            );
        }
    }
    out
}

/// The ```promql block of `docs/metrics.md`, one query per non-comment line.
fn readme_queries() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("docs/metrics.md")).expect("docs/metrics.md");
    let block = text
        .split("```promql\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a promql block in docs/metrics.md");
    block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

fn metric_names(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = q;
    while let Some(i) = rest.find("cloud_task_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        out.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    out
}

fn served(name: &str) -> bool {
    let base = ["_bucket", "_sum", "_count"]
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(name);
    NAMES.contains(&name) || NAMES.contains(&base)
}

#[test]
#[cfg_attr(
    missing_promtool,
    ignore = "needs promtool (apt-get install prometheus); CI installs it and runs this"
)]
fn shipped_queries_name_only_served_metrics_and_parse() {
    let mut queries = dashboard_queries();
    let dashboard = queries.len();
    queries.extend(readme_queries());
    assert!(dashboard >= 10, "dashboard queries: {dashboard}");
    assert!(queries.len() > dashboard, "docs/metrics.md queries found");
    for q in &queries {
        let used = metric_names(q);
        assert!(!used.is_empty() || q.contains("cloud_task_exporter"), "{q}");
        for n in used {
            assert!(
                served(&n),
                "{n} is not a metric the exporter serves (in {q})"
            );
        }
    }

    // promtool parses each query as a recording rule's expression.
    let mut rules = String::from("groups:\n  - name: shipped-queries\n    rules:\n");
    for (i, q) in queries.iter().enumerate() {
        rules.push_str(&format!(
            "      - record: shipped:query_{i}\n        expr: {}\n",
            serde_json::to_string(q).unwrap()
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("queries.yml");
    std::fs::write(&file, rules).unwrap();
    let out = match std::process::Command::new("promtool")
        .args(["check", "rules"])
        .arg(&file)
        .output()
    {
        Ok(o) => o,
        // The test is compiled as ignored where promtool is missing (build.rs).
        Err(e) => panic!("promtool not available: {e}"),
    };
    assert!(
        out.status.success(),
        "promtool check rules:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A typo in a rule's metric name makes an alert that can never fire: every name the shipped
/// rules use is one the exporter serves (promtool checks their syntax in `.ci/run`).
#[test]
fn alert_rules_name_only_served_metrics() {
    let text = std::fs::read_to_string(root().join("deploy/prometheus/alerts.yml")).unwrap();
    let rules: serde_json::Value = serde_saphyr::from_str(&text).expect("alerts.yml is YAML");
    let mut n = 0;
    for group in rules["groups"].as_array().expect("groups") {
        for rule in group["rules"].as_array().expect("rules") {
            let expr = rule["expr"].as_str().expect("expr");
            for name in metric_names(expr) {
                assert!(served(&name), "{name} is not served (in {expr})");
            }
            n += 1;
        }
    }
    assert!(n >= 9, "{n} rules");
}
