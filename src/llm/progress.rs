//! A progress bar on stderr for batches of sub-calls.
//!
//! The interpreter announces a batch (a `map` that calls `llm`) with
//! [`SubCalls::progress_start`](super::SubCalls::progress_start); every call
//! that finishes while a batch is open moves the bar, which shows calls
//! done of the total, tokens and cost so far. Nested batches add to the open
//! bar's total; it disappears when the last guard drops. Nothing is drawn
//! unless stderr is a terminal, so pipes, logs and tests stay clean.

use std::io::IsTerminal;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::usage::Usage;

/// The bar, if one is open, and how many batches hold it.
#[derive(Debug)]
pub struct Progress {
    enabled: bool,
    state: Mutex<Option<(ProgressBar, usize)>>,
}

/// Keeps a batch's bar open; dropping the last guard clears the bar.
#[derive(Debug)]
#[must_use = "the bar closes when the guard is dropped"]
pub struct ProgressGuard<'a> {
    progress: &'a Progress,
}

impl Progress {
    /// A bar that draws only when stderr is a terminal.
    pub fn new() -> Progress {
        Progress {
            enabled: std::io::stderr().is_terminal(),
            state: Mutex::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<(ProgressBar, usize)>> {
        super::lock(&self.state)
    }

    /// Opens (or extends) the bar by `total` calls.
    pub fn start(&self, total: u64) -> ProgressGuard<'_> {
        if self.enabled {
            let mut state = self.lock();
            match state.as_mut() {
                Some((bar, holders)) => {
                    bar.inc_length(total);
                    *holders += 1;
                }
                None => {
                    let bar =
                        ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                    if let Ok(style) = ProgressStyle::with_template(
                        "llm {bar:30.cyan/blue} {pos}/{len} calls  {msg}  {elapsed}",
                    ) {
                        bar.set_style(style.progress_chars("=> "));
                    }
                    bar.enable_steady_tick(Duration::from_millis(200));
                    *state = Some((bar, 1));
                }
            }
        }
        ProgressGuard { progress: self }
    }

    /// Moves the bar by one finished call, showing `totals`.
    pub fn tick(&self, totals: &Usage) {
        if !self.enabled {
            return;
        }
        if let Some((bar, _)) = self.lock().as_ref() {
            bar.inc(1);
            let tokens = totals.input_tokens + totals.output_tokens;
            let cost = match totals.cost_usd {
                Some(c) => format!("${c:.4}"),
                None => "$?".to_string(),
            };
            bar.set_message(format!("{tokens} tok  {cost}"));
        }
    }
}

impl Default for Progress {
    fn default() -> Progress {
        Progress::new()
    }
}

impl Drop for ProgressGuard<'_> {
    fn drop(&mut self) {
        let mut state = self.progress.lock();
        if let Some((bar, holders)) = state.as_mut() {
            *holders -= 1;
            if *holders == 0 {
                bar.finish_and_clear();
                *state = None;
            }
        }
    }
}
