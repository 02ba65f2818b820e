//! A [`Report`] as a plain-text table for people, or as JSON for scripts.

use std::time::Duration;

use serde_json::{json, Value};

use super::Report;

/// A duration in the most readable unit: `812 µs`, `12.3 ms`, `1.204 s`.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1e-3 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.3} s")
    }
}

/// Gigabytes (10^9 bytes) per second, if both are known and non-zero.
fn gb_per_s(bytes: Option<u64>, d: Duration) -> Option<f64> {
    let b = bytes?;
    let s = d.as_secs_f64();
    (b > 0 && s > 0.0).then(|| b as f64 / 1e9 / s)
}

/// `d` as a multiple of the raw scan's median.
fn vs_scan(report: &Report, d: Duration) -> Option<f64> {
    let r = report.scan_median().as_secs_f64();
    (r > 0.0).then(|| d.as_secs_f64() / r)
}

fn mib(b: u64) -> String {
    format!("{:.1} MiB", b as f64 / (1 << 20) as f64)
}

/// The report as an aligned text table with a header and a footer.
pub fn table(report: &Report) -> String {
    let head = [
        "primitive",
        "pattern",
        "threads",
        "result",
        "median",
        "spread (min–max)",
        "GB/s",
        "× raw scan",
    ];
    let mut cells: Vec<[String; 8]> = Vec::new();
    for r in &report.rows {
        let med = r.timing.median();
        cells.push([
            r.primitive.clone(),
            r.pattern.clone(),
            r.threads.to_string(),
            format!("{} {}", r.result, r.unit),
            format_duration(med),
            format!(
                "{} – {}",
                format_duration(r.timing.min()),
                format_duration(r.timing.max())
            ),
            gb_per_s(r.bytes, med).map_or_else(|| "–".into(), |g| format!("{g:.2}")),
            vs_scan(report, med).map_or_else(|| "–".into(), |x| format!("{x:.2}")),
        ]);
    }
    let mut width = head.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    // Numbers are right-aligned, text left-aligned.
    let right = [false, false, true, true, true, true, true, true];
    let line = |row: &[String]| {
        let mut s = String::new();
        for (i, c) in row.iter().enumerate() {
            let pad = width[i].saturating_sub(c.chars().count());
            if i > 0 {
                s.push_str("  ");
            }
            if right[i] {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            } else {
                s.push_str(c);
                if i + 1 < row.len() {
                    s.push_str(&" ".repeat(pad));
                }
            }
        }
        s.push('\n');
        s
    };
    let mut out = format!(
        "context: {} ({} bytes); {} threads; median of {} runs after {} warm-up\n\n",
        report.path.display(),
        report.bytes,
        report.threads,
        report.runs,
        report.warmup
    );
    out.push_str(&line(&head.map(String::from)));
    out.push_str(&line(&width.map(|w| "-".repeat(w))));
    for row in &cells {
        out.push_str(&line(row));
    }
    out.push('\n');
    out.push_str("× raw scan: median over the median of the first row (one thread, mapped file, warm page cache).\n");
    out.push_str("Rows that map the file afresh on every run (partition(size=...), the index rows, the slices) include mapping and unmapping.\n");
    if let (Some(anon), Some(peak)) = (report.rss_anon, report.peak_rss) {
        out.push_str(&format!(
            "memory: RssAnon {} at the end (private memory); peak RSS {} (includes the mapped file's page-cache pages)\n",
            mib(anon),
            mib(peak)
        ));
    }
    out
}

/// The report as a JSON array, one object per row.
pub fn json(report: &Report) -> Value {
    let secs = |d: Duration| d.as_secs_f64();
    Value::Array(
        report
            .rows
            .iter()
            .map(|r| {
                let med = r.timing.median();
                json!({
                    "primitive": r.primitive,
                    "pattern": r.pattern,
                    "threads": r.threads,
                    "result": r.result,
                    "unit": r.unit,
                    "runs": r.timing.runs.iter().map(|&d| secs(d)).collect::<Vec<_>>(),
                    "median_s": secs(med),
                    "min_s": secs(r.timing.min()),
                    "max_s": secs(r.timing.max()),
                    "bytes": r.bytes,
                    "gb_per_s": gb_per_s(r.bytes, med),
                    "x_raw_scan": vs_scan(report, med),
                    "file": report.path.display().to_string(),
                    "file_bytes": report.bytes,
                    "rss_anon_bytes": report.rss_anon,
                    "peak_rss_bytes": report.peak_rss,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::super::timing::Timing;
    use super::super::Row;
    use super::*;

    fn report() -> Report {
        let t = |ms: u64| Timing {
            runs: vec![Duration::from_millis(ms)],
        };
        Report {
            path: "f.txt".into(),
            bytes: 1_000_000_000,
            threads: 2,
            runs: 1,
            warmup: 0,
            rows: vec![
                Row {
                    primitive: "raw scan".into(),
                    pattern: String::new(),
                    threads: 1,
                    result: 7,
                    unit: "lines",
                    timing: t(100),
                    bytes: Some(1_000_000_000),
                },
                Row {
                    primitive: "count".into(),
                    pattern: "\"x\"".into(),
                    threads: 2,
                    result: 3,
                    unit: "matches",
                    timing: t(250),
                    bytes: Some(1_000_000_000),
                },
                Row {
                    primitive: "context[:2000]".into(),
                    pattern: String::new(),
                    threads: 1,
                    result: 2000,
                    unit: "bytes",
                    timing: t(1),
                    bytes: None,
                },
            ],
            rss_anon: Some(3 << 20),
            peak_rss: Some(5 << 20),
        }
    }

    #[test]
    fn table_has_ratios_and_rates() {
        let t = table(&report());
        assert!(t.contains("10.00"), "{t}");
        assert!(t.contains("4.00"), "{t}");
        assert!(t.contains("2.50"), "{t}");
        assert!(t.contains("RssAnon 3.0 MiB"), "{t}");
        let lines: Vec<&str> = t
            .lines()
            .filter(|l| l.contains("count") || l.starts_with("primitive"))
            .collect();
        assert_eq!(lines.len(), 2);
    }

    #[test]
    fn json_is_an_array_of_rows() {
        let v = json(&report());
        let a = v.as_array().unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!(a[1]["x_raw_scan"].as_f64(), Some(2.5));
        assert_eq!(a[1]["gb_per_s"].as_f64(), Some(4.0));
        assert!(a[2]["gb_per_s"].is_null());
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(format_duration(Duration::from_micros(812)), "812 µs");
        assert_eq!(format_duration(Duration::from_micros(12_340)), "12.3 ms");
        assert_eq!(format_duration(Duration::from_millis(1204)), "1.204 s");
    }
}
