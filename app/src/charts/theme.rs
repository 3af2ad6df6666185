//! Chart colours for the page's colour scheme: the CSS follows the system's
//! `prefers-color-scheme`, and charts drawn on canvas ask the same question when
//! they draw. Charts drawn on the server (SVG) use the light theme.

use plotters::style::RGBColor;

/// The colours of everything in a chart that is not a data line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Theme {
    pub background: RGBColor,
    pub text: RGBColor,
    pub grid: RGBColor,
    pub grid_bold: RGBColor,
    pub axis: RGBColor,
}

pub const LIGHT: Theme = Theme {
    background: RGBColor(0xff, 0xff, 0xff),
    text: RGBColor(0x55, 0x5b, 0x66),
    grid: RGBColor(0xe8, 0xea, 0xee),
    grid_bold: RGBColor(0xe2, 0xe4, 0xe9),
    axis: RGBColor(0xb8, 0xbc, 0xc4),
};

/// Matches the dark CSS variables (`--card` background, `--muted` text).
pub const DARK: Theme = Theme {
    background: RGBColor(0x17, 0x1c, 0x26),
    text: RGBColor(0xb4, 0xbc, 0xc8),
    grid: RGBColor(0x26, 0x2d, 0x3a),
    grid_bold: RGBColor(0x2f, 0x37, 0x46),
    axis: RGBColor(0x4a, 0x53, 0x63),
};

/// The theme the page is showing now.
pub fn current() -> Theme {
    #[cfg(feature = "hydrate")]
    {
        let dark = web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|m| m.matches());
        if dark {
            return DARK;
        }
    }
    LIGHT
}
