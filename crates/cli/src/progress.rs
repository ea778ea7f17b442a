//! Progress for long imports: an indicatif bar with rows/s on a terminal, plain lines
//! (at most one every two seconds) when output is not a terminal.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use votebase_ingest::Progress;

/// The binary's progress reporter.
pub struct Bar {
    bar: Option<ProgressBar>,
    label: String,
    state: Mutex<(u64, Instant, Instant)>,
}

impl Bar {
    /// A reporter labelled `label` (e.g. the file name).
    pub fn new(label: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(ProgressBar::no_length);
        Self {
            bar,
            label: label.to_string(),
            state: Mutex::new((0, Instant::now(), Instant::now())),
        }
    }
}

impl Progress for Bar {
    fn start(&self, total_bytes: Option<u64>) {
        if let Some(bar) = &self.bar {
            match total_bytes {
                Some(total) => {
                    bar.set_length(total);
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{msg} [{bar:30}] {percent:>3}% {prefix} rows, {per_sec} eta {eta}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                    );
                }
                None => bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg} {prefix} rows")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                ),
            }
            bar.set_message(self.label.clone());
            bar.enable_steady_tick(Duration::from_millis(200));
        }
    }

    fn advance(&self, rows: u64, position: u64) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 += rows;
        let total = state.0;
        match &self.bar {
            Some(bar) => {
                bar.set_position(position);
                bar.set_prefix(total.to_string());
            }
            None => {
                if state.2.elapsed() >= Duration::from_secs(2) {
                    let rate = total as f64 / state.1.elapsed().as_secs_f64().max(1e-9);
                    eprintln!("{}: {total} rows read ({rate:.0} rows/s)", self.label);
                    state.2 = Instant::now();
                }
            }
        }
    }

    fn finishing(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        } else {
            eprintln!("{}: {message}", self.label);
        }
    }
}
