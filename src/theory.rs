//! Closed forms the simulation must agree with (DESIGN §3). Shared by the
//! tests that validate the engine and by `telsim check`, which prints the
//! textbook prediction next to the scenario.

/// Erlang B blocking probability for `c` servers and offered load `a`
/// Erlangs, by the stable recursion `B(k) = a B(k-1) / (k + a B(k-1))`.
pub fn erlang_b(c: u32, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    b
}

/// Erlang C: probability that an arriving call waits (M/M/c, FIFO, patient
/// callers), `C = c B / (c - a (1 - B))`. Requires `a < c`; returns 1 at or
/// beyond saturation.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    if a >= c as f64 {
        return 1.0;
    }
    let b = erlang_b(c, a);
    let c = c as f64;
    c * b / (c - a * (1.0 - b))
}

/// `P(wait > t)` in M/M/c: `C e^{-(c - a) μ t}`.
pub fn p_wait_longer(c: u32, a: f64, mu: f64, t_s: f64) -> f64 {
    erlang_c(c, a) * (-(c as f64 - a) * mu * t_s).exp()
}

/// Average speed of answer in M/M/c: `C / (c μ - λ)` with λ = a μ.
pub fn asa_s(c: u32, a: f64, mu: f64) -> f64 {
    erlang_c(c, a) / (c as f64 * mu - a * mu)
}

/// The wait quantile `q` in M/M/c: the smallest t with P(wait > t) ≤ 1 - q.
pub fn wait_quantile_s(c: u32, a: f64, mu: f64, q: f64) -> f64 {
    let pc = erlang_c(c, a);
    if pc <= 1.0 - q {
        0.0
    } else {
        (pc / (1.0 - q)).ln() / ((c as f64 - a) * mu)
    }
}

/// Erlang A (M/M/c+M): exponential patience with mean `1/theta`. Solved
/// exactly from the birth-death chain (state n = calls in system; departures
/// `min(n, c) μ + max(n - c, 0) θ`), truncated where the tail is negligible.
/// Returns (probability an arriving call abandons, probability it waits).
pub fn erlang_a(c: u32, lambda: f64, mu: f64, theta: f64) -> (f64, f64) {
    let c = c as usize;
    let mut p = vec![1.0f64];
    let mut n = 0usize;
    loop {
        let death = (n + 1).min(c) as f64 * mu + (n + 1).saturating_sub(c) as f64 * theta;
        let next = p[n] * lambda / death;
        p.push(next);
        n += 1;
        if n > c + 10 && next < 1e-16 * p.iter().sum::<f64>() || n > 1_000_000 {
            break;
        }
    }
    let total: f64 = p.iter().sum();
    // PASTA: an arrival sees the stationary distribution.
    let p_wait: f64 = p[c..].iter().sum::<f64>() / total;
    // Served rate = Σ min(n,c) μ p_n; abandonment = 1 - served / λ.
    let served: f64 = p
        .iter()
        .enumerate()
        .map(|(n, pn)| n.min(c) as f64 * mu * pn)
        .sum::<f64>()
        / total;
    (1.0 - served / lambda, p_wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_b_matches_published_tables() {
        // Classic table values: 10 Erl on 10 lines ≈ 21.5 %, 5 Erl on 10 ≈ 1.84 %.
        assert!((erlang_b(10, 10.0) - 0.2146).abs() < 1e-4);
        assert!((erlang_b(10, 5.0) - 0.01838).abs() < 1e-5);
        assert_eq!(erlang_b(0, 3.0), 1.0);
    }

    #[test]
    fn erlang_c_matches_published_example() {
        // A common worked example: 2 agents, 1 Erl → C = 1/3.
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        // M/M/1: C = ρ.
        assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
        assert_eq!(erlang_c(3, 3.0), 1.0);
        // M/M/1 ASA = ρ / (μ - λ)
        assert!((asa_s(1, 0.5, 1.0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn erlang_a_tends_to_erlang_c_with_very_patient_callers() {
        let (ab, pw) = erlang_a(10, 8.0, 1.0, 1e-9);
        assert!(ab < 1e-6);
        assert!((pw - erlang_c(10, 8.0)).abs() < 1e-4, "{pw}");
        // Impatient callers abandon more and wait less often.
        let (ab2, pw2) = erlang_a(10, 8.0, 1.0, 1.0);
        assert!(ab2 > 0.01 && pw2 < pw);
    }

    #[test]
    fn wait_quantile_inverts_the_tail() {
        let t = wait_quantile_s(50, 47.5, 0.01, 0.95);
        assert!((p_wait_longer(50, 47.5, 0.01, t) - 0.05).abs() < 1e-12);
        assert_eq!(wait_quantile_s(50, 10.0, 0.01, 0.95), 0.0);
    }
}
