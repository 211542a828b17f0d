//! The data of a histogram, kept by accounting and the poll loop and rendered by `metrics`.

/// Buckets of `cloud_task_target_poll_duration_seconds`.
pub const POLL_BUCKETS: [f64; 10] = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];

/// A histogram's data: non-cumulative counts per bucket (last = +Inf), sum and count.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistogramData {
    /// Count per bucket, `buckets.len() + 1` entries (the last is above every bound).
    pub counts: Vec<u64>,
    /// Sum of observations.
    pub sum: f64,
    /// Number of observations.
    pub count: u64,
}

impl HistogramData {
    /// An empty histogram over `bounds`.
    pub fn new(bounds: &[f64]) -> HistogramData {
        HistogramData {
            counts: vec![0; bounds.len() + 1],
            sum: 0.0,
            count: 0,
        }
    }

    /// Records one value.
    pub fn observe(&mut self, bounds: &[f64], v: f64) {
        let idx = bounds.iter().position(|b| v <= *b).unwrap_or(bounds.len());
        if self.counts.len() != bounds.len() + 1 {
            self.counts.resize(bounds.len() + 1, 0);
        }
        self.counts[idx] += 1;
        self.sum += v;
        self.count += 1;
    }
}
