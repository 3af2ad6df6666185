//! Human-readable numbers and times for pages.

/// A duration such as a run's runtime or a project's total compute:
/// `42s`, `3m 20s`, `2h 5m`, `3d 4h`.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "–".to_owned();
    }
    let s = seconds.round() as u64;
    let (d, h, m, sec) = (s / 86_400, (s / 3_600) % 24, (s / 60) % 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else {
        format!("{sec}s")
    }
}

/// Total compute as the Overview states it: hours below two days, days above,
/// with one decimal (`12.5 hours`, `3.2 days`).
pub fn compute(seconds: f64) -> String {
    if !seconds.is_finite() || seconds <= 0.0 {
        return "0 hours".to_owned();
    }
    let hours = seconds / 3_600.0;
    if hours < 48.0 {
        format!("{hours:.1} hours")
    } else {
        format!("{:.1} days", hours / 24.0)
    }
}

/// A Unix-millisecond timestamp as `YYYY-MM-DD HH:MM UTC` (civil calendar, no time zone database).
pub fn timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem / 60) % 60
    )
}

/// A byte count for people: `512 B`, `1.5 KB`, `3.2 MB`, `1.1 GB` (powers of 1,024).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// A tick label for a wall-time axis spanning `span_secs`: short enough that a
/// chart's ticks never overlap. `HH:MM:SS` under ten minutes, `HH:MM` under two
/// days, `MM-DD HH:MM` under sixty days, else the date (UTC throughout).
pub fn clock_tick(ms: i64, span_secs: f64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let (h, m, s) = (rem / 3600, (rem / 60) % 60, rem % 60);
    if span_secs < 600.0 {
        format!("{h:02}:{m:02}:{s:02}")
    } else if span_secs < 2.0 * 86_400.0 {
        format!("{h:02}:{m:02}")
    } else if span_secs < 60.0 * 86_400.0 {
        format!("{mo:02}-{d:02} {h:02}:{m:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02}")
    }
}

/// A Unix-millisecond timestamp as `YYYY-MM-DDTHH:MM:SS` in UTC, without a zone
/// suffix: the form W&B's API uses for `createdAt` and friends.
pub fn iso_utc_seconds(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// How long ago `ms` was, seen from `now_ms`: `just now`, `5 minutes ago`, `3 days ago`.
pub fn ago(ms: i64, now_ms: i64) -> String {
    let s = (now_ms - ms).max(0) / 1000;
    let (n, unit) = match s {
        0..=59 => return "just now".to_owned(),
        60..=3_599 => (s / 60, "minute"),
        3_600..=86_399 => (s / 3_600, "hour"),
        86_400..=2_591_999 => (s / 86_400, "day"),
        2_592_000..=31_535_999 => (s / 2_592_000, "month"),
        _ => (s / 31_536_000, "year"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// A metric value in a table: integers plainly, others with up to 6 significant digits.
pub fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "∞" } else { "-∞" }.to_owned()
    } else if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if v.abs() >= 1e-4 && v.abs() < 1e6 {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0');
        s.trim_end_matches('.').to_owned()
    } else {
        format!("{v:.4e}")
    }
}

// Howard Hinnant's days-to-civil algorithm (public domain arithmetic).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `n` and a noun, singular for one: `count(1, "run")` is "1 run", `count(3, "run")`
/// "3 runs". Nouns here take a plain `s`.
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_read_well() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KB");
        assert_eq!(bytes(3 << 20), "3.0 MB");
    }

    #[test]
    fn clock_ticks_shorten_with_the_span() {
        let ms = 1_764_833_445_000; // 2025-12-04 07:30:45 UTC
        assert_eq!(clock_tick(ms, 60.0), "07:30:45");
        assert_eq!(clock_tick(ms, 3_600.0), "07:30");
        assert_eq!(clock_tick(ms, 7.0 * 86_400.0), "12-04 07:30");
        assert_eq!(clock_tick(ms, 400.0 * 86_400.0), "2025-12-04");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1u64, "run"), "1 run");
        assert_eq!(count(0u64, "panel"), "0 panels");
        assert_eq!(count(2u32, "panel"), "2 panels");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(0.0), "0s");
        assert_eq!(duration(42.4), "42s");
        assert_eq!(duration(200.0), "3m 20s");
        assert_eq!(duration(7_500.0), "2h 5m");
        assert_eq!(duration(3.0 * 86_400.0 + 4.0 * 3_600.0), "3d 4h");
        assert_eq!(duration(f64::NAN), "–");
    }

    #[test]
    fn compute_in_hours_then_days() {
        assert_eq!(compute(0.0), "0 hours");
        assert_eq!(compute(45_000.0), "12.5 hours");
        assert_eq!(compute(3.2 * 86_400.0), "3.2 days");
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(0), "1970-01-01 00:00 UTC");
        assert_eq!(timestamp(1_795_000_000_000), "2026-11-18 11:06 UTC");
        assert_eq!(timestamp(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(iso_utc_seconds(1_795_000_000_999), "2026-11-18T11:06:40");
    }

    #[test]
    fn relative_times() {
        assert_eq!(ago(0, 30_000), "just now");
        assert_eq!(ago(0, 60_000), "1 minute ago");
        assert_eq!(ago(0, 3 * 86_400_000), "3 days ago");
    }

    #[test]
    fn numbers() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.125), "0.125");
        assert_eq!(number(1.0 / 3.0), "0.333333");
        assert_eq!(number(1e-7), "1.0000e-7");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::NEG_INFINITY), "-∞");
    }
}
