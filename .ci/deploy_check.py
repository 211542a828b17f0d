#!/usr/bin/env python3
"""Offline checks of deploy/: render the Helm chart (several value sets) and the kustomization,
validate every object, and check that each PrometheusRule carries deploy/prometheus/alerts.yml.

- Core kinds: the `kubernetes-validate` package (the Kubernetes OpenAPI schemas, strict: unknown
  fields are errors), for the oldest Kubernetes the chart supports and a current one.
- ServiceMonitor / PrometheusRule: .ci/validate-crds.mjs (the prometheus-operator CRD schemas from
  the npm package @kubernetes-models/prometheus-operator, plus a declared-fields check).
- Every rendered exporter config passes the exporter's own `--check-config`.

Usage: deploy_check.py HELM KUBECTL NODE_PREFIX EXPORTER_BINARY   (run from the repository root)
"""

import json
import os
import subprocess
import sys
import tempfile

import kubernetes_validate
import yaml

HELM, KUBECTL, NODE_PREFIX, EXPORTER = sys.argv[1:5]
CHART = "deploy/helm/cloud-task-exporter"
# The chart's kubeVersion floor (pod-index label) and the kubectl we render with.
KUBE_VERSIONS = ["1.28.0", "1.33.0"]

failures = []


def fail(msg):
    print(f"FAIL {msg}")
    failures.append(msg)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def docs(text):
    return [d for d in yaml.safe_load_all(text) if d]


def helm_template(name, sets, kube):
    args = [HELM, "template", "cte", CHART, "--namespace", "monitoring", "--kube-version", kube]
    for s in sets:
        args += ["--set", s]
    r = run(args)
    if r.returncode != 0:
        fail(f"helm template ({name}, {kube}): {r.stderr.strip()}")
        return []
    return docs(r.stdout)


alerts = yaml.safe_load(open("deploy/prometheus/alerts.yml"))

# --- render ---
rendered = {}  # source name -> objects
r = run([HELM, "lint", "--strict", CHART, "--set", "serviceMonitor.enabled=true,prometheusRule.enabled=true"])
if r.returncode != 0:
    fail(f"helm lint: {r.stdout}{r.stderr}")
value_sets = {
    "defaults": [],
    "operator, 3 shards": [
        "replicaCount=3",
        "serviceMonitor.enabled=true",
        "serviceMonitor.labels.release=kube-prometheus-stack",
        "prometheusRule.enabled=true",
        "secrets.files.sa-key\\.json=placeholder",
        "env[0].name=HW_ACCESS_KEY,env[0].valueFrom.secretKeyRef.name=huawei,env[0].valueFrom.secretKeyRef.key=ak",
    ],
    "existing secret, no state": [
        "secrets.existingSecret=mine",
        "state.enabled=false",
        "serviceAccount.create=false",
        "extraArgs[0]=--web.enable-lifecycle",
    ],
}
for kube in KUBE_VERSIONS:
    for name, sets in value_sets.items():
        rendered[f"helm {name} (k8s {kube})"] = (kube, helm_template(name, sets, kube))
r = run([KUBECTL, "kustomize", "deploy/kubernetes"])
if r.returncode != 0:
    fail(f"kubectl kustomize deploy/kubernetes: {r.stderr.strip()}")
kustomized = docs(r.stdout)
for kube in KUBE_VERSIONS:
    rendered[f"kustomize (k8s {kube})"] = (kube, kustomized)
    rendered[f"secret.example.yaml (k8s {kube})"] = (
        kube,
        docs(open("deploy/kubernetes/secret.example.yaml").read()),
    )

# The chart refuses what it would silently get wrong.
for name, sets in {
    "state_file in config": ["config.state_file=/x"],
    "shard in config": ["config.shard.total=2"],
    "no targets": ["config.targets=null"],
}.items():
    r = run([HELM, "template", "cte", CHART, "--kube-version", KUBE_VERSIONS[-1]] + sum([["--set", s] for s in sets], []))
    if r.returncode == 0:
        fail(f"helm template accepted {name}")

# --- validate ---
crds = []
kinds = set()
for source, (kube, objects) in rendered.items():
    if not objects:
        fail(f"{source}: rendered nothing")
    for o in objects:
        kinds.add(o["kind"])
        where = f"{source}: {o['kind']}/{o['metadata']['name']}"
        if o["apiVersion"].startswith("monitoring.coreos.com/"):
            crds.append(o)
            if o["kind"] == "PrometheusRule" and o["spec"] != alerts:
                fail(f"{where}: spec is not deploy/prometheus/alerts.yml (make prometheusrule?)")
            continue
        try:
            kubernetes_validate.validate(o, kube, strict=True)
        except kubernetes_validate.ValidationError as e:
            path = ".".join(str(p) for p in e.path)
            fail(f"{where}: {path}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError as e:
            fail(f"{where}: no schema ({e.message})")
for want in ["ConfigMap", "StatefulSet", "Service", "ServiceAccount", "Secret", "ServiceMonitor", "PrometheusRule"]:
    if want not in kinds:
        fail(f"no {want} rendered at all")
rules = [s for s, (_, objs) in rendered.items() if any(o["kind"] == "PrometheusRule" for o in objs)]
if not any(s.startswith("helm") for s in rules) or not any(s.startswith("kustomize") for s in rules):
    fail(f"a PrometheusRule must come from both the chart and the kustomization: {rules}")
r = run(["node", ".ci/validate-crds.mjs", NODE_PREFIX], input="".join(json.dumps(o) + "\n" for o in crds))
print(r.stdout.strip())
if r.returncode != 0:
    fail(f"prometheus-operator objects: {r.stderr.strip()}")

# --- every rendered exporter config passes --check-config ---
with tempfile.TemporaryDirectory() as tmp:
    key = os.path.join(tmp, "secrets", "sa-key.json")
    os.makedirs(os.path.dirname(key))
    os.makedirs(os.path.join(tmp, "state"))
    pem = run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]).stdout
    json.dump({"id": "ajeexample", "service_account_id": "ajesa", "private_key": pem}, open(key, "w"))
    checked = 0
    for source, (_, objects) in rendered.items():
        for o in objects:
            if o["kind"] != "ConfigMap" or "config.yaml" not in o.get("data", {}):
                continue
            text = (
                o["data"]["config.yaml"]
                .replace("/etc/cloud-task-exporter/secrets/", os.path.join(tmp, "secrets") + "/")
                .replace("/var/lib/cloud-task-exporter/", os.path.join(tmp, "state") + "/")
            )
            path = os.path.join(tmp, "config.yaml")
            open(path, "w").write(text)
            r = run([EXPORTER, f"--config.file={path}", "--check-config"], env={"SHARD_INDEX": "2"})
            if r.returncode != 0:
                fail(f"{source}: the ConfigMap's config.yaml fails --check-config:\n{r.stderr}{text}")
            checked += 1
    if checked == 0:
        fail("no exporter config found in the rendered objects")

if failures:
    print(f"{len(failures)} deploy problem(s)")
    sys.exit(1)
print(f"deploy/ OK: {sum(len(o) for _, o in rendered.values())} rendered objects valid, {len(crds)} of them prometheus-operator objects")
