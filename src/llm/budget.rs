//! Hard limits on sub-calls, shared by the whole call tree.
//!
//! One [`Budget`] lives in the [`SubCalls`](super::SubCalls) that every
//! level of the tree shares, so children spend from the same atomic
//! counters as their parents. Each call is checked *before* it is sent,
//! against everything that could run out:
//!
//! - **calls**: one per `llm()` that goes to the provider. Retries are not
//!   extra calls, and cache hits are free (they send nothing);
//! - **tokens**: a call reserves its counted input plus its whole reply
//!   allowance (the `max_tokens` it sends, so the provider cannot go over),
//!   and gives back the difference when the real usage arrives. Calls in
//!   flight therefore hold budget they may not use, so near the end a call
//!   can be refused that would have fitted after its neighbours finished;
//!   the limit is never exceeded;
//! - **usd**: reserved the same way from the configured prices. A model
//!   with no known price cannot be checked against a USD limit, so with
//!   `max_usd` set such a call is refused;
//! - **time**: seconds since the backend started; HTTP timeouts and retry
//!   waits are cut to what is left.
//!
//! `max_depth` bounds only `rlm()` sub-sessions (a session at depth `d`
//! may start one at `d + 1 <= max_depth`); an `llm()` call is allowed at
//! every depth, since a sub-session is a full RLM over its text.
//!
//! Running out is a [`Refusal`] that names what ran out, never a wait.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The limits; `None` is unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetLimits {
    /// Most `llm()` calls sent to the provider.
    pub max_calls: Option<u64>,
    /// Most tokens (input and output, summed over calls).
    pub max_tokens: Option<u64>,
    /// Most USD, from the configured prices.
    pub max_usd: Option<f64>,
    /// Most seconds of wall time from the start of the run.
    pub max_seconds: Option<f64>,
    /// Deepest `rlm()` sub-session (the root program is depth 0).
    pub max_depth: u32,
}

impl Default for BudgetLimits {
    fn default() -> BudgetLimits {
        BudgetLimits {
            max_calls: None,
            max_tokens: None,
            max_usd: None,
            max_seconds: None,
            max_depth: 1,
        }
    }
}

impl BudgetLimits {
    /// Checks that the numbers make sense.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(usd) = self.max_usd {
            if !(usd.is_finite() && usd >= 0.0) {
                return Err("max_usd must be a non-negative number".into());
            }
        }
        if let Some(s) = self.max_seconds {
            if !(s.is_finite() && s >= 0.0) {
                return Err("max_seconds must be a non-negative number".into());
            }
        }
        Ok(())
    }
}

/// Which limit refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetLimit {
    /// `max_calls`.
    Calls,
    /// `max_tokens`.
    Tokens,
    /// `max_usd`, including "no price known, cannot check".
    Usd,
    /// `max_seconds`.
    Time,
}

/// A call the budget would not allow: what ran out, and the numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The limit.
    pub limit: BudgetLimit,
    /// The numbers, as a clause: "the call budget is spent (5 of 5 calls)".
    pub detail: String,
}

/// What the model sees of the budget (`budget()` in rlq): what is spent and
/// what is left of each limit, `"unlimited"` where none is set. Time is not
/// shown: a program cannot read the clock (its output would change from run
/// to run); the time limit is enforced all the same.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetView {
    /// Sub-calls sent so far (cache hits are free).
    pub llm_calls_used: u64,
    /// Calls left; `None` is unlimited.
    #[serde(serialize_with = "unlimited")]
    pub llm_calls_left: Option<u64>,
    /// Tokens spent so far (input and reply, with calls in flight holding
    /// their allowance).
    pub tokens_used: u64,
    /// Tokens left; `None` is unlimited.
    #[serde(serialize_with = "unlimited")]
    pub tokens_left: Option<u64>,
    /// USD spent so far (models with a known price).
    pub usd_used: f64,
    /// USD left; `None` is unlimited.
    #[serde(serialize_with = "unlimited")]
    pub usd_left: Option<f64>,
    /// Depth of the program asking (the root program is 0).
    pub depth: u32,
    /// Deepest level an `rlm()` sub-session may run at.
    pub max_depth: u32,
    /// Characters of one `llm()` message (prompt, blank line, text) that fit
    /// the sub-model, with the system prompt and the reply already set aside.
    pub sub_input_chars: u64,
    /// Longest reply one sub-call may give, in tokens.
    pub sub_output_tokens: u64,
}

/// Writes a limit that is not set as `"unlimited"`.
fn unlimited<T: Serialize, S: serde::Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) => x.serialize(s),
        None => s.serialize_str("unlimited"),
    }
}

/// What one call holds until it settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    tokens: u64,
    nano_usd: u64,
}

/// The shared counters. Tokens and USD count what is spent plus what calls
/// in flight have reserved; USD is kept in billionths.
#[derive(Debug)]
pub struct Budget {
    limits: BudgetLimits,
    start: Instant,
    calls: AtomicU64,
    tokens: AtomicU64,
    nano_usd: AtomicU64,
}

fn nano(usd: f64) -> u64 {
    (usd * 1e9).round() as u64
}

fn usd(nano: u64) -> f64 {
    nano as f64 / 1e9
}

/// Adds `add` to `counter` unless that would pass `max`; returns the value
/// before on success and the current value on refusal.
fn add_within(counter: &AtomicU64, add: u64, max: Option<u64>) -> Result<u64, u64> {
    counter.fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| match max {
        Some(m) if cur.saturating_add(add) > m => None,
        _ => Some(cur.saturating_add(add)),
    })
}

impl Budget {
    /// A fresh budget whose clock starts now.
    pub fn new(limits: BudgetLimits) -> Budget {
        Budget {
            limits,
            start: Instant::now(),
            calls: AtomicU64::new(0),
            tokens: AtomicU64::new(0),
            nano_usd: AtomicU64::new(0),
        }
    }

    /// The limits.
    pub fn limits(&self) -> &BudgetLimits {
        &self.limits
    }

    /// When the time budget runs out, if it is limited.
    pub fn deadline(&self) -> Option<Instant> {
        let secs = self.limits.max_seconds?;
        // A limit too large to represent is no limit.
        self.start
            .checked_add(Duration::try_from_secs_f64(secs).ok()?)
    }

    fn time_check(&self) -> Result<(), Refusal> {
        match self.limits.max_seconds {
            Some(max) if self.start.elapsed().as_secs_f64() >= max => Err(Refusal {
                limit: BudgetLimit::Time,
                detail: format!("the time budget is spent ({max} s)"),
            }),
            _ => Ok(()),
        }
    }

    /// Checks, without spending, that `calls` more calls fit the call budget
    /// and that time is left (before a `map`).
    pub fn check_ahead(&self, calls: u64) -> Result<(), Refusal> {
        self.time_check()?;
        if let Some(max) = self.limits.max_calls {
            let used = self.calls.load(Ordering::Acquire);
            let left = max.saturating_sub(used);
            if calls > left {
                return Err(Refusal {
                    limit: BudgetLimit::Calls,
                    detail: format!(
                        "this would make up to {calls} llm() calls, but only {left} of {max} are left"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Checks, without spending, that `tokens` tokens and `cost` USD more
    /// fit the budget (before a `map`); `why` says how the figures were
    /// reached, for the refusal.
    pub fn check_spend_ahead(
        &self,
        tokens: u64,
        cost: Option<f64>,
        why: &str,
    ) -> Result<(), Refusal> {
        let l = &self.limits;
        if let Some(max) = l.max_tokens {
            let left = max.saturating_sub(self.tokens.load(Ordering::Acquire));
            if tokens > left {
                return Err(Refusal {
                    limit: BudgetLimit::Tokens,
                    detail: format!(
                        "this map may use up to {tokens} tokens ({why}), but only {left} of {max} are left"
                    ),
                });
            }
        }
        if let Some(max) = l.max_usd {
            let left = usd(nano(max).saturating_sub(self.nano_usd.load(Ordering::Acquire)));
            match cost {
                None => {
                    return Err(Refusal {
                        limit: BudgetLimit::Usd,
                        detail: "the model's price is unknown, so the USD limit cannot be checked"
                            .into(),
                    })
                }
                Some(c) if nano(c) > nano(left) => {
                    return Err(Refusal {
                        limit: BudgetLimit::Usd,
                        detail: format!(
                            "this map may cost up to ${c:.4} ({why}), but only ${left:.4} of ${max} are left"
                        ),
                    })
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Takes one call, `tokens` tokens and `cost` USD (`None`: price unknown)
    /// from the budget, or refuses without taking anything.
    pub fn try_spend(&self, tokens: u64, cost: Option<f64>) -> Result<Reservation, Refusal> {
        self.time_check()?;
        let l = &self.limits;
        if l.max_usd.is_some() && cost.is_none() {
            return Err(Refusal {
                limit: BudgetLimit::Usd,
                detail: "the model's price is unknown, so the USD limit cannot be checked".into(),
            });
        }
        if let Err(used) = add_within(&self.calls, 1, l.max_calls) {
            return Err(Refusal {
                limit: BudgetLimit::Calls,
                detail: format!(
                    "the call budget is spent ({used} of {} calls)",
                    l.max_calls.unwrap_or(0)
                ),
            });
        }
        if let Err(used) = add_within(&self.tokens, tokens, l.max_tokens) {
            self.calls.fetch_sub(1, Ordering::AcqRel);
            let max = l.max_tokens.unwrap_or(0);
            return Err(Refusal {
                limit: BudgetLimit::Tokens,
                detail: format!(
                    "the token budget cannot cover this call (it needs up to {tokens} tokens with its reply; {} of {max} are left)",
                    max.saturating_sub(used)
                ),
            });
        }
        let nano_cost = cost.map(nano).unwrap_or(0);
        if let Err(used) = add_within(&self.nano_usd, nano_cost, l.max_usd.map(nano)) {
            self.calls.fetch_sub(1, Ordering::AcqRel);
            self.tokens.fetch_sub(tokens, Ordering::AcqRel);
            let max = l.max_usd.unwrap_or(0.0);
            return Err(Refusal {
                limit: BudgetLimit::Usd,
                detail: format!(
                    "the USD budget cannot cover this call (it may cost up to ${:.4}; ${:.4} of ${max} are left)",
                    usd(nano_cost),
                    usd(nano(max).saturating_sub(used))
                ),
            });
        }
        Ok(Reservation {
            tokens,
            nano_usd: nano_cost,
        })
    }

    /// Replaces a reservation by what the call really used.
    pub fn settle(&self, r: Reservation, tokens: u64, cost: Option<f64>) {
        let swap = |counter: &AtomicU64, held: u64, real: u64| {
            let _ = counter.fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
                Some(cur.saturating_sub(held).saturating_add(real))
            });
        };
        swap(&self.tokens, r.tokens, tokens);
        swap(&self.nano_usd, r.nano_usd, cost.map(nano).unwrap_or(0));
    }

    /// The budget as the model sees it at `depth`, with the sub-model's
    /// message and reply sizes filled in by the caller.
    pub fn view(&self, depth: u32, sub_input_chars: u64, sub_output_tokens: u64) -> BudgetView {
        let l = &self.limits;
        let left = |max: Option<u64>, c: &AtomicU64| {
            max.map(|m| m.saturating_sub(c.load(Ordering::Acquire)))
        };
        let spent_usd = self.nano_usd.load(Ordering::Acquire);
        BudgetView {
            llm_calls_used: self.calls.load(Ordering::Acquire),
            llm_calls_left: left(l.max_calls, &self.calls),
            tokens_used: self.tokens.load(Ordering::Acquire),
            tokens_left: left(l.max_tokens, &self.tokens),
            usd_used: usd(spent_usd),
            usd_left: l.max_usd.map(|m| usd(nano(m).saturating_sub(spent_usd))),
            depth,
            max_depth: l.max_depth,
            sub_input_chars,
            sub_output_tokens,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> BudgetLimits {
        BudgetLimits::default()
    }

    #[test]
    fn calls_run_out_and_refusals_spend_nothing() {
        let b = Budget::new(BudgetLimits {
            max_calls: Some(2),
            max_tokens: Some(100),
            ..limits()
        });
        let r = b.try_spend(40, None).unwrap();
        b.settle(r, 10, None);
        let e = b.try_spend(95, None).unwrap_err();
        assert_eq!(e.limit, BudgetLimit::Tokens);
        assert!(e.detail.contains("90 of 100"), "{}", e.detail);
        b.try_spend(90, None).unwrap();
        let e = b.try_spend(0, None).unwrap_err();
        assert_eq!(e.limit, BudgetLimit::Calls);
        let v = b.view(0, 1, 2);
        assert_eq!(v.llm_calls_left, Some(0));
        assert_eq!(v.tokens_left, Some(0));
        assert_eq!((v.llm_calls_used, v.tokens_used), (2, 100));
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["usd_left"], "unlimited");
        assert!(json.get("seconds_left").is_none());
    }

    #[test]
    fn usd_needs_a_price_and_a_margin() {
        let b = Budget::new(BudgetLimits {
            max_usd: Some(0.01),
            ..limits()
        });
        assert_eq!(b.try_spend(1, None).unwrap_err().limit, BudgetLimit::Usd);
        let r = b.try_spend(1, Some(0.008)).unwrap();
        assert_eq!(
            b.try_spend(1, Some(0.005)).unwrap_err().limit,
            BudgetLimit::Usd
        );
        b.settle(r, 1, Some(0.001));
        b.try_spend(1, Some(0.005)).unwrap();
        let left = b.view(0, 0, 0).usd_left.unwrap();
        assert!((left - 0.004).abs() < 1e-9, "{left}");
    }

    #[test]
    fn time_and_ahead() {
        let b = Budget::new(BudgetLimits {
            max_calls: Some(3),
            max_seconds: Some(0.0),
            ..limits()
        });
        assert_eq!(b.try_spend(1, None).unwrap_err().limit, BudgetLimit::Time);
        let b = Budget::new(BudgetLimits {
            max_calls: Some(3),
            ..limits()
        });
        assert!(b.check_ahead(3).is_ok());
        let e = b.check_ahead(4).unwrap_err();
        assert!(
            e.detail.contains("up to 4") && e.detail.contains("3 of 3"),
            "{}",
            e.detail
        );
        assert_eq!(b.view(0, 0, 0).llm_calls_left, Some(3));
    }

    #[test]
    fn spending_ahead_is_checked_with_figures() {
        let b = Budget::new(BudgetLimits {
            max_tokens: Some(1000),
            max_usd: Some(0.5),
            ..limits()
        });
        let r = b.try_spend(400, Some(0.1)).unwrap();
        b.check_spend_ahead(600, Some(0.4), "x").unwrap();
        let e = b.check_spend_ahead(601, Some(0.1), "2 pieces").unwrap_err();
        assert_eq!(e.limit, BudgetLimit::Tokens);
        assert!(
            e.detail.contains("up to 601 tokens (2 pieces)") && e.detail.contains("600 of 1000"),
            "{}",
            e.detail
        );
        let e = b.check_spend_ahead(10, Some(0.41), "y").unwrap_err();
        assert_eq!(e.limit, BudgetLimit::Usd);
        assert!(
            e.detail.contains("$0.4100") && e.detail.contains("$0.4000 of $0.5"),
            "{}",
            e.detail
        );
        assert_eq!(
            b.check_spend_ahead(1, None, "z").unwrap_err().limit,
            BudgetLimit::Usd
        );
        b.settle(r, 0, Some(0.0));
        b.check_spend_ahead(1000, Some(0.5), "x").unwrap();
    }

    #[test]
    fn concurrent_spending_never_passes_the_limit() {
        let b = Budget::new(BudgetLimits {
            max_calls: Some(100),
            ..limits()
        });
        let ok = std::sync::atomic::AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..50 {
                        if b.try_spend(1, None).is_ok() {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(ok.load(Ordering::Relaxed), 100);
    }
}
