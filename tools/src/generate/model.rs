//! The synthetic data model: which series exist, when they are scraped, and their values.
//!
//! ```text
//!  seed ──► targets (job, instance, pod, namespace; scrape offset, jitter; active window)
//!             │        churning slots: pod-a [start, x) → pod-b [x, y) → pod-c [y, end)
//!             ▼
//!           families the job exposes (≈100 names: 10 subsystems × 10 kinds, plus `up`)
//!             │
//!             ▼
//!           series (sorted by labels) ──► value(step k) from per-series state + hash noise
//! ```
//!
//! Every random choice comes from a hash of the seed and a position (series, step, bucket),
//! never from a shared stream, so a series' samples do not depend on the order series or
//! blocks are produced in: the block writer (block by block) and the OpenMetrics writer
//! (series by series) emit exactly the same samples.

use std::sync::Arc;

use tsblock::Labels;

/// SplitMix64's finalizer: a good 64-bit mixing function.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash of three words.
fn hash(a: u64, b: u64, c: u64) -> u64 {
    mix(mix(mix(a) ^ b) ^ c.wrapping_mul(0xD6E8_FEB8_6659_FD93))
}

/// A uniform float in `[0, 1)` from a hash.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A small deterministic PRNG (SplitMix64) for building the model.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(mix(seed ^ 0x5EED))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `[0, 1)`.
    pub fn f64(&mut self) -> f64 {
        unit(self.next_u64())
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// Upper bounds of the histogram buckets (`le`), without `+Inf`.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// `le` label values, `+Inf` last.
const LE: [&str; 12] = [
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf",
];

const SUBSYSTEMS: [&str; 10] = [
    "http",
    "grpc",
    "db",
    "cache",
    "queue",
    "storage",
    "node",
    "process",
    "runtime",
    "scheduler",
];

const JOBS: [(&str, &str); 8] = [
    ("api-gateway", "edge"),
    ("checkout", "shop"),
    ("payments", "shop"),
    ("inventory", "shop"),
    ("search", "search"),
    ("auth", "auth"),
    ("frontend", "edge"),
    ("worker", "batch"),
];

const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const CODES: [&str; 4] = ["200", "404", "500", "503"];

/// OpenMetrics metric types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    /// Monotonic counter; samples are named `<family>_total`.
    Counter,
    /// Gauge.
    Gauge,
    /// Histogram: `<family>_bucket{le}`, `<family>_sum`, `<family>_count`.
    Histogram,
}

impl MetricType {
    /// The OpenMetrics `# TYPE` word.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
        }
    }
}

/// How a series' values evolve.
#[derive(Debug, Clone)]
enum Kind {
    /// Counter with a mean `rate` per second; integer-valued when `integer`.
    Counter { rate: f64, integer: bool },
    /// Bounded random walk, rounded to `decimals` places.
    Gauge {
        lo: f64,
        hi: f64,
        step: f64,
        decimals: i32,
    },
    /// The same value at every sample.
    Constant(f64),
    /// Cumulative count of histogram observations in buckets `0..=upto`.
    Bucket { hist: Arc<Hist>, upto: usize },
    /// Histogram `_sum`.
    HistSum(Arc<Hist>),
    /// Histogram `_count`.
    HistCount(Arc<Hist>),
}

/// Observations of one histogram (shared by its bucket, sum and count series).
#[derive(Debug)]
struct Hist {
    seed: u64,
    /// Observations per second.
    rate: f64,
    /// Share of observations per bucket (the 11 finite ones, then overflow).
    share: [f64; 12],
}

impl Hist {
    /// Observations per bucket at step `k` (not cumulative).
    fn observations(&self, k: u64, interval_s: f64) -> [f64; 12] {
        let total = self.rate * interval_s * (0.5 + unit(hash(self.seed, k, 99)));
        let mut out = [0.0; 12];
        for (j, (o, s)) in out.iter_mut().zip(self.share).enumerate() {
            *o = (total * s + unit(hash(self.seed, k, j as u64))).floor();
        }
        out
    }
}

/// When a target is scraped.
#[derive(Debug, Clone, Copy)]
struct Timing {
    /// Offset of the scrapes from the start of the range (ms).
    offset: i64,
    /// Largest jitter added to a scrape (ms); 0 for none.
    jitter: i64,
    jitter_seed: u64,
    /// The target exists during `[from, to)` (ms).
    from: i64,
    to: i64,
}

/// One generated series.
#[derive(Debug, Clone)]
pub struct SeriesSpec {
    /// Its labels.
    pub labels: Labels,
    /// Index into [`Model::families`].
    pub family: usize,
    seed: u64,
    kind: Kind,
    timing: Timing,
}

/// What the generator remembers about a series between blocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SeriesState {
    /// Next scrape step.
    next_k: u64,
    value: f64,
    started: bool,
}

/// The whole synthetic dataset: series sorted by labels, and the time grid.
#[derive(Debug)]
pub struct Model {
    /// Series, sorted by labels.
    pub series: Vec<SeriesSpec>,
    /// Metric families: name and type.
    pub families: Vec<(String, MetricType)>,
    /// First timestamp (ms).
    pub start: i64,
    /// End of the range (ms, exclusive).
    pub end: i64,
    /// Scrape interval (ms).
    pub interval: i64,
}

struct FamilyDef {
    name: String,
    mtype: MetricType,
    template: usize,
}

fn families() -> Vec<FamilyDef> {
    let mut out = vec![FamilyDef {
        name: "up".into(),
        mtype: MetricType::Gauge,
        template: usize::MAX,
    }];
    for s in SUBSYSTEMS {
        let names: [(&str, MetricType); 10] = [
            ("requests", MetricType::Counter),
            ("errors", MetricType::Counter),
            ("received_bytes", MetricType::Counter),
            ("sent_bytes", MetricType::Counter),
            ("request_duration_seconds", MetricType::Histogram),
            ("in_flight_requests", MetricType::Gauge),
            ("open_connections", MetricType::Gauge),
            ("resident_memory_bytes", MetricType::Gauge),
            ("utilization_ratio", MetricType::Gauge),
            ("build_info", MetricType::Gauge),
        ];
        for (t, (n, mtype)) in names.into_iter().enumerate() {
            out.push(FamilyDef {
                name: format!("{s}_{n}"),
                mtype,
                template: t,
            });
        }
    }
    out
}

/// A target: one scraped process.
struct Target {
    job: usize,
    /// The same for every pod of the job.
    job_seed: u64,
    labels: Vec<(String, String)>,
    timing: Timing,
    seed: u64,
}

impl Model {
    /// Build the model: `series` series over `[start, start + duration)` scraped every
    /// `interval` ms, all choices derived from `seed`.
    pub fn new(seed: u64, series: usize, start: i64, duration: i64, interval: i64) -> Model {
        let end = start.saturating_add(duration.max(1));
        let interval = interval.max(1);
        let defs = families();
        let mut rng = Rng::new(seed);
        // Which subsystems each job exposes (pods of a job expose the same metrics).
        let job_subsystems: Vec<Vec<usize>> = (0..JOBS.len())
            .map(|_| {
                let mut picked: Vec<usize> = Vec::new();
                while picked.len() < 2 {
                    let s = rng.below(SUBSYSTEMS.len() as u64) as usize;
                    if !picked.contains(&s) {
                        picked.push(s);
                    }
                }
                picked.sort_unstable();
                picked
            })
            .collect();

        let mut specs: Vec<SeriesSpec> = Vec::with_capacity(series);
        let mut slot = 0u64;
        while specs.len() < series {
            for target in Self::slot_targets(&mut rng, seed, slot, start, end, interval) {
                if specs.len() >= series {
                    break;
                }
                Self::target_series(
                    &defs,
                    &job_subsystems[target.job],
                    &target,
                    series,
                    &mut specs,
                );
            }
            slot += 1;
        }
        specs.sort_by(|a, b| a.labels.cmp(&b.labels));
        Model {
            series: specs,
            families: defs.into_iter().map(|d| (d.name, d.mtype)).collect(),
            start,
            end,
            interval,
        }
    }

    /// The targets of one replica slot: a single pod for the whole range, or (churn) a
    /// sequence of pods replacing each other, or a pod that appears late or leaves early.
    fn slot_targets(
        rng: &mut Rng,
        seed: u64,
        slot: u64,
        start: i64,
        end: i64,
        interval: i64,
    ) -> Vec<Target> {
        let job = (slot % JOBS.len() as u64) as usize;
        let span = end - start;
        let mut windows: Vec<(i64, i64)> = Vec::new();
        // Every 4th replica slot sees rolling restarts, every 6th has a pod that comes late
        // or leaves early; the times are random.
        if slot % 4 == 1 && span > 4 {
            // Rolling restarts: 2-4 pods one after the other.
            let pods = 2 + rng.below(3) as i64;
            let mut from = start;
            for p in 0..pods {
                let to = if p == pods - 1 {
                    end
                } else {
                    let left = end - from;
                    from + left / (pods - p) / 2 + (rng.f64() * (left / (pods - p)) as f64) as i64
                };
                if to > from {
                    windows.push((from, to));
                }
                from = to;
            }
        } else if slot % 6 == 4 && span > 4 {
            // A pod that comes up late or goes away early.
            let a = start + (rng.f64() * 0.6 * span as f64) as i64;
            let b = a + ((0.2 + rng.f64() * 0.4) * span as f64) as i64;
            windows.push((a, b.min(end)));
        } else {
            windows.push((start, end));
        }
        let (job_name, namespace) = JOBS[job];
        let half = (interval / 2).max(1);
        let jitter = if interval >= 100 && rng.f64() < 0.5 {
            (interval / 4).min(25)
        } else {
            0
        };
        let offset = (rng.below(half as u64)) as i64;
        windows
            .into_iter()
            .map(|(from, to)| {
                let tseed = rng.next_u64() ^ seed;
                let pod = format!(
                    "{job_name}-{:08x}-{}",
                    (hash(seed, job as u64, 1) & 0xFFFF_FFFF),
                    pod_suffix(tseed)
                );
                let ip = tseed >> 40;
                let instance = format!(
                    "10.{}.{}.{}:{}",
                    (ip >> 16) & 0xFF,
                    (ip >> 8) & 0xFF,
                    ip & 0xFF,
                    [8080, 9090, 9100, 3000][(tseed & 3) as usize]
                );
                Target {
                    job,
                    job_seed: hash(seed, job as u64, 2),
                    labels: vec![
                        ("instance".into(), instance),
                        ("job".into(), job_name.into()),
                        ("namespace".into(), namespace.into()),
                        ("pod".into(), pod),
                    ],
                    timing: Timing {
                        offset,
                        jitter,
                        jitter_seed: tseed,
                        from,
                        to,
                    },
                    seed: tseed,
                }
            })
            .collect()
    }

    /// Add the series `target` exposes, while fewer than `budget` exist; a histogram is
    /// added only whole.
    fn target_series(
        defs: &[FamilyDef],
        subsystems: &[usize],
        target: &Target,
        budget: usize,
        out: &mut Vec<SeriesSpec>,
    ) {
        let push = |out: &mut Vec<SeriesSpec>,
                    family: usize,
                    name: String,
                    extra: &[(&str, &str)],
                    kind: Kind,
                    n: u64| {
            let mut pairs: Vec<(String, String)> = target.labels.clone();
            pairs.push(("__name__".into(), name));
            pairs.extend(extra.iter().map(|&(a, b)| (a.to_owned(), b.to_owned())));
            out.push(SeriesSpec {
                labels: Labels::from_pairs(pairs),
                family,
                seed: hash(target.seed, family as u64, n),
                kind,
                timing: target.timing,
            });
        };
        for (fi, def) in defs.iter().enumerate() {
            let left = budget.saturating_sub(out.len());
            if left == 0 {
                return;
            }
            let s = fi.saturating_sub(1) / 10;
            if def.template != usize::MAX && !subsystems.contains(&s) {
                continue;
            }
            // A job exposes most, not all, of its subsystems' families.
            if def.template > 0
                && def.template != usize::MAX
                && unit(hash(target.job_seed, fi as u64, 3)) < 0.4
            {
                continue;
            }
            let h = |n: u64| hash(target.seed, fi as u64, n);
            let u = |n: u64| unit(h(n));
            match def.template {
                usize::MAX => push(out, fi, def.name.clone(), &[], Kind::Constant(1.0), 0),
                0 => {
                    // requests_total{method, code}
                    let mut n = 0;
                    for (mi, m) in METHODS.iter().enumerate() {
                        for (ci, c) in CODES.iter().enumerate() {
                            // Not every method/code pair occurs.
                            if (mi + ci) % 2 == 1 || budget <= out.len() {
                                continue;
                            }
                            let rate = if *c == "200" {
                                5.0 + 50.0 * u(n)
                            } else {
                                0.05 + u(n)
                            };
                            push(
                                out,
                                fi,
                                format!("{}_total", def.name),
                                &[("code", c), ("method", m)],
                                Kind::Counter {
                                    rate,
                                    integer: true,
                                },
                                n,
                            );
                            n += 1;
                        }
                    }
                }
                1 => {
                    for (n, c) in ["500", "503"].iter().enumerate() {
                        if budget > out.len() {
                            let rate = 0.01 + 0.2 * u(n as u64);
                            push(
                                out,
                                fi,
                                format!("{}_total", def.name),
                                &[("code", c)],
                                Kind::Counter {
                                    rate,
                                    integer: true,
                                },
                                n as u64,
                            );
                        }
                    }
                }
                2 | 3 => {
                    let rate = 1e3 + 1e6 * u(0);
                    push(
                        out,
                        fi,
                        format!("{}_total", def.name),
                        &[],
                        Kind::Counter {
                            rate,
                            integer: true,
                        },
                        0,
                    );
                }
                4 => {
                    if left < LE.len() + 2 {
                        continue;
                    }
                    let center = 2.0 + 6.0 * u(0);
                    let width = 1.0 + 2.0 * u(1);
                    let mut share = [0.0; 12];
                    for (j, s) in share.iter_mut().enumerate() {
                        let d = (j as f64 - center) / width;
                        *s = (-0.5 * d * d).exp();
                    }
                    let total: f64 = share.iter().sum();
                    share.iter_mut().for_each(|s| *s /= total);
                    let hist = Arc::new(Hist {
                        seed: h(2),
                        rate: 0.5 + 30.0 * u(3),
                        share,
                    });
                    for (j, le) in LE.iter().enumerate() {
                        push(
                            out,
                            fi,
                            format!("{}_bucket", def.name),
                            &[("le", le)],
                            Kind::Bucket {
                                hist: hist.clone(),
                                upto: j,
                            },
                            j as u64,
                        );
                    }
                    push(
                        out,
                        fi,
                        format!("{}_count", def.name),
                        &[],
                        Kind::HistCount(hist.clone()),
                        100,
                    );
                    push(
                        out,
                        fi,
                        format!("{}_sum", def.name),
                        &[],
                        Kind::HistSum(hist),
                        101,
                    );
                }
                5 => push(
                    out,
                    fi,
                    def.name.clone(),
                    &[],
                    Kind::Gauge {
                        lo: 0.0,
                        hi: 20.0 + 80.0 * u(0),
                        step: 3.0,
                        decimals: 0,
                    },
                    0,
                ),
                6 => push(
                    out,
                    fi,
                    def.name.clone(),
                    &[],
                    Kind::Gauge {
                        lo: 1.0,
                        hi: 500.0,
                        step: 10.0,
                        decimals: 0,
                    },
                    0,
                ),
                7 => {
                    let base = 5e7 + 5e8 * u(0);
                    push(
                        out,
                        fi,
                        def.name.clone(),
                        &[],
                        Kind::Gauge {
                            lo: base,
                            hi: base * 3.0,
                            step: base / 50.0,
                            decimals: 0,
                        },
                        0,
                    )
                }
                8 => push(
                    out,
                    fi,
                    def.name.clone(),
                    &[],
                    Kind::Gauge {
                        lo: 0.0,
                        hi: 1.0,
                        step: 0.05,
                        decimals: 3,
                    },
                    0,
                ),
                _ => {
                    let version = format!("1.{}.{}", h(0) % 20, h(1) % 10);
                    push(
                        out,
                        fi,
                        def.name.clone(),
                        &[("version", &version)],
                        Kind::Constant(1.0),
                        0,
                    );
                }
            }
        }
    }

    /// Append to `out` the samples of series `i` with timestamps in `[from, to)`, advancing
    /// `state`. Calls for one series must cover increasing, non-overlapping windows.
    pub fn samples(
        &self,
        i: usize,
        state: &mut SeriesState,
        from: i64,
        to: i64,
        out: &mut Vec<(i64, f64)>,
    ) {
        let Some(spec) = self.series.get(i) else {
            return;
        };
        let tm = spec.timing;
        let to = to.min(self.end).min(tm.to);
        let interval_s = self.interval as f64 / 1000.0;
        loop {
            let k = state.next_k;
            let Some(t) = self.time(&tm, k) else { break };
            if t >= to {
                break;
            }
            state.next_k += 1;
            if t < from || t < tm.from {
                continue;
            }
            let v = spec.value(state, k, interval_s);
            out.push((t, v));
        }
    }

    /// Timestamp of scrape `k` of a target, `None` past i64.
    fn time(&self, tm: &Timing, k: u64) -> Option<i64> {
        let j = if tm.jitter > 0 {
            (hash(tm.jitter_seed, k, 7) % (tm.jitter as u64 + 1)) as i64
        } else {
            0
        };
        i64::try_from(k)
            .ok()?
            .checked_mul(self.interval)?
            .checked_add(self.start)?
            .checked_add(tm.offset)?
            .checked_add(j)
    }
}

impl SeriesSpec {
    fn value(&self, st: &mut SeriesState, k: u64, interval_s: f64) -> f64 {
        let u = |n: u64| unit(hash(self.seed, k, n));
        let first = !st.started;
        st.started = true;
        let v = match &self.kind {
            Kind::Constant(c) => *c,
            Kind::Counter { rate, integer } => {
                let inc = rate * interval_s * (0.5 + u(0));
                let inc = if *integer { inc.round() } else { inc };
                if first {
                    if *integer {
                        (u(1) * 1000.0).floor()
                    } else {
                        u(1) * 100.0
                    }
                } else if u(2) < 1e-4 {
                    inc // counter reset (process restart)
                } else {
                    st.value + inc
                }
            }
            Kind::Gauge {
                lo,
                hi,
                step,
                decimals,
            } => {
                let raw = if first {
                    lo + (hi - lo) * u(0)
                } else {
                    let mut v = st.value + step * (2.0 * u(0) - 1.0);
                    if v > *hi {
                        v = 2.0 * hi - v;
                    }
                    if v < *lo {
                        v = 2.0 * lo - v;
                    }
                    v.clamp(*lo, *hi)
                };
                let p = 10f64.powi(*decimals);
                (raw * p).round() / p
            }
            Kind::Bucket { hist, upto } => {
                let obs = hist.observations(k, interval_s);
                let inc: f64 = obs.iter().take(upto + 1).sum();
                if first {
                    inc
                } else {
                    st.value + inc
                }
            }
            Kind::HistCount(hist) => {
                let inc: f64 = hist.observations(k, interval_s).iter().sum();
                if first {
                    inc
                } else {
                    st.value + inc
                }
            }
            Kind::HistSum(hist) => {
                let obs = hist.observations(k, interval_s);
                let mut inc = 0.0;
                for (j, o) in obs.iter().enumerate() {
                    let lo = if j == 0 { 0.0 } else { BUCKETS[j - 1] };
                    let hi = BUCKETS.get(j).copied().unwrap_or(20.0);
                    inc += o * (lo + hi) / 2.0;
                }
                if first {
                    inc
                } else {
                    st.value + inc
                }
            }
        };
        st.value = v;
        v
    }
}

/// A Kubernetes-style 5-character pod suffix.
fn pod_suffix(h: u64) -> String {
    const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..5)
        .map(|i| ALPHA[((h >> (i * 6)) % ALPHA.len() as u64) as usize] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_a_hundred_families() {
        let f = families();
        assert!((95..=105).contains(&f.len()), "{}", f.len());
    }

    #[test]
    fn exact_series_count_unique_sorted_labels() {
        for n in [1, 13, 14, 15, 100, 1000] {
            let m = Model::new(7, n, 0, 86_400_000, 15_000);
            assert_eq!(m.series.len(), n);
            assert!(m.series.windows(2).all(|w| w[0].labels < w[1].labels));
        }
    }

    #[test]
    fn histograms_are_cumulative_and_counts_match() {
        let m = Model::new(3, 500, 0, 3_600_000, 15_000);
        let find = |pred: &dyn Fn(&Labels) -> bool| m.series.iter().position(|s| pred(&s.labels));
        let b = find(&|l| l.get(b"le") == Some(b"+Inf")).expect("a histogram");
        let pod = m.series[b].labels.get(b"pod").unwrap().to_vec();
        let name = m.series[b].labels.get(b"__name__").unwrap().to_vec();
        let count_name = [&name[..name.len() - "bucket".len()], b"count"].concat();
        let c = find(&|l| {
            l.get(b"pod") == Some(&pod[..]) && l.get(b"__name__") == Some(&count_name[..])
        })
        .unwrap();
        let small = find(&|l| {
            l.get(b"pod") == Some(&pod[..])
                && l.get(b"__name__") == Some(&name[..])
                && l.get(b"le") == Some(b"0.5")
        })
        .unwrap();
        let all = |i| {
            let mut out = Vec::new();
            m.samples(i, &mut SeriesState::default(), i64::MIN, i64::MAX, &mut out);
            out
        };
        let (inf, count, half) = (all(b), all(c), all(small));
        assert!(!inf.is_empty());
        assert_eq!(inf, count);
        assert!(half.iter().zip(&inf).all(|(a, b)| a.0 == b.0 && a.1 <= b.1));
        assert!(inf.windows(2).all(|w| w[0].1 <= w[1].1));
    }

    #[test]
    fn windows_compose() {
        let m = Model::new(11, 300, 1_000, 10 * 3_600_000, 10_000);
        for i in (0..m.series.len()).step_by(7) {
            let mut whole = Vec::new();
            m.samples(
                i,
                &mut SeriesState::default(),
                i64::MIN,
                i64::MAX,
                &mut whole,
            );
            let mut parts = Vec::new();
            let mut st = SeriesState::default();
            for w in 0..6 {
                m.samples(i, &mut st, w * 7_200_000, (w + 1) * 7_200_000, &mut parts);
            }
            assert_eq!(whole, parts);
            assert!(whole.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }

    #[test]
    fn some_series_churn() {
        let m = Model::new(5, 2000, 0, 86_400_000, 60_000);
        let partial = m
            .series
            .iter()
            .filter(|s| s.timing.from > 0 || s.timing.to < m.end)
            .count();
        assert!(partial > 100 && partial < 1500, "{partial}");
    }
}
