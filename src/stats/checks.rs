use crate::model::CheckSpec;

use super::summary::SummaryRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// The metric had no value (e.g. no answered call): a check that cannot
    /// be evaluated does not pass.
    NoData,
}

#[derive(Debug, Clone)]
pub struct CheckResult {
    pub check: CheckSpec,
    pub mean: Option<f64>,
    pub ci95: Option<(f64, f64)>,
    pub verdict: Verdict,
}

/// Judges each check on the metric's mean over replications.
pub fn evaluate_checks(checks: &[CheckSpec], summary: &[SummaryRow]) -> Vec<CheckResult> {
    checks
        .iter()
        .map(|c| {
            let row = summary
                .iter()
                .find(|r| r.scope == c.scope_name && r.metric == c.metric);
            let mean = row.and_then(|r| r.mean);
            let ci95 = row.and_then(|r| Some((r.ci95_low?, r.ci95_high?)));
            let verdict = match mean {
                None => Verdict::NoData,
                Some(v) => {
                    let over = c.max.is_some_and(|m| v > m);
                    let under = c.min.is_some_and(|m| v < m);
                    if over || under {
                        Verdict::Fail
                    } else {
                        Verdict::Pass
                    }
                }
            };
            CheckResult {
                check: c.clone(),
                mean,
                ci95,
                verdict,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Scope;
    use crate::stats::Metric;

    fn row(metric: Metric, mean: Option<f64>) -> SummaryRow {
        SummaryRow {
            scope: "platform".into(),
            metric,
            mean,
            ci95_low: None,
            ci95_high: None,
            n: 1,
            sd: None,
        }
    }

    fn check(metric: Metric, max: Option<f64>, min: Option<f64>) -> CheckSpec {
        CheckSpec {
            scope: Scope::Platform,
            scope_name: "platform".into(),
            metric,
            max,
            min,
        }
    }

    #[test]
    fn verdicts() {
        let s = vec![
            row(Metric::P95WaitS, Some(30.0)),
            row(Metric::MeanMos, None),
        ];
        let r = evaluate_checks(
            &[
                check(Metric::P95WaitS, Some(60.0), None),
                check(Metric::P95WaitS, Some(20.0), None),
                check(Metric::P95WaitS, None, Some(31.0)),
                check(Metric::MeanMos, None, Some(3.5)),
            ],
            &s,
        );
        let v: Vec<Verdict> = r.iter().map(|c| c.verdict).collect();
        assert_eq!(
            v,
            vec![Verdict::Pass, Verdict::Fail, Verdict::Fail, Verdict::NoData]
        );
    }
}
