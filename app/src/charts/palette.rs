use plotters::style::RGBColor;

/// Distinct, colour-blind-friendly-ish colours for runs and metrics, in order of use.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xe4, 0x57, 0x1a),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// The colour of the `index`-th series, cycling through the palette.
pub fn series_color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}
