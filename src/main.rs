//! `cloud-task-exporter`: command line, logging, then [`cloud_task_exporter::app::run`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::builder::PossibleValuesParser;
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser};
use cloud_task_exporter::app::{self, Options};
use cloud_task_exporter::config::Config;
use cloud_task_exporter::config::web::WebConfig;
use cloud_task_exporter::web::Web;
use cloud_task_exporter::{logging, state};

/// mimalloc: a poll allocates and frees many small strings, and glibc kept a scrape's
/// garbage as RSS (BENCHMARKS.md, "Scale").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Prometheus exporter for the task lists of cloud backup and background-task services.
#[derive(Debug, Parser)]
#[command(name = "cloud-task-exporter", about, disable_version_flag = true)]
struct Args {
    /// Path to the YAML configuration file.
    #[arg(
        long = "config.file",
        value_name = "PATH",
        default_value = "cloud-task-exporter.yaml"
    )]
    config_file: PathBuf,
    /// Address to listen on for the web interface and telemetry.
    #[arg(
        long = "web.listen-address",
        value_name = "ADDR",
        default_value = ":9733"
    )]
    listen_address: String,
    /// Path under which to expose metrics.
    #[arg(
        long = "web.telemetry-path",
        value_name = "PATH",
        default_value = "/metrics",
        value_parser = telemetry_path
    )]
    telemetry_path: String,
    /// Path to a web config file (exporter-toolkit format) enabling TLS and basic auth.
    #[arg(long = "web.config.file", value_name = "PATH")]
    web_config_file: Option<PathBuf>,
    /// Enable `POST /-/reload`.
    #[arg(long = "web.enable-lifecycle")]
    enable_lifecycle: bool,
    /// Only log messages with the given severity or above: debug, info, warn, error.
    #[arg(
        long = "log.level",
        value_name = "LEVEL",
        default_value = "info",
        value_parser = PossibleValuesParser::new(["debug", "info", "warn", "error"]),
        ignore_case = true
    )]
    log_level: String,
    /// Output format of log messages: logfmt or json.
    #[arg(long = "log.format", value_name = "FORMAT", default_value = "logfmt", value_parser = ["logfmt", "json"])]
    log_format: String,
    /// Validate the configuration file, print OK or every error, and exit.
    #[arg(long = "check-config")]
    check_config: bool,
    /// Run against the built-in simulator of every supported API; no cloud account needed.
    #[arg(long = "demo")]
    demo: bool,
    /// Print the version, git revision and build date, and exit.
    #[arg(long = "version", short = 'V')]
    version: bool,
}

/// `--web.telemetry-path`: an absolute URL path other than the status page's `/`.
fn telemetry_path(s: &str) -> Result<String, String> {
    if s == "/" {
        Err("'/' is the status page; use e.g. /metrics".to_string())
    } else if !s.starts_with('/') {
        Err(format!("must start with '/': write /{s}"))
    } else {
        Ok(s.to_string())
    }
}

fn main() -> ExitCode {
    let matches = Args::command().get_matches();
    let config_from_default =
        matches.value_source("config_file") == Some(ValueSource::DefaultValue);
    let args = match Args::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(e) => e.exit(),
    };
    if args.version {
        print!("{}", cloud_task_exporter::version::print());
        return ExitCode::SUCCESS;
    }
    let format = if args.log_format == "json" {
        logging::Format::Json
    } else {
        logging::Format::Logfmt
    };
    if let Err(e) = logging::init(&args.log_level.to_ascii_lowercase(), format) {
        // No logger to report through.
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    if args.check_config {
        return check_config(&args, config_from_default);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fatal(&format!("cannot start the async runtime: {e}")),
    };
    let result = rt.block_on(run(args, config_from_default));
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The library's errors carry their causes in their messages already.
        Err(e) => fatal(&e.to_string()),
    }
}

/// Reports a fatal error once, through the logger (so in `--log.format`), one log line per
/// line of the message, and returns exit code 1.
fn fatal(message: &str) -> ExitCode {
    for line in message.lines().filter(|l| !l.trim().is_empty()) {
        tracing::error!(error = line, "Exiting.");
    }
    ExitCode::FAILURE
}

/// `Config::load`, with a hint on what to do when the file does not exist: a newcomer who
/// runs the bare binary learns about `--config.file` and `--demo`.
fn load_config(path: &Path, from_default: bool) -> Result<Config, String> {
    Config::load(path).map_err(|e| {
        let missing = std::fs::metadata(path)
            .is_err_and(|err| err.kind() == std::io::ErrorKind::NotFound);
        if !missing {
            return e.to_string();
        }
        let cwd = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| "the current directory".to_string());
        let demo = "or run with --demo to see the exporter work against its built-in simulator";
        if from_default {
            format!(
                "{e} (no --config.file was given, and the default {} is not in {cwd}); pass --config.file=PATH to name your configuration (config.example.yaml documents every key), {demo}",
                path.display()
            )
        } else if path.is_relative() {
            format!("{e}: check --config.file (a relative path is read from {cwd}), {demo}")
        } else {
            format!("{e}: check the path given to --config.file, {demo}")
        }
    })
}

/// `--check-config`: every error of the config (and web config) file, plus what only the
/// running exporter would find out later (a state file that cannot be written); warnings do
/// not change the exit code.
fn check_config(args: &Args, config_from_default: bool) -> ExitCode {
    let mut ok = match load_config(&args.config_file, config_from_default) {
        Ok(cfg) => {
            for w in &cfg.warnings {
                eprintln!("warning: {}", w.message);
            }
            let state = cfg.state_file.as_deref().map(|p| {
                state::check_writable(p)
                    .map_err(|e| format!("{}: state_file: {e}", cfg.source.display()))
            });
            let mut ok = true;
            if let Some(Err(e)) = state {
                eprintln!("{e}");
                ok = false;
            }
            if ok {
                let n = cfg.targets.len();
                let plural = if n == 1 { "target" } else { "targets" };
                println!("OK: {} ({n} {plural})", args.config_file.display());
            }
            ok
        }
        Err(e) => {
            eprintln!("{e}");
            false
        }
    };
    if let Some(path) = &args.web_config_file {
        match WebConfig::load(path) {
            Ok(_) => println!("OK: {}", path.display()),
            Err(e) => {
                eprintln!("{e}");
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn run(args: Args, config_from_default: bool) -> anyhow::Result<()> {
    // Before any file is read: from here on SIGHUP, SIGTERM and SIGINT are queued, never fatal.
    let signals = cloud_task_exporter::shutdown::Signals::new()
        .map_err(|e| anyhow::anyhow!("cannot install signal handlers: {e}"))?;
    let listen = cloud_task_exporter::server::parse_listen(&args.listen_address)?;
    let stop = tokio_util::sync::CancellationToken::new();
    let web = match &args.web_config_file {
        Some(path) => Web::new(&WebConfig::load(path)?),
        None => Web::default(),
    };
    if args.demo {
        cloud_task_exporter::demo::run(
            listen,
            &args.telemetry_path,
            web,
            args.web_config_file,
            signals,
            stop,
        )
        .await?;
        return Ok(());
    }
    let config = load_config(&args.config_file, config_from_default).map_err(anyhow::Error::msg)?;
    for w in &config.warnings {
        tracing::warn!(problem = %w.message, "Suspicious configuration; starting anyway.");
    }
    if let Some(path) = &config.state_file {
        if let Err(e) = state::check_writable(path) {
            tracing::warn!(state_file = %path.display(), error = %e, "The state file cannot be written; counts will not survive a restart.");
        }
    }
    let opts = Options {
        listen,
        telemetry_path: args.telemetry_path,
        enable_lifecycle: args.enable_lifecycle,
        config_file: Some(args.config_file),
        web,
        web_config_file: args.web_config_file,
    };
    app::run(config, opts, signals, stop, |_| {}).await?;
    Ok(())
}
