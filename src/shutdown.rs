//! Signals: SIGTERM/SIGINT end the daemon, SIGHUP reloads its config.
//!
//! [`Signals::new`] is the first thing `main` does once the runtime exists, before any file is
//! read: a signal that arrives while the exporter starts (a large state file, slow provider
//! setup) is then kept by its handler, at most one per kind, and returned by the first
//! [`Signals::next`] of the main loop, instead of killing the process by default action.

use tokio::signal::unix::{Signal as UnixSignal, SignalKind, signal};

/// What a signal asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM or SIGINT.
    Terminate,
    /// SIGHUP.
    Hangup,
}

/// The signal handlers, installed once.
#[derive(Debug)]
pub struct Signals {
    term: UnixSignal,
    int: UnixSignal,
    hup: UnixSignal,
}

impl Signals {
    /// Installs the handlers; from now on these signals never terminate the process by their
    /// default action.
    pub fn new() -> std::io::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// Waits for the next signal.
    pub async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.term.recv() => Signal::Terminate,
            _ = self.int.recv() => Signal::Terminate,
            _ = self.hup.recv() => Signal::Hangup,
        }
    }
}
