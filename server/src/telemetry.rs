//! What `GET /metrics` reports to Prometheus: requests by area and status class with
//! their latencies, metric points written, the SQLite writer's queue, and the chart
//! cache's hits, misses and size. Counted per server process (Prometheus adds servers
//! up), encoded in the OpenMetrics text format by `prometheus-client`, the Prometheus
//! project's own Rust client.

use std::sync::LazyLock;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The content type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels1 = [(&'static str, &'static str); 1];
type Labels2 = [(&'static str, &'static str); 2];

struct Telemetry {
    registry: Registry,
    requests: Family<Labels2, Counter>,
    latency: Family<Labels1, Histogram, fn() -> Histogram>,
    points: Counter,
    cache_hits: Counter,
    cache_misses: Counter,
    cache_bytes: Gauge,
    writer_queue: Gauge,
    bodies_held: Gauge,
}

/// Latency buckets from 1 ms to about 33 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("cairn");
    let requests = Family::<Labels2, Counter>::default();
    registry.register(
        "http_requests",
        "HTTP requests answered, by area (api, wandb, pages, static, health) and status class",
        requests.clone(),
    );
    let latency =
        Family::<Labels1, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
    registry.register(
        "http_request_duration_seconds",
        "Time to answer an HTTP request (until its headers), by area",
        latency.clone(),
    );
    let points = Counter::default();
    registry.register(
        "ingested_points",
        "Metric points written (rate() gives points per second)",
        points.clone(),
    );
    let cache_hits = Counter::default();
    let cache_misses = Counter::default();
    let cache_bytes = Gauge::default();
    registry.register(
        "chart_cache_hits",
        "Series whose chunk index the chart cache answered",
        cache_hits.clone(),
    );
    registry.register(
        "chart_cache_misses",
        "Series whose chunk index was read from the database",
        cache_misses.clone(),
    );
    registry.register(
        "chart_cache_bytes",
        "Memory the chart cache holds",
        cache_bytes.clone(),
    );
    let writer_queue = Gauge::default();
    registry.register(
        "writer_queue_depth",
        "Write requests waiting for the SQLite writer (always 0 on PostgreSQL)",
        writer_queue.clone(),
    );
    let bodies_held = Gauge::default();
    registry.register(
        "request_bodies_held_bytes",
        "Bytes of buffered request bodies being handled (waits start at the budget)",
        bodies_held.clone(),
    );
    Telemetry {
        bodies_held,
        registry,
        requests,
        latency,
        points,
        cache_hits,
        cache_misses,
        cache_bytes,
        writer_queue,
    }
});

/// The area a request path belongs to, for the request metrics (few labels, so that
/// no path or name becomes a time series of its own).
pub fn area_of(path: &str) -> &'static str {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "api" => "api",
        "graphql" | "files" | "storage" | "sdk" => "wandb",
        "pkg" | "favicon.svg" => "static",
        "healthz" | "metrics" => "health",
        _ => "pages",
    }
}

/// One answered request.
pub fn request(area: &'static str, status: u16, seconds: f64) {
    let class = match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    let t = &*TELEMETRY;
    t.requests
        .get_or_create(&[("area", area), ("status", class)])
        .inc();
    t.latency.get_or_create(&[("area", area)]).observe(seconds);
}

/// `n` metric points written.
pub fn points_written(n: u64) {
    TELEMETRY.points.inc_by(n);
}

/// The chart cache answered (`hit`) or not.
pub fn chart_cache(hit: bool) {
    if hit {
        TELEMETRY.cache_hits.inc();
    } else {
        TELEMETRY.cache_misses.inc();
    }
}

/// Everything, with the gauges read now.
pub fn render(writer_queue: usize, cache_bytes: usize, bodies_held: u64) -> String {
    let t = &*TELEMETRY;
    t.bodies_held
        .set(i64::try_from(bodies_held).unwrap_or(i64::MAX));
    t.writer_queue
        .set(i64::try_from(writer_queue).unwrap_or(i64::MAX));
    t.cache_bytes
        .set(i64::try_from(cache_bytes).unwrap_or(i64::MAX));
    let mut out = String::new();
    // Writing into a String cannot fail.
    prometheus_client::encoding::text::encode(&mut out, &t.registry).ok();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_are_few_and_names_stay_out() {
        assert_eq!(area_of("/api/v1/runs/alice/p"), "api");
        assert_eq!(area_of("/graphql"), "wandb");
        assert_eq!(area_of("/files/alice/p/r/file_stream"), "wandb");
        assert_eq!(area_of("/storage/run-files/3/x"), "wandb");
        assert_eq!(area_of("/pkg/cairn.wasm"), "static");
        assert_eq!(area_of("/healthz"), "health");
        assert_eq!(area_of("/alice/secret-project/runs"), "pages");
        assert_eq!(area_of("/"), "pages");
    }

    #[test]
    fn renders_counters_histograms_and_gauges() {
        request("api", 201, 0.003);
        request("api", 503, 0.5);
        points_written(7);
        chart_cache(true);
        let text = render(3, 1024, 4096);
        for line in [
            "# TYPE cairn_http_requests counter",
            "cairn_http_requests_total{area=\"api\",status=\"2xx\"}",
            "cairn_http_requests_total{area=\"api\",status=\"5xx\"}",
            "cairn_http_request_duration_seconds_bucket{le=\"0.004\",area=\"api\"}",
            "cairn_ingested_points_total",
            "cairn_chart_cache_hits_total",
            "cairn_writer_queue_depth 3",
            "cairn_chart_cache_bytes 1024",
            "cairn_request_bodies_held_bytes 4096",
            "# EOF",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}
