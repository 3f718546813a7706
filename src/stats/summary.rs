use statrs::distribution::{ContinuousCDF, StudentsT};

use super::metric::{Metric, MetricValues};

/// One row of `summary.csv`: a metric's mean over replications, its 95%
/// Student-t confidence interval clipped to the metric's range
/// ([`Metric::range`]: a count's interval never goes below 0, a share's
/// never leaves [0, 1]), and the sample standard deviation of the
/// replications' values (unclipped, so tests between runs need not undo the
/// clipping). Empty bounds and sd (`None`) when fewer than two replications
/// had a value.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub scope: String,
    pub metric: Metric,
    pub mean: Option<f64>,
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
    pub n: usize,
    pub sd: Option<f64>,
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
    let (mean, sd) = mean_sd(values);
    match (mean, sd) {
        (Some(m), Some(s)) => {
            let half = student_t_975(values.len() - 1) * s / (values.len() as f64).sqrt();
            (Some(m), Some(m - half), Some(m + half))
        }
        _ => (mean, None, None),
    }
}

/// Mean and sample standard deviation (`None` below two values).
pub fn mean_sd(values: &[f64]) -> (Option<f64>, Option<f64>) {
    let n = values.len();
    if n == 0 {
        return (None, None);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (Some(mean), None);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (Some(mean), Some(var.sqrt()))
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
            let (min, max) = metric.range();
            rows.push(SummaryRow {
                scope: scope.clone(),
                metric,
                mean,
                ci95_low: lo.map(|x| x.clamp(min, max)),
                ci95_high: hi.map(|x| x.clamp(min, max)),
                n: values.len(),
                sd: mean_sd(&values).1,
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

    /// A count's interval stops at 0 and a share's at 1; the sd column
    /// keeps the spread the clipping hides.
    #[test]
    fn intervals_are_clipped_to_the_metric_range() {
        let mut a: MetricValues = [None; crate::stats::metric::METRIC_COUNT];
        let mut b = a;
        a[Metric::Voicemail as usize] = Some(0.0);
        b[Metric::Voicemail as usize] = Some(1.0);
        a[Metric::ServiceLevel as usize] = Some(1.0);
        b[Metric::ServiceLevel as usize] = Some(0.9);
        let rows = summarize(&["platform".into()], &[vec![a], vec![b]]);
        let get = |m: Metric| rows.iter().find(|r| r.metric == m).unwrap();
        let vm = get(Metric::Voicemail);
        assert_eq!(vm.ci95_low, Some(0.0));
        assert!(vm.ci95_high.unwrap() > 1.0);
        assert!((vm.sd.unwrap() - 0.5f64.sqrt()).abs() < 1e-12);
        let sl = get(Metric::ServiceLevel);
        assert_eq!(sl.ci95_high, Some(1.0));
        assert!(sl.ci95_low.unwrap() < 0.9);
        assert!(get(Metric::MeanMos).sd.is_none());
    }
}
