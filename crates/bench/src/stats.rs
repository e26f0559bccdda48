//! Small statistics helpers: percentiles over samples, named metrics of one run, and the
//! median/min/max of each metric across runs.

use std::time::Duration;

/// The nearest-rank percentile (`p` in 0..=100) of `samples`; `NaN` when there are none.
pub fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

pub fn median(samples: &[f64]) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// How a metric is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    PerSec,
    Millis,
    Micros,
    MiB,
    Bytes,
    Count,
    Ratio,
}

impl Unit {
    pub fn label(self) -> &'static str {
        match self {
            Unit::PerSec => "ops/s",
            Unit::Millis => "ms",
            Unit::Micros => "µs",
            Unit::MiB => "MiB",
            Unit::Bytes => "bytes",
            Unit::Count => "",
            Unit::Ratio => "x",
        }
    }

    pub fn format(self, v: f64) -> String {
        if v.is_nan() {
            return "n/a".to_string();
        }
        match self {
            Unit::PerSec | Unit::Bytes | Unit::Count | Unit::Micros => format!("{v:.0}"),
            Unit::Millis => {
                if v.abs() < 10.0 {
                    format!("{v:.2}")
                } else {
                    format!("{v:.1}")
                }
            }
            Unit::MiB => format!("{v:.1}"),
            Unit::Ratio => format!("{v:.2}"),
        }
    }
}

/// One measured number of one run.
#[derive(Clone, Debug)]
pub struct Metric {
    /// The group the metric belongs to (a table section), e.g. "create".
    pub group: &'static str,
    pub name: String,
    pub unit: Unit,
    pub value: f64,
}

/// The metrics of one run, in the order they were measured.
#[derive(Default, Debug)]
pub struct Metrics {
    pub items: Vec<Metric>,
}

impl Metrics {
    pub fn push(&mut self, group: &'static str, name: impl Into<String>, unit: Unit, value: f64) {
        self.items.push(Metric {
            group,
            name: name.into(),
            unit,
            value,
        });
    }

    pub fn get(&self, name: &str) -> Option<f64> {
        self.items.iter().find(|m| m.name == name).map(|m| m.value)
    }
}

/// A metric summarised over all runs.
#[derive(Clone, Debug)]
pub struct Summary {
    pub group: &'static str,
    pub name: String,
    pub unit: Unit,
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

/// Median, min and max of every metric over `runs` (matched by name; order of the first run,
/// then any metric only later runs have).
pub fn summarise(runs: &[Metrics]) -> Vec<Summary> {
    let mut order: Vec<(&'static str, String, Unit)> = Vec::new();
    for r in runs {
        for m in &r.items {
            if !order.iter().any(|(_, n, _)| n == &m.name) {
                order.push((m.group, m.name.clone(), m.unit));
            }
        }
    }
    order
        .into_iter()
        .map(|(group, name, unit)| {
            let vals: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.get(&name))
                .filter(|v| !v.is_nan())
                .collect();
            let min = vals.iter().copied().fold(f64::NAN, f64::min);
            let max = vals.iter().copied().fold(f64::NAN, f64::max);
            Summary {
                group,
                name,
                unit,
                median: median(&vals),
                min,
                max,
            }
        })
        .collect()
}

/// Error tally of one phase: how many requests failed and the first message.
#[derive(Default, Debug, Clone)]
pub struct Errors {
    pub count: usize,
    pub first: Option<String>,
}

impl Errors {
    pub fn record(&mut self, e: impl std::fmt::Display) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(e.to_string());
        }
    }

    pub fn merge(&mut self, other: Errors) {
        self.count += other.count;
        if self.first.is_none() {
            self.first = other.first;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[3.0], 99.0), 3.0);
        assert!(percentile(&[], 50.0).is_nan());
    }

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn summary_spans_runs() {
        let mut a = Metrics::default();
        a.push("g", "x", Unit::Millis, 1.0);
        let mut b = Metrics::default();
        b.push("g", "x", Unit::Millis, 3.0);
        b.push("g", "y", Unit::Count, 7.0);
        let s = summarise(&[a, b]);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].median, 2.0);
        assert_eq!((s[0].min, s[0].max), (1.0, 3.0));
        assert_eq!(s[1].median, 7.0);
    }
}
