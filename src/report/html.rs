//! The HTML page: one self-contained, well-formed file (inline CSS and SVG,
//! no script, no external resource) that reads well on a desktop and on a
//! phone. Charts are SVG with a `viewBox`, so they scale to the width.

use crate::output::{Grid, html_escape as esc};
use rust_decimal::Decimal;

const CSS: &str = r#"
:root { color-scheme: light; --ink: #1d2733; --muted: #5b6673; --line: #d9dee4; --accent: #2f6db5; --accent2: #9cc1ea; --bg: #ffffff; }
* { box-sizing: border-box; }
body { margin: 0; padding: 1.5rem; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
main { max-width: 72rem; margin: 0 auto; }
h1 { font-size: 1.35rem; margin: 0 0 1rem; }
h2 { font-size: 1.1rem; margin: 2rem 0 .5rem; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; }
figure { margin: 0; flex: 1 1 24rem; max-width: 34rem; }
figcaption { font-weight: 600; margin-bottom: .4rem; }
svg { width: 100%; height: auto; display: block; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: var(--ink); }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #f3f5f8; font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.total td { font-weight: 700; background: #fafbfc; }
tbody tr:last-child td { border-bottom: 0; }
p.note { color: var(--muted); font-size: .9rem; margin: .4rem 0; }
@media (max-width: 40rem) {
  body { padding: .75rem; font-size: 14px; }
  th, td { padding: .3rem .4rem; }
  h1 { font-size: 1.15rem; }
}
"#;

/// The whole page.
pub fn page(title: &str, charts: &str, grids: &[Grid]) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\" />\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n");
    out.push_str(&format!("<title>{}</title>\n", esc(title)));
    out.push_str(&format!("<style>{CSS}</style>\n</head>\n<body>\n<main>\n"));
    out.push_str(&format!("<h1>{}</h1>\n", esc(title)));
    if !charts.is_empty() {
        out.push_str(&format!("<div class=\"charts\">\n{charts}</div>\n"));
    }
    for g in grids {
        out.push_str(&g.to_html());
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn f(v: f64) -> String {
    format!("{v:.1}")
}

/// A ratio as a float, for drawing only (figures are printed from exact values).
fn frac(v: Decimal, max: Decimal) -> f64 {
    if max <= Decimal::ZERO || v <= Decimal::ZERO {
        return 0.0;
    }
    let r = (v / max).round_dp(6);
    r.to_string().parse().unwrap_or(0.0)
}

/// The funnel: one centred band per stage, narrowing with the value; closed
/// stages are drawn apart, in a lighter colour. `rows`: (id, value, text).
pub fn funnel_svg(rows: &[(String, Decimal, String)], open: &[bool]) -> String {
    const W: f64 = 400.0;
    const ROW: f64 = 46.0;
    const BAND: f64 = 20.0;
    let max = rows.iter().map(|r| r.1).max().unwrap_or_default();
    let gap = if open.iter().any(|o| !o) { 14.0 } else { 0.0 };
    let h = ROW * rows.len() as f64 + gap + 4.0;
    let mut out = format!(
        "<figure><figcaption>Funnel</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {}\" role=\"img\" aria-label=\"Funnel\">\n",
        f(h)
    );
    let mut y = 2.0;
    let mut was_open = true;
    for (i, (id, v, text)) in rows.iter().enumerate() {
        let is_open = open.get(i).copied().unwrap_or(true);
        if was_open && !is_open {
            y += gap;
        }
        was_open = is_open;
        let w = (W - 8.0) * frac(*v, max);
        let w = if *v > Decimal::ZERO { w.max(3.0) } else { 0.0 };
        // The next open band's width, so each band tapers like a funnel.
        let next = rows
            .get(i + 1)
            .filter(|_| open.get(i + 1).copied().unwrap_or(true) && is_open)
            .map(|n| (W - 8.0) * frac(n.1, max))
            .unwrap_or(w)
            .min(w);
        let (x0, x1) = ((W - w) / 2.0, (W + w) / 2.0);
        let (b0, b1) = ((W - next) / 2.0, (W + next) / 2.0);
        let top = y + 18.0;
        let fill = if is_open { "#2f6db5" } else { "#9cc1ea" };
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\">{}</text>\n",
            f(W / 2.0),
            f(y + 13.0),
            esc(text)
        ));
        if w > 0.0 {
            out.push_str(&format!(
                "<polygon data-stage=\"{}\" points=\"{},{} {},{} {},{} {},{}\" fill=\"{fill}\" />\n",
                esc(id),
                f(x0),
                f(top),
                f(x1),
                f(top),
                f(b1.max(x0 + (x1 - x0) * 0.5 + 1.5)),
                f(top + BAND),
                f(b0.min(x0 + (x1 - x0) * 0.5 - 1.5)),
                f(top + BAND)
            ));
        } else {
            out.push_str(&format!(
                "<line data-stage=\"{}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#d9dee4\" />\n",
                esc(id),
                f(W / 2.0 - 20.0),
                f(top + BAND / 2.0),
                f(W / 2.0 + 20.0),
                f(top + BAND / 2.0)
            ));
        }
        y += ROW;
    }
    out.push_str("</svg></figure>\n");
    out
}

/// One horizontal bar: `value` drawn full, `inner` (such as the weighted part) over it.
pub struct Bar {
    pub label: String,
    pub value: Decimal,
    pub inner: Decimal,
    pub text: String,
}

/// Horizontal bars, each with its label and figures above it.
pub fn bars_svg(caption: &str, bars: &[Bar]) -> String {
    const W: f64 = 400.0;
    const ROW: f64 = 50.0;
    let max = bars
        .iter()
        .map(|b| b.value.max(b.inner))
        .max()
        .unwrap_or_default();
    let h = ROW * bars.len() as f64 + 4.0;
    let mut out = format!(
        "<figure><figcaption>{}</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {}\" role=\"img\" aria-label=\"{}\">\n",
        esc(caption),
        f(h),
        esc(caption)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 2.0 + ROW * i as f64;
        out.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"12\" font-weight=\"600\">{}</text>\n",
            f(y + 12.0),
            esc(&b.label)
        ));
        out.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"11\" fill=\"#5b6673\">{}</text>\n",
            f(y + 26.0),
            esc(&b.text)
        ));
        let bar_y = f(y + 31.0);
        out.push_str(&format!(
            "<rect x=\"0\" y=\"{bar_y}\" width=\"{}\" height=\"12\" rx=\"2\" fill=\"#f3f5f8\" />\n",
            f(W)
        ));
        let w = W * frac(b.value, max);
        if w > 0.0 {
            out.push_str(&format!(
                "<rect x=\"0\" y=\"{bar_y}\" width=\"{}\" height=\"12\" rx=\"2\" fill=\"#9cc1ea\" />\n",
                f(w.max(2.0))
            ));
        }
        let wi = W * frac(b.inner, max);
        if wi > 0.0 {
            out.push_str(&format!(
                "<rect x=\"0\" y=\"{bar_y}\" width=\"{}\" height=\"12\" rx=\"2\" fill=\"#2f6db5\" />\n",
                f(wi.max(2.0))
            ));
        }
    }
    out.push_str("</svg></figure>\n");
    out
}
