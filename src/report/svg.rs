//! The sweep as a standalone SVG chart: full-call and selection accuracy, and tool tokens,
//! against the number of tools offered.

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

/// A standalone SVG in two panels over one axis of tool counts (log scale): above, full-call
/// (solid, circles, with its 95% interval as a whisker at each point) and selection accuracy
/// (dotted, squares) on an axis scaled to the data with round ticks; below, the tool-definition
/// tokens a request carries. One color per line; the whiskers of the lines sit side by side.
pub(crate) fn render_sweep_svg(r: &SweepReport) -> String {
    let mut sizes: Vec<usize> = r.points.iter().map(|p| p.size).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let lines = lines(r);
    let plot = Plot::new(r, &sizes);
    let mut s = plot.frame(r);
    s.push_str(&plot.axes(&sizes));
    for (i, line) in lines.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let points: Vec<&SweepPoint> = r.points.iter().filter(|p| p.line == *line).collect();
        // Side by side: each line's whiskers a few pixels apart, centred on the size.
        let shift = (i as f64 - (lines.len() as f64 - 1.0) / 2.0) * 5.0;
        s.push_str(&plot.whiskers(&points, color, shift));
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

/// Round ticks covering `lo..=hi`: steps of 1, 2 or 5 times a power of ten, about `n` of them.
fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let span = (hi - lo).max(f64::EPSILON);
    let raw = span / n.max(1) as f64;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power);
    let first = (lo / step).floor() * step;
    // Up to the first tick at or above `hi`, each tick a whole number of steps.
    let last = (hi / step - 1e-9).ceil() as i64;
    let first = (first / step).round() as i64;
    (first..=last.max(first)).map(|k| k as f64 * step).collect()
}

/// The chart's geometry: the canvas, the two panels inside its margins, and the scales.
struct Plot {
    w: f64,
    h: f64,
    left: f64,
    /// The plot area's width; the accuracy panel's top and height; the token panel's.
    pw: f64,
    acc_top: f64,
    acc_h: f64,
    tok_top: f64,
    tok_h: f64,
    /// The smallest and largest tool-set sizes.
    min: f64,
    max: f64,
    /// The accuracy axis's ticks (fractions) and the token axis's.
    acc_ticks: Vec<f64>,
    tok_ticks: Vec<f64>,
}

impl Plot {
    fn new(r: &SweepReport, sizes: &[usize]) -> Plot {
        let (w, h) = (760.0_f64, 560.0_f64);
        let (left, right) = (70.0, 30.0);
        // The accuracy axis covers every rate and interval shown, in round steps within 0-100%.
        let mut values: Vec<f64> = Vec::new();
        for p in &r.points {
            for rate in [p.full_call, p.selection].into_iter().flatten() {
                values.extend(rate.rate);
            }
            if let Some((lo, hi)) = p.full_call.as_ref().and_then(|f| f.interval()) {
                values.extend([lo, hi]);
            }
        }
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let acc_ticks: Vec<f64> = nice_ticks(lo, hi.max(lo + 0.05), 5)
            .into_iter()
            .filter(|t| (-1e-9..=1.0 + 1e-9).contains(t))
            .collect();
        let max_tokens = r
            .points
            .iter()
            .map(|p| p.tool_tokens)
            .max()
            .unwrap_or(1)
            .max(1);
        let tok_ticks = nice_ticks(0.0, max_tokens as f64, 3);
        Plot {
            w,
            h,
            left,
            pw: w - left - right,
            acc_top: 84.0,
            acc_h: 250.0,
            tok_top: 366.0,
            tok_h: 114.0,
            min: *sizes.first().unwrap_or(&1) as f64,
            max: *sizes.last().unwrap_or(&1) as f64,
            acc_ticks,
            tok_ticks,
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
        let (lo, hi) = (
            *self.acc_ticks.first().unwrap_or(&0.0),
            *self.acc_ticks.last().unwrap_or(&1.0),
        );
        let span = (hi - lo).max(f64::EPSILON);
        self.acc_top + self.acc_h * (1.0 - ((a - lo) / span).clamp(0.0, 1.0))
    }

    fn y_tok(&self, t: f64) -> f64 {
        let top = self.tok_ticks.last().copied().unwrap_or(1.0).max(1.0);
        self.tok_top + self.tok_h * (1.0 - t / top)
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
            r#"<text x="{}" y="24" text-anchor="middle" font-size="15">Tool-selection sweep: {}{} ({} trial(s) per task)</text>"#,
            w / 2.0,
            esc(&r.model.name),
            r.host
                .as_deref()
                .map(|h| format!(" under host {}", esc(h)))
                .unwrap_or_default(),
            r.eval.trials
        );
        s
    }

    /// Both panels' frames and grids with their round ticks, the sizes below, the titles.
    fn axes(&self, sizes: &[usize]) -> String {
        let (left, pw) = (self.left, self.pw);
        let right = left + pw;
        let mut s = String::new();
        for (top, h) in [(self.acc_top, self.acc_h), (self.tok_top, self.tok_h)] {
            let _ = writeln!(
                s,
                r##"<rect x="{left}" y="{top}" width="{pw}" height="{h}" fill="none" stroke="#999"/>"##
            );
        }
        for &a in &self.acc_ticks {
            let y = self.y_acc(a);
            let _ = writeln!(
                s,
                r##"<line x1="{left}" y1="{y:.1}" x2="{right}" y2="{y:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end">{:.0}%</text>"##,
                left - 6.0,
                y + 4.0,
                a * 100.0
            );
        }
        for &t in &self.tok_ticks {
            let y = self.y_tok(t);
            let _ = writeln!(
                s,
                r##"<line x1="{left}" y1="{y:.1}" x2="{right}" y2="{y:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end">{t:.0}</text>"##,
                left - 6.0,
                y + 4.0
            );
        }
        let bottom = self.tok_top + self.tok_h;
        for size in sizes {
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{}" text-anchor="middle">{size}</text>"#,
                self.x(*size),
                bottom + 18.0
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">tools offered (log scale)</text>"#,
            left + pw / 2.0,
            bottom + 40.0
        );
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#555">solid, dots: full call, its 95% interval as whiskers · dotted, squares: selection · below: tool tokens per request</text>"##,
            left + pw / 2.0,
            self.acc_top - 10.0
        );
        for (top, h, title) in [
            (self.acc_top, self.acc_h, "accuracy"),
            (self.tok_top, self.tok_h, "tool tokens"),
        ] {
            let mid = top + h / 2.0;
            let _ = writeln!(
                s,
                r#"<text x="18" y="{mid}" text-anchor="middle" transform="rotate(-90 18 {mid})">{title}</text>"#
            );
        }
        s
    }

    /// One line's 95% interval of full-call accuracy at each point, a whisker with caps.
    fn whiskers(&self, points: &[&SweepPoint], color: &str, shift: f64) -> String {
        let mut s = String::new();
        for p in points {
            let Some((lo, hi)) = p.full_call.as_ref().and_then(|f| f.interval()) else {
                continue;
            };
            let x = self.x(p.size) + shift;
            let (y1, y2) = (self.y_acc(hi), self.y_acc(lo));
            let _ = writeln!(
                s,
                r#"<path class="ci" d="M{x:.1},{y1:.1}V{y2:.1}M{:.1},{y1:.1}h6M{:.1},{y2:.1}h6" stroke="{color}" stroke-width="1.2" fill="none" opacity="0.8"/>"#,
                x - 3.0,
                x - 3.0
            );
        }
        s
    }

    /// One line's full-call (solid) and selection (dotted) accuracy, and its tokens.
    fn curves(&self, points: &[&SweepPoint], color: &str) -> String {
        let path = |rate: fn(&SweepPoint) -> Option<f64>| -> Vec<String> {
            points
                .iter()
                .filter_map(|p| {
                    rate(p).map(|a| format!("{:.1},{:.1}", self.x(p.size), self.y_acc(a)))
                })
                .collect()
        };
        let full = path(|p| p.full_call.and_then(|f| f.rate));
        let selection = path(|p| p.selection.and_then(|f| f.rate));
        let tok: Vec<String> = points
            .iter()
            .map(|p| {
                format!(
                    "{:.1},{:.1}",
                    self.x(p.size),
                    self.y_tok(p.tool_tokens as f64)
                )
            })
            .collect();
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
            full.join(" ")
        );
        let _ = writeln!(
            s,
            r#"<polyline class="selection" fill="none" stroke="{color}" stroke-width="1.5" stroke-dasharray="2 3" points="{}"/>"#,
            selection.join(" ")
        );
        let _ = writeln!(
            s,
            r#"<polyline class="tokens" fill="none" stroke="{color}" stroke-width="1.5" points="{}"/>"#,
            tok.join(" ")
        );
        // Where the host deferred the set, the tokens are its first request's: marked so.
        for p in points.iter().filter(|p| p.deferred) {
            let (x, y) = (self.x(p.size), self.y_tok(p.tool_tokens as f64));
            let _ = writeln!(
                s,
                r#"<circle class="deferred" cx="{x:.1}" cy="{y:.1}" r="4" fill="white" stroke="{color}" stroke-width="1.5"><title>{} tools deferred: the first request carries {} tokens of tool definitions</title></circle><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="{color}">deferred</text>"#,
                p.size,
                p.tool_tokens,
                y - 8.0
            );
        }
        s
    }

    /// A dot per measured full-call accuracy (a square per selection accuracy), with its numbers
    /// as data attributes and a tooltip.
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
            if let Some(a) = p.selection.and_then(|f| f.rate) {
                let _ = writeln!(
                    s,
                    r#"<rect x="{:.1}" y="{:.1}" width="6" height="6" fill="white" stroke="{color}" data-line="{}" data-size="{}" data-selection="{a:.4}"><title>{}: {} tools, {:.1}% selection</title></rect>"#,
                    self.x(p.size) - 3.0,
                    self.y_acc(a) - 3.0,
                    esc(line),
                    p.size,
                    esc(line),
                    p.size,
                    a * 100.0
                );
            }
        }
        s
    }

    /// The `i`-th line's entry in the legend: a row under the title, four to a row.
    fn legend_entry(&self, i: usize, line: &str, color: &str) -> String {
        let x = self.left + 160.0 * (i % 4) as f64;
        let ly = 44.0 + 14.0 * (i / 4) as f64;
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<line x1="{x}" y1="{ly:.1}" x2="{}" y2="{ly:.1}" stroke="{color}" stroke-width="2"/><text x="{}" y="{:.1}">{}</text>"#,
            x + 20.0,
            x + 26.0,
            ly + 4.0,
            esc(line)
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::nice_ticks;

    #[test]
    fn ticks_are_round_and_cover_the_data() {
        assert_eq!(nice_ticks(0.0, 19987.0, 3), [0.0, 10000.0, 20000.0]);
        assert_eq!(nice_ticks(0.0, 5320.0, 3), [0.0, 2000.0, 4000.0, 6000.0]);
        let acc = nice_ticks(0.08, 0.42, 5);
        assert_eq!(acc.first(), Some(&0.0));
        assert!(*acc.last().unwrap() >= 0.42 && acc.len() <= 7, "{acc:?}");
        for t in &acc {
            assert!((t * 10.0 - (t * 10.0).round()).abs() < 1e-9, "{t}");
        }
    }
}
