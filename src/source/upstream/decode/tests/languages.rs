//! Every legacy encoding the issue names, each with a few sentences of its own language, read
//! undeclared (chardetng's guess) and declared (the declaration taken at its word).

use encoding_rs::{
    EUC_JP, EUC_KR, Encoding, GBK, ISO_8859_2, ISO_8859_7, KOI8_R, KOI8_U, SHIFT_JIS, WINDOWS_874, WINDOWS_1250,
    WINDOWS_1251, WINDOWS_1252, WINDOWS_1255, WINDOWS_1256,
};

use super::{assert_read, decode, encode, rss};
use crate::source::upstream::decode::Basis;

pub const ARABIC: (&str, &str) = (
    "موسم حصاد وفير في الشمال",
    "أعلنت وزارة الزراعة اليوم عن موسم حصاد وفير في السهول الشمالية. وقال المزارعون إن الأمطار جاءت في \
     وقتها هذا العام، وإن أسعار القمح ستنخفض قبل نهاية الصيف. ويأمل التجار أن تصل الشحنات الأولى إلى الموانئ \
     خلال أسبوعين.",
);
pub const RUSSIAN: (&str, &str) = (
    "Библиотека открывает новый зал",
    "Городская библиотека откроет новый читальный зал в понедельник. В нём будут длинные столы, тихие лампы \
     и окна с видом на реку. Директор обещает, что зал будет работать до полуночи во время экзаменов. \
     Студенты уже записываются на первые места.",
);
pub const HEBREW: (&str, &str) = (
    "רכבת חדשה לירושלים",
    "הרכבת החדשה לירושלים תצא לדרכה בשבוע הבא. הנוסעים יוכלו לקנות כרטיסים בתחנה או בטלפון. לפי משרד \
     התחבורה, הנסיעה תימשך פחות משעה, והקרונות יהיו ממוזגים ונוחים.",
);
pub const JAPANESE: (&str, &str) = (
    "桜の開花が早まる",
    "今年の桜は例年より一週間早く咲きました。公園には朝から多くの家族が集まり、木の下で弁当を広げていました。\
     気象台によると、週末まで晴れの日が続く見込みです。",
);
pub const KOREAN: (&str, &str) = (
    "동네 빵집의 금상",
    "서울의 작은 빵집이 올해 전국 대회에서 금상을 받았습니다. 주인은 매일 새벽 네 시에 일어나 반죽을 \
     준비한다고 말했습니다. 손님들은 가게 앞에 길게 줄을 서서 기다립니다.",
);
pub const CHINESE: (&str, &str) = (
    "地铁新线下月开通",
    "新的地铁线路将于下个月正式开通。这条线路连接火车站和大学城，全程只需要二十五分钟。市政府表示，\
     票价将与现有线路保持一致，并在早晚高峰增加班次。",
);
pub const THAI: (&str, &str) = (
    "ตลาดน้ำเปิดใหม่",
    "ตลาดน้ำแห่งใหม่เปิดให้บริการแล้วในวันเสาร์นี้ ชาวบ้านนำผลไม้และอาหารพื้นเมืองมาขายบนเรือ \
     นักท่องเที่ยวสามารถนั่งเรือชมคลองได้ตลอดทั้งวัน",
);
pub const POLISH: (&str, &str) = (
    "Otwarcie mostu na Wiśle",
    "Nowy most na Wiśle zostanie otwarty w przyszłą środę. Mieszkańcy czekali na niego ponad dziesięć lat. \
     Według urzędników ruch samochodów będzie mniejszy, a tramwaje pojadą szybciej przez całe śródmieście.",
);
pub const GREEK: (&str, &str) = (
    "Νέο μουσείο στην πόλη",
    "Το νέο μουσείο της πόλης ανοίγει τις πόρτες του την Κυριακή. Οι επισκέπτες θα δουν αγάλματα, νομίσματα \
     και παλιούς χάρτες του λιμανιού. Η είσοδος θα είναι δωρεάν για τους μαθητές όλο τον μήνα.",
);
pub const FRENCH: (&str, &str) = (
    "La fête du village",
    "L'été dernier, la fête du village a réuni plus de mille personnes. Les enfants ont mangé des crêpes \
     près de la rivière, et le maire a prononcé un discours très applaudi. Für die Gäste aus München gab es \
     außerdem Bier und Brezeln.",
);

/// `(title, body)` as an undeclared RSS document in `encoding`, read with no HTTP charset:
/// asserts the text comes back exactly and returns what it was read as.
#[track_caller]
fn undeclared(encoding: &'static Encoding, (title, body): (&str, &str)) -> &'static Encoding {
    let doc = rss(title, body);
    let bytes = encode(encoding, &doc);
    let d = decode(&bytes, None);
    assert_eq!(d.text, doc, "{} read as {} ({})", encoding.name(), d.encoding.name(), d.basis);
    assert_eq!(d.basis, Basis::Detected);
    d.encoding
}

/// The same, declared in the XML declaration as `label`: read as declared, the declaration's
/// `encoding` gone and its `version` and `standalone` kept.
#[track_caller]
fn declared(label: &str, encoding: &'static Encoding, (title, body): (&str, &str)) {
    let doc = rss(title, body);
    let bytes = encode(encoding, &format!("<?xml version=\"1.0\" encoding=\"{label}\" standalone=\"yes\"?>\n{doc}"));
    let want = format!("<?xml version=\"1.0\" standalone=\"yes\"?>\n{doc}");
    assert_read(&decode(&bytes, None), &want, encoding, Basis::Declaration);
}

#[test]
fn arabic_in_windows_1256_undeclared_is_detected() {
    assert_eq!(undeclared(WINDOWS_1256, ARABIC), WINDOWS_1256);
}

#[test]
fn cyrillic_in_koi8_r_undeclared_is_detected() {
    // chardetng names KOI8-U, which writes Russian in the same bytes as KOI8-R.
    assert_eq!(undeclared(KOI8_R, RUSSIAN), KOI8_U);
}

#[test]
fn cyrillic_in_windows_1251() {
    assert_eq!(undeclared(WINDOWS_1251, RUSSIAN), WINDOWS_1251);
    declared("windows-1251", WINDOWS_1251, RUSSIAN);
}

#[test]
fn hebrew_in_windows_1255() {
    assert_eq!(undeclared(WINDOWS_1255, HEBREW), WINDOWS_1255);
    declared("windows-1255", WINDOWS_1255, HEBREW);
}

#[test]
fn japanese_in_shift_jis_and_euc_jp() {
    assert_eq!(undeclared(SHIFT_JIS, JAPANESE), SHIFT_JIS);
    assert_eq!(undeclared(EUC_JP, JAPANESE), EUC_JP);
    declared("Shift_JIS", SHIFT_JIS, JAPANESE);
    declared("EUC-JP", EUC_JP, JAPANESE);
}

#[test]
fn korean_in_euc_kr() {
    assert_eq!(undeclared(EUC_KR, KOREAN), EUC_KR);
    declared("EUC-KR", EUC_KR, KOREAN);
}

#[test]
fn chinese_in_gb2312_and_gbk() {
    assert_eq!(undeclared(GBK, CHINESE), GBK);
    // encoding_rs reads GB2312 as GBK, its superset.
    declared("GB2312", GBK, CHINESE);
}

#[test]
fn thai_in_tis_620() {
    assert_eq!(undeclared(WINDOWS_874, THAI), WINDOWS_874);
    declared("TIS-620", WINDOWS_874, THAI);
}

#[test]
fn central_european_in_iso_8859_2() {
    let guess = undeclared(ISO_8859_2, POLISH);
    assert!(guess == ISO_8859_2 || guess == WINDOWS_1250, "{}", guess.name());
    declared("ISO-8859-2", ISO_8859_2, POLISH);
}

#[test]
fn greek_in_iso_8859_7() {
    declared("ISO-8859-7", ISO_8859_7, GREEK);
    undeclared(ISO_8859_7, GREEK);
}

#[test]
fn latin_1_undeclared_and_declared() {
    assert_eq!(undeclared(WINDOWS_1252, FRENCH), WINDOWS_1252);
    declared("ISO-8859-1", WINDOWS_1252, FRENCH);
}
