use plotters::style::RGBColor;

/// Distinct colours, each readable on a light and on a dark background. No grey:
/// grey is what the sidebar uses for runs that are not plotted. Metrics and groups
/// take the first [`SERIES_COLORS`] in order; a run's colour is picked from all of
/// them by its id, so it is the same on every page and in every order.
const RUN_PALETTE: [RGBColor; 20] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xe4, 0x57, 0x1a),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x00, 0x80, 0x80),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0x39, 0x5f, 0xd8),
    RGBColor(0xf5, 0x9e, 0x0b),
    RGBColor(0x65, 0xa3, 0x0d),
    RGBColor(0xbe, 0x18, 0x5d),
    RGBColor(0x7c, 0x3a, 0xed),
    RGBColor(0xb4, 0x53, 0x09),
    RGBColor(0xdb, 0x27, 0x77),
    RGBColor(0x0d, 0x94, 0x88),
    RGBColor(0x84, 0xcc, 0x16),
    RGBColor(0x06, 0x96, 0xd4),
];

/// How many of the palette's colours metrics and groups cycle through.
const SERIES_COLORS: usize = 10;

/// The colour of the `index`-th series, cycling through the first colours.
pub fn series_color(index: usize) -> RGBColor {
    RUN_PALETTE[index % SERIES_COLORS]
}

/// The colour a run has when nobody chose one: fixed by its id (FNV-1a), so sorting,
/// searching or a new run never changes it.
pub fn run_id_color(run_id: &str) -> RGBColor {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in run_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    RUN_PALETTE[(h % RUN_PALETTE.len() as u64) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_keeps_its_colour_and_runs_spread_over_the_palette() {
        assert_eq!(run_id_color("abc123"), run_id_color("abc123"));
        let used: std::collections::HashSet<_> = (0..200)
            .map(|i| {
                let c = run_id_color(&format!("run-{i}"));
                (c.0, c.1, c.2)
            })
            .collect();
        assert_eq!(used.len(), RUN_PALETTE.len());
        assert!(!used.contains(&(0x7f, 0x7f, 0x7f)), "no grey");
    }
}
