//! Entry points shared by the cargo-fuzz targets in `fuzz/` and the crash
//! regression test `tests/fuzz_regressions.rs`, so a crasher found by the
//! fuzzer replays through exactly the code it crashed.
//!
//! Each function takes arbitrary bytes and must return normally: any panic,
//! abort, hang or huge allocation in here is a bug in telsim, never in the
//! input.

use std::ops::ControlFlow;
use std::path::Path;

use crate::model::run_replication;
use crate::network::{parse_topology, write_routes_csv, Failures, Routes};
use crate::scenario::{apply_override, Override};

use super::budget::{estimate, Limits};

/// A simulation is run only when its estimate is this small, so one input
/// stays well under a millisecond or two.
const FUZZ_MAX_EVENTS: f64 = 20_000.0;
/// Topologies routed in full only up to this many nodes.
const FUZZ_MAX_ROUTED_NODES: usize = 64;

/// The scenario the `--set` target edits when the input carries no text of
/// its own: the core schema of DESIGN §5 with a topology-free network.
pub const BASE_SCENARIO: &str = r#"Scenario(
    name: "fuzz",
    seed: 1,
    replications: 2,
    duration_s: 600.0,
    warmup_s: 60.0,
    interval_s: 60.0,
    topology: None,
    servers: [Server(name: "sip1", max_calls: Some(20), max_cps: None)],
    portals: [
        Portal(
            name: "acme",
            currency: RUB,
            balance: 100.0,
            agents: ["olena", "iryna", "petro"],
            queue: Queue(policy: Evenly, ring_time_s: 15.0, max_wait_s: Some(120.0), no_answer: Voicemail),
            inbound: Traffic(
                arrivals: Profile(steps: [(0.0, 30.0), (9.0, 60.0)], scale: 1.0),
                talk_s: Exp(mean: 100.0),
                patience_s: Some(Exp(mean: 60.0)),
            ),
            agent: Agent(answer_prob: 0.9, answer_delay_s: Const(2.0), wrapup_s: Uniform(min: 0.0, max: 5.0)),
        ),
    ],
    checks: [
        Check(scope: "platform", metric: "p95_wait_s", max: Some(60.0), min: None),
    ],
)
"#;

/// Validates scenario text; when the model is small, runs one replication
/// with the invariant checks on. A violated invariant panics here, so the
/// fuzzer reports it like a crash.
pub fn scenario_bytes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    scenario_text(text);
}

fn scenario_text(text: &str) {
    let Ok(model) = crate::model_from_str(text, "fuzz.ron") else {
        return;
    };
    let est = estimate(&model, &Limits::default());
    if est.events > FUZZ_MAX_EVENTS || est.memory_bytes > 64.0 * 1024.0 * 1024.0 {
        return;
    }
    let mut budget = 200_000u32;
    let run = run_replication(&model, 0, (), |_| {
        // A runaway replication (far more slices than estimated) is a hang.
        budget = budget.saturating_sub(1);
        assert!(budget > 0, "replication did not finish in time");
        ControlFlow::Continue(())
    });
    if let Some((result, ())) = run {
        if let Some(v) = result.violation {
            panic!("invariant violated: {v}");
        }
    }
}

/// Parses and validates topology text; small valid topologies are routed and
/// printed as `telsim routes` would.
pub fn topology_bytes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(topo) = parse_topology(text, Path::new("fuzz.ron")) else {
        return;
    };
    if topo.node_count() > FUZZ_MAX_ROUTED_NODES {
        return;
    }
    let routes = Routes::compute(&topo, &Failures::none(&topo));
    let mut sink = std::io::sink();
    write_routes_csv(&mut sink, &topo, &routes).expect("writing to a sink cannot fail");
}

/// `--set`: the first line is `PATH=VALUE`; the rest, when present, is the
/// scenario text it applies to (otherwise [`BASE_SCENARIO`]). The edited text
/// then goes through validation like a file.
pub fn set_path_bytes(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let (assignment, rest) = input.split_once('\n').unwrap_or((input, ""));
    let Ok(o) = assignment.parse::<Override>() else {
        return;
    };
    let text = if rest.trim().is_empty() {
        BASE_SCENARIO
    } else {
        rest
    };
    if let Ok(edited) = apply_override(text, &o) {
        scenario_text(&edited);
    }
}

/// Number normalisation and trunk formatting: never panic; a normalised
/// number is ASCII digits not starting with 0 that libphonenumber's metadata
/// holds valid; every trunk style formats it; the `+` form reads back to the
/// same digits from any home country, and the home's own national form from
/// the home.
/// Input: the home country's calling code on the first line, then the number.
pub fn numbering_bytes(data: &[u8]) {
    use crate::numbering::{format, is_valid, normalise, TrunkFormat};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (home, number) = text.split_once('\n').unwrap_or(("7", text));
    let Ok(digits) = normalise(number, home) else {
        return;
    };
    assert!(
        is_valid(&digits) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0'),
        "normalise({number:?}, {home:?}) gave {digits:?}"
    );
    let styles = [
        TrunkFormat::International,
        TrunkFormat::Plus,
        TrunkFormat::Kazakh,
        TrunkFormat::National {
            country: "7".into(),
        },
        TrunkFormat::National {
            country: "49".into(),
        },
        TrunkFormat::National {
            country: "1".into(),
        },
    ];
    for style in &styles {
        let _ = format(&digits, style);
    }
    let own = format(
        &digits,
        &TrunkFormat::National {
            country: home.into(),
        },
    );
    assert_eq!(
        normalise(&own, home).as_deref(),
        Ok(digits.as_str()),
        "{own} read from home {home}"
    );
    let plus = format(&digits, &TrunkFormat::Plus);
    for other_home in ["7", "1", "380", "49"] {
        assert_eq!(
            normalise(&plus, other_home).as_deref(),
            Ok(digits.as_str()),
            "{plus} read from home {other_home}"
        );
    }
}

/// `summary.csv` as `diff` reads it: a summary that parses holds only
/// checked values, diffs against itself with no verdict but `same`,
/// `untested` or uninformative rows, and renders in every format.
pub fn summary_csv_bytes(data: &[u8]) {
    use crate::workflow::diff::DiffVerdict;
    use crate::workflow::diff::{diff, holm_family, render_diff, render_diff_json, DiffOptions};
    use crate::workflow::summary_file::{parse_summary_from, MAX_REPLICATIONS};
    let Ok(rows) = parse_summary_from(data) else {
        return;
    };
    for r in &rows {
        assert!(r.n as u64 <= MAX_REPLICATIONS);
        for v in [r.mean, r.ci95_low, r.ci95_high].into_iter().flatten() {
            assert!(v.is_finite());
        }
    }
    let all: Vec<String> = rows.iter().map(|r| r.metric.clone()).collect();
    for opts in [
        DiffOptions::default(),
        DiffOptions {
            metrics: all,
            ..DiffOptions::default()
        },
    ] {
        let out = diff(&rows, &rows, &opts).expect("names come from the file");
        assert!(holm_family(&out) <= out.len());
        for r in &out {
            assert!(
                matches!(
                    r.verdict,
                    DiffVerdict::Same
                        | DiffVerdict::Untested
                        | DiffVerdict::Changed
                        | DiffVerdict::NotGated
                        | DiffVerdict::Duplicate
                ) || r.is_uninformative(),
                "a summary differs from itself: {r:?}"
            );
            if let Some(p) = r.p_holm {
                assert!((0.0..=1.0).contains(&p), "{r:?}");
            }
        }
        let _ = render_diff(&out, &opts, true);
        let _ = render_diff(&out, &opts, false);
        let _ = render_diff_json(&out, &opts);
    }
}

/// `intervals.csv` as `report` reads it: what parses draws, with no `NaN`
/// or infinite coordinate in the SVG.
pub fn intervals_csv_bytes(data: &[u8]) {
    for svg in crate::workflow::report::fuzz_intervals(data) {
        assert_svg_finite(&svg);
    }
}

/// `calls.csv` as `report` reads it (waits and MOS): what parses bins and
/// draws as the report's histograms.
pub fn calls_csv_bytes(data: &[u8]) {
    for svg in crate::workflow::report::fuzz_calls(data) {
        assert_svg_finite(&svg);
    }
}

/// The SVG scales: the input is read as little-endian f64 values (two
/// range ends, then (x, y) points) and one tick target byte; ticks stay
/// bounded, sorted and finite, and any finite data draws.
pub fn svg_scales_bytes(data: &[u8]) {
    use crate::workflow::svg::{self, LineChart, Series, MAX_TICKS};
    let Some((&target, rest)) = data.split_first() else {
        return;
    };
    let v: Vec<f64> = rest
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    let (lo, hi) = (
        v.first().copied().unwrap_or(0.0),
        v.get(1).copied().unwrap_or(1.0),
    );
    let t = svg::ticks(lo, hi, target as usize);
    assert!(t.len() <= MAX_TICKS, "{} ticks for {lo}..{hi}", t.len());
    assert!(t.iter().all(|x| x.is_finite()));
    assert!(t.windows(2).all(|w| w[0] < w[1]), "{t:?}");
    let points: Vec<(f64, f64)> = v.chunks_exact(2).map(|p| (p[0], p[1])).collect();
    let chart = svg::line_chart(&LineChart {
        title: "fuzz".into(),
        x_label: "x".into(),
        y_label: "y".into(),
        series: vec![Series {
            name: "s".into(),
            points: points.clone(),
            dashed: false,
            // A band around the points, so the fuzzer reaches its drawing too.
            band: points.iter().map(|&(x, y)| (x, y - 1.0, y + 1.0)).collect(),
        }],
        markers: vec![svg::Marker {
            x: lo,
            label: "m".into(),
            series: None,
        }],
    });
    assert_svg_finite(&chart);
    let ys: Vec<f64> = points
        .iter()
        .map(|p| p.1)
        .filter(|y| y.is_finite())
        .collect();
    let hist = svg::histogram(&svg::Histogram {
        title: "fuzz".into(),
        x_label: "x".into(),
        y_label: "n".into(),
        bins: svg::bin(&ys, lo, hi, 1 + target as usize % 64),
    });
    assert_svg_finite(&hist);
}

/// No `NaN` or `inf` inside any tag (text content, such as a scope name
/// in the legend, may say anything).
fn assert_svg_finite(svg: &str) {
    for tag in svg.split('<').skip(1) {
        let attrs = tag.split('>').next().unwrap_or("");
        assert!(
            !attrs.contains("NaN") && !attrs.contains("inf"),
            "non-finite coordinate in <{attrs}>"
        );
    }
}

/// A sweep shard manifest: what parses is within the hard limits, and its
/// fingerprint survives writing and reading back, equal to itself.
pub fn shard_manifest_bytes(data: &[u8]) {
    use crate::workflow::fingerprint::Fingerprint;
    use crate::workflow::sweep::{parse_manifest, MAX_POINTS, MAX_SHARDS};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(m) = parse_manifest(text) else {
        return;
    };
    assert!(m.shard.count <= MAX_SHARDS && m.shard.index < m.shard.count);
    assert!((1..=MAX_POINTS).contains(&m.points));
    let again = Fingerprint::parse(&m.fingerprint.to_lines())
        .expect("written fingerprints parse")
        .expect("and are found");
    assert_eq!(again, m.fingerprint);
    assert_eq!(m.fingerprint.first_difference(&again), None);
}
