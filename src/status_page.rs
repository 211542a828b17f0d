//! The status page `/`: the [`StatusView`] as one server-rendered HTML document, no template
//! engine and no script (STYLE.md C6): the headline, the problems with their next steps, the
//! targets, then every (resource, type) ordered by severity, with a legend of the strip. Every
//! value from a cloud or the config is HTML-escaped. It reloads itself every [`REFRESH_SECS`]
//! seconds and reflows to one card per row at a phone's width. Also the runbook
//! (`docs/alerts.md`) at [`RUNBOOK_PATH`], which the problems link to.

use std::fmt::Write;

use crate::history::Day;
use crate::status::{
    ActiveView, Health, Kind, PairState, PairView, Problem, StatusView, TargetView, at, human,
    row_order,
};

/// Seconds between the page's own reloads.
pub(crate) const REFRESH_SECS: u32 = 30;

/// The runbook, served at [`RUNBOOK_PATH`] so every problem's "what to do" link works from
/// the exporter itself.
const ALERTS_MD: &str = include_str!("../docs/alerts.md");
/// Where the runbook (`docs/alerts.md`) is served.
pub(crate) const RUNBOOK_PATH: &str = "/docs/alerts";

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#1f2328}\
td,th{border:1px solid #d0d7de;padding:4px 8px;vertical-align:top;text-align:left}\
table{border-collapse:collapse;margin-bottom:2em}\
td,p,code,div{overflow-wrap:break-word}\
.ok{color:#1a7f37}.warn{color:#9a6700}.bad{color:#cf222e}.none,.wait{color:#6e7781}.run{color:#0969da}\
tr.pair{color:inherit}tr.pair.bad td:first-child{box-shadow:inset 4px 0 #cf222e}\
tr.pair.warn td:first-child{box-shadow:inset 4px 0 #d4a72c}\
tr.pair.run td:first-child{box-shadow:inset 4px 0 #0969da}\
#headline{font-size:120%;font-weight:bold;padding:8px 12px;border-left:6px solid}\
#headline.bad{background:#ffebe9}#headline.ok{background:#dafbe1}\
.problem{padding:6px 10px;border-left:4px solid;margin:4px 0}\
.problem p{margin:2px 0}.next{color:#1f2328;font-size:90%}\
.problem.bad{background:#ffebe9}.problem.warn{background:#fff8c5}\
.msg{font-size:90%;white-space:pre-wrap}.src,.note{color:#6e7781;font-size:85%}.note{white-space:normal}\
.strip{white-space:nowrap}.d{display:inline-block;width:9px;height:14px;margin-right:1px;background:#eaeef2}\
.d.ok{background:#2da44e}.d.bad{background:#cf222e}.d.other{background:#8c959f}\
@media (max-width:760px){body{margin:0.5em}table,tbody,tr,td{display:block}tr.head{display:none}\
tr{border:1px solid #d0d7de;margin-bottom:8px}td{border:none;padding:2px 6px}\
td::before{font-weight:bold;color:#6e7781}\
#pairs td:nth-child(2)::before{content:'Target: '}#pairs td:nth-child(5)::before{content:'Last result: '}\
#pairs td:nth-child(6)::before{content:'Last success: '}#pairs td:nth-child(7)::before{content:'Rhythm, schedule: '}\
#pairs td:nth-child(8):not(:empty)::before{content:'Active: '}#pairs td:nth-child(9)::before{content:'14 days: '}}";

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

fn head(h: &mut String, title: &str, refresh: bool) {
    let refresh = if refresh {
        format!("<meta http-equiv=refresh content={REFRESH_SECS}>")
    } else {
        String::new()
    };
    let _ = write!(
        h,
        "<!doctype html><html lang=en><head><meta charset=utf-8>\
<meta name=viewport content=\"width=device-width,initial-scale=1\">{refresh}\
<title>{title}</title><style>{STYLE}</style></head><body>"
    );
}

/// Renders the page; `metrics_path` is linked.
pub(crate) fn render(v: &StatusView, metrics_path: &str) -> String {
    let mut h = String::with_capacity(16_384);
    head(&mut h, "cloud-task-exporter", true);
    let _ = write!(
        h,
        "<h1>cloud-task-exporter</h1><p><a href=\"{m}\">Metrics</a> · <a href=\"/api/v1/targets\">Targets (JSON)</a> · \
<a href=\"{RUNBOOK_PATH}\">Runbook</a> · <a href=\"/-/healthy\">Health</a> · <a href=\"/-/ready\">Readiness</a> · Version {ver}</p>",
        m = esc(metrics_path),
        ver = crate::metrics::VERSION,
    );
    let class = if v.attention.count == 0 { "ok" } else { "bad" };
    let _ = write!(
        h,
        "<p id=headline class={class}>{}</p><p class=src>As of {}; this page reloads every {REFRESH_SECS}s.</p>\n<section id=problems>",
        esc(&v.attention.text),
        at(v.now, v.now),
    );
    for p in &v.problems {
        problem(&mut h, p, v.now);
    }
    h.push_str("</section>\n<h2>Targets</h2><table id=targets><tr class=head><th>Target</th><th>Provider</th><th>Last poll</th><th>Error</th></tr>\n");
    for t in &v.targets {
        target_row(&mut h, t, v.now);
    }
    h.push_str("</table>\n<h2>Tasks by resource and type</h2>");
    h.push_str(LEGEND);
    h.push_str("<table id=pairs><tr class=head><th>State</th><th>Target</th><th>Resource</th><th>Type</th>\
<th>Last result</th><th>Last success</th><th>Rhythm, schedule</th><th>Active</th><th>Last 14 days (UTC)</th></tr>\n");
    let mut rows: Vec<(&str, &PairView)> = v
        .targets
        .iter()
        .flat_map(|t| t.pairs.iter().map(|p| (t.name.as_str(), p)))
        .collect();
    rows.sort_by(|a, b| row_order(*a, *b));
    for (t, p) in rows {
        pair_row(&mut h, t, p, v.now);
    }
    h.push_str("</table></body></html>\n");
    h
}

/// What the strip's colours and the row states mean.
const LEGEND: &str = "<p id=legend class=src>Last 14 days, one box per UTC day: \
<span class=\"d ok\"></span> a run succeeded (none failed) · \
<span class=\"d bad\"></span> a run failed or timed out (even if another succeeded) · \
<span class=\"d other\"></span> only cancelled, skipped or unknown results · \
<span class=d></span> no run ended. Hover a box for its counts. \
States: <span class=bad>failed</span>, <span class=bad>missed its scheduled run</span> (a run of \
its backup policy became due and no success ended within max(2 × its usual duration, 1h)), \
<span class=bad>overdue</span> (no success for the expected interval plus its grace: the alert \
fires), <span class=warn>late</span> (past the expected interval, within the grace), \
<span class=warn>not scheduled</span> (no enabled backup policy covers it), \
<span class=bad>stuck</span> (active past its limit), <span class=run>in progress</span> \
(late by the clock, but a run is active within its limit). Where a policy covers a resource, \
its schedule decides, not the rhythm.</p>\n";

fn problem(h: &mut String, p: &Problem, now: f64) {
    let _ = write!(
        h,
        "<div class=\"problem {}\" data-kind=\"{}\"><p>{}</p><p class=next>Next step: ",
        p.health.as_str(),
        kind_str(p.kind),
        esc(&p.text),
    );
    match p.next.alert {
        Some(a) => {
            let when = p
                .next
                .alert_at
                .map(|t| format!(" (fires at {})", at(now, t)))
                .unwrap_or_default();
            let _ = write!(h, "alert <code class=alert>{a}</code>{when}");
        }
        None => h.push_str("no alert rule covers it"),
    }
    let anchor = p.kind.anchor();
    let _ = write!(
        h,
        " · log: <code class=log>{}</code> · <a class=doc href=\"{RUNBOOK_PATH}#{a}\">runbook: {}</a></p></div>",
        esc(&p.next.log),
        esc(&p.next.doc),
        a = esc(anchor),
    );
}

fn kind_str(k: Kind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
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
    let last = t.last_poll.map(|p| at(now, p)).unwrap_or_default();
    let good = match (t.up, t.last_success) {
        (false, Some(s)) => format!("; last good poll {}", at(now, s)),
        (false, None) => "; no poll has succeeded yet".to_string(),
        (true, _) => String::new(),
    };
    let err = t
        .error
        .as_ref()
        .map(|(reason, msg)| format!("{reason}: {}", esc(msg)))
        .unwrap_or_default();
    let _ = writeln!(
        h,
        "<tr><td>{name}</td><td>{}</td><td class={class}>{state}, last poll {last}{good}</td><td class=bad>{err}</td></tr>",
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
        "<tr class=\"pair {}\" data-target=\"{}\" data-resource=\"{}\" data-type=\"{}\" data-state=\"{}\">",
        p.state.class(),
        esc(target),
        esc(&p.resource),
        esc(&p.task_type),
        p.state.label(),
    );
    state_cell(h, p, now);
    let _ = write!(
        h,
        "<td>{}</td><td>{resource}</td><td>{}</td>",
        esc(target),
        esc(&p.task_type),
    );
    // Last result, with the API's message for a failure.
    match (&p.last, &p.unit_error) {
        (Some(l), _) => {
            let dur = l
                .duration_seconds
                .map(|d| format!(" after {}", human(d as u64)))
                .unwrap_or_default();
            let _ = write!(
                h,
                "<td class=\"result {}\">{} {}{dur} <span class=src>task {}</span>",
                p.last_health.as_str(),
                l.result,
                at(now, l.at),
                esc(&l.task_id)
            );
            if let Some(m) = &l.message {
                let _ = write!(h, "<div class=msg>{}</div>", esc(m));
            }
            h.push_str("</td>");
        }
        (None, Some(_)) => {
            h.push_str("<td class=\"result bad\">unknown: the resource cannot be listed</td>")
        }
        (None, None) => h.push_str("<td class=\"result none\">none seen</td>"),
    }
    // Time since the last success, coloured against the rhythm.
    let age = match (p.last_success, &p.unit_error) {
        (Some(t), _) => at(now, t),
        (None, Some(_)) => "unknown: the resource cannot be listed".to_string(),
        (None, None) => "never".to_string(),
    };
    let class = if p.state == PairState::InProgress {
        "run"
    } else {
        p.age_health.as_str()
    };
    let _ = write!(h, "<td class=\"age {class}\">{age}</td>");
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
    schedule(h, p, now);
    h.push_str("</td><td>");
    for a in &p.active {
        active(h, a, p.active_limit_seconds, now);
    }
    h.push_str("</td><td class=strip>");
    for d in &p.days {
        day(h, d);
    }
    if let Some(n) = &p.note {
        let _ = write!(h, "<div class=note>{}</div>", esc(n));
    }
    h.push_str("</td></tr>\n");
}

/// What the backup policies say of the row: the next scheduled run and the policies, or
/// that none is on.
fn schedule(h: &mut String, p: &PairView, now: f64) {
    let Some(covered) = p.covered else { return };
    let class = if covered { "schedule" } else { "schedule warn" };
    let _ = write!(h, "<div class=\"{class}\">");
    match (covered, p.next_run) {
        (true, Some(t)) => {
            let _ = write!(h, "next scheduled run {}", at(now, t));
        }
        (true, None) => h.push_str("scheduled, no run within a year"),
        (false, _) => h.push_str("not scheduled"),
    }
    for x in &p.policies {
        let _ = write!(
            h,
            "<div class=policy>policy {} <span class=src>{}</span></div>",
            esc(&x.name),
            esc(&x.id)
        );
    }
    h.push_str("</div>");
}

/// The row's state, since when, and how bad.
fn state_cell(h: &mut String, p: &PairView, now: f64) {
    let _ = write!(
        h,
        "<td class=\"state {}\"><b>{}</b>",
        p.state.class(),
        p.state.label()
    );
    let mut lines: Vec<String> = Vec::new();
    match p.state {
        PairState::Failed => {
            if let Some(s) = p.failing_since {
                lines.push(format!("failing since {}", at(now, s)));
            }
            match p.failures_in_row {
                Some(n) => lines.push(format!(
                    "{n} {} in a row",
                    if n == 1 { "failure" } else { "failures" }
                )),
                None => lines.push("earlier failures not counted".to_string()),
            }
        }
        PairState::MissedRun => {
            if let Some(d) = p.last_due {
                lines.push(format!("due {}", at(now, d)));
                lines.push("no success since".to_string());
            }
        }
        PairState::InProgress if p.covered == Some(true) => {
            if let Some(d) = p.last_due {
                lines.push(format!("due {}", at(now, d)));
            }
        }
        PairState::NotScheduled => lines.push("no enabled backup policy covers it".to_string()),
        PairState::Overdue | PairState::Late | PairState::InProgress => {
            if let (Some(s), Some(by)) = (p.overdue_since, p.overdue_seconds) {
                lines.push(format!("overdue since {}", at(now, s)));
                lines.push(format!("overdue by {}", human(by as u64)));
            }
        }
        PairState::Stuck => {
            if let Some(s) = p.problem_since {
                lines.push(format!("stuck since {}", at(now, s)));
            }
        }
        PairState::ResourceDown => {
            if let Some(u) = &p.unit_error {
                lines.push(format!("{}: {}", u.reason, u.message));
                lines.push(match u.last_listed {
                    Some(t) => format!("last listed {}", at(now, t)),
                    None => "not listed since the exporter started".to_string(),
                });
            }
        }
        PairState::NeverSucceeded => lines.push("no success within the lookback".to_string()),
        PairState::Ok | PairState::None => {}
    }
    if p.covered == Some(false) && p.state != PairState::NotScheduled {
        lines.push("not scheduled: no enabled backup policy covers it".to_string());
    }
    for l in lines {
        let _ = write!(h, "<div class=since>{}</div>", esc(&l));
    }
    h.push_str("</td>");
}

fn active(h: &mut String, a: &ActiveView, limit: Option<f64>, now: f64) {
    let class = if a.stuck { "bad" } else { "run" };
    let progress = a
        .progress
        .map(|p| format!(" {:.0}%", p * 100.0))
        .unwrap_or_default();
    let age = a
        .age_seconds
        .map(|s| format!(" for {}", human(s as u64)))
        .unwrap_or_default();
    let started = a
        .start
        .map(|s| format!(", since {}", at(now, s)))
        .unwrap_or_default();
    let limit = limit
        .map(|l| format!(" (limit {})", human(l as u64)))
        .unwrap_or_default();
    let stuck = if a.stuck { " stuck" } else { "" };
    let _ = write!(
        h,
        "<div class=\"active {class}\">{}{progress}{age}{limit}{stuck}<span class=src>{started}; task {}</span></div>",
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

/// `docs/alerts.md` as a page: each heading gets the anchor GitHub gives it (so the problems'
/// links land on their section), the text between headings is shown as written.
pub(crate) fn runbook() -> String {
    let mut h = String::with_capacity(ALERTS_MD.len() + 4096);
    head(&mut h, "cloud-task-exporter: alerts and runbook", false);
    h.push_str("<p><a href=\"/\">Status page</a></p>");
    let mut open = false;
    for line in ALERTS_MD.lines() {
        let level = line.chars().take_while(|c| *c == '#').count();
        if (1..=4).contains(&level) && line[level..].starts_with(' ') {
            if open {
                h.push_str("</pre>");
                open = false;
            }
            let title = line[level..].trim();
            let _ = write!(
                h,
                "<h{level} id=\"{}\">{}</h{level}>",
                slug(title),
                esc(title)
            );
            continue;
        }
        if !open {
            h.push_str("<pre style=\"white-space:pre-wrap\">");
            open = true;
        }
        h.push_str(&esc(line));
        h.push('\n');
    }
    if open {
        h.push_str("</pre>");
    }
    h.push_str("</body></html>\n");
    h
}

/// GitHub's heading anchor: lower case, spaces to `-`, punctuation dropped.
fn slug(title: &str) -> String {
    title
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_runbook_link_lands_on_a_section() {
        let page = super::runbook();
        for k in crate::status::Kind::ALL {
            let anchor = k.anchor();
            assert!(
                page.contains(&format!("id=\"{anchor}\"")),
                "no section {anchor} in docs/alerts.md"
            );
        }
        assert_eq!(super::slug("The status page"), "the-status-page");
        assert_eq!(super::slug("`/api/v1/targets`"), "apiv1targets");
    }
}
