//! CPU seconds per MiB of `sanitize::html` and `sanitize::plain_text` on the worst inputs we
//! know for html5ever and ammonia, each built at 1 MiB and 15 MiB (the fetcher's body cap).
//! `plain_text` is measured as titles call it (it reads only the first 6,000 bytes) and without
//! a length cap (the whole input through the same bounds).
//! Run: `cargo bench --bench sanitize` (release); `-- --sizes 1` for 1 MiB only, `-- --case NAME`
//! for one case. Each measurement runs in a child process (this binary again), so that one
//! which takes too long is stopped (`--timeout SECONDS`, default 60) and reported as such
//! instead of holding up the table.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use feedpub::source::upstream::sanitize;
use url::Url;

const MIB: usize = 1 << 20;

/// (name, unit): the input is `prefix`, then `unit(i)` for i = 0, 1, … until the size is
/// reached, then `suffix`.
type Case = (&'static str, &'static str, fn(usize) -> String, &'static str);

/// The pathological inputs, each named for the html5ever/ammonia path it drives.
fn cases() -> Vec<Case> {
    vec![
        // Nesting: html5ever scans its stack of open elements at every tag.
        ("deep-div", "", |_| "<div>".into(), ""),
        // End tags that close nothing, between openings: every div stays open.
        ("stray-end", "", |_| "<div></span>".into(), ""),
        // `/>` closes nothing on an HTML element.
        ("self-closing", "", |_| "<div/>".into(), ""),
        // The adoption agency, without a furthest block.
        ("misnested", "", |_| "<b><i></b></i>".into(), ""),
        // The adoption agency with a furthest block: the stack keeps growing.
        ("adoption-block", "", |_| "<b><div></b>".into(), ""),
        // Formatting elements closed by a block's end tag are reopened (cloned) at the next
        // tag: one more clone per round, each different so Noah's Ark keeps them all.
        ("reopen-formatting", "", |i| format!("<div><b id={i}></div>"), ""),
        // A new `<a>` runs the adoption agency on the open one.
        ("many-a", "", |i| format!("<a href=/{i}><div>"), ""),
        // Foster parenting: each element goes before the table, found among its siblings.
        ("table-foster", "<table>", |_| "<b>x</b>".into(), "</table>"),
        // Foster-parented text, kept apart by foster-parented elements.
        ("table-text", "<table>", |_| "x<br>".into(), "</table>"),
        // `<p>` inside `<button>`; a new `<button>` closes the old.
        ("button-p", "", |_| "<button><p>".into(), ""),
        // One tag, ever more attributes: html5ever checks each name against the previous ones.
        ("many-attributes", "<b", |i| format!(" a{i}"), ">"),
        // The same, each attribute's quoted value holding a `>`.
        ("many-attributes-quoted", "<b", |i| format!(" a{i}=\">\""), ">"),
        // Each `<html>` adds its attributes to the root, which ammonia's DOM hashes every time.
        (
            "html-attributes",
            "",
            |i| format!("<html{}>", (0..128).map(|j| format!(" a{i}x{j}")).collect::<String>()),
            "",
        ),
        // Many formatting tags with many attributes: Noah's Ark compares them sorted.
        (
            "noahs-ark",
            "",
            |i| format!("<p><b {}></p>", (0..64).map(|j| format!("a{j}={}", i % 4)).collect::<String>()),
            "",
        ),
        // Open ones, then each new one compared with all of them.
        (
            "noahs-ark-deep",
            "",
            |i| {
                let attributes: String = (0..128).map(|j| format!(" a{j}={}", i.min(250))).collect();
                if i < 250 { format!("<b{attributes}>") } else { format!("<b{attributes}></b>") }
            },
            "",
        ),
        ("options", "<select>", |_| "<option>x".into(), "</select>"),
        ("list-items", "<ul>", |_| "<li>x".into(), "</ul>"),
        ("nobr", "", |_| "<nobr>x".into(), ""),
        ("templates", "", |_| "<template>".into(), ""),
        ("svg", "<svg>", |_| "<g>".into(), "</svg>"),
        // Character tokens under a deep stack whose bottom is a formatting element: each one
        // asks whether that element is still open.
        ("deep-text", "<b>", |i| if i < 500 { "<div>".into() } else { "x&amp;\n".into() }, ""),
        // End tags that close nothing, each searching a deep stack.
        ("deep-stray-end", "", |i| if i < 500 { "<span>".into() } else { "</x>".into() }, ""),
        ("comments", "", |_| "<!--x-->".into(), ""),
        // For comparison, an ordinary article: paragraphs with a link, bold text, an image.
        (
            "article",
            "",
            |i| {
                format!(
                    "<p dir=\"rtl\">نص الخبر <a href=\"/news/{i}\">رابط</a> و<b>عاجل</b> &amp; «قول» <img src=\"/{i}.jpg\" alt=\"صورة\"></p>\n"
                )
            },
            "",
        ),
        // Text alone, in as many character tokens as it can be: one text node grown in steps.
        ("text-runs", "", |_| "x&amp;\n".into(), ""),
    ]
}

fn input(case: &Case, size: usize) -> String {
    let (_, prefix, unit, suffix) = case;
    let mut s = String::with_capacity(size + 64);
    s.push_str(prefix);
    let mut i = 0;
    while s.len() + suffix.len() < size {
        s.push_str(&unit(i));
        i += 1;
    }
    s.push_str(suffix);
    s
}

fn cpu_seconds() -> f64 {
    use nix::sys::resource::{UsageWho, getrusage};
    let u = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage");
    let s = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    s(u.user_time()) + s(u.system_time())
}

/// In the child: one call, and its CPU seconds on stdout.
fn measure(name: &str, size_mib: usize, function: &str) {
    let case = cases().into_iter().find(|c| c.0 == name).expect("a known case");
    let dirty = input(&case, size_mib * MIB);
    let base = Url::parse("https://wire.example/").unwrap();
    let start = cpu_seconds();
    let out = match function {
        "html" => sanitize::html(&dirty, &base),
        "plain_text" => sanitize::plain_text(&dirty, true, sanitize::MAX_TITLE_CHARS),
        _ => sanitize::plain_text(&dirty, true, usize::MAX),
    };
    let spent = cpu_seconds() - start;
    std::hint::black_box(out);
    println!("{spent}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    if let (Some(name), Some(size), Some(function)) = (arg("--measure"), arg("--size"), arg("--fn")) {
        return measure(&name, size.parse().unwrap(), &function);
    }
    let sizes: Vec<usize> = arg("--sizes").map_or(vec![1, 15], |s| s.split(',').map(|n| n.parse().unwrap()).collect());
    let timeout = Duration::from_secs(arg("--timeout").map_or(60, |t| t.parse().unwrap()));
    let only = arg("--case");
    let me = std::env::current_exe().unwrap();
    let functions = ["html", "plain_text", "plain_text_uncapped"];
    println!("| case | MiB | html | plain_text (title) | plain_text (no cap) |");
    println!("|---|---|---|---|---|");
    for (name, ..) in cases().into_iter().filter(|c| only.as_deref().is_none_or(|o| o == c.0)) {
        // A case that times out at one size is not tried at a larger one.
        let mut gave_up = [false; 3];
        for &size in &sizes {
            let mut row = format!("| {name} | {size} |");
            for (k, function) in functions.into_iter().enumerate() {
                if gave_up[k] {
                    row.push_str(" not run |");
                    continue;
                }
                let mut child = Command::new(&me)
                    .args(["--measure", name, "--size", &size.to_string(), "--fn", function])
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap();
                let started = Instant::now();
                let cell = loop {
                    if let Some(status) = child.try_wait().unwrap() {
                        let mut out = String::new();
                        std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
                        break match out.trim().parse::<f64>() {
                            Ok(s) if status.success() => format!("{:.3}", s / size as f64),
                            _ => format!("failed ({status})"),
                        };
                    }
                    if started.elapsed() > timeout {
                        child.kill().unwrap();
                        child.wait().unwrap();
                        gave_up[k] = true;
                        break format!(
                            "> {:.1} (killed after {} s)",
                            timeout.as_secs_f64() / size as f64,
                            timeout.as_secs()
                        );
                    }
                    std::thread::sleep(Duration::from_millis(20));
                };
                row.push_str(&format!(" {cell} |"));
            }
            println!("{row}");
        }
    }
}
