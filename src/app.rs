//! The running daemon: builds a runner per target, serves HTTP, reloads on SIGHUP or
//! `POST /-/reload`, and shuts down on SIGTERM/SIGINT.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, Target};
use crate::hub::Hub;
use crate::provider::AnyProvider;
use crate::provider::http::RequestCounts;
use crate::scheduler::{TargetRunner, wall_now};
use crate::server::{AppState, ReloadRequest};

/// Options from the command line that the daemon needs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where `--web.listen-address` binds.
    pub listen: SocketAddr,
    /// `--web.telemetry-path`.
    pub telemetry_path: String,
    /// `--web.enable-lifecycle`.
    pub enable_lifecycle: bool,
    /// The config file, re-read on reload; `None` for a config that cannot be reloaded (demo).
    pub config_file: Option<PathBuf>,
    /// TLS, basic auth and headers of the HTTP server (default: plain HTTP, no auth).
    pub web: crate::web::Web,
    /// `--web.config.file`, re-read on reload into `web`; `None` without the flag.
    pub web_config_file: Option<PathBuf>,
}

/// Re-reads `--web.config.file`, if given, into `opts.web`; on error the old one stays.
fn reload_web(opts: &Options) -> Result<(), String> {
    let Some(path) = &opts.web_config_file else {
        return Ok(());
    };
    match crate::config::web::WebConfig::load(path) {
        Ok(cfg) => {
            opts.web.replace(&cfg);
            tracing::info!(web_config = %path.display(), tls = cfg.tls.is_some(), basic_auth = !cfg.users.is_empty(), "Web configuration reloaded.");
            Ok(())
        }
        Err(e) => {
            tracing::error!(web_config = %path.display(), error = %e, "Web configuration reload failed; the old one stays in force.");
            Err(e.to_string())
        }
    }
}

struct Running {
    target: Target,
    stop: CancellationToken,
    handle: JoinHandle<TargetRunner>,
}

/// The daemon's moving parts.
pub struct App {
    hub: Arc<Hub>,
    client: reqwest::Client,
    config: Config,
    running: BTreeMap<String, Running>,
    buckets: Arc<std::sync::RwLock<Vec<f64>>>,
    saved: crate::state::StateFile,
}

impl App {
    /// Builds providers for every target and starts their poll loops.
    pub fn start(config: Config, hub: Arc<Hub>) -> anyhow::Result<App> {
        let mut app = App {
            hub,
            client: crate::provider::http::client(),
            buckets: Arc::new(std::sync::RwLock::new(config.duration_buckets.clone())),
            saved: config
                .state_file
                .as_deref()
                .map(crate::state::load)
                .unwrap_or_default(),
            config: config.clone(),
            running: BTreeMap::new(),
        };
        app.apply(config)?;
        app.hub.set_reload(true, wall_now());
        Ok(app)
    }

    /// The hub.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    fn build_runner(&self, t: &Target, cfg: &Config) -> anyhow::Result<TargetRunner> {
        let counts = Arc::new(RequestCounts::default());
        let provider = AnyProvider::build(t, self.client.clone(), Arc::clone(&counts))?;
        let mut runner = TargetRunner::new(
            t.clone(),
            provider,
            counts,
            cfg.duration_buckets.clone(),
            cfg.shard,
        );
        // A restarted or changed target continues from its latest state: the running
        // snapshot on reload, else the state file.
        let saved = match self.hub.snapshot(&t.name) {
            Some(snap) => Some(crate::state::TargetState::from_snapshot(
                &snap,
                &self.config.duration_buckets,
            )),
            None => self.saved.targets.get(&t.name).cloned(),
        };
        if let Some(saved) = saved {
            runner.restore(&saved);
        }
        Ok(runner)
    }

    /// Applies a config: unchanged targets keep running with their state; changed and new
    /// ones (re)start; removed ones stop and their series go away. Fails without changing
    /// anything when a provider cannot be built.
    fn apply(&mut self, cfg: Config) -> anyhow::Result<()> {
        let same_globals = cfg.duration_buckets == self.config.duration_buckets
            && cfg.shard == self.config.shard
            && !self.running.is_empty();
        let mut new_runners = Vec::new();
        for t in &cfg.targets {
            let unchanged =
                same_globals && self.running.get(&t.name).is_some_and(|r| &r.target == t);
            if !unchanged {
                new_runners.push(self.build_runner(t, &cfg)?);
            }
        }
        let names: Vec<String> = cfg.targets.iter().map(|t| t.name.clone()).collect();
        let stale: Vec<String> = self
            .running
            .iter()
            .filter(|(n, r)| {
                !names.contains(n)
                    || new_runners.iter().any(|nr| nr.name() == n.as_str())
                    || !same_globals && !r.stop.is_cancelled()
            })
            .map(|(n, _)| n.clone())
            .collect();
        for n in stale {
            if let Some(r) = self.running.remove(&n) {
                r.stop.cancel();
                r.handle.abort();
            }
        }
        self.hub.set_targets(&names);
        for runner in new_runners {
            let name = runner.name().to_string();
            let target = cfg.targets.iter().find(|t| t.name == name).cloned();
            let Some(target) = target else { continue };
            let stop = CancellationToken::new();
            let handle = tokio::spawn(runner.run(Arc::clone(&self.hub), stop.clone()));
            self.running.insert(
                name,
                Running {
                    target,
                    stop,
                    handle,
                },
            );
        }
        *self.buckets.write().unwrap_or_else(|e| e.into_inner()) = cfg.duration_buckets.clone();
        self.hub.set_state_file(cfg.state_file.is_some());
        self.config = cfg;
        Ok(())
    }

    /// Re-reads the config file and applies it; on error the old config keeps running.
    pub fn reload(&mut self, path: &std::path::Path) -> Result<(), String> {
        let result = Config::load(path)
            .map_err(|e| e.to_string())
            .and_then(|cfg| {
                self.apply(cfg)
                    .map_err(|e| format!("{}: {e:#}", path.display()))
            });
        match &result {
            Ok(()) => {
                tracing::info!(config = %path.display(), targets = self.running.len(), "Configuration reloaded.");
                self.hub.set_reload(true, wall_now());
            }
            Err(e) => {
                tracing::error!(config = %path.display(), error = %e, "Configuration reload failed; the old configuration keeps running.");
                self.hub.set_reload(false, wall_now());
                self.hub.set_reload_error(e);
            }
        }
        result
    }

    /// The state of every target as of its latest snapshot.
    pub fn state(&self) -> crate::state::StateFile {
        let buckets = self
            .buckets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        crate::state::StateFile {
            version: crate::state::VERSION,
            targets: self
                .hub
                .snapshots()
                .iter()
                .map(|s| {
                    (
                        s.name.clone(),
                        crate::state::TargetState::from_snapshot(s, &buckets),
                    )
                })
                .collect(),
        }
    }

    /// Writes the state file, if one is configured.
    pub async fn save_state(&self) {
        let Some(path) = self.config.state_file.clone() else {
            return;
        };
        let state = self.state();
        let result = tokio::task::spawn_blocking(move || {
            crate::state::save(&path, &state).map_err(|e| format!("{}: {e}", path.display()))
        })
        .await;
        let ok = match result {
            Ok(Ok(())) => {
                tracing::debug!("State file written.");
                true
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "Cannot write the state file.");
                self.hub.set_state_write_error(&e);
                false
            }
            Err(e) => {
                tracing::error!(error = %e, "State file writer failed.");
                self.hub.set_state_write_error(&e.to_string());
                false
            }
        };
        self.hub.record_state_write(ok, wall_now());
    }

    /// Stops every poll loop, waiting at most `grace`.
    pub async fn stop(self, grace: Duration) {
        for r in self.running.values() {
            r.stop.cancel();
        }
        let handles: Vec<_> = self.running.into_values().map(|r| r.handle).collect();
        let _ = tokio::time::timeout(grace, async {
            for h in handles {
                let _ = h.await;
            }
        })
        .await;
    }

    /// The HTTP state for this app.
    pub fn http_state(
        &self,
        telemetry_path: &str,
        reload: Option<mpsc::Sender<ReloadRequest>>,
    ) -> AppState {
        AppState {
            hub: Arc::clone(&self.hub),
            telemetry_path: telemetry_path.to_string(),
            buckets: Arc::clone(&self.buckets),
            reload,
        }
    }
}

/// Checks what `--check-config` cannot see in the file alone: that every target's provider
/// can be built (a service-account key whose PEM does not parse, for example). Startup and
/// reload fail on exactly these errors; each line names the file and the target, never a
/// secret.
pub fn check(config: &Config) -> Result<(), String> {
    let client = crate::provider::http::client();
    let errors: Vec<String> = config
        .targets
        .iter()
        .filter_map(|t| {
            AnyProvider::build(t, client.clone(), Arc::new(RequestCounts::default()))
                .err()
                .map(|e| format!("{}: {e}", config.source.display()))
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

/// Runs the daemon until SIGTERM/SIGINT (or `stop`). `on_listen` learns the bound address.
pub async fn run(
    config: Config,
    opts: Options,
    stop: CancellationToken,
    on_listen: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let hub = Hub::new();
    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", opts.listen))?;
    let addr = listener.local_addr()?;
    let mut app = App::start(config, hub)?;
    let (reload_tx, mut reload_rx) = mpsc::channel::<ReloadRequest>(4);
    let st = app.http_state(
        &opts.telemetry_path,
        opts.enable_lifecycle.then(|| reload_tx.clone()),
    );
    let server_stop = CancellationToken::new();
    let server = tokio::spawn(crate::server::serve_with(
        listener,
        st,
        opts.web.clone(),
        server_stop.clone(),
    ));
    tracing::info!(
        address = %addr,
        metrics = %opts.telemetry_path,
        tls = opts.web.tls().is_some(),
        basic_auth = opts.web.requires_auth(),
        "Listening."
    );
    on_listen(addr);
    let mut signals = crate::shutdown::Signals::new()?;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            sig = signals.next() => match sig {
                crate::shutdown::Signal::Terminate => break,
                crate::shutdown::Signal::Hangup => {
                    if let Some(p) = &opts.config_file {
                        let _ = app.reload(p);
                    } else {
                        tracing::warn!("SIGHUP ignored: no config file to reload.");
                    }
                    let _ = reload_web(&opts);
                }
            },
            _ = app.hub().published(), if app.config.state_file.is_some() => {
                app.save_state().await;
            }
            Some(reply) = reload_rx.recv() => {
                let result = match &opts.config_file {
                    Some(p) => app.reload(p),
                    None => Err("no config file to reload".to_string()),
                };
                let web = reload_web(&opts);
                let result = result.and(web);
                let _ = reply.send(result);
            }
        }
    }
    tracing::info!("Shutting down.");
    for r in app.running.values() {
        r.stop.cancel();
    }
    app.save_state().await;
    app.stop(Duration::from_secs(2)).await;
    server_stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(3), server).await;
    Ok(())
}
