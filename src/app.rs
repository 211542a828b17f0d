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

use crate::accounting::SharedAccount;
use crate::config::{Config, ConfigErrors, Target};
use crate::hub::Hub;
use crate::persist::{Entry, Store};
use crate::provider::AnyProvider;
use crate::provider::ProviderKind;
use crate::provider::http::RequestCounts;
use crate::scheduler::{Handover, TargetRunner};
pub use crate::server::ReloadError;
use crate::server::{AppState, ReloadRequest};
use crate::timefmt::wall_now;

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

/// Why the daemon (or the demo) could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// `--web.listen-address` cannot be bound (in use, not an address of this host).
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The bound socket has no address to report.
    #[error("cannot read the listening address: {0}")]
    LocalAddr(#[source] std::io::Error),
    /// `--demo`: the built-in simulator could not start.
    #[error("cannot start the simulator: {0}")]
    Simulator(#[source] std::io::Error),
    /// `--demo`: the generated config does not load (a bug).
    #[error(transparent)]
    DemoConfig(#[from] ConfigErrors),
}

/// Re-reads `--web.config.file`, if given, into `opts.web`; on error the old one stays and
/// `cloud_task_exporter_config_last_reload_successful` drops to 0 like for a bad config file
/// (run after the config file's reload, which sets it to 1 when that part succeeded).
fn reload_web(opts: &Options, hub: &Hub) -> Result<(), ReloadError> {
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
            hub.set_reload(false, wall_now());
            hub.set_reload_error(&e.to_string());
            Err(e.into())
        }
    }
}

struct Running {
    target: Target,
    stop: CancellationToken,
    handle: JoinHandle<TargetRunner>,
    account: SharedAccount,
    counts: Arc<RequestCounts>,
}

/// A runner built for a new or changed target, not started yet.
struct Prepared {
    target: Target,
    runner: TargetRunner,
    counts: Arc<RequestCounts>,
}

/// The daemon's moving parts.
pub struct App {
    hub: Arc<Hub>,
    client: reqwest::Client,
    config: Config,
    running: BTreeMap<String, Running>,
    buckets: Arc<std::sync::RwLock<Vec<f64>>>,
    /// The state file as read at startup; each target's entry is used once.
    saved: crate::state::StateFile,
    store: Arc<Store>,
    writer: Option<(CancellationToken, JoinHandle<()>)>,
    /// The threads poll loops run on (`None`: this runtime, when they cannot start).
    pollers: Option<crate::pollers::Pollers>,
}

/// Builds runners for the targets of `cfg` that are new or changed (`running` holds the
/// targets that run now; with `same_globals` false every target counts as changed).
fn prepare(
    client: &reqwest::Client,
    cfg: &Config,
    running: &BTreeMap<String, Target>,
    same_globals: bool,
) -> Vec<Prepared> {
    let mut out = Vec::new();
    for t in &cfg.targets {
        if same_globals && running.get(&t.name) == Some(t) {
            continue;
        }
        let counts = Arc::new(RequestCounts::default());
        let provider = AnyProvider::build(
            &t.spec,
            &t.settings,
            t.endpoint.as_ref(),
            client.clone(),
            Arc::clone(&counts),
        );
        let runner = TargetRunner::new(
            t.clone(),
            provider,
            Arc::clone(&counts),
            cfg.duration_buckets.clone(),
            cfg.shard,
        );
        out.push(Prepared {
            target: t.clone(),
            runner,
            counts,
        });
    }
    out
}

/// How long a stopped poll loop may take to hand its state over.
const HANDOVER_WAIT: Duration = Duration::from_secs(5);

impl App {
    /// Reads the state file (off the runtime threads), builds a provider for every target
    /// and starts their poll loops and the state-file writer.
    pub async fn start(config: Config, hub: Arc<Hub>) -> App {
        let saved = match config.state_file.clone() {
            Some(p) => tokio::task::spawn_blocking(move || crate::state::load(&p))
                .await
                .unwrap_or_default(),
            None => crate::state::StateFile::default(),
        };
        let mut app = App {
            hub,
            client: crate::provider::http::client(),
            buckets: Arc::new(std::sync::RwLock::new(config.duration_buckets.clone())),
            saved,
            config: config.clone(),
            running: BTreeMap::new(),
            store: Store::new(),
            writer: None,
            pollers: crate::pollers::Pollers::start()
                .inspect_err(|e| tracing::warn!(error = %e, "Cannot start the poll threads; polling on the server's threads."))
                .ok(),
        };
        let prepared = prepare(&app.client, &config, &BTreeMap::new(), false);
        app.apply(config, prepared).await;
        app.retire_unconfigured_saved();
        app.hub.set_reload(true, wall_now());
        let stop = CancellationToken::new();
        let handle = tokio::spawn(crate::persist::run_writer(
            Arc::clone(&app.store),
            Arc::clone(&app.hub),
            stop.clone(),
        ));
        app.writer = Some((stop, handle));
        app
    }

    /// The hub the poll loops publish to and the HTTP server reads.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// Targets in the state file that the configuration does not name are kept as retired,
    /// so that adding them back later continues their counters.
    fn retire_unconfigured_saved(&mut self) {
        let now = wall_now();
        for (name, t) in std::mem::take(&mut self.saved.targets) {
            let Some(provider) = ProviderKind::parse(&t.provider) else {
                continue;
            };
            let Ok(account) = t.to_account(&[], &self.config.duration_buckets) else {
                continue;
            };
            let counts = Arc::new(RequestCounts::default());
            counts.restore(t.requests.clone());
            self.store.run(
                &name,
                Entry {
                    provider,
                    account: Arc::new(std::sync::Mutex::new(account)),
                    counts,
                    poll_errors: t.poll_errors(),
                    retired_at: Some(t.retired_at.unwrap_or(now)),
                    keep: self.config.defaults.lookback,
                },
            );
        }
    }

    /// Applies a config whose new and changed targets are `prepared`: unchanged targets keep
    /// running untouched; a changed target's poll loop is stopped and awaited and its live
    /// account moves into the new one; removed targets stop, their series go away and their
    /// state is kept (retired) for `lookback`.
    async fn apply(&mut self, cfg: Config, prepared: Vec<Prepared>) {
        let same_globals = same_globals(&self.config, &cfg, !self.running.is_empty());
        let old_buckets = self.config.duration_buckets.clone();
        let names: Vec<String> = cfg.targets.iter().map(|t| t.name.clone()).collect();
        let stale: Vec<String> = self
            .running
            .keys()
            .filter(|n| {
                !names.contains(n) || !same_globals || prepared.iter().any(|p| &p.target.name == *n)
            })
            .cloned()
            .collect();
        let mut handovers = BTreeMap::new();
        for n in stale {
            if let Some(r) = self.running.remove(&n) {
                handovers.insert(n, self.stop_runner(r).await);
            }
        }
        self.hub.set_targets(&names);
        self.store
            .configure(cfg.state_file.clone(), &cfg.duration_buckets);
        for Prepared {
            target,
            mut runner,
            counts,
        } in prepared
        {
            let name = target.name.clone();
            if let Some(h) = handovers.remove(&name) {
                runner.resume(h, &old_buckets);
            } else if let Some(e) = self.store.take_retired(&name) {
                runner.resume(
                    Handover {
                        account: e.account,
                        status: crate::hub::PollStatus {
                            errors: e.poll_errors,
                            durations: crate::accounting::HistogramData::new(
                                &crate::accounting::histogram::POLL_BUCKETS,
                            ),
                            ..Default::default()
                        },
                        requests: e.counts.snapshot(),
                        provider: e.provider,
                    },
                    &old_buckets,
                );
            } else if let Some(saved) = self.saved.targets.remove(&name) {
                runner.restore(&saved);
            }
            let account = runner.account();
            self.store.run(
                &name,
                Entry {
                    provider: target.provider(),
                    account: Arc::clone(&account),
                    counts: Arc::clone(&counts),
                    poll_errors: BTreeMap::new(),
                    retired_at: None,
                    keep: target.settings.lookback,
                },
            );
            let stop = CancellationToken::new();
            let run = runner.run(Arc::clone(&self.hub), stop.clone());
            let handle = match &self.pollers {
                Some(p) => p.spawn(run),
                None => tokio::spawn(run),
            };
            self.running.insert(
                name,
                Running {
                    target,
                    stop,
                    handle,
                    account,
                    counts,
                },
            );
        }
        // Targets that stopped and did not come back: removed from the configuration.
        let now = wall_now();
        for (name, h) in handovers {
            self.store.retire(&name, h.status.errors, now);
            tracing::info!(target = %name, "Target removed; its state is kept for lookback in case it is added back.");
        }
        *self.buckets.write().unwrap_or_else(|e| e.into_inner()) = cfg.duration_buckets.clone();
        self.hub.set_state_file(cfg.state_file.is_some());
        self.config = cfg;
    }

    /// Stops a poll loop and waits for it to hand its live state over. A loop that does not
    /// stop in time is aborted; its account is shared, so nothing is lost either way.
    async fn stop_runner(&self, r: Running) -> Handover {
        r.stop.cancel();
        let mut handle = r.handle;
        match tokio::time::timeout(HANDOVER_WAIT, &mut handle).await {
            Ok(Ok(runner)) => return runner.handover(),
            Ok(Err(e)) => {
                tracing::error!(target = %r.target.name, error = %e, "Poll loop ended abnormally; continuing from its shared state.");
            }
            Err(_) => {
                handle.abort();
                tracing::error!(target = %r.target.name, "Poll loop did not stop in time; aborted, continuing from its shared state.");
            }
        }
        let status = self
            .hub
            .snapshot(&r.target.name)
            .map(|s| s.status.clone())
            .unwrap_or_default();
        Handover {
            account: r.account,
            status,
            requests: r.counts.snapshot(),
            provider: r.target.provider(),
        }
    }

    /// Re-reads the config file and applies it; on error the old config keeps running.
    /// The file and any key files are read off the async runtime's threads.
    pub async fn reload(&mut self, path: &std::path::Path) -> Result<(), ReloadError> {
        let file = path.to_path_buf();
        let client = self.client.clone();
        let running: BTreeMap<String, Target> = self
            .running
            .iter()
            .map(|(n, r)| (n.clone(), r.target.clone()))
            .collect();
        let old = self.config.clone();
        let result = tokio::task::spawn_blocking(move || {
            let cfg = Config::load(&file)?;
            let same = same_globals(&old, &cfg, !running.is_empty());
            let prepared = prepare(&client, &cfg, &running, same);
            Ok::<_, ReloadError>((cfg, prepared))
        })
        .await
        .map_err(|source| ReloadError::Interrupted {
            file: path.to_path_buf(),
            source,
        })
        .and_then(|r| r);
        match result {
            Ok((cfg, prepared)) => {
                self.apply(cfg, prepared).await;
                tracing::info!(config = %path.display(), targets = self.running.len(), "Configuration reloaded.");
                self.hub.set_reload(true, wall_now());
                Ok(())
            }
            Err(e) => {
                tracing::error!(config = %path.display(), error = %e, "Configuration reload failed; the old configuration keeps running.");
                self.hub.set_reload(false, wall_now());
                self.hub.set_reload_error(&e.to_string());
                Err(e)
            }
        }
    }

    /// The state of every target (running and retired) as of now.
    pub fn state(&self) -> crate::state::StateFile {
        self.store.state(&self.hub)
    }

    /// Writes the state file now, if one is configured.
    pub async fn save_state(&self) {
        crate::persist::write_once(&self.store, &self.hub).await;
    }

    /// Stops the state-file writer and every poll loop (waiting at most `grace` for them),
    /// then writes the state file a last time.
    pub async fn stop(mut self, grace: Duration) {
        if let Some((stop, handle)) = self.writer.take() {
            stop.cancel();
            let _ = handle.await;
        }
        for r in self.running.values() {
            r.stop.cancel();
        }
        let handles: Vec<_> = std::mem::take(&mut self.running)
            .into_values()
            .map(|r| r.handle)
            .collect();
        let _ = tokio::time::timeout(grace, async {
            for h in handles {
                let _ = h.await;
            }
        })
        .await;
        self.save_state().await;
    }

    /// The HTTP state for this app.
    pub(crate) fn http_state(
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

/// Whether a config keeps the settings every target depends on (so unchanged targets may keep
/// running untouched).
fn same_globals(old: &Config, new: &Config, running: bool) -> bool {
    running && new.duration_buckets == old.duration_buckets && new.shard == old.shard
}

/// Runs the daemon until SIGTERM/SIGINT (or `stop`). `on_listen` learns the bound address.
///
/// `signals` are installed by the caller before it reads any file, so a signal that arrives
/// while the exporter starts (reading a large state file, building providers) is queued and
/// handled once the loop below runs: a SIGHUP then reloads, a SIGTERM stops.
pub async fn run(
    config: Config,
    opts: Options,
    mut signals: crate::shutdown::Signals,
    stop: CancellationToken,
    on_listen: impl FnOnce(SocketAddr),
) -> Result<(), RunError> {
    let hub = Hub::new();
    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|source| RunError::Listen {
            addr: opts.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(RunError::LocalAddr)?;
    let mut app = App::start(config, hub).await;
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
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            sig = signals.next() => match sig {
                crate::shutdown::Signal::Terminate => break,
                crate::shutdown::Signal::Hangup => {
                    if let Some(p) = &opts.config_file {
                        let _ = app.reload(p).await;
                    } else {
                        tracing::warn!("SIGHUP ignored: no config file to reload.");
                    }
                    let _ = reload_web(&opts, app.hub());
                }
            },
            Some(reply) = reload_rx.recv() => {
                let result = match &opts.config_file {
                    Some(p) => app.reload(p).await,
                    None => Err(ReloadError::NoConfigFile),
                };
                let web = reload_web(&opts, app.hub());
                let result = result.and(web);
                let _ = reply.send(result);
            }
        }
    }
    tracing::info!("Shutting down.");
    app.stop(Duration::from_secs(2)).await;
    server_stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(3), server).await;
    Ok(())
}
