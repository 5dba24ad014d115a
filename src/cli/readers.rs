//! `feedpub readers`: the reader report of a running service, as a table.

use anyhow::Context as _;

use crate::publish::serve::AgentReport;

/// Fetches the report from `url` and prints it.
pub fn print(url: &str, json: bool) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let body = runtime.block_on(async {
        let response = reqwest::get(url).await?.error_for_status()?;
        response.text().await
    });
    let body = body.with_context(|| format!("fetching the reader report from {url} (is `feedpub serve` running?)"))?;
    if json {
        println!("{body}");
        return Ok(());
    }
    let report: Vec<AgentReport> =
        serde_json::from_str(&body).with_context(|| format!("{url} did not send a reader report"))?;
    print!("{}", table(&report));
    Ok(())
}

/// The report as aligned columns, the User-Agent last (it is the longest).
fn table(report: &[AgentReport]) -> String {
    let mut out = format!(
        "{:>9} {:>12} {:>6} {:>6} {:>14}  {}\n",
        "REQUESTS", "CONDITIONAL", "304", "429", "MEDIAN POLL", "USER-AGENT"
    );
    for a in report {
        out.push_str(&format!(
            "{:>9} {:>11.0}% {:>5.0}% {:>6} {:>14}  {}\n",
            a.requests,
            a.conditional_share * 100.0,
            a.not_modified_share * 100.0,
            a.throttled,
            a.median_interval_seconds.map_or_else(|| "-".to_owned(), interval),
            a.user_agent.replace(|c: char| c.is_control(), " "),
        ));
    }
    if report.is_empty() {
        out.push_str("(no feed requests yet)\n");
    }
    out
}

/// 5400 → `1h 30m`.
fn interval(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m {}s", secs / 60, secs % 60),
        _ => format!("{}h {}m", secs / 3600, secs % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rows() {
        let a = AgentReport {
            user_agent: "Miniflux/2.2\n".into(),
            requests: 12,
            conditional_share: 0.75,
            not_modified_share: 0.5,
            throttled: 1,
            median_interval_seconds: Some(5400),
        };
        let t = table(&[a]);
        assert!(t.lines().nth(1).unwrap().contains("75%"), "{t}");
        assert!(t.contains("1h 30m") && t.contains("Miniflux/2.2 "), "{t}");
        assert!(table(&[]).contains("no feed requests"));
        assert_eq!(interval(59), "59s");
        assert_eq!(interval(900), "15m 0s");
    }
}
