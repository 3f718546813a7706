//! Typed, stable results: every shipped scenario's CSV files hold exactly the
//! columns its `datapackage.json` declares, each cell conforms to the
//! declared type (or is a declared missing value), and text columns never
//! look numeric; `docs/outputs.md` documents exactly the columns written and
//! every metric.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use common::{describe, root, scenario, telsim};

/// Short overrides that keep each shipped scenario's point (its events fall
/// inside the run) while the test stays quick.
fn overrides(name: &str) -> Vec<&'static str> {
    let mut v = vec!["--replications", "2"];
    match name {
        "bench_mmc" | "bench_media" => v.extend(["--set", "duration_s=14400.0"]),
        "balance_alerts" => v.extend(["--set", "duration_s=604800.0"]),
        _ => {}
    }
    v
}

fn shipped() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(root().join("scenarios"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "ron").then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    names
}

/// Why `cell` does not conform to `kind`, if it does not.
fn nonconforming(cell: &str, field: &serde_json::Value, missing: &[String]) -> Option<String> {
    if missing.iter().any(|m| m == cell) {
        return None;
    }
    let kind = field["type"].as_str().unwrap();
    let ok = match kind {
        "integer" => cell.parse::<i64>().is_ok(),
        // Always with a point or an exponent: a column of whole numbers is
        // still read as floats.
        "number" => cell.parse::<f64>().is_ok() && cell.contains(['.', 'e', 'E']),
        "boolean" => cell == "true" || cell == "false",
        // Text never parses as a number: a text column is never read as one.
        "string" => cell.parse::<f64>().is_err(),
        other => return Some(format!("unknown type {other}")),
    };
    if !ok {
        return Some(format!("{cell:?} is not a {kind}"));
    }
    if let Some(values) = field["constraints"]["enum"].as_array() {
        if !values.iter().any(|v| v == cell) {
            return Some(format!("{cell:?} is not one of {values:?}"));
        }
    }
    None
}

fn check_package(dir: &Path, name: &str) -> BTreeMap<String, Vec<String>> {
    let pkg: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("datapackage.json")).unwrap())
            .unwrap_or_else(|e| panic!("{name}: datapackage.json: {e}"));
    assert_eq!(pkg["profile"], "tabular-data-package");
    let mut headers = BTreeMap::new();
    let mut listed = BTreeSet::new();
    for res in pkg["resources"].as_array().unwrap() {
        let path = res["path"].as_str().unwrap();
        listed.insert(path.to_string());
        if res["format"] != "csv" {
            continue;
        }
        let fields = res["schema"]["fields"].as_array().unwrap();
        let missing: Vec<String> = res["schema"]["missingValues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let mut r = csv::Reader::from_path(dir.join(path))
            .unwrap_or_else(|e| panic!("{name}: {path} listed but not readable: {e}"));
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        let declared: Vec<String> = fields
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            header, declared,
            "{name}: {path} header vs datapackage.json"
        );
        let mut rows = 0;
        for (i, rec) in r.records().enumerate() {
            let rec = rec.unwrap();
            assert_eq!(rec.len(), fields.len(), "{name}: {path} line {}", i + 2);
            for (cell, field) in rec.iter().zip(fields) {
                if let Some(why) = nonconforming(cell, field, &missing) {
                    panic!(
                        "{name}: {path} line {} column {}: {why}",
                        i + 2,
                        field["name"]
                    );
                }
            }
            rows += 1;
        }
        assert!(
            rows > 0 || path == "alerts.csv",
            "{name}: {path} has no rows"
        );
        headers.insert(path.to_string(), header);
    }
    // Every CSV in the folder is described.
    for e in fs::read_dir(dir).unwrap() {
        let file = e.unwrap().file_name().to_string_lossy().into_owned();
        if file.ends_with(".csv") {
            assert!(
                listed.contains(&file),
                "{name}: {file} not in datapackage.json"
            );
        }
    }
    headers
}

#[test]
fn every_shipped_scenario_writes_the_types_its_datapackage_declares() {
    let mut seen = BTreeSet::new();
    for name in shipped() {
        let out = tempfile::tempdir().unwrap();
        let dir = out.path().join("run");
        let mut args = vec![
            "run".to_string(),
            scenario(&name),
            "-q".into(),
            "--out".into(),
            dir.to_string_lossy().into_owned(),
        ];
        args.extend(overrides(&name).into_iter().map(String::from));
        let o = telsim(&args);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{name}: {}",
            describe(&o)
        );
        for file in check_package(&dir, &name).into_keys() {
            seen.insert(file);
        }
    }
    // Between them the shipped scenarios write every kind of file.
    for file in [
        "calls.csv",
        "intervals.csv",
        "summary.csv",
        "portals.csv",
        "alerts.csv",
        "links.csv",
    ] {
        assert!(seen.contains(file), "no shipped scenario wrote {file}");
    }
}

/// The column tables of `docs/outputs.md`: under a heading naming a file
/// (`### calls.csv`), rows `| column | type | unit | meaning |`.
fn documented_columns() -> BTreeMap<String, Vec<(String, String)>> {
    let text = fs::read_to_string(root().join("docs/outputs.md")).unwrap();
    let mut tables: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("### ") {
            let file = h.trim().trim_matches('`');
            current = file.ends_with(".csv").then(|| file.to_string());
            continue;
        }
        if line.starts_with('#') {
            current = None;
            continue;
        }
        let Some(file) = &current else { continue };
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 5 || !line.starts_with('|') {
            continue;
        }
        let (col, kind) = (cells[1].trim_matches('`'), cells[2]);
        if col == "column" || col.starts_with("---") {
            continue;
        }
        tables
            .entry(file.clone())
            .or_default()
            .push((col.to_string(), kind.to_string()));
    }
    tables
}

/// Fails when the code writes a column the doc does not list, the doc lists
/// one that is not written, or their types differ; likewise for metrics.
#[test]
fn docs_outputs_md_lists_every_column_and_metric() {
    let documented = documented_columns();
    let out = tempfile::tempdir().unwrap();
    let mut written: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    // link_failure writes every file but alerts; balance_alerts has money.
    for (name, extra) in [
        ("link_failure", vec![]),
        ("balance_alerts", vec!["--set", "duration_s=172800.0"]),
    ] {
        let dir = out.path().join(name);
        let mut args = vec![
            "run".to_string(),
            scenario(name),
            "-q".into(),
            "--replications".into(),
            "2".into(),
            "--out".into(),
            dir.to_string_lossy().into_owned(),
        ];
        args.extend(extra.into_iter().map(String::from));
        let o = telsim(&args);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", describe(&o));
        let pkg: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join("datapackage.json")).unwrap())
                .unwrap();
        for res in pkg["resources"].as_array().unwrap() {
            let path = res["path"].as_str().unwrap().to_string();
            let header = fs::read_to_string(dir.join(&path)).unwrap();
            let header = header.lines().next().unwrap().to_string();
            let cols: Vec<(String, String)> = res["schema"]["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["name"].as_str().unwrap().to_string(),
                        f["type"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(header, names.join(","), "{path}");
            written.insert(path, cols);
        }
    }
    assert_eq!(
        written.keys().collect::<Vec<_>>(),
        documented.keys().collect::<Vec<_>>(),
        "files written vs files documented in docs/outputs.md"
    );
    for (file, cols) in &written {
        assert_eq!(
            cols, &documented[file],
            "{file}: columns (name, type) written vs documented in docs/outputs.md"
        );
    }

    // Every metric has a row in the metric table, and no other name does.
    let text = fs::read_to_string(root().join("docs/outputs.md")).unwrap();
    let section = text
        .split("\n## Metrics")
        .nth(1)
        .expect("docs/outputs.md has a Metrics section");
    let section = section.split("\n## ").next().unwrap();
    let doc_metrics: BTreeSet<String> = section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            l.split('|')
                .nth(1)
                .unwrap()
                .trim()
                .trim_matches('`')
                .to_string()
        })
        .collect();
    let summary = fs::read_to_string(out.path().join("link_failure/summary.csv")).unwrap();
    let code_metrics: BTreeSet<String> = summary
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_string())
        .collect();
    assert_eq!(doc_metrics, code_metrics, "metrics documented vs written");
}

/// `--verbose` says what happens, replication by replication, with the
/// sizes written; it cannot be combined with `--quiet`.
#[test]
fn verbose_runs_report_each_replication_and_phase() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("v");
    let o = telsim(&[
        "run",
        &scenario("erlang_b"),
        "-v",
        "--replications",
        "3",
        "--set",
        "duration_s=3600.0",
        "--set",
        "warmup_s=0.0",
        "--out",
        &dir.to_string_lossy(),
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", describe(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    for rep in 0..3 {
        assert!(err.contains(&format!("replication {rep} done: ")), "{err}");
    }
    assert!(err.contains("joining"), "{err}");
    assert!(
        err.contains("calls.csv (") && err.contains("B)"),
        "sizes: {err}"
    );
    let o = telsim(&["run", &scenario("erlang_b"), "-v", "-q"]);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
}

/// `--parquet`: calls.parquet holds the same calls as calls.csv of the same
/// run, cell by cell, with typed columns (nulls where the CSV is empty or
/// `-`); every other table gets a Parquet twin; datapackage.json describes
/// calls.parquet in place of calls.csv.
#[test]
fn parquet_output_reads_back_typed_and_equal_to_the_csv() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    let out = tempfile::tempdir().unwrap();
    let (csv_dir, pq_dir) = (out.path().join("csv"), out.path().join("pq"));
    for (dir, extra) in [(&csv_dir, None), (&pq_dir, Some("--parquet"))] {
        let mut args = vec![
            "run".to_string(),
            scenario("link_failure"),
            "-q".into(),
            "--replications".into(),
            "2".into(),
            "--out".into(),
            dir.to_string_lossy().into_owned(),
        ];
        args.extend(extra.map(String::from));
        let o = telsim(&args);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", describe(&o));
    }
    assert!(!pq_dir.join("calls.csv").exists(), "calls only as Parquet");
    for t in [
        "intervals",
        "summary",
        "portals",
        "alerts",
        "links",
        "events",
    ] {
        assert!(pq_dir.join(format!("{t}.parquet")).exists(), "{t}.parquet");
        assert_eq!(
            fs::read(csv_dir.join(format!("{t}.csv"))).unwrap(),
            fs::read(pq_dir.join(format!("{t}.csv"))).unwrap(),
            "{t}.csv is the same with --parquet"
        );
    }
    let pkg: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(pq_dir.join("datapackage.json")).unwrap())
            .unwrap();
    let calls_res = &pkg["resources"][0];
    assert_eq!(calls_res["path"], "calls.parquet");
    assert_eq!(calls_res["format"], "parquet");

    let reader =
        SerializedFileReader::new(fs::File::open(pq_dir.join("calls.parquet")).unwrap()).unwrap();
    let mut csv = csv::Reader::from_path(csv_dir.join("calls.csv")).unwrap();
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    let types: Vec<String> = calls_res["schema"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["type"].as_str().unwrap().to_string())
        .collect();
    let mut rows = 0;
    for (row, rec) in reader.get_row_iter(None).unwrap().zip(csv.records()) {
        let (row, rec) = (row.unwrap(), rec.unwrap());
        let fields: Vec<(&String, &Field)> = row.get_column_iter().collect();
        assert_eq!(fields.len(), header.len());
        for (((name, field), cell), kind) in fields.iter().zip(rec.iter()).zip(&types) {
            assert_eq!(
                *name,
                &header[fields.iter().position(|f| f.0 == *name).unwrap()]
            );
            let want = match (kind.as_str(), cell) {
                (_, "" | "-") => Field::Null,
                ("integer", c) => Field::Long(c.parse().unwrap()),
                ("number", c) => Field::Double(c.parse().unwrap()),
                ("boolean", c) => Field::Bool(c == "true"),
                (_, c) => Field::Str(c.to_string()),
            };
            assert_eq!(**field, want, "row {rows} column {name}");
        }
        rows += 1;
    }
    assert_eq!(
        rows as i64,
        reader.metadata().file_metadata().num_rows(),
        "every row compared"
    );
    assert_eq!(
        rows,
        fs::read_to_string(csv_dir.join("calls.csv"))
            .unwrap()
            .lines()
            .count()
            - 1,
        "as many calls as calls.csv"
    );
}

/// intervals.csv counts each call in the half-open interval holding the
/// instant of its event: offered at arrival, answered at answer, outcomes at
/// the end; an event at exactly a boundary (link_failure's server fails at
/// 57 600 s, a boundary of its 900 s intervals, dropping calls that instant)
/// counts in the interval that starts there. Recomputed from calls.csv.
#[test]
fn interval_counts_follow_the_instant_of_their_event() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("lf");
    let o = telsim(&[
        "run",
        &scenario("link_failure"),
        "-q",
        "--replications",
        "2",
        "--out",
        &dir.to_string_lossy(),
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", describe(&o));
    // (replication, start, end) → column → count, platform rows.
    let mut rows: BTreeMap<(u32, u64, u64), BTreeMap<String, u64>> = BTreeMap::new();
    let mut r = csv::Reader::from_path(dir.join("intervals.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let us = |s: &str| (s.parse::<f64>().unwrap() * 1e6).round() as u64;
    for rec in r.records() {
        let rec = rec.unwrap();
        let get = |name: &str| &rec[h.iter().position(|x| x == name).unwrap()];
        if get("scope") != "platform" {
            continue;
        }
        let key = (
            get("replication").parse().unwrap(),
            us(get("interval_start_s")),
            us(get("interval_end_s")),
        );
        let counts = ["offered", "answered", "dropped", "abandoned", "unfinished"]
            .iter()
            .map(|c| (c.to_string(), get(c).parse().unwrap()))
            .collect();
        rows.insert(key, counts);
    }
    let mut want: BTreeMap<(u32, u64, u64), BTreeMap<String, u64>> =
        rows.keys().map(|k| (*k, BTreeMap::new())).collect();
    let row_of = |rep: u32, t: u64| -> (u32, u64, u64) {
        let mine: Vec<_> = rows.keys().filter(|k| k.0 == rep).collect();
        let last = **mine.last().unwrap();
        *mine
            .into_iter()
            .find(|k| k.1 <= t && t < k.2)
            .unwrap_or_else(|| {
                assert_eq!(t, last.2, "{t} µs outside every row");
                &last
            })
    };
    let mut boundary_drops = 0;
    let mut c = csv::Reader::from_path(dir.join("calls.csv")).unwrap();
    let h = c.headers().unwrap().clone();
    for rec in c.records() {
        let rec = rec.unwrap();
        let get = |name: &str| &rec[h.iter().position(|x| x == name).unwrap()];
        let rep: u32 = get("replication").parse().unwrap();
        let mut add = |t: u64, col: &str| {
            *want
                .get_mut(&row_of(rep, t))
                .unwrap()
                .entry(col.into())
                .or_default() += 1;
        };
        add(us(get("arrival_s")), "offered");
        if !get("answer_s").is_empty() {
            add(us(get("answer_s")), "answered");
        }
        let outcome = get("outcome").to_string();
        if ["dropped", "abandoned", "unfinished"].contains(&outcome.as_str()) {
            let end = us(get("end_s"));
            add(end, &outcome);
            boundary_drops += (outcome == "dropped" && end == 57_600_000_000) as u32;
        }
    }
    assert!(
        boundary_drops > 0,
        "the scenario drops calls at the boundary"
    );
    for (k, got) in &rows {
        for (col, n) in got {
            assert_eq!(
                *n,
                want[k].get(col).copied().unwrap_or(0),
                "replication {} interval [{}, {}) s: {col}",
                k.0,
                k.1 / 1_000_000,
                k.2 / 1_000_000
            );
        }
    }
}
