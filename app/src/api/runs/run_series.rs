/// Most buckets a chart (or a full-fidelity read of one series) may ask for.
pub const MAX_CHART_BUCKETS: usize = 20_000;
