//! Encodings: a feed in another charset is read, whatever it declares or fails to, and the
//! poll line says how. Each fixture is our own sentences, encoded here with encoding_rs.

use encoding_rs::{Encoding, SHIFT_JIS, WINDOWS_1251, WINDOWS_1252, WINDOWS_1256};

use super::{Read, read};

const ARABIC_TITLE: &str = "افتتاح جسر جديد فوق النهر";
const ARABIC_BODY: &str = "افتتحت البلدية صباح اليوم جسرا جديدا يربط ضفتي النهر في وسط المدينة. وقال المهندسون إن \
     العمل استغرق ثلاث سنوات، وإن الجسر سيخفف الزحام عن الطرق القديمة. واحتفل السكان بالمناسبة بالموسيقى \
     والحلوى حتى المساء.";
const RUSSIAN_TITLE: &str = "Зимний рынок на площади";
const RUSSIAN_BODY: &str = "На главной площади открылся зимний рынок с горячим чаем и пирогами. Мастера продают \
     деревянные игрушки, тёплые варежки и мёд из соседних деревень. Рынок будет работать каждый день до конца \
     января, а по субботам там играет оркестр.";
const JAPANESE_TITLE: &str = "港に新しい水族館";
const JAPANESE_BODY: &str = "港の近くに新しい水族館が完成し、週末から一般公開が始まります。大きな水槽では\
     イルカやペンギンを間近に見ることができます。入場券は駅の窓口でも購入できます。";
const FRENCH_TITLE: &str = "Le marché de Noël ouvre ses portes";
const FRENCH_BODY: &str = "Dès vendredi, le marché de Noël accueillera les visiteurs près de la cathédrale. \
     On y trouvera du vin chaud, des pâtisseries et des jouets en bois sculptés à la main.";

fn rss(title: &str, body: &str) -> String {
    format!(
        "<rss version=\"2.0\"><channel><title>{title}</title><link>https://news.example/</link>\
         <item><guid>https://news.example/1</guid><title>{title}</title><description>{body}</description></item>\
         </channel></rss>"
    )
}

fn xml(label: &str, doc: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"{label}\"?>\n{doc}")
}

fn encode(encoding: &'static Encoding, text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding.encode(text);
    assert!(!unmappable, "{} cannot write {text}", encoding.name());
    bytes.into_owned()
}

/// Asserts the poll published the one item exactly as written, and said `how` it was read.
#[track_caller]
fn assert_published(r: &Read, title: &str, body: &str, how: Option<&str>) {
    assert!(r.ok, "{}", r.poll);
    assert!(r.line().contains(": 200; 1 new"), "{}", r.poll);
    assert_eq!(r.titles(), [title], "{}", r.poll);
    let content = r.item(title)["content_html"].as_str().unwrap_or_default().to_owned();
    assert!(content.contains(body), "{content:?} lacks {body:?}; poll: {}", r.poll);
    assert!(r.rss.contains(title), "{}", r.rss);
    match how {
        Some(how) => assert!(r.line().contains(&format!("read as {how}")), "{}", r.line()),
        None => assert!(!r.line().contains("read as"), "{}", r.line()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn arabic_in_windows_1256_with_no_declaration_and_no_charset() {
    let r = read(encode(WINDOWS_1256, &rss(ARABIC_TITLE, ARABIC_BODY)), "application/rss+xml").await;
    assert_published(&r, ARABIC_TITLE, ARABIC_BODY, Some("windows-1256 (detected)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn cyrillic_in_koi8_r_with_no_declaration() {
    let r = read(encode(encoding_rs::KOI8_R, &rss(RUSSIAN_TITLE, RUSSIAN_BODY)), "text/xml").await;
    // chardetng names KOI8-U, which writes Russian in the same bytes as KOI8-R.
    assert_published(&r, RUSSIAN_TITLE, RUSSIAN_BODY, Some("KOI8-U (detected)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn shift_jis_declared_in_xml() {
    let bytes = encode(SHIFT_JIS, &xml("Shift_JIS", &rss(JAPANESE_TITLE, JAPANESE_BODY)));
    let r = read(bytes, "application/xml").await;
    assert_published(&r, JAPANESE_TITLE, JAPANESE_BODY, Some("Shift_JIS (XML declaration)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn utf_16_with_a_byte_order_mark() {
    let doc = xml("UTF-16", &rss(ARABIC_TITLE, ARABIC_BODY));
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(doc.encode_utf16().flat_map(u16::to_le_bytes));
    let r = read(bytes, "application/rss+xml").await;
    assert_published(&r, ARABIC_TITLE, ARABIC_BODY, Some("UTF-16LE (byte order mark)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_http_charset_beats_the_declaration() {
    let bytes = encode(WINDOWS_1251, &xml("ISO-8859-1", &rss(RUSSIAN_TITLE, RUSSIAN_BODY)));
    let r = read(bytes, "application/rss+xml; charset=windows-1251").await;
    assert_published(&r, RUSSIAN_TITLE, RUSSIAN_BODY, Some("windows-1251 (HTTP charset)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn declared_utf_8_but_written_in_windows_1256() {
    let bytes = encode(WINDOWS_1256, &xml("UTF-8", &rss(ARABIC_TITLE, ARABIC_BODY)));
    let r = read(bytes, "application/rss+xml; charset=utf-8").await;
    assert_published(&r, ARABIC_TITLE, ARABIC_BODY, Some("windows-1256 (declared UTF-8, but it is not)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn declared_iso_8859_1_but_written_in_utf_8() {
    let r = read(xml("ISO-8859-1", &rss(FRENCH_TITLE, FRENCH_BODY)), "application/rss+xml").await;
    assert_published(&r, FRENCH_TITLE, FRENCH_BODY, Some("UTF-8 (declared windows-1252, but it is not)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn latin_1_as_declared_is_left_as_it_is() {
    let bytes = encode(WINDOWS_1252, &xml("ISO-8859-1", &rss(FRENCH_TITLE, FRENCH_BODY)));
    let r = read(bytes, "application/rss+xml").await;
    assert_published(&r, FRENCH_TITLE, FRENCH_BODY, Some("windows-1252 (XML declaration)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_utf_8_says_nothing_about_its_encoding() {
    let r = read(xml("utf-8", &rss(ARABIC_TITLE, ARABIC_BODY)), "application/rss+xml; charset=utf-8").await;
    assert_published(&r, ARABIC_TITLE, ARABIC_BODY, None);
}
