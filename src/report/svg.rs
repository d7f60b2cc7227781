//! The sweep as a standalone SVG chart: full-call accuracy and tool tokens against the number of
//! tools offered.

use std::fmt::Write as _;

use super::sweep::{SweepPoint, SweepReport};

const COLORS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A standalone SVG: full-call accuracy (solid) and tool tokens (dashed) against the number of
/// tools (log scale), one color per line.
pub fn render_sweep_svg(r: &SweepReport) -> String {
    let mut sizes: Vec<usize> = r.points.iter().map(|p| p.size).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let plot = Plot::new(r, &sizes);
    let mut s = plot.frame(r);
    s.push_str(&plot.axes(&sizes));
    for (i, line) in lines(r).into_iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let points: Vec<&SweepPoint> = r.points.iter().filter(|p| p.line == line).collect();
        s.push_str(&plot.band(&points, color));
        s.push_str(&plot.curves(&points, color));
        s.push_str(&plot.markers(line, &points, color));
        s.push_str(&plot.legend_entry(i, line, color));
    }
    s.push_str("</svg>\n");
    s
}

/// The lines of a sweep, each once, in the order they first appear.
fn lines(r: &SweepReport) -> Vec<&str> {
    let mut seen: Vec<&str> = Vec::new();
    for p in &r.points {
        if !seen.contains(&p.line.as_str()) {
            seen.push(&p.line);
        }
    }
    seen
}

/// The chart's geometry: the canvas, the plot area inside its margins, and the scales.
struct Plot {
    w: f64,
    h: f64,
    left: f64,
    top: f64,
    /// The plot area's width and height.
    pw: f64,
    ph: f64,
    /// The smallest and largest tool-set sizes.
    min: f64,
    max: f64,
    max_tokens: f64,
}

impl Plot {
    fn new(r: &SweepReport, sizes: &[usize]) -> Plot {
        let (w, h) = (760.0_f64, 440.0_f64);
        let (left, right, top, bottom) = (70.0, 80.0, 50.0, 60.0);
        let max_tokens = r
            .points
            .iter()
            .map(|p| p.tool_tokens)
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        Plot {
            w,
            h,
            left,
            top,
            pw: w - left - right,
            ph: h - top - bottom,
            min: *sizes.first().unwrap_or(&1) as f64,
            max: *sizes.last().unwrap_or(&1) as f64,
            max_tokens,
        }
    }

    /// Tool-set sizes on a log scale; a single size in the middle.
    fn x(&self, size: usize) -> f64 {
        if self.max <= self.min {
            self.left + self.pw / 2.0
        } else {
            self.left
                + self.pw * ((size as f64).ln() - self.min.ln()) / (self.max.ln() - self.min.ln())
        }
    }

    fn y_acc(&self, a: f64) -> f64 {
        self.top + self.ph * (1.0 - a)
    }

    fn y_tok(&self, t: usize) -> f64 {
        self.top + self.ph * (1.0 - t as f64 / self.max_tokens)
    }

    /// The opening tag, the background and the title.
    fn frame(&self, r: &SweepReport) -> String {
        let (w, h) = (self.w, self.h);
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
        let _ = writeln!(
            s,
            r#"<text x="{}" y="24" text-anchor="middle" font-size="15">Tool-selection sweep: {} ({} trial(s) per task)</text>"#,
            w / 2.0,
            esc(&r.model.name),
            r.eval.trials
        );
        s
    }

    /// The axes, the grid with accuracy (left) and token (right) ticks, the sizes below, and
    /// the axis titles.
    fn axes(&self, sizes: &[usize]) -> String {
        let Plot {
            w,
            h,
            left,
            top,
            pw,
            ph,
            max_tokens,
            ..
        } = *self;
        let mut s = String::new();
        let _ = writeln!(
            s,
            r##"<g stroke="#999" stroke-width="1"><line x1="{left}" y1="{top}" x2="{left}" y2="{}"/><line x1="{left}" y1="{}" x2="{}" y2="{}"/><line x1="{}" y1="{top}" x2="{}" y2="{}"/></g>"##,
            top + ph,
            top + ph,
            left + pw,
            top + ph,
            left + pw,
            left + pw,
            top + ph
        );
        for i in 0..=4 {
            let a = f64::from(i) / 4.0;
            let y = self.y_acc(a);
            let _ = writeln!(
                s,
                r##"<line x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end">{:.0}%</text><text x="{}" y="{:.1}">{:.0}</text>"##,
                left + pw,
                left - 6.0,
                y + 4.0,
                a * 100.0,
                left + pw + 6.0,
                y + 4.0,
                a * max_tokens
            );
        }
        for size in sizes {
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{}" text-anchor="middle">{size}</text>"#,
                self.x(*size),
                top + ph + 18.0
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">tools offered (log scale)</text>"#,
            left + pw / 2.0,
            h - 16.0
        );
        let _ = writeln!(
            s,
            r#"<text x="18" y="{}" text-anchor="middle" transform="rotate(-90 18 {})">full-call accuracy (solid; band: 95% CI)</text>"#,
            top + ph / 2.0,
            top + ph / 2.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" transform="rotate(90 {} {})">tool-definition tokens (dashed)</text>"#,
            w - 18.0,
            top + ph / 2.0,
            w - 18.0,
            top + ph / 2.0
        );
        s
    }

    /// One line's 95% interval of full-call accuracy, as a shaded band under its curve.
    fn band(&self, points: &[&SweepPoint], color: &str) -> String {
        let bounds: Vec<(usize, f64, f64)> = points
            .iter()
            .filter_map(|p| {
                let (lo, hi) = p.full_call.as_ref()?.interval()?;
                Some((p.size, lo, hi))
            })
            .collect();
        if bounds.len() < 2 {
            return String::new();
        }
        let upper = bounds
            .iter()
            .map(|(x, _, hi)| format!("{:.1},{:.1}", self.x(*x), self.y_acc(*hi)));
        let lower = bounds
            .iter()
            .rev()
            .map(|(x, lo, _)| format!("{:.1},{:.1}", self.x(*x), self.y_acc(*lo)));
        let all: Vec<String> = upper.chain(lower).collect();
        format!(
            "<polygon class=\"band\" fill=\"{color}\" fill-opacity=\"0.15\" stroke=\"none\" points=\"{}\"/>\n",
            all.join(" ")
        )
    }

    /// One line's accuracy (solid) and tokens (dashed).
    fn curves(&self, points: &[&SweepPoint], color: &str) -> String {
        let acc: Vec<String> = points
            .iter()
            .filter_map(|p| {
                p.full_call
                    .and_then(|f| f.rate)
                    .map(|a| format!("{:.1},{:.1}", self.x(p.size), self.y_acc(a)))
            })
            .collect();
        let tok: Vec<String> = points
            .iter()
            .map(|p| format!("{:.1},{:.1}", self.x(p.size), self.y_tok(p.tool_tokens)))
            .collect();
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
            acc.join(" ")
        );
        let _ = writeln!(
            s,
            r#"<polyline fill="none" stroke="{color}" stroke-width="1.5" stroke-dasharray="5 4" points="{}"/>"#,
            tok.join(" ")
        );
        s
    }

    /// A dot per measured accuracy, with its numbers as data attributes and a tooltip.
    fn markers(&self, line: &str, points: &[&SweepPoint], color: &str) -> String {
        let mut s = String::new();
        for p in points {
            if let Some(a) = p.full_call.and_then(|f| f.rate) {
                let _ = writeln!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{color}" data-line="{}" data-size="{}" data-accuracy="{:.4}" data-tokens="{}"><title>{}: {} tools, {:.1}% full-call, {} tokens</title></circle>"#,
                    self.x(p.size),
                    self.y_acc(a),
                    esc(line),
                    p.size,
                    a,
                    p.tool_tokens,
                    esc(line),
                    p.size,
                    a * 100.0,
                    p.tool_tokens
                );
            }
        }
        s
    }

    /// The `i`-th line's entry in the legend, top left of the plot.
    fn legend_entry(&self, i: usize, line: &str, color: &str) -> String {
        let left = self.left;
        let ly = self.top + 14.0 + 16.0 * i as f64;
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<line x1="{}" y1="{ly:.1}" x2="{}" y2="{ly:.1}" stroke="{color}" stroke-width="2"/><text x="{}" y="{:.1}">{}</text>"#,
            left + 10.0,
            left + 30.0,
            left + 36.0,
            ly + 4.0,
            esc(line)
        );
        s
    }
}
