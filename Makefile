# Thin aliases for humans; .ci/run is the source of truth.
.PHONY: check test fmt golden demo bench bench-scale bench-client prometheusrule

check:        ## what CI runs: tools, fmt, clippy, tests, rustdoc, promtool
	.ci/run

test:         ## the README's test command
	cargo test --locked

fmt:
	cargo fmt --all

golden:       ## rewrite tests/golden/*.prom from the current code
	UPDATE_GOLDEN=1 cargo test --locked --test it golden

demo:         ## the exporter against the built-in simulator on :9733
	cargo run --release -- --demo

bench:        ## numbers for BENCHMARKS.md
	cargo bench --bench pipeline

prometheusrule: ## regenerate deploy/kubernetes/prometheusrule.yaml from deploy/prometheus/alerts.yml
	deploy/kubernetes/prometheusrule.sh > deploy/kubernetes/prometheusrule.yaml

bench-scale:  ## the real binary at 1,000 and 10,000 instances against the simulator (a few minutes; not in CI)
	cargo bench --locked --bench scale

bench-client: ## one GET with the exporter's reqwest client and with hyper-util's under it (a minute; not in CI)
	cargo bench --locked --bench client
