//! `cloud-task-exporter`: command line, logging, then [`cloud_task_exporter::app::run`].

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use cloud_task_exporter::app::{self, Options};
use cloud_task_exporter::config::Config;
use cloud_task_exporter::config::web::WebConfig;
use cloud_task_exporter::logging;
use cloud_task_exporter::web::Web;

/// Prometheus exporter for the task lists of cloud backup and background-task services.
#[derive(Debug, Parser)]
#[command(name = "cloud-task-exporter", version, about)]
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
        default_value = "/metrics"
    )]
    telemetry_path: String,
    /// Path to a web config file (exporter-toolkit format) enabling TLS and basic auth.
    #[arg(long = "web.config.file", value_name = "PATH")]
    web_config_file: Option<PathBuf>,
    /// Enable `POST /-/reload`.
    #[arg(long = "web.enable-lifecycle")]
    enable_lifecycle: bool,
    /// Only log messages with the given severity or above: debug, info, warn, error.
    #[arg(long = "log.level", value_name = "LEVEL", default_value = "info")]
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
}

fn main() -> ExitCode {
    let args = Args::parse();
    let format = if args.log_format == "json" {
        logging::Format::Json
    } else {
        logging::Format::Logfmt
    };
    if let Err(e) = logging::init(&args.log_level, format) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    if args.check_config {
        let mut ok = match Config::load(&args.config_file) {
            // Also build every provider: a config that loads but cannot start is not OK.
            Ok(cfg) => match app::check(&cfg) {
                Ok(()) => {
                    println!(
                        "OK: {} ({} targets)",
                        args.config_file.display(),
                        cfg.targets.len()
                    );
                    true
                }
                Err(e) => {
                    eprintln!("{e}");
                    false
                }
            },
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
        return if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(run(args));
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "Exiting.");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    // Before any file is read: from here on SIGHUP, SIGTERM and SIGINT are queued, never fatal.
    let signals = cloud_task_exporter::shutdown::Signals::new()
        .map_err(|e| anyhow::anyhow!("cannot install signal handlers: {e}"))?;
    let listen = cloud_task_exporter::server::parse_listen(&args.listen_address)
        .map_err(anyhow::Error::msg)?;
    let stop = tokio_util::sync::CancellationToken::new();
    let web = match &args.web_config_file {
        Some(path) => Web::new(&WebConfig::load(path).map_err(|e| anyhow::anyhow!("{e}"))?),
        None => Web::default(),
    };
    if args.demo {
        return cloud_task_exporter::demo::run(
            listen,
            &args.telemetry_path,
            web,
            args.web_config_file,
            signals,
            stop,
        )
        .await;
    }
    let config = Config::load(&args.config_file).map_err(|e| anyhow::anyhow!("{e}"))?;
    let opts = Options {
        listen,
        telemetry_path: args.telemetry_path,
        enable_lifecycle: args.enable_lifecycle,
        config_file: Some(args.config_file),
        web,
        web_config_file: args.web_config_file,
    };
    app::run(config, opts, signals, stop, |_| {}).await
}
