//! The status page `/`: the [`StatusView`] as one server-rendered HTML document, no template
//! engine (STYLE.md C6). Every value from a cloud or the config is HTML-escaped. It reloads
//! itself every [`REFRESH_SECS`] seconds.

use std::fmt::Write;

use crate::history::Day;
use crate::status::{ActiveView, Health, PairView, StatusView, TargetView, ago, human};

/// Seconds between the page's own reloads.
pub(crate) const REFRESH_SECS: u32 = 30;

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#1f2328}\
td,th{border:1px solid #d0d7de;padding:4px 8px;vertical-align:top;text-align:left}\
table{border-collapse:collapse;margin-bottom:2em}\
.ok{color:#1a7f37}.warn{color:#9a6700}.bad{color:#cf222e}.none,.wait{color:#6e7781}\
tr.pair{color:inherit}tr.pair.bad td:first-child{box-shadow:inset 4px 0 #cf222e}\
tr.pair.warn td:first-child{box-shadow:inset 4px 0 #d4a72c}\
.problem{padding:6px 10px;border-left:4px solid;margin:4px 0}\
.problem.bad{background:#ffebe9}.problem.warn{background:#fff8c5}\
.msg{font-size:90%;white-space:pre-wrap}.src{color:#6e7781;font-size:85%}\
.strip{white-space:nowrap}.d{display:inline-block;width:9px;height:14px;margin-right:1px;background:#eaeef2}\
.d.ok{background:#2da44e}.d.bad{background:#cf222e}.d.other{background:#8c959f}";

/// Escapes text for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
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

/// Renders the page; `metrics_path` is linked.
pub(crate) fn render(v: &StatusView, metrics_path: &str) -> String {
    let mut h = String::with_capacity(8192);
    let _ = write!(
        h,
        "<!doctype html><html><head><meta charset=utf-8><meta http-equiv=refresh content={REFRESH_SECS}>\
<title>cloud-task-exporter</title><style>{STYLE}</style></head><body>\
<h1>cloud-task-exporter</h1><p><a href=\"{m}\">Metrics</a> · <a href=\"/api/v1/targets\">Targets (JSON)</a> · \
<a href=\"/-/healthy\">Health</a> · <a href=\"/-/ready\">Readiness</a> · Version {ver}</p>\n<section id=problems>",
        m = esc(metrics_path),
        ver = crate::metrics::VERSION,
    );
    if v.problems.is_empty() {
        h.push_str("<p class=ok>No problems with polling, configuration or the state file.</p>");
    }
    for p in &v.problems {
        let _ = write!(
            h,
            "<p class=\"problem {}\">{}</p>",
            p.health.as_str(),
            esc(&p.text)
        );
    }
    h.push_str("</section>\n<h2>Targets</h2><table id=targets><tr><th>Target</th><th>Provider</th><th>Last poll</th><th>Error</th></tr>\n");
    for t in &v.targets {
        target_row(&mut h, t, v.now);
    }
    h.push_str("</table>\n<h2>Tasks by resource and type</h2><table id=pairs><tr><th>Target</th><th>Resource</th><th>Type</th>\
<th>Last result</th><th>Last success</th><th>Rhythm</th><th>Active</th><th>Last 14 days (UTC)</th></tr>\n");
    for t in &v.targets {
        for p in &t.pairs {
            pair_row(&mut h, &t.name, p, v.now);
        }
    }
    h.push_str("</table></body></html>\n");
    h
}

fn target_row(h: &mut String, t: &TargetView, now: f64) {
    let name = esc(&t.name);
    if !t.polled {
        let _ = writeln!(
            h,
            "<tr><td>{name}</td><td>{}</td><td class=wait>waiting for first poll</td><td></td></tr>",
            t.provider.unwrap_or("")
        );
        return;
    }
    let (class, state) = if t.up { ("ok", "up") } else { ("bad", "down") };
    let last = t.last_poll.map(|p| ago(now, p)).unwrap_or_default();
    let err = t
        .error
        .as_ref()
        .map(|(reason, msg)| format!("{reason}: {}", esc(msg)))
        .unwrap_or_default();
    let _ = writeln!(
        h,
        "<tr><td>{name}</td><td>{}</td><td class={class}>{state}, last poll {last}</td><td class=bad>{err}</td></tr>",
        t.provider.unwrap_or("")
    );
}

fn pair_row(h: &mut String, target: &str, p: &PairView, now: f64) {
    let resource = match &p.resource_name {
        Some(n) if !n.is_empty() => {
            format!("{} <span class=src>{}</span>", esc(n), esc(&p.resource))
        }
        _ => esc(&p.resource),
    };
    let _ = write!(
        h,
        "<tr class=\"pair {}\" data-target=\"{}\" data-resource=\"{}\" data-type=\"{}\"><td>{}</td><td>{resource}</td><td>{}</td>",
        p.health.as_str(),
        esc(target),
        esc(&p.resource),
        esc(&p.task_type),
        esc(target),
        esc(&p.task_type),
    );
    // Last result, with the API's message for a failure.
    match &p.last {
        Some(l) => {
            let dur = l
                .duration_seconds
                .map(|d| format!(" after {}", human(d as u64)))
                .unwrap_or_default();
            let _ = write!(
                h,
                "<td class=\"result {}\">{} {}{dur} <span class=src>task {}</span>",
                p.last_health.as_str(),
                l.result,
                ago(now, l.at),
                esc(&l.task_id)
            );
            if let Some(m) = &l.message {
                let _ = write!(h, "<div class=msg>{}</div>", esc(m));
            }
            h.push_str("</td>");
        }
        None => h.push_str("<td class=\"result none\">none seen</td>"),
    }
    // Time since the last success, coloured against the rhythm.
    let age = p
        .last_success
        .map(|t| ago(now, t))
        .unwrap_or_else(|| "never".to_string());
    let _ = write!(h, "<td class=\"age {}\">{age}</td>", p.age_health.as_str());
    let _ = write!(h, "<td>");
    if let (Some(i), Some(src)) = (p.expected_interval_seconds, p.expected_interval_source) {
        let _ = write!(
            h,
            "every {} <span class=src>({src})</span><br>",
            human(i as u64)
        );
    }
    if let Some(d) = p.expected_duration_seconds {
        let _ = write!(
            h,
            "<span class=src>usually takes {}</span>",
            human(d as u64)
        );
    }
    h.push_str("</td><td>");
    for a in &p.active {
        active(h, a, p.active_limit_seconds);
    }
    h.push_str("</td><td class=strip>");
    for d in &p.days {
        day(h, d);
    }
    h.push_str("</td></tr>\n");
}

fn active(h: &mut String, a: &ActiveView, limit: Option<f64>) {
    let class = if a.stuck { "bad" } else { "none" };
    let progress = a
        .progress
        .map(|p| format!(" {:.0}%", p * 100.0))
        .unwrap_or_default();
    let age = a
        .age_seconds
        .map(|s| format!(" for {}", human(s as u64)))
        .unwrap_or_default();
    let limit = limit
        .map(|l| format!(" (limit {})", human(l as u64)))
        .unwrap_or_default();
    let stuck = if a.stuck { " stuck" } else { "" };
    let _ = write!(
        h,
        "<div class=\"active {class}\">{}{progress}{age}{limit}{stuck} <span class=src>task {}</span></div>",
        a.state,
        esc(&a.task_id)
    );
}

fn day(h: &mut String, d: &Day) {
    let class = if d.bad > 0 {
        Health::Bad.as_str()
    } else if d.ok > 0 {
        Health::Ok.as_str()
    } else if d.other > 0 {
        "other"
    } else {
        "empty"
    };
    let date = jiff::Timestamp::from_second(i64::from(d.day) * 86_400)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let _ = write!(
        h,
        "<span class=\"d {class}\" title=\"{date}: {} ok, {} failed, {} other\"></span>",
        d.ok, d.bad, d.other
    );
}
