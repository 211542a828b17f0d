//! Logging setup: `--log.level` and `--log.format` (`logfmt` | `json`), to stderr, every line
//! scrubbed of secrets (`crate::scrub`).
//!
//! logfmt is what Prometheus' own components print (`ts=… level=… msg="…" key=value`); the
//! `tracing-subscriber` crate has no such format, so a small formatter is here.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `ts=… level=… msg="…" key=value`.
    Logfmt,
    /// One JSON object per line.
    Json,
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// `--log.level` is neither a level nor a filter directive.
    #[error("invalid --log.level {level:?}: {source}")]
    Level {
        /// The level as given.
        level: String,
        /// The filter parser's complaint.
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    /// A global logger was installed already.
    #[error("cannot install logger: {0}")]
    Install(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Installs the global subscriber. `level` is `debug`, `info`, `warn` or `error` (or a
/// full `EnvFilter` directive).
pub fn init(level: &str, format: Format) -> Result<(), InitError> {
    let filter = EnvFilter::try_new(level).map_err(|source| InitError::Level {
        level: level.to_string(),
        source,
    })?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::scrub::Stderr);
    let result = match format {
        Format::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
        Format::Logfmt => builder.event_format(Logfmt).try_init(),
    };
    result.map_err(InitError::Install)
}

/// The logfmt event formatter.
#[derive(Debug, Clone, Copy)]
pub struct Logfmt;

struct Fields {
    msg: String,
    rest: String,
}

fn quote(v: &str) -> String {
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '=' && c != '\\')
    {
        v.to_string()
    } else {
        format!("{v:?}")
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.msg = value.to_string();
        } else {
            let _ = write!(self.rest, " {}={}", field.name(), quote(value));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let v = format!("{value:?}");
        if field.name() == "message" {
            self.msg = v;
        } else {
            let _ = write!(self.rest, " {}={}", field.name(), quote(&v));
        }
    }
}

impl<S, N> FormatEvent<S, N> for Logfmt
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut f = Fields {
            msg: String::new(),
            rest: String::new(),
        };
        event.record(&mut f);
        let meta = event.metadata();
        let ts = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.3fZ");
        writeln!(
            w,
            "ts={ts} level={} source={} msg={}{}",
            meta.level().as_str().to_ascii_lowercase(),
            quote(meta.module_path().unwrap_or(meta.target())),
            quote(&f.msg),
            f.rest
        )
    }
}
