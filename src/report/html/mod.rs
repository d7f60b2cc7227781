//! Self-contained HTML pages of a run, a diff, a sweep and an improve loop: one file each, with
//! its CSS and its little JavaScript inline (filters and sorting only; everything reads with
//! JavaScript off), and a Content-Security-Policy that forbids fetching anything. Every text
//! that comes from a report goes through `esc`.

mod diff;
mod improve;
mod matrix;
mod run;
mod sweep;

use std::fmt::Write as _;

pub(crate) use diff::render_diff_html;
pub(crate) use improve::render_improve_html;
pub(crate) use matrix::render_matrix_html;
pub(crate) use run::{PageGate, render_run_html, render_run_html_gated};
pub(crate) use sweep::render_sweep_html;

use crate::record::Outcome;
use crate::score::Rate;

/// Text for HTML element content and quoted attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Terminal text for the page: escaped, and each `name` in backticks set as code.
pub(crate) fn esc_ticks(text: &str) -> String {
    text.split('`')
        .enumerate()
        .map(|(i, part)| match i % 2 {
            1 => format!("<code>{}</code>", esc(part)),
            _ => esc(part),
        })
        .collect()
}

/// The page around `body`: no request leaves it. Its policy allows inline styles, `data:`
/// images and the one script whose hash it names, so even a text that escaped `esc` could not
/// run one.
fn page(title: &str, body: &str) -> String {
    // A line per row, block and heading, so the source reads (and diffs) line by line; every
    // `</tag>` here is the page's own, since a text from the report has its `<` escaped.
    let mut body = body.to_owned();
    for tag in [
        "</tr>",
        "</details>",
        "</h2>",
        "</h3>",
        "</table>",
        "</div>",
        "</li>",
        "</header>",
        "</p>",
        "</pre>",
        "<tbody>",
    ] {
        body = body.replace(tag, &format!("{tag}\n"));
    }
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src '{}'; img-src data:\">\n<meta name=\"generator\" content=\"tooleval {}\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n<script>{JS}</script>\n</body>\n</html>\n",
        script_hash(),
        env!("CARGO_PKG_VERSION"),
        esc(title)
    )
}

/// `sha256-…` of the page's script, as a Content-Security-Policy names it.
fn script_hash() -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(JS.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

const CSS: &str = r#"
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--accent:#0072b2}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:24px 32px;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:8px 10px;white-space:pre-wrap;word-break:break-word;margin:4px 0}
.muted{color:var(--muted)}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0}
table{border-collapse:collapse;margin:6px 0}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td code{white-space:nowrap}
table.sortable th{cursor:pointer}table.sortable th:hover{text-decoration:underline}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.bar{position:relative;display:inline-block;width:220px;height:14px;background:#eef1f4;border-radius:3px;vertical-align:middle;margin-left:8px}
.bar .fill{position:absolute;left:0;top:0;bottom:0;background:var(--accent);border-radius:3px 0 0 3px;opacity:.85}
.bar .ci{position:absolute;top:6px;height:2px;background:#000}
.bar .ci::before,.bar .ci::after{content:"";position:absolute;top:-4px;width:1px;height:10px;background:#000}
.bar .ci::before{left:0}.bar .ci::after{right:0}
.o{display:inline-block;min-width:20px;height:20px;line-height:20px;text-align:center;font-weight:700;font-size:12px;border-radius:3px;margin:1px;color:#fff}
.o-pass{background:#009e73}.o-bad_args{background:#f0e442;color:#000}.o-invalid_args{background:#cc79a7}
.o-wrong_tool{background:#d55e00}.o-no_call{background:#e69f00;color:#000}.o-unexpected_call{background:#0072b2}
.o-wrong_answer{background:#56b4e9;color:#000}.o-turn_limit{background:#000}.o-looped{background:#4d4d4d}.o-stopped{background:#8c8c8c}
.o-invented_argument{background:#882255}
.user-says{background:var(--soft);border-left:3px solid var(--accent);padding:2px 8px;margin:6px 0}
.o-error{background:repeating-linear-gradient(45deg,#bbb,#bbb 3px,#eee 3px,#eee 6px);color:#000}
.rate{display:inline-block;min-width:250px}
figure{margin:8px 0}figure svg{width:100%;height:auto;max-width:1400px;display:block}
.legend span{margin-right:12px;white-space:nowrap}
.grid td{padding:1px 6px}.grid td.cells{white-space:nowrap}.grid td.why{color:var(--muted);font-size:12.5px}
nav{margin:4px 0 0}nav a{color:var(--accent)}
details{border:1px solid var(--line);border-radius:6px;margin:4px 0;padding:4px 10px}
/* A thousand tasks' details: the browser lays out only those on screen. */
body>details{content-visibility:auto;contain-intrinsic-size:auto 34px}
details>summary{cursor:pointer}details[open]>summary{margin-bottom:6px}
details details{margin-left:8px}
.trial{border-top:1px dashed var(--line);padding:6px 0}
.filters{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin:8px 0}
.filters label{margin-right:14px}
.heat td{text-align:center;min-width:34px}
.heat th.rot{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-weight:500}
del{background:#ffebe9;color:#82071e;text-decoration:line-through}ins{background:#dafbe1;color:#116329;text-decoration:none}
.verdict{font-weight:600}.warn{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:6px 10px;margin:6px 0}
tr.disagree>td:first-child{box-shadow:inset 3px 0 0 #d4a72c}
.kept{color:#116329;font-weight:600}.rejected{color:#82071e;font-weight:600}
svg{max-width:100%;height:auto}
"#;

/// Filters (by outcome, tag, suite and split; the state also read from the URL's hash, e.g.
/// `#outcome=wrong_tool`) and sortable tables. Without it, every row shows.
const JS: &str = r#"
(function(){
var bar=document.getElementById('filters');
if(bar){bar.hidden=false;
var sel=bar.querySelectorAll('select');
function apply(keep){var want={};sel.forEach(function(s){if(s.value)want[s.name]=s.value});
var n=0,shown=0;document.querySelectorAll('[data-task]').forEach(function(el){var ok=true;
for(var k in want){var v=(el.getAttribute('data-'+k)||'').split(' ');if(v.indexOf(want[k])<0){ok=false;break}}
el.hidden=!ok;if(el.tagName==='TR'){n++;if(ok)shown++}});
var c=document.getElementById('shown');if(c)c.textContent=shown+' of '+n+' tasks shown';
if(keep)return;var h=[];for(var k in want)h.push(k+'='+encodeURIComponent(want[k]));
if(history.replaceState)history.replaceState(null,'',h.length?'#'+h.join('&'):location.pathname+location.search);}
location.hash.slice(1).split('&').forEach(function(p){var kv=p.split('=');var v;try{v=decodeURIComponent(kv[1]||'')}catch(e){return}
sel.forEach(function(s){if(s.name===kv[0])s.value=v})});
sel.forEach(function(s){s.addEventListener('change',function(){apply(false)})});apply(true);}
function key(r,i){var x=((r.cells[i]||{}).textContent||'').trim();var m=/^[-+]?[0-9]+(\.[0-9]+)?/.exec(x);
return m?[0,parseFloat(m[0]),'']:[x===''||x==='n/a'?2:1,0,x.toLowerCase()]}
function cmp(a,b){for(var j=0;j<3;j++){if(a[j]<b[j])return -1;if(a[j]>b[j])return 1}return 0}
document.querySelectorAll('table.sortable').forEach(function(t){t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows),asc=th.getAttribute('data-dir')!=='asc';
t.querySelectorAll('th').forEach(function(o){o.removeAttribute('data-dir')});th.setAttribute('data-dir',asc?'asc':'desc');
rows.sort(function(a,b){var x=key(a,i),y=key(b,i);if(x[0]!==y[0])return x[0]-y[0];return cmp(x,y)*(asc?1:-1)});
rows.forEach(function(r){body.appendChild(r)})})})});
})();
"#;

/// The letter shown in an outcome's cell.
fn letter(o: Outcome) -> char {
    match o {
        Outcome::Pass => 'P',
        Outcome::BadArgs => 'A',
        Outcome::InvalidArgs => 'J',
        Outcome::WrongTool => 'W',
        Outcome::NoCall => 'N',
        Outcome::UnexpectedCall => 'U',
        Outcome::WrongAnswer => 'R',
        Outcome::TurnLimit => 'T',
        Outcome::Looped => 'L',
        Outcome::Stopped => 'S',
        Outcome::InventedArgument => 'I',
        Outcome::Error => 'E',
    }
}

/// An outcome as a coloured cell with its letter; `title` is shown on hover.
fn outcome_cell(o: Outcome, title: &str) -> String {
    format!(
        "<span class=\"o o-{}\" title=\"{}\">{}</span>",
        o.as_str(),
        esc(title),
        letter(o)
    )
}

/// The legend of outcome cells, with counts where given.
fn legend(counts: &[(Outcome, usize)]) -> String {
    let mut s = String::from("<p class=\"legend\">");
    for (o, n) in counts {
        let _ = write!(
            s,
            "<span>{} {} ({n})</span>",
            outcome_cell(*o, o.as_str()),
            o.as_str().replace('_', " ")
        );
    }
    s.push_str("</p>");
    s
}

/// `72.5% [61.2, 81.6]`, and a bar with the interval as a whisker.
fn rate_bar(r: &Option<Rate>) -> String {
    let Some(rate) = r else {
        return "n/a".into();
    };
    let (Some(x), Some((lo, hi))) = (rate.rate, rate.interval()) else {
        return "n/a".into();
    };
    format!(
        "<span class=\"rate\"><span class=\"mono\">{}</span> <span class=\"muted\">({}/{})</span></span><span class=\"bar\" role=\"img\" aria-label=\"{}\"><span class=\"fill\" style=\"width:{:.1}%\"></span><span class=\"ci\" style=\"left:{:.1}%;width:{:.1}%\"></span></span>",
        esc(&rate.display()),
        rate.successes,
        rate.n,
        esc(&rate.display()),
        x * 100.0,
        lo * 100.0,
        (hi - lo) * 100.0
    )
}

/// A percentage, or `n/a`.
fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |v| format!("{:.1}%", v * 100.0))
}

/// A word diff with deletions and insertions marked, the spaces around each run kept.
pub(crate) fn word_diff(changes: &[super::WordChange]) -> String {
    const MARKS: super::text::WordMarks = super::text::WordMarks {
        delete: ("<del>", "</del>"),
        insert: ("<ins>", "</ins>"),
        space_between: true,
        escape: esc,
    };
    super::text::word_diff_text(changes, &MARKS)
}

/// `text` with its first letter upper case.
fn capitalized(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A value's name as it is written in reports (`executed`, `turn_limit`).
fn written<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A JSON text pretty-printed when it parses, as it is otherwise.
fn pretty_json(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}

/// The page's header: a title and a list of facts.
fn header(title: &str, facts: &[(&str, String)]) -> String {
    let mut s = format!("<header><h1>{}</h1><dl class=\"meta\">", esc(title));
    for (k, v) in facts {
        let _ = write!(s, "<dt>{}</dt><dd>{v}</dd>", esc(k));
    }
    s.push_str("</dl></header>");
    s
}

/// A model as the pages name it: its name and kind, where it is served, what it is, and the
/// parameters that change its answers.
fn model_fact(m: &crate::record::ModelInfo) -> String {
    let mut s = format!("<code>{}</code> ({})", esc(&m.name), esc(&m.kind));
    if let Some(u) = &m.base_url {
        let _ = write!(s, " at <code>{}</code>", esc(u));
    }
    if let Some(n) = &m.note {
        let _ = write!(s, " <span class=\"muted\">{}</span>", esc(n));
    }
    if !m.parameters.is_empty() {
        let params: Vec<String> = m
            .parameters
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let _ = write!(s, " <span class=\"mono\">{}</span>", esc(&params.join(" ")));
    }
    s
}

#[cfg(test)]
mod tick_tests {
    #[test]
    fn backticks_become_code_and_the_rest_is_escaped() {
        assert_eq!(
            super::esc_ticks("judge `gpt-4o` <x> & `a<b`"),
            "judge <code>gpt-4o</code> &lt;x&gt; &amp; <code>a&lt;b</code>"
        );
        assert_eq!(super::esc_ticks("no ticks"), "no ticks");
    }
}
