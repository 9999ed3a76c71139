//! Grouped bar charts written as SVG files with plotters' SVG backend: `bench --svg` (one
//! group per program, one bar per mode and baseline) and `compare --svg` (one group per
//! mode: compile and run time). The value axis is logarithmic because the modes differ by
//! orders of magnitude (an interpreter against native code).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// One kind of bar: a name for the legend and one value per group (`None`: no bar, e.g. a
/// mode that failed on that program).
pub(crate) struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

pub(crate) struct BarChart<'a> {
    pub title: &'a str,
    pub y_desc: &'a str,
    /// Group names along the x axis, in order.
    pub groups: &'a [String],
    pub series: &'a [Series],
    /// Print each bar's value above it (readable for a handful of bars, clutter for many).
    pub value_labels: bool,
}

/// Tableau 10: distinguishable colors, so neighbouring bars never look alike.
const PALETTE: [RGBColor; 10] = [
    RGBColor(78, 121, 167),
    RGBColor(242, 142, 43),
    RGBColor(225, 87, 89),
    RGBColor(118, 183, 178),
    RGBColor(89, 161, 79),
    RGBColor(237, 201, 72),
    RGBColor(176, 122, 161),
    RGBColor(255, 157, 167),
    RGBColor(156, 117, 95),
    RGBColor(186, 176, 172),
];

const LEGEND_WIDTH: u32 = 190;
const HEIGHT: u32 = 560;

/// Draws `chart` into the SVG file `path`. Values that are not positive and finite cannot be
/// shown on a log axis and are left out like missing ones.
pub(crate) fn write_svg(path: &Path, chart: &BarChart) -> Result<(), String> {
    let groups = chart.groups.len().max(1);
    let bars = chart.series.len().max(1);
    // Enough room per group for its bars and its label.
    let plot_width = (groups as u32 * (bars as u32 * 16 + 36)).max(520);
    let width = plot_width + LEGEND_WIDTH + 90;
    let root = SVGBackend::new(path, (width, HEIGHT)).into_drawing_area();
    draw(&root, chart).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

type DrawResult<T> = Result<T, DrawingAreaErrorKind<std::io::Error>>;

fn draw(
    root: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    chart: &BarChart,
) -> DrawResult<()> {
    root.fill(&WHITE)?;
    let (width, _) = root.dim_in_pixel();
    let (plot_area, legend_area) = root.split_horizontally(width - LEGEND_WIDTH);

    let values = chart.series.iter().flat_map(|s| s.values.iter().flatten().copied());
    let (lo, hi) = log_bounds(values);
    let n = chart.groups.len().max(1);
    let mut ctx = ChartBuilder::on(&plot_area)
        .caption(chart.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..n as f64, (lo..hi).log_scale())?;

    // Group names are drawn below each group's center by hand (at the pixel plotters maps
    // the center to): a numeric x axis has no way to put its own labels there.
    ctx.configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(chart.y_desc)
        .y_label_formatter(&|v: &f64| short_number(*v))
        .label_style(("sans-serif", 13))
        .draw()?;
    let label_style =
        TextStyle::from(("sans-serif", 14).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    for (g, name) in chart.groups.iter().enumerate() {
        let (x, y) = ctx.backend_coord(&(g as f64 + 0.5, lo));
        root.draw(&Text::new(name.clone(), (x, y + 8), label_style.clone()))?;
    }

    let slot = 0.8 / chart.series.len().max(1) as f64;
    for (s, series) in chart.series.iter().enumerate() {
        let color = PALETTE[s % PALETTE.len()];
        let bars = series.values.iter().enumerate().filter_map(|(g, v)| {
            let v = v.filter(|v| v.is_finite() && *v > 0.0)?;
            let x0 = g as f64 + 0.1 + slot * s as f64;
            Some(Rectangle::new([(x0, lo), (x0 + slot * 0.9, v)], color.filled()))
        });
        ctx.draw_series(bars)?;
        if chart.value_labels {
            let style = TextStyle::from(("sans-serif", 11).into_font())
                .pos(Pos::new(HPos::Center, VPos::Bottom));
            let labels = series.values.iter().enumerate().filter_map(|(g, v)| {
                let v = v.filter(|v| v.is_finite() && *v > 0.0)?;
                let x = g as f64 + 0.1 + slot * (s as f64 + 0.45);
                Some(Text::new(format!("{v:.1}"), (x, v), style.clone()))
            });
            ctx.draw_series(labels)?;
        }
    }

    // The legend has its own column, so it can never hide a bar.
    let text = TextStyle::from(("sans-serif", 14).into_font());
    for (s, series) in chart.series.iter().enumerate() {
        let y = 60 + 24 * s as i32;
        let color = PALETTE[s % PALETTE.len()];
        legend_area.draw(&Rectangle::new([(8, y), (24, y + 14)], color.filled()))?;
        legend_area.draw(&Text::new(series.name.clone(), (32, y), text.clone()))?;
    }
    Ok(())
}

/// Axis bounds on whole powers of ten around the positive values, with one spare decade on
/// top so the tallest bar does not touch the caption.
fn log_bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut min, mut max) = (f64::INFINITY, 0.0f64);
    for v in values.filter(|v| v.is_finite() && *v > 0.0) {
        min = min.min(v);
        max = max.max(v);
    }
    if !min.is_finite() {
        return (0.1, 10.0);
    }
    let lo = 10f64.powf(min.log10().floor());
    let hi = 10f64.powf(max.log10().ceil() + 1.0);
    (lo, hi)
}

/// Axis numbers without float noise: `0.01`, `1`, `1000`.
fn short_number(v: f64) -> String {
    if v >= 1.0 {
        format!("{v:.0}")
    } else {
        let text = format!("{v:.6}");
        text.trim_end_matches('0').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_powers_of_ten_with_headroom() {
        assert_eq!(log_bounds([3.0, 450.0].into_iter()), (1.0, 10000.0));
        assert_eq!(log_bounds([0.05].into_iter()), (0.01, 1.0));
        assert_eq!(log_bounds([f64::NAN, -1.0, 0.0].into_iter()), (0.1, 10.0));
    }

    #[test]
    fn axis_numbers() {
        assert_eq!(short_number(1000.0), "1000");
        assert_eq!(short_number(0.01), "0.01");
    }

    /// The contents of every `<text>` element, trimmed.
    fn svg_texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let body = &t[t.find('>')? + 1..];
                Some(body[..body.find("</text>")?].trim().to_string())
            })
            .collect()
    }

    #[test]
    fn writes_an_svg_with_groups_series_and_title() {
        let dir = crate::tempdir::TempDir::new("chart-test").expect("temp dir");
        let path = dir.path().join("c.svg");
        let groups = vec!["fib".to_string(), "sieve".to_string()];
        let series = vec![
            Series { name: "vm".into(), values: vec![Some(900.0), None] },
            Series { name: "llvm-aot".into(), values: vec![Some(12.5), Some(0.3)] },
        ];
        let chart = BarChart {
            title: "demo chart",
            y_desc: "run ms",
            groups: &groups,
            series: &series,
            value_labels: true,
        };
        write_svg(&path, &chart).expect("chart written");
        let svg = std::fs::read_to_string(&path).expect("readable");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
        let texts = svg_texts(&svg);
        for label in ["fib", "sieve", "vm", "llvm-aot", "demo chart", "run ms", "12.5"] {
            assert!(texts.iter().any(|t| t == label), "no `{label}` in {texts:?}");
        }
        assert!(svg.matches("<rect").count() >= 4, "{svg}");
    }
}
