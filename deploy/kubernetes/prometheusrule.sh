#!/bin/sh
# Prints the PrometheusRule of kustomization.yaml: deploy/prometheus/alerts.yml, verbatim,
# under spec. Kustomize cannot wrap a plain file into an object, so the result is committed;
# `make prometheusrule` rewrites it and .ci/run fails when it differs from alerts.yml.
set -eu
cd "$(dirname "$0")"
cat <<'HEAD'
# Generated from deploy/prometheus/alerts.yml by `make prometheusrule`: edit that file instead.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: cloud-task-exporter
  labels: { app.kubernetes.io/name: cloud-task-exporter }
spec:
HEAD
sed 's/^\(.\)/  \1/' ../prometheus/alerts.yml
