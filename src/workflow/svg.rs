//! Small, dependency-free SVG charts: line charts over time and histograms.
//!
//! Why not a plotting crate: the charts telsim needs are few and plain, and
//! writing the SVG ourselves keeps the output byte-for-byte deterministic
//! (same run → same files), needs no font files for text layout, and costs
//! no compile time. Text is left to the browser (`<text>` with a generic
//! sans-serif font).

use std::fmt::Write;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 360.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

/// Colour-blind-safe palette (Okabe & Ito, 2008).
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000",
];

/// One line: a name for the legend and (x, y) points; y = NaN leaves a gap.
/// `band` is its confidence band, (x, low, high), drawn as a shaded area
/// in the line's colour (empty: none).
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
    pub band: Vec<(f64, f64, f64)>,
}

/// Something that happened at an instant: a labelled vertical line across
/// the plot (a failure, a recovery), or, with `series`, a small triangle at
/// the top edge in that series' colour (an alert of that portal).
#[derive(Debug, Clone)]
pub struct Marker {
    pub x: f64,
    pub label: String,
    pub series: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub markers: Vec<Marker>,
}

/// The height of a histogram's image.
pub const HISTOGRAM_HEIGHT: f64 = HEIGHT;

/// Legend entries per row below the plot, and the height of a row.
const LEGEND_COLUMNS: usize = 3;
const LEGEND_ROW: f64 = 16.0;

/// The height of a line chart's image: the plot, and the legend rows below
/// it (legends sit outside the plot, so they never hide data).
pub fn line_chart_height(c: &LineChart) -> f64 {
    let rows = c.series.len().div_ceil(LEGEND_COLUMNS);
    HEIGHT + rows as f64 * LEGEND_ROW + if rows > 0 { 8.0 } else { 0.0 }
}

/// Bars of a histogram: (low edge, high edge, height).
#[derive(Debug, Clone)]
pub struct Histogram {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub bins: Vec<(f64, f64, f64)>,
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Most ticks an axis gets, whatever the data: a bound on the work and on
/// the SVG's size.
pub const MAX_TICKS: usize = 50;

/// Tick positions on [lo, hi]: about `target` ticks at 1, 2 or 5 × 10^k,
/// never more than [`MAX_TICKS`]. Ranges where no round step exists (the
/// span underflows, as for 0..5e-324, or is lost in the magnitude of the
/// ends, as for 1e300..1e300·(1+ε)) get their two ends as ticks; non-finite
/// ends are dropped.
pub fn ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let ends = || -> Vec<f64> {
        let mut v: Vec<f64> = [lo, hi].into_iter().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    };
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return ends();
    }
    let target = target.clamp(1, MAX_TICKS / 2) as f64;
    // Each end divided first, so that −f64::MAX..f64::MAX does not overflow.
    let raw = hi / target - lo / target;
    let mag = 10f64.powf(raw.log10().floor());
    if !raw.is_normal() || !mag.is_normal() {
        return ends();
    }
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil();
    let last = (hi / step + 1e-9).floor();
    if !(first.is_finite() && last.is_finite())
        || last < first
        || last - first >= MAX_TICKS as f64
        || first.abs() > 2f64.powi(52)
        || last.abs() > 2f64.powi(52)
    {
        return ends();
    }
    let t: Vec<f64> = (first as i64..=last as i64)
        .map(|i| i as f64 * step)
        .filter(|v| v.is_finite())
        .collect();
    if t.is_empty() {
        ends()
    } else {
        t
    }
}

fn tick_label(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        format!("{v:.1e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Extends [lo, hi] to whole ticks (and a zero-height range to a visible
/// one). Always returns finite ends with `lo < hi`, so the frame's scale
/// never divides by zero: a range too narrow or too wide for round ticks is
/// kept as it is.
fn nice_range(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = visible(lo, hi);
    let t = ticks(lo, hi, 5);
    let step = if t.len() > 1 { t[1] - t[0] } else { 0.0 };
    if !(step.is_normal() && step > 0.0) {
        return (lo, hi);
    }
    let (a, b) = ((lo / step).floor() * step, (hi / step).ceil() * step);
    if a.is_finite() && b.is_finite() && a < b {
        (a, b)
    } else {
        (lo, hi)
    }
}

/// A range the frame can scale: finite, and wide enough that `hi − lo` is
/// a normal number (a zero-width range, or 0..5e-324, gets ±0.5 or a width
/// relative to its magnitude).
fn visible(lo: f64, hi: f64) -> (f64, f64) {
    let clamp = |v: f64| {
        if v.is_nan() {
            0.0
        } else {
            v.clamp(-f64::MAX / 4.0, f64::MAX / 4.0)
        }
    };
    let (lo, hi) = (clamp(lo), clamp(hi));
    let (lo, hi) = if hi >= lo { (lo, hi) } else { (hi, lo) };
    if (hi - lo).is_normal() && hi - lo > f64::EPSILON * lo.abs().max(hi.abs()) {
        return (lo, hi);
    }
    let pad = (0.5f64).max(lo.abs().max(hi.abs()) * 1e-6);
    (lo - pad, hi + pad)
}

struct Frame {
    x: (f64, f64),
    y: (f64, f64),
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        LEFT + share(x, self.x) * (WIDTH - LEFT - RIGHT)
    }
    fn py(&self, y: f64) -> f64 {
        HEIGHT - BOTTOM - share(y, self.y) * (HEIGHT - TOP - BOTTOM)
    }
}

/// Where `v` lies in `range` (0 at the low end, 1 at the high end), halved
/// before subtracting so that ends near ±f64::MAX cannot overflow; points
/// far outside the frame are pinned a few frame widths away.
fn share(v: f64, range: (f64, f64)) -> f64 {
    let (lo, hi) = range;
    let s = (v / 2.0 - lo / 2.0) / (hi / 2.0 - lo / 2.0);
    if s.is_nan() {
        0.0
    } else {
        s.clamp(-10.0, 10.0)
    }
}

fn open(o: &mut String, kind: &str, title: &str, series: usize, height: f64) {
    let _ = write!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"telsim-chart\" data-kind=\"{kind}\" data-series=\"{series}\" \
         width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <title>{t}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n\
         <text x=\"{cx}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{t}</text>\n",
        t = escape(title),
        cx = WIDTH / 2.0
    );
}

fn axes(o: &mut String, f: &Frame, x_label: &str, y_label: &str) {
    let (x0, x1) = (LEFT, WIDTH - RIGHT);
    let (y0, y1) = (HEIGHT - BOTTOM, TOP);
    for t in ticks(f.y.0, f.y.1, 5) {
        let y = f.py(t);
        let _ = writeln!(
            o,
            "<line x1=\"{x0}\" y1=\"{y:.1}\" x2=\"{x1}\" y2=\"{y:.1}\" stroke=\"#e5e5e5\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            x0 - 6.0,
            y + 4.0,
            tick_label(t)
        );
    }
    for t in ticks(f.x.0, f.x.1, 8) {
        let x = f.px(t);
        let _ = writeln!(
            o,
            "<line x1=\"{x:.1}\" y1=\"{y0}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#333\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            y0 + 5.0,
            y0 + 18.0,
            tick_label(t)
        );
    }
    let _ = writeln!(
        o,
        "<polyline points=\"{x0},{y1} {x0},{y0} {x1},{y0}\" fill=\"none\" stroke=\"#333\"/>\n\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n\
         <text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        (x0 + x1) / 2.0,
        HEIGHT - 10.0,
        escape(x_label),
        (y0 + y1) / 2.0,
        escape(y_label)
    );
}

/// A line chart: bands first, then lines, then event markers, with the
/// legend below the plot.
pub fn line_chart(c: &LineChart) -> String {
    let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let mut all: Vec<(f64, f64)> = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().filter(finite).copied())
        .collect();
    let height = line_chart_height(c);
    let mut o = String::new();
    open(&mut o, "line", &c.title, c.series.len(), height);
    if all.is_empty() {
        let _ = writeln!(
            o,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data</text>\n</svg>",
            WIDTH / 2.0,
            HEIGHT / 2.0
        );
        return o;
    }
    // The bands count towards the y range (a line's interval stays in view).
    for s in &c.series {
        for &(x, lo, hi) in &s.band {
            if x.is_finite() && lo.is_finite() && hi.is_finite() {
                all.push((x, lo));
                all.push((x, hi));
            }
        }
    }
    let xmin = all.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let xmax = all.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let ymin = all
        .iter()
        .map(|p| p.1)
        .fold(f64::INFINITY, f64::min)
        .min(0.0);
    let ymax = all.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    // Time axes start at zero.
    let xmin = xmin.min(0.0);
    let f = Frame {
        x: visible(xmin, xmax),
        y: nice_range(ymin, ymax),
    };
    axes(&mut o, &f, &c.x_label, &c.y_label);
    for (i, s) in c.series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        for run in split_runs(&s.band, |&(x, lo, hi)| {
            x.is_finite() && lo.is_finite() && hi.is_finite()
        }) {
            let mut pts: Vec<String> = run
                .iter()
                .map(|&(x, lo, _)| format!("{:.1},{:.1}", f.px(x), f.py(lo)))
                .collect();
            pts.extend(
                run.iter()
                    .rev()
                    .map(|&(x, _, hi)| format!("{:.1},{:.1}", f.px(x), f.py(hi))),
            );
            let _ = writeln!(
                o,
                "<polygon class=\"band\" points=\"{}\" fill=\"{colour}\" fill-opacity=\"0.15\" stroke=\"none\"/>",
                pts.join(" ")
            );
        }
    }
    for (i, s) in c.series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let dash = if s.dashed {
            " stroke-dasharray=\"6 4\""
        } else {
            ""
        };
        // Split at gaps so a missing value breaks the line.
        for run in split_runs(&s.points, |p| finite(&p)) {
            let pts: Vec<String> = run
                .iter()
                .map(|&(x, y)| format!("{:.1},{:.1}", f.px(x), f.py(y)))
                .collect();
            let _ = writeln!(
                o,
                "<polyline class=\"series\" points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>",
                pts.join(" ")
            );
        }
    }
    for m in c.markers.iter().filter(|m| m.x >= f.x.0 && m.x <= f.x.1) {
        let x = f.px(m.x);
        match m.series {
            None => {
                let _ = writeln!(
                    o,
                    "<g class=\"marker\"><line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#444\" stroke-dasharray=\"3 3\"/>\
                     <text transform=\"translate({:.1} {:.1}) rotate(-90)\" text-anchor=\"end\" font-size=\"10\" fill=\"#444\">{}</text></g>",
                    HEIGHT - BOTTOM,
                    x - 3.0,
                    TOP + 4.0,
                    escape(&m.label)
                );
            }
            Some(i) => {
                let colour = PALETTE[i % PALETTE.len()];
                let _ = writeln!(
                    o,
                    "<path class=\"marker\" d=\"M{:.1},{:.1} l8,0 l-4,8 z\" fill=\"{colour}\"><title>{}</title></path>",
                    x - 4.0,
                    TOP - 9.0,
                    escape(&m.label)
                );
            }
        }
    }
    // The legend, below the x axis label: outside the plot.
    let col_w = (WIDTH - LEFT - RIGHT) / LEGEND_COLUMNS as f64;
    let max_chars = ((col_w - 34.0) / 6.5) as usize;
    for (i, s) in c.series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let dash = if s.dashed {
            " stroke-dasharray=\"6 4\""
        } else {
            ""
        };
        let lx = LEFT + col_w * (i % LEGEND_COLUMNS) as f64;
        let ly = HEIGHT + 4.0 + LEGEND_ROW * (i / LEGEND_COLUMNS) as f64;
        let mut name = s.name.clone();
        if name.chars().count() > max_chars {
            name = name
                .chars()
                .take(max_chars.saturating_sub(1))
                .collect::<String>()
                + "…";
        }
        let _ = writeln!(
            o,
            "<g class=\"legend\"><line x1=\"{lx:.1}\" y1=\"{ly:.1}\" x2=\"{:.1}\" y2=\"{ly:.1}\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
            lx + 22.0,
            lx + 28.0,
            ly + 4.0,
            escape(&name)
        );
    }
    o.push_str("</svg>\n");
    o
}

/// The maximal runs of consecutive items that pass `keep`.
fn split_runs<T: Copy>(items: &[T], keep: impl Fn(&T) -> bool) -> Vec<Vec<T>> {
    let mut runs: Vec<Vec<T>> = vec![Vec::new()];
    for p in items {
        if keep(p) {
            runs.last_mut().expect("never empty").push(*p);
        } else if !runs.last().expect("never empty").is_empty() {
            runs.push(Vec::new());
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// A histogram with bars from the x axis.
pub fn histogram(h: &Histogram) -> String {
    let mut o = String::new();
    open(&mut o, "histogram", &h.title, 1, HEIGHT);
    if h.bins.is_empty() {
        let _ = writeln!(
            o,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data</text>\n</svg>",
            WIDTH / 2.0,
            HEIGHT / 2.0
        );
        return o;
    }
    let xmin = h.bins.first().unwrap().0;
    let xmax = h.bins.last().unwrap().1;
    let ymax = h.bins.iter().map(|b| b.2).fold(0.0, f64::max);
    let f = Frame {
        x: visible(xmin, xmax),
        y: nice_range(0.0, ymax),
    };
    axes(&mut o, &f, &h.x_label, &h.y_label);
    for &(lo, hi, v) in &h.bins {
        let (x0, x1) = (f.px(lo), f.px(hi));
        let (y0, y1) = (f.py(0.0), f.py(v));
        let _ = writeln!(
            o,
            "<rect class=\"bar\" x=\"{x0:.1}\" y=\"{y1:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"0.5\"/>",
            (x1 - x0).max(0.5),
            (y0 - y1).max(0.0),
            PALETTE[0]
        );
    }
    o.push_str("</svg>\n");
    o
}

/// Bins `values` into `n` equal bins over [lo, hi] (values above hi go in
/// the last bin, so the tail is not silently lost).
pub fn bin(values: &[f64], lo: f64, hi: f64, n: usize) -> Vec<(f64, f64, f64)> {
    if values.is_empty() || n == 0 {
        return Vec::new();
    }
    let hi = if hi > lo { hi } else { lo + 1.0 };
    let w = (hi - lo) / n as f64;
    // A range near ±f64::MAX overflows; each end divided first does not.
    let w = if w.is_finite() {
        w
    } else {
        hi / n as f64 - lo / n as f64
    };
    let mut counts = vec![0.0; n];
    for &v in values {
        let i = (((v - lo) / w).floor().max(0.0) as usize).min(n - 1);
        counts[i] += 1.0;
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(i, c)| (lo + i as f64 * w, lo + (i + 1) as f64 * w, c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(
            ticks(0.0, 1.0, 5),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        assert_eq!(nice_range(0.0, 47.3), (0.0, 50.0));
    }

    #[test]
    fn extreme_ranges_get_bounded_finite_ticks() {
        assert_eq!(ticks(0.0, 5e-324, 5), vec![0.0, 5e-324]);
        assert_eq!(ticks(1.0, 1.0, 5), vec![1.0]);
        assert_eq!(ticks(f64::NAN, 1.0, 5), vec![1.0]);
        assert!(ticks(f64::NEG_INFINITY, f64::INFINITY, 5).is_empty());
        let wide = ticks(-f64::MAX, f64::MAX, 5);
        assert!(wide.len() <= MAX_TICKS && wide.iter().all(|t| t.is_finite()));
        assert!(ticks(0.0, 1.0, usize::MAX).len() <= MAX_TICKS);
        assert_eq!(ticks(1e300, 1e300 * (1.0 + f64::EPSILON), 5).len(), 2);
        for (lo, hi) in [
            (0.0, 5e-324),
            (5.0, 5.0),
            (-f64::MAX, f64::MAX),
            (1e308, 1e308),
        ] {
            let (a, b) = nice_range(lo, hi);
            assert!(
                a.is_finite() && b.is_finite() && a < b,
                "{lo} {hi}: {a} {b}"
            );
        }
        // A column holding 0 and 5e-324 draws.
        let svg = line_chart(&LineChart {
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series: vec![Series {
                name: "s".into(),
                points: vec![(0.0, 0.0), (1.0, 5e-324), (f64::MAX, -f64::MAX)],
                dashed: false,
                band: vec![(0.0, -5e-324, 5e-324), (1.0, 0.0, f64::MAX)],
            }],
            markers: vec![Marker {
                x: 5e-324,
                label: "fail_link a-b".into(),
                series: None,
            }],
        });
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }

    proptest::proptest! {
        #[test]
        fn ticks_are_bounded_sorted_and_inside(lo in proptest::num::f64::ANY, hi in proptest::num::f64::ANY, target in 0usize..1000) {
            let t = ticks(lo, hi, target);
            proptest::prop_assert!(t.len() <= MAX_TICKS);
            proptest::prop_assert!(t.iter().all(|v| v.is_finite()));
            proptest::prop_assert!(t.windows(2).all(|w| w[0] < w[1]));
            let (a, b) = nice_range(lo, hi);
            if lo.is_finite() && hi.is_finite() {
                proptest::prop_assert!(a.is_finite() && b.is_finite() && a < b);
            }
        }
    }

    #[test]
    fn charts_have_one_polyline_per_series_and_escape_text() {
        let svg = line_chart(&LineChart {
            title: "a < b".into(),
            x_label: "t".into(),
            y_label: "y".into(),
            series: vec![
                Series {
                    name: "one".into(),
                    points: vec![(0.0, 1.0), (1.0, 2.0)],
                    dashed: false,
                    band: vec![(0.0, 0.5, 1.5), (1.0, 1.0, 9.0)],
                },
                Series {
                    name: "two".into(),
                    points: vec![(0.0, 3.0), (1.0, f64::NAN), (2.0, 1.0), (3.0, 2.0)],
                    dashed: true,
                    band: Vec::new(),
                },
            ],
            markers: vec![
                Marker {
                    x: 1.5,
                    label: "fail_link a-b".into(),
                    series: None,
                },
                Marker {
                    x: 2.0,
                    label: "alert".into(),
                    series: Some(1),
                },
                Marker {
                    x: 99.0,
                    label: "beyond the axis".into(),
                    series: None,
                },
            ],
        });
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("a &lt; b"));
        assert_eq!(svg.matches("class=\"series\"").count(), 3); // the gap splits "two"
        assert_eq!(svg.matches("class=\"band\"").count(), 1);
        assert_eq!(
            svg.matches("class=\"marker\"").count(),
            2,
            "the one off the axis is left out"
        );
        assert_eq!(svg.matches("class=\"legend\"").count(), 2);
        // The band's top (9) is in range: the y axis reaches 10.
        assert!(svg.contains(">10</text>"), "{svg}");
        // The legend lies below the plot area.
        let legend_y: f64 = svg
            .split("class=\"legend\"><line x1=")
            .nth(1)
            .unwrap()
            .split("y1=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(legend_y > HEIGHT - BOTTOM, "{legend_y}");
        assert!(svg.trim_end().ends_with("</svg>"));
        let h = histogram(&Histogram {
            title: "h".into(),
            x_label: "x".into(),
            y_label: "n".into(),
            bins: bin(&[0.5, 1.5, 1.6, 99.0], 0.0, 3.0, 3),
        });
        assert_eq!(h.matches("class=\"bar\"").count(), 3);
        assert_eq!(bin(&[0.5, 1.5, 1.6, 99.0], 0.0, 3.0, 3)[2].2, 1.0);
    }
}
