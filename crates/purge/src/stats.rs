//! The statistics the purge test rests on, written out so a lawyer's expert can check
//! them: the one-sided Poisson tail `P(X >= x)` for `X ~ Poisson(λ)` (through the
//! regularised lower incomplete gamma function, `P(X >= x) = P(x, λ)`), and the
//! Benjamini–Hochberg adjustment across a family of tests.

/// `ln Γ(z)` for `z > 0` (Lanczos, g = 7, n = 9; relative error below 1e-13).
pub fn ln_gamma(z: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if z < 0.5 {
        // Reflection: Γ(z) Γ(1 − z) = π / sin(πz).
        let pi = std::f64::consts::PI;
        return (pi / (pi * z).sin()).ln() - ln_gamma(1.0 - z);
    }
    let z = z - 1.0;
    let mut x = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        x += c / (z + i as f64);
    }
    let t = z + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (z + 0.5) * t.ln() - t + x.ln()
}

/// The regularised lower incomplete gamma `P(a, x)` for `a > 0`, `x >= 0`: a series
/// below `a + 1`, a continued fraction (modified Lentz) above.
pub fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let ln_prefix = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        let (mut term, mut sum, mut n) = (1.0 / a, 1.0 / a, a);
        for _ in 0..100_000 {
            n += 1.0;
            term *= x / n;
            sum += term;
            if term.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        (sum.ln() + ln_prefix).exp().clamp(0.0, 1.0)
    } else {
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..100_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-15 {
                break;
            }
        }
        (1.0 - (h.ln() + ln_prefix).exp()).clamp(0.0, 1.0)
    }
}

/// One-sided upper tail of the Poisson distribution: `P(X >= observed)` when
/// `X ~ Poisson(expected)`. 1 when nothing was observed; 0 when something was observed
/// and nothing was expected.
pub fn poisson_upper_tail(observed: u64, expected: f64) -> f64 {
    if observed == 0 {
        return 1.0;
    }
    if expected.is_nan() || expected <= 0.0 {
        return 0.0;
    }
    if expected.is_infinite() {
        return 1.0;
    }
    gamma_p(observed as f64, expected)
}

/// Benjamini–Hochberg adjusted p-values (q-values), in the order given: `q_i` is the
/// smallest false-discovery rate at which test `i` is a discovery.
pub fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut q = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        let adjusted = (p_values[i] * m as f64 / (rank + 1) as f64)
            .max(p_values[i])
            .min(1.0);
        running = running.min(adjusted);
        q[i] = if p_values[i].is_nan() { 1.0 } else { running };
    }
    q
}

/// A two-sided p-value for a share `k / n` against an expected share `p0` (normal
/// approximation to the binomial; 1 when undefined).
pub fn share_difference_p(k: u64, n: u64, p0: f64) -> f64 {
    if n == 0 || p0.is_nan() || p0 <= 0.0 || p0 >= 1.0 {
        return 1.0;
    }
    let n = n as f64;
    let z = ((k as f64) / n - p0) / (p0 * (1.0 - p0) / n).sqrt();
    (2.0 * normal_upper_tail(z.abs())).min(1.0)
}

/// `P(Z > z)` for a standard normal `Z` (through `erfc`, Numerical Recipes' Chebyshev fit,
/// relative error below 1.2e-7).
pub fn normal_upper_tail(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        let mut f = 1.0f64;
        for n in 1..30u32 {
            f *= n as f64;
            assert!(close(ln_gamma(n as f64 + 1.0), f.ln(), 1e-12), "{n}");
        }
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-12
        ));
    }

    #[test]
    fn poisson_tail_matches_direct_sums() {
        for &(x, lambda) in &[(1u64, 0.5f64), (3, 2.0), (10, 4.0), (7, 12.0), (40, 30.0)] {
            // P(X >= x) = 1 - sum_{k < x} e^-λ λ^k / k!
            let mut below = 0.0;
            for k in 0..x {
                below += (k as f64 * lambda.ln() - lambda - ln_gamma(k as f64 + 1.0)).exp();
            }
            let want = 1.0 - below;
            let got = poisson_upper_tail(x, lambda);
            assert!(close(got, want, 1e-9), "x={x} λ={lambda}: {got} vs {want}");
        }
    }

    #[test]
    fn poisson_tail_of_a_mass_inactivation_is_tiny_and_of_normal_churn_is_not() {
        // 1,234 moved where 90 were expected: astronomically unlikely.
        assert!(poisson_upper_tail(1_234, 90.0) < 1e-200);
        // 95 where 90 were expected: ordinary.
        let p = poisson_upper_tail(95, 90.0);
        assert!(p > 0.2 && p < 0.5, "{p}");
        assert_eq!(poisson_upper_tail(0, 5.0), 1.0);
        assert_eq!(poisson_upper_tail(3, 0.0), 0.0);
    }

    #[test]
    fn benjamini_hochberg_by_hand() {
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.5]);
        // sorted: 0.01 (×4/1 = 0.04), 0.03 (×4/2 = 0.06), 0.04 (×4/3 = 0.0533), 0.5 (×1)
        // monotone from the top: 0.5, 0.0533, 0.0533, 0.04
        assert!(close(q[0], 0.04, 1e-12));
        assert!(close(q[1], 0.04 * 4.0 / 3.0, 1e-12));
        assert!(close(q[2], 0.04 * 4.0 / 3.0, 1e-12));
        assert!(close(q[3], 0.5, 1e-12));
        assert!(benjamini_hochberg(&[]).is_empty());
    }

    #[test]
    fn normal_tail_and_share_test() {
        assert!(close(normal_upper_tail(1.959_964), 0.025, 1e-5));
        assert!(share_difference_p(610, 1000, 0.38) < 1e-10);
        assert!(share_difference_p(38, 100, 0.38) > 0.9);
    }
}
