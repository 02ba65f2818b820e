//! Repeated runs of one closure and their summary: median, minimum and
//! maximum wall time.

use std::time::{Duration, Instant};

/// The wall times of the timed runs of one primitive, in run order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Timing {
    /// One entry per timed run.
    pub runs: Vec<Duration>,
}

impl Timing {
    /// The median run (the mean of the two middle ones for an even count);
    /// zero when nothing was timed.
    pub fn median(&self) -> Duration {
        let mut v = self.runs.clone();
        v.sort_unstable();
        match v.len() {
            0 => Duration::ZERO,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2,
        }
    }

    /// The fastest run (zero when nothing was timed).
    pub fn min(&self) -> Duration {
        self.runs.iter().copied().min().unwrap_or_default()
    }

    /// The slowest run (zero when nothing was timed).
    pub fn max(&self) -> Duration {
        self.runs.iter().copied().max().unwrap_or_default()
    }
}

/// Runs `f` `warmup` times untimed, then `runs` times timed (at least once),
/// and returns the result of the last run with the timings. The first error
/// stops the measurement.
pub fn measure<T, E>(
    warmup: usize,
    runs: usize,
    mut f: impl FnMut() -> Result<T, E>,
) -> Result<(T, Timing), E> {
    for _ in 0..warmup {
        std::hint::black_box(f()?);
    }
    let runs = runs.max(1);
    let mut timing = Timing {
        runs: Vec::with_capacity(runs),
    };
    let mut last = None;
    for _ in 0..runs {
        let t0 = Instant::now();
        let out = std::hint::black_box(f()?);
        timing.runs.push(t0.elapsed());
        last = Some(out);
    }
    match last {
        Some(out) => Ok((out, timing)),
        // `runs` is at least 1, so the loop ran; run once more to stay total.
        None => f().map(|out| (out, timing)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Timing {
        Timing {
            runs: v.iter().map(|&m| Duration::from_millis(m)).collect(),
        }
    }

    #[test]
    fn median_min_max() {
        let t = ms(&[5, 1, 9, 3, 7]);
        assert_eq!(t.median(), Duration::from_millis(5));
        assert_eq!(t.min(), Duration::from_millis(1));
        assert_eq!(t.max(), Duration::from_millis(9));
        assert_eq!(ms(&[4, 2]).median(), Duration::from_millis(3));
        assert_eq!(ms(&[]).median(), Duration::ZERO);
    }

    #[test]
    fn measure_counts_runs_and_stops_on_error() {
        let mut calls = 0;
        let (out, t) = measure::<_, ()>(2, 3, || {
            calls += 1;
            Ok(calls)
        })
        .unwrap();
        assert_eq!((out, t.runs.len(), calls), (5, 3, 5));
        let r = measure(0, 0, || Err::<u8, _>("boom"));
        assert_eq!(r.unwrap_err(), "boom");
    }
}
