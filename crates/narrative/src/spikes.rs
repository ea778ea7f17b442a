//! Spike detection on a narrative's hourly volume against its own baseline.
//!
//! **The test.** For each hour `h` with count `k`, the baseline `λ` is the mean count of
//! the narrative's previous [`SpikeRule::window_hours`] hours (hours before the
//! narrative existed count as zero; `λ` is at least [`SpikeRule::min_baseline`]). Hour
//! `h` is *anomalous* when `k ≥` [`SpikeRule::floor`] and the Poisson upper tail
//! `P(X ≥ k | λ) ≤` [`SpikeRule::alpha`]. A spike starts at an anomalous hour and lasts
//! while the count stays at or above half the floor and still elevated
//! (`P(X ≥ k | λ) ≤` [`SpikeRule::CONTINUE_ALPHA`]): a narrative that stays at a new,
//! higher level becomes its own baseline. One [`Spike`] (one alert) is reported per spike,
//! named by the hour it started, so re-running the test over a longer series reports
//! the same spikes again with the same start hours (the store keeps one alert per
//! narrative and start hour).

use serde::{Deserialize, Serialize};

/// The spike test's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpikeRule {
    /// Fewest items in an hour for it to count as a spike.
    pub floor: u32,
    /// Largest Poisson upper-tail probability of an anomalous hour.
    pub alpha: f64,
    /// Hours of history the baseline averages.
    pub window_hours: u32,
    /// Least baseline rate (items per hour).
    pub min_baseline: f64,
}

impl Default for SpikeRule {
    fn default() -> Self {
        Self {
            floor: 10,
            alpha: 1e-3,
            window_hours: 24,
            min_baseline: 0.5,
        }
    }
}

/// One spike of a narrative.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spike {
    /// The hour it started (hours since the Unix epoch).
    pub start_hour: i64,
    /// Items in that hour.
    pub count: u32,
    /// The baseline rate it was tested against.
    pub baseline: f64,
    /// `P(X ≥ count | baseline)`.
    pub p_value: f64,
    /// Highest hourly count during the spike.
    pub peak: u32,
}

/// `ln(n!)`: exact sums below 256, Stirling's series above.
fn ln_factorial(n: u64) -> f64 {
    if n < 256 {
        (2..=n).map(|i| (i as f64).ln()).sum()
    } else {
        let x = n as f64 + 1.0;
        (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + 1.0 / (12.0 * x)
            - 1.0 / (360.0 * x.powi(3))
    }
}

/// The Poisson upper tail `P(X ≥ k)` for rate `lambda > 0`.
pub fn poisson_upper_tail(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if lambda.is_nan() || lambda <= 0.0 || !lambda.is_finite() {
        return 0.0;
    }
    if (k as f64) <= lambda {
        // Sum the lower tail instead: P(X ≥ k) = 1 - P(X ≤ k - 1).
        let mut term = (-lambda).exp();
        let mut lower = term;
        for i in 1..k {
            term *= lambda / i as f64;
            lower += term;
        }
        return (1.0 - lower).clamp(0.0, 1.0);
    }
    let mut ln_term = -lambda + k as f64 * lambda.ln() - ln_factorial(k);
    let mut sum = 0.0;
    let mut i = k;
    loop {
        let term = ln_term.exp();
        sum += term;
        if term < sum * 1e-15 || i > k + 10_000 {
            break;
        }
        i += 1;
        ln_term += lambda.ln() - (i as f64).ln();
    }
    sum.clamp(0.0, 1.0)
}

impl SpikeRule {
    /// Largest upper-tail probability of an hour that keeps a started spike going.
    pub const CONTINUE_ALPHA: f64 = 0.05;

    /// The spikes of one narrative's hourly counts (`(hour, count)`, any order, hours
    /// since the epoch; missing hours are zero).
    pub fn spikes(&self, hourly: &[(i64, u32)]) -> Vec<Spike> {
        let mut counts: Vec<(i64, u32)> = hourly.iter().copied().filter(|(_, c)| *c > 0).collect();
        counts.sort_unstable();
        counts.dedup_by(|b, a| {
            if a.0 == b.0 {
                a.1 += b.1;
                true
            } else {
                false
            }
        });
        let mut out = Vec::new();
        let Some(&(first, _)) = counts.first() else {
            return out;
        };
        let last = counts[counts.len() - 1].0;
        let window = self.window_hours.max(1) as usize;
        // Counts of the last `window` hours.
        let mut history: std::collections::VecDeque<u32> =
            std::collections::VecDeque::from(vec![0; window]);
        let mut at = 0usize;
        let mut in_spike: Option<usize> = None;
        let mut hour = first;
        while hour <= last {
            let k = if at < counts.len() && counts[at].0 == hour {
                at += 1;
                counts[at - 1].1
            } else {
                0
            };
            // Jump over long silences: nothing can fire in empty hours.
            if k == 0 && in_spike.is_none() {
                let next = counts.get(at).map_or(last + 1, |c| c.0);
                let gap = (next - hour) as usize;
                for _ in 0..gap.min(window) {
                    history.pop_front();
                    history.push_back(0);
                }
                hour = next;
                continue;
            }
            let lambda = (history.iter().map(|c| f64::from(*c)).sum::<f64>() / window as f64)
                .max(self.min_baseline);
            let mut spiking = false;
            if let Some(s) = in_spike {
                if 2 * k >= self.floor
                    && poisson_upper_tail(u64::from(k), lambda) <= Self::CONTINUE_ALPHA
                {
                    spiking = true;
                    let sp: &mut Spike = &mut out[s];
                    sp.peak = sp.peak.max(k);
                } else {
                    in_spike = None;
                }
            }
            if !spiking && k >= self.floor {
                let p = poisson_upper_tail(u64::from(k), lambda);
                if p <= self.alpha {
                    out.push(Spike {
                        start_hour: hour,
                        count: k,
                        baseline: lambda,
                        p_value: p,
                        peak: k,
                    });
                    in_spike = Some(out.len() - 1);
                }
            }
            history.pop_front();
            history.push_back(k);
            hour += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_tail_matches_known_values() {
        // P(X ≥ 10 | λ = 0.5) ≈ 1.7e-10; P(X ≥ 1 | λ = 1) = 1 - e^-1.
        let p = poisson_upper_tail(10, 0.5);
        assert!((p / 1.7e-10 - 1.0).abs() < 0.05, "{p}");
        assert!((poisson_upper_tail(1, 1.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        assert!((poisson_upper_tail(3, 5.0) - 0.8753480).abs() < 1e-6);
        let far = poisson_upper_tail(1000, 10.0);
        assert!(far.is_finite() && (0.0..1e-100).contains(&far), "{far}");
        assert!((poisson_upper_tail(300, 300.0) - 0.5).abs() < 0.05);
    }

    #[test]
    fn a_burst_fires_once_and_steady_volume_never() {
        let rule = SpikeRule::default();
        let mut hourly: Vec<(i64, u32)> = (0..48).map(|h| (h, 2)).collect();
        hourly.extend([(48, 30), (49, 40), (50, 25), (51, 2)]);
        let s = rule.spikes(&hourly);
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s[0].start_hour, 48);
        assert_eq!(s[0].peak, 40);
        let steady: Vec<(i64, u32)> = (0..100).map(|h| (h, 12)).collect();
        // A new narrative that starts at 12 per hour fires once, then is its own baseline,
        // so a later burst far above it is a second spike.
        assert_eq!(rule.spikes(&steady).len(), 1);
        let mut later = steady.clone();
        later.push((100, 60));
        let s = rule.spikes(&later);
        assert_eq!(
            s.iter().map(|s| s.start_hour).collect::<Vec<_>>(),
            vec![0, 100]
        );
    }

    #[test]
    fn two_bursts_apart_are_two_spikes_and_small_ones_none() {
        let rule = SpikeRule::default();
        let s = rule.spikes(&[(0, 1), (5, 20), (6, 15), (100, 25)]);
        assert_eq!(
            s.iter().map(|s| s.start_hour).collect::<Vec<_>>(),
            vec![5, 100]
        );
        assert!(rule.spikes(&[(0, 9), (1, 9)]).is_empty());
    }

    #[test]
    fn longer_series_keep_earlier_spike_starts() {
        let rule = SpikeRule::default();
        let a = rule.spikes(&[(0, 1), (3, 20)]);
        let b = rule.spikes(&[(0, 1), (3, 20), (4, 30), (9, 1)]);
        assert_eq!(a[0].start_hour, b[0].start_hour);
        assert_eq!(b.len(), 1);
    }
}
