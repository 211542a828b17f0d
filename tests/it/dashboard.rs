//! The Grafana dashboard (`deploy/grafana/cloud-task-exporter.json`) imports anywhere: it is
//! JSON, its panel ids are unique, every data source is the `${datasource}` variable (no uid of
//! somebody's Grafana), every panel has a unit, stat panels have thresholds, and the running-tasks
//! table gives its ages, start times and progress units. (Its PromQL is checked in queries.rs.)

use serde_json::Value;

fn dashboard() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy/grafana/cloud-task-exporter.json");
    let text = std::fs::read_to_string(&path).expect("dashboard");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}

fn panels(d: &Value) -> Vec<&Value> {
    // Rows may nest panels.
    let mut out = Vec::new();
    for p in d["panels"].as_array().expect("panels") {
        out.push(p);
        if let Some(inner) = p["panels"].as_array() {
            out.extend(inner);
        }
    }
    out
}

/// Every `"datasource"` value anywhere in the tree, with where it is.
fn datasources<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "datasource" {
                    out.push((at.clone(), x));
                }
                datasources(x, format!("{at}.{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                datasources(x, format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn panel_ids_are_unique() {
    let d = dashboard();
    let mut ids: Vec<i64> = panels(&d)
        .iter()
        .map(|p| {
            p["id"]
                .as_i64()
                .unwrap_or_else(|| panic!("panel without id: {p}"))
        })
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate panel ids");
    assert!(n >= 10, "{n} panels");
}

#[test]
fn only_the_datasource_variable_is_used() {
    let d = dashboard();
    let vars: Vec<&str> = d["templating"]["list"]
        .as_array()
        .expect("templating")
        .iter()
        .filter(|v| v["type"] == "datasource")
        .map(|v| v["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(vars, ["datasource"], "one data source variable");
    assert!(
        d.get("__inputs").is_none(),
        "an export with __inputs needs an import wizard"
    );
    let mut found = Vec::new();
    datasources(&d, String::new(), &mut found);
    assert!(found.len() > 10, "{found:?}");
    for (at, ds) in found {
        assert_eq!(
            ds,
            &serde_json::json!({ "type": "prometheus", "uid": "${datasource}" }),
            "{at}"
        );
    }
}

#[test]
fn every_panel_has_a_unit_and_stat_panels_have_thresholds() {
    let d = dashboard();
    for p in panels(&d) {
        if p["type"] == "row" {
            continue;
        }
        let title = p["title"].as_str().unwrap_or_default();
        let defaults = &p["fieldConfig"]["defaults"];
        assert!(
            defaults["unit"].as_str().is_some_and(|u| !u.is_empty()),
            "{title}: no unit"
        );
        if p["type"] == "stat" {
            let steps = defaults["thresholds"]["steps"].as_array();
            assert!(
                steps.is_some_and(|s| s.len() >= 2),
                "{title}: a stat panel needs thresholds (a base colour and at least one step)"
            );
        }
    }
}

/// The unit the table's overrides give to the column of the query whose expression matches.
fn unit_of(table: &Value, query: impl Fn(&str) -> bool) -> Option<String> {
    let target = table["targets"]
        .as_array()?
        .iter()
        .find(|t| t["expr"].as_str().is_some_and(&query))?;
    let field = format!("Value #{}", target["refId"].as_str()?);
    table["fieldConfig"]["overrides"]
        .as_array()?
        .iter()
        .filter(|o| o["matcher"]["options"] == field.as_str())
        .flat_map(|o| o["properties"].as_array().into_iter().flatten())
        .find(|p| p["id"] == "unit")
        .and_then(|p| p["value"].as_str().map(str::to_string))
}

#[test]
fn running_tasks_table_shows_ages_start_times_and_progress_with_units() {
    let d = dashboard();
    let table = panels(&d)
        .into_iter()
        .find(|p| {
            p["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Running tasks"))
        })
        .expect("running tasks table");
    let age = unit_of(table, |e| e.starts_with("time() -"));
    assert!(
        matches!(age.as_deref(), Some("s" | "dtdurations")),
        "age unit {age:?}"
    );
    let progress = unit_of(table, |e| e.contains("cloud_task_active_progress_ratio"));
    assert_eq!(progress.as_deref(), Some("percentunit"));
    // The start time, in ms as Grafana's date units expect.
    let start = unit_of(table, |e| {
        !e.starts_with("time()")
            && e.contains("cloud_task_active_start_timestamp_seconds")
            && e.ends_with("* 1000")
    });
    assert!(
        start.as_deref().is_some_and(|u| u.starts_with("dateTime")),
        "start time unit {start:?}"
    );
}
