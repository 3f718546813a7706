use statrs::distribution::{ContinuousCDF, StudentsT};

use super::metric::{Metric, MetricValues};

/// One row of `summary.csv`: a metric's mean over replications and its 95%
/// Student-t confidence interval. Empty bounds (`None`) when fewer than two
/// replications had a value.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub scope: String,
    pub metric: Metric,
    pub mean: Option<f64>,
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
    pub n: usize,
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom, the factor
/// of a two-sided 95% interval.
pub fn student_t_975(df: usize) -> f64 {
    t_quantile(0.975, df)
}

/// Any upper quantile of Student's t (tests use wider levels to control the
/// family-wise error over many comparisons).
pub fn t_quantile(p: f64, df: usize) -> f64 {
    StudentsT::new(0.0, 1.0, df.max(1) as f64)
        .expect("df ≥ 1 is valid")
        .inverse_cdf(p)
}

/// Mean and 95% CI of the values present, in replication order (so the float
/// sums, and hence the text written, never depend on thread scheduling).
pub fn mean_ci(values: &[f64]) -> (Option<f64>, Option<f64>, Option<f64>) {
    let n = values.len();
    if n == 0 {
        return (None, None, None);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (Some(mean), None, None);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = student_t_975(n - 1) * (var / n as f64).sqrt();
    (Some(mean), Some(mean - half), Some(mean + half))
}

/// Builds summary rows for every scope: `per_rep[r][s]` is replication r's
/// values for scope s, whose name is `scope_names[s]`.
pub fn summarize(scope_names: &[String], per_rep: &[Vec<MetricValues>]) -> Vec<SummaryRow> {
    let mut rows = Vec::new();
    for (s, scope) in scope_names.iter().enumerate() {
        for metric in Metric::ALL {
            if s > 0 && !metric.per_portal() {
                continue;
            }
            let values: Vec<f64> = per_rep
                .iter()
                .filter_map(|rep| rep.get(s).and_then(|v| v[metric as usize]))
                .collect();
            let (mean, lo, hi) = mean_ci(&values);
            rows.push(SummaryRow {
                scope: scope.clone(),
                metric,
                mean,
                ci95_low: lo,
                ci95_high: hi,
                n: values.len(),
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Standard table values.
        assert!((student_t_975(1) - 12.706).abs() < 1e-3);
        assert!((student_t_975(9) - 2.262).abs() < 1e-3);
        assert!((student_t_975(1000) - 1.962).abs() < 1e-3);
    }

    #[test]
    fn mean_ci_of_known_sample() {
        let (m, lo, hi) = mean_ci(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, Some(2.5));
        let half = 3.182446 * (1.6666667f64 / 4.0).sqrt();
        assert!((lo.unwrap() - (2.5 - half)).abs() < 1e-5);
        assert!((hi.unwrap() - (2.5 + half)).abs() < 1e-5);
        assert_eq!(mean_ci(&[7.0]), (Some(7.0), None, None));
        assert_eq!(mean_ci(&[]), (None, None, None));
    }
}
