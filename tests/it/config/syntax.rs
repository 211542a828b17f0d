//! Errors in the file's shape: no targets, YAML syntax, unknown, misplaced and duplicate
//! keys, values of the wrong type or empty; each names the file and line (and the target and
//! key where there is one), and all of them are reported at once.

use super::{error, errors};

/// An empty or truncated file (a zero-byte ConfigMap, a half-saved edit) would run an exporter
/// that watches nothing: it is an error with the reason and an example.
#[test]
fn a_config_without_targets_is_an_error_with_an_example() {
    for (yaml, want) in [
        ("", "config.yaml: the file is empty (or only comments): "),
        (
            "# only a comment\n\n",
            "config.yaml: the file is empty (or only comments): ",
        ),
        (
            "targets: []\n",
            "config.yaml:1: 'targets:' is an empty list: ",
        ),
        ("targets:\n", "config.yaml:1: 'targets:' has no entries: "),
        (
            "defaults: { interval: 1m }\n",
            "config.yaml:1: no 'targets:' key: ",
        ),
    ] {
        let e = error(yaml);
        assert!(e.starts_with(want), "{yaml:?}: {e}");
        assert!(!e.contains('\n'), "one line per problem: {e}");
        assert!(
            e.contains("a config needs at least one target, for example: targets: [{ name: yc-prod, provider: yandex_backup,"),
            "{e}"
        );
    }
    // A misspelt key is reported once, with its suggestion, not again as "no targets".
    assert_eq!(
        error("tragets:\n  - name: x\n"),
        "config.yaml:1: tragets: unknown key (did you mean 'targets'?)"
    );
}

#[test]
fn unknown_key_names_line_target_and_suggests_the_nearest() {
    let e = error(
        "
targets:
  - name: hw
    provider: huawei_cbr
    regoin: ap-southeast-1
    region: ap-southeast-1
    project_id: p
    auth: { access_key: a, secret_key: b }
",
    );
    assert_eq!(
        e,
        "config.yaml:5: target 'hw': regoin: unknown key (did you mean 'region'?)"
    );
}

#[test]
fn unknown_keys_everywhere_are_reported() {
    let errs = errors(
        "
defaults:
  intervall: 5m
tragets: []
shard: { index: 0, total: 1, size: 2 }
targets:
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t, iam_endpoit: 'https://x' }
    compute_instance_ids: [a]
    discover_x: 1
",
    );
    assert_eq!(
        errs,
        [
            "config.yaml:3: defaults.intervall: unknown key (did you mean 'interval'?)",
            "config.yaml:4: tragets: unknown key (did you mean 'targets'?)",
            "config.yaml:5: shard.size: unknown key; expected one of: index, total",
            "config.yaml:9: target 'yc': auth.iam_endpoit: unknown key (did you mean 'iam_endpoint'?)",
            "config.yaml:11: target 'yc': discover_x: unknown key (did you mean 'discover'?)",
        ]
    );
}

#[test]
fn key_of_another_provider_says_whose_it_is() {
    let e = error(
        "
targets:
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
    policy_ids: [p]
",
    );
    assert_eq!(
        e,
        "config.yaml:7: target 'yc': policy_ids: not a key of provider yandex_backup (it belongs to huawei_vbs); use compute_instance_ids"
    );
    let e = error(
        "
targets:
  - name: yc
    provider: yandex_backup
    iam_token: t
    compute_instance_ids: [a]
    auth: { iam_token: t }
",
    );
    assert_eq!(
        e,
        "config.yaml:5: target 'yc': iam_token: unknown key; credentials go under 'auth:'"
    );
}

#[test]
fn duplicate_yaml_key() {
    let e = error(
        "
targets:
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
    compute_instance_ids: [b]
",
    );
    assert_eq!(
        e,
        "config.yaml:7: target 'yc': compute_instance_ids: duplicate key (first given at line 6)"
    );
}

#[test]
fn yaml_syntax_error_has_a_line() {
    let e = error("targets:\n  - name: yc\n    labels: { env: prod\n  - name: b\n");
    assert!(e.starts_with("config.yaml:"), "{e}");
    assert!(e.contains("invalid YAML"), "{e}");
    let line: u32 = e.split(':').nth(1).unwrap().parse().unwrap();
    assert!((3..=5).contains(&line), "{e}");
}

#[test]
fn targets_must_be_a_list_of_mappings() {
    assert_eq!(
        error("targets: { name: x }\n"),
        "config.yaml:1: targets: expected a list, found a mapping"
    );
    assert_eq!(
        error("targets:\n  - just-a-name\n"),
        "config.yaml:2: targets[0]: expected a mapping, found a string"
    );
    assert_eq!(
        error("- a\n- b\n"),
        "config.yaml:1: expected a mapping, found a list"
    );
}

#[test]
fn wrong_types() {
    let errs = errors(
        "
defaults:
  page_size: many
  retries: -1
  requests_per_second: [1]
  concurrency: 0
state_file: [a]
targets:
  - name: yc
    provider: yandex_backup
    auth: iam_token
    compute_instance_ids: fhm1
",
    );
    assert_eq!(
        errs,
        [
            "config.yaml:3: defaults.page_size: expected an integer, found 'many'",
            "config.yaml:4: defaults.retries: must be between 0 and 100, got -1",
            "config.yaml:5: defaults.requests_per_second: expected a number, found a list",
            "config.yaml:6: defaults.concurrency: must be between 1 and 1024, got 0",
            "config.yaml:7: state_file: expected a string, found a list",
            "config.yaml:11: target 'yc': auth: expected a mapping, found a string",
            "config.yaml:12: target 'yc': compute_instance_ids: expected a list, found a string",
        ]
    );
}

#[test]
fn empty_values_and_unquoted_secrets() {
    let errs = errors(
        "
targets:
  - name: hw
    provider: huawei_cbr
    region:
    project_id: ''
    auth: { access_key: a, secret_key: 123456 }
",
    );
    assert_eq!(
        errs,
        [
            "config.yaml:5: target 'hw': region: has no value",
            "config.yaml:6: target 'hw': project_id: must not be empty",
            "config.yaml:7: target 'hw': auth.secret_key: expected a string, found an integer (quote the value so YAML keeps it as written)",
        ]
    );
}

#[test]
fn all_problems_are_reported_at_once() {
    let errs = errors(
        "
defaults: { interval: soon }
targets:
  - name: a
    provider: yandex_backup
    auth: {}
  - name: b
    provider: huawei_cbr
    region: r
    auth: { access_key: a, secret_key: b }
    colour: red
  - name: c
    provider: huawei_cbr
    region: r
    project_id: ''
",
    );
    assert_eq!(errs.len(), 5, "{errs:#?}");
}

/// An indentation slip gets a hint naming the columns, not only the parser's words.
#[test]
fn an_indentation_slip_names_the_columns() {
    assert_eq!(
        error("targets:\n  - name: yc\n     provider: yandex_backup\n    auth: { iam_token: t }\n"),
        "config.yaml:3: invalid YAML: mapping values are not allowed in this context (line 3's key starts at column 6, the key of line 2 above at column 5: only a line ending in ':' opens a deeper level)"
    );
    assert_eq!(
        error("targets:\n  - name: yc\n    provider: yandex_backup\n   auth: { iam_token: t }\n"),
        "config.yaml:4: invalid YAML: while parsing a block collection, did not find expected '-' indicator (line 4's key starts at column 4, the key of line 3 above at column 5: keys of one mapping start in the same column)"
    );
}
