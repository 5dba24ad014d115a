//! A source URL is configuration, never content (issue 12, class 6): its `user:password@` and
//! secret-looking query values reach no output file, log line, `/metrics`, `/readers` or error
//! message, in `poll`, `build` and `serve` — while the credentials still reach the upstream.

mod common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use common::{SLUG, Site};

/// In the userinfo, or the value of a query key that looks like a secret: shown nowhere.
const SECRETS: [&str; 3] = ["hunter2", "s3cret", "k3y"];
/// The value of a query key that says nothing (`?u=`): a log may show it, a published file not.
const QUERY: &str = "pr1vate";

fn doc(guid: &str, self_link: Option<&str>) -> String {
    let link = self_link.map_or(String::new(), |l| format!("<atom:link rel=\"self\" href=\"{l}\"/>"));
    format!(
        "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><channel><title>private</title>\
         <link>https://wire.example/</link><description>d</description>{link}<item><guid>{guid}</guid>\
         <title>{guid}</title><link>https://wire.example/{guid}</link>\
         <pubDate>Fri, 17 Nov 2023 08:00:00 +0300</pubDate><description>x</description></item></channel></rss>"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_in_source_urls_never_show() {
    let auth = Arc::new(Mutex::new(Vec::<String>::new()));
    let app = {
        let auth = auth.clone();
        Router::new().fallback(move |uri: axum::http::Uri, headers: HeaderMap| {
            let auth = auth.clone();
            async move {
                if let Some(a) = headers.get(header::AUTHORIZATION) {
                    auth.lock().unwrap().push(a.to_str().unwrap().to_owned());
                }
                let rss = [(header::CONTENT_TYPE, "application/rss+xml")];
                match uri.path() {
                    "/private" => (rss, doc("p1", None)).into_response(),
                    // Its self link carries the token too, as private feeds' often do.
                    "/selfish" => {
                        (rss, doc("s1", Some("https://wire.example/feed.xml?access_token=s3cret"))).into_response()
                    }
                    "/moved" => {
                        (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/private?sig=s3cret")]).into_response()
                    }
                    "/broken" => (rss, "<rss><channel><item>").into_response(),
                    // Relative links resolve against the fetch URL (`href=""` is the URL itself),
                    // and the self link repeats it, with a token under a name that says nothing.
                    "/relative" => {
                        let doc = doc("r1", Some(""))
                            .replace("<link>https://wire.example/r1</link>", "<link>r1</link>")
                            .replace(
                                "<description>x</description>",
                                "<description>&lt;a href=\"\"&gt;self&lt;/a&gt; &lt;img src=\"pic.jpg\"&gt;</description>",
                            );
                        (rss, doc).into_response()
                    }
                    _ => StatusCode::NOT_FOUND.into_response(),
                }
            }
        })
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let site = Site::new();
    let def = std::fs::read_to_string(site.feed_dir().join("feed.toml")).unwrap();
    let sources: String = [
        "/private?token=s3cret&page=1",
        "/selfish?apikey=k3y",
        "/moved",
        "/broken?password=hunter2",
        "/missing?auth=s3cret",
        "/relative?u=pr1vate",
    ]
    .iter()
    .map(|p| format!("\n[[source]]\nurl = \"http://reader:hunter2@{addr}{p}\"\n"))
    .collect();
    std::fs::write(site.feed_dir().join("feed.toml"), format!("{def}{sources}")).unwrap();

    let mut seen = String::new();
    for level in ["warn", "debug"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_feedpub"))
            .args(["--config", site.config().to_str().unwrap(), "poll", "--force"])
            .env("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true")
            .env("RUST_LOG", level)
            .env_remove("FEEDPUB_DATABASE_URL")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "two sources fail");
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
        seen.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    // A name the guard refuses (localhost resolves to loopback): the refusal quotes no secret.
    let guarded = site.root().join("feeds/guarded");
    std::fs::create_dir_all(&guarded).unwrap();
    std::fs::write(
        guarded.join("feed.toml"),
        "title = \"g\"\ndescription = \"d\"\nlanguage = \"ar\"\n[[source]]\n\
         url = \"http://reader:hunter2@localhost:9/feed?token=s3cret&u=1\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_feedpub"))
        .args(["--config", site.config().to_str().unwrap(), "poll", "--feed", "guarded"])
        .env_remove("FEEDPUB_ALLOW_PRIVATE_NETWORKS")
        .env_remove("FEEDPUB_DATABASE_URL")
        .output()
        .unwrap();
    let refused = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(refused.contains("refused") && refused.contains("non-public"), "{refused}");
    seen.push_str(&refused);
    // The credentials did reach the upstream.
    assert!(auth.lock().unwrap().iter().any(|a| a.starts_with("Basic ")), "no Authorization was sent");
    assert!(seen.contains(&format!("http://{addr}/private?token=***&page=1: 200")), "{seen}");
    assert!(seen.contains("/missing?auth=***: HTTP 404"), "{seen}");

    let build = site.run(&["build"]);
    common::assert_success(&build);
    seen.push_str(&String::from_utf8_lossy(&build.stdout));
    seen.push_str(&String::from_utf8_lossy(&build.stderr));
    let rss = site.read(&format!("{SLUG}/rss.xml"));
    // Provenance: the upstream's own self link, without its secret; else the bare fetch URL.
    assert!(rss.contains(&format!("<source url=\"http://{addr}/private\">")), "{rss}");
    assert!(rss.contains("<source url=\"https://wire.example/feed.xml\">"), "{rss}");
    assert!(rss.contains(&format!("<link>http://{addr}/r1</link>")), "{rss}");
    assert!(rss.contains(&format!("<source url=\"http://{addr}/relative\">")), "{rss}");

    let (child, site) = tokio::task::spawn_blocking(move || {
        (common::child::Child::start(&site, &[("FEEDPUB_ALLOW_PRIVATE_NETWORKS", "true")]), site)
    })
    .await
    .unwrap();
    let client = common::server::client();
    let mut published = String::new();
    for path in [format!("/{SLUG}/rss.xml"), format!("/{SLUG}/atom.xml"), "/metrics".into(), "/readers".into()] {
        let body = client.get(child.url(&path)).send().await.unwrap().text().await.unwrap();
        published.push_str(&body);
    }
    for (rel, (bytes, _)) in common::snapshot(&site.out()) {
        if !rel.ends_with(".gz") && !rel.ends_with(".br") {
            published.push_str(&format!("\n{rel}: {}", String::from_utf8_lossy(&bytes)));
        }
    }
    seen.push_str(&child.logs.lock().unwrap().join("\n"));
    for secret in SECRETS {
        assert!(!seen.contains(secret) && !published.contains(secret), "{secret} was shown:\n{seen}\n{published}");
    }
    assert!(!published.contains(QUERY), "a fetch URL's query was published:\n{published}");
}
