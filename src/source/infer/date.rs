//! Finds an article's date in its text: `16 نوفمبر/تشرين الثاني 2023`, `16 November 2023`, …
//!
//! The earliest full date (day, month, year) in the text wins: news ledes state the date of the
//! event first. Month names cover the Gregorian names used in Egypt and the Gulf, the Levantine
//! and Iraqi names (كانون الثاني … كانون الأول), the Maghrebi and Moroccan names, and English.
//! Both halves of a paired form (`نوفمبر/تشرين الثاني`) must name the same month.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use super::fold_arabic;
use crate::source::prose;

/// Arabic month names after [`fold_arabic`], by month number.
const ARABIC_MONTHS: [&[&str]; 12] = [
    &["يناير", "كانون الثاني", "جانفي", "ينير"],
    &["فبراير", "شباط", "فيفري", "فبرير"],
    &["مارس", "اذار"],
    &["ابريل", "نيسان", "افريل", "ابرايل"],
    &["مايو", "ايار", "ماي", "مايس"],
    &["يونيو", "يونيه", "حزيران", "جوان"],
    &["يوليو", "يوليه", "تموز", "جويليه", "يوليوز"],
    &["اغسطس", "اب", "اوت", "غشت", "اغسطوس"],
    &["سبتمبر", "ايلول", "شتنبر", "سيبتمبر"],
    &["اكتوبر", "تشرين الاول", "اكتوبر"],
    &["نوفمبر", "تشرين الثاني", "نونبر", "نوفنبر"],
    &["ديسمبر", "كانون الاول", "دجنبر", "دسمبر"],
];

const ENGLISH_MONTHS: [&[&str]; 12] = [
    &["january", "jan"],
    &["february", "feb"],
    &["march", "mar"],
    &["april", "apr"],
    &["may"],
    &["june", "jun"],
    &["july", "jul"],
    &["august", "aug"],
    &["september", "sept", "sep"],
    &["october", "oct"],
    &["november", "nov"],
    &["december", "dec"],
];

/// An alternation of every name, longest first so `مايو` is tried before `ماي`.
fn alternation(table: &[&[&str]; 12]) -> String {
    let mut names: Vec<&str> = table.iter().flat_map(|names| names.iter().copied()).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    names.dedup();
    names.iter().map(|n| regex::escape(n).replace(' ', r"\s+")).collect::<Vec<_>>().join("|")
}

fn month_of(table: &[&[&str]; 12], name: &str) -> Option<u32> {
    let name = prose::collapse_whitespace(name).to_lowercase();
    let name = name.trim_end_matches('.');
    table.iter().position(|names| names.contains(&name)).map(|i| i as u32 + 1)
}

static ARABIC: LazyLock<Regex> = LazyLock::new(|| {
    let m = alternation(&ARABIC_MONTHS);
    // day, optional "من", month, optional "/month" or "(month)", optional "عام|سنه", year.
    Regex::new(&format!(
        r"(?:^|\D)(\d{{1,2}})\s*(?:من\s+)?({m})(?:\s*[/(\-–]\s*({m})\s*\)?)?\s*[,،]?\s*(?:(?:من\s+)?(?:عام|العام|سنه)\s+)?(\d{{4}})(?:\D|$)"
    ))
    .expect("static regex")
});

static ENGLISH_DMY: LazyLock<Regex> = LazyLock::new(|| {
    let m = alternation(&ENGLISH_MONTHS);
    Regex::new(&format!(r"(?i)\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({m})\b\.?,?\s+(\d{{4}})\b"))
        .expect("static regex")
});

static ENGLISH_MDY: LazyLock<Regex> = LazyLock::new(|| {
    let m = alternation(&ENGLISH_MONTHS);
    Regex::new(&format!(r"(?i)\b({m})\b\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b")).expect("static regex")
});

static ISO: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{4})-(\d{2})-(\d{2})\b").expect("static regex"));

/// The earliest valid calendar date written in `text`, if any.
pub fn find_date(text: &str) -> Option<NaiveDate> {
    let folded = fold_arabic(text);
    let mut found: Vec<(usize, NaiveDate)> = Vec::new();
    let num = |s: &str| s.parse::<u32>().ok();
    let mut push = |pos: usize, y: Option<u32>, m: Option<u32>, d: Option<u32>| {
        if let (Some(y), Some(m), Some(d)) = (y, m, d)
            && let Some(date) = NaiveDate::from_ymd_opt(y as i32, m, d)
        {
            found.push((pos, date));
        }
    };
    for c in ARABIC.captures_iter(&folded) {
        let month = month_of(&ARABIC_MONTHS, &c[2]);
        let second = c.get(3).map(|m| month_of(&ARABIC_MONTHS, m.as_str()));
        // "16 نوفمبر/شباط 2023" contradicts itself: no date rather than a guess.
        if second.is_some_and(|s| s != month) {
            continue;
        }
        push(c.get(1).map_or(0, |m| m.start()), num(&c[4]), month, num(&c[1]));
    }
    for c in ENGLISH_DMY.captures_iter(&folded) {
        push(c.get(0).map_or(0, |m| m.start()), num(&c[3]), month_of(&ENGLISH_MONTHS, &c[2]), num(&c[1]));
    }
    for c in ENGLISH_MDY.captures_iter(&folded) {
        push(c.get(0).map_or(0, |m| m.start()), num(&c[3]), month_of(&ENGLISH_MONTHS, &c[1]), num(&c[2]));
    }
    for c in ISO.captures_iter(&folded) {
        push(c.get(0).map_or(0, |m| m.start()), num(&c[1]), num(&c[2]), num(&c[3]));
    }
    found.into_iter().min_by_key(|(pos, _)| *pos).map(|(_, d)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn the_seed_is_16_november_2023() {
        let seed = include_str!("../../../feeds/russia-islamic-world/000_216685895bd1f649.txt");
        assert_eq!(find_date(seed), ymd(2023, 11, 16));
    }

    #[test]
    fn every_gregorian_arabic_month_with_variants() {
        let names = [
            (1, "يناير"),
            (2, "فبراير"),
            (3, "مارس"),
            (4, "أبريل"),
            (4, "إبريل"),
            (4, "ابريل"),
            (5, "مايو"),
            (6, "يونيو"),
            (6, "يونيه"),
            (7, "يوليو"),
            (7, "يوليه"),
            (8, "أغسطس"),
            (8, "اغسطس"),
            (9, "سبتمبر"),
            (10, "أكتوبر"),
            (10, "اكتوبر"),
            (11, "نوفمبر"),
            (12, "ديسمبر"),
        ];
        for (m, name) in names {
            assert_eq!(find_date(&format!("وذلك يوم 5 {name} 2024 في"),), ymd(2024, m, 5), "{name}");
        }
    }

    #[test]
    fn every_levantine_month() {
        let names = [
            (1, "كانون الثاني"),
            (2, "شباط"),
            (3, "آذار"),
            (4, "نيسان"),
            (5, "أيار"),
            (6, "حزيران"),
            (7, "تموز"),
            (8, "آب"),
            (9, "أيلول"),
            (10, "تشرين الأول"),
            (11, "تشرين الثاني"),
            (12, "كانون الأول"),
        ];
        for (m, name) in names {
            assert_eq!(find_date(&format!("في 28 {name} 2022."),), ymd(2022, m, 28), "{name}");
        }
    }

    #[test]
    fn maghrebi_and_moroccan_months() {
        for (m, name) in [
            (1, "جانفي"),
            (2, "فيفري"),
            (4, "أفريل"),
            (6, "جوان"),
            (7, "جويلية"),
            (8, "أوت"),
            (8, "غشت"),
            (9, "شتنبر"),
            (11, "نونبر"),
            (12, "دجنبر"),
        ] {
            assert_eq!(find_date(&format!("1 {name} 2020")), ymd(2020, m, 1), "{name}");
        }
    }

    #[test]
    fn paired_and_decorated_forms() {
        assert_eq!(find_date("الخميس 16 نوفمبر/تشرين الثاني 2023."), ymd(2023, 11, 16));
        assert_eq!(find_date("16 نوفمبر (تشرين الثاني) 2023"), ymd(2023, 11, 16));
        assert_eq!(find_date("١٦ تشرين الثاني ٢٠٢٣"), ymd(2023, 11, 16));
        assert_eq!(find_date("16 من نوفمبر عام 2023"), ymd(2023, 11, 16));
        assert_eq!(find_date("16 نوفمبر، 2023"), ymd(2023, 11, 16));
        assert_eq!(find_date("16 نوفمبر 2023م"), ymd(2023, 11, 16));
        // Contradictory pair, impossible day: no date rather than a wrong one.
        assert_eq!(find_date("16 نوفمبر/شباط 2023"), None);
        assert_eq!(find_date("31 فبراير 2023"), None);
    }

    #[test]
    fn english_forms() {
        assert_eq!(find_date("on Thursday 16 November 2023 in"), ymd(2023, 11, 16));
        assert_eq!(find_date("on November 16, 2023."), ymd(2023, 11, 16));
        assert_eq!(find_date("Nov. 16th, 2023"), ymd(2023, 11, 16));
        assert_eq!(find_date("the 3rd of Sept 2021"), ymd(2021, 9, 3));
        assert_eq!(find_date("dated 2023-11-16."), ymd(2023, 11, 16));
    }

    #[test]
    fn earliest_date_wins_and_partial_dates_do_not_count() {
        assert_eq!(find_date("في يناير 2022 ثم في 2 مارس 2023 و1 May 2020"), ymd(2023, 3, 2));
        assert_eq!(find_date("في عام 2021 وفي يناير 2022"), None);
        assert_eq!(find_date("no date here"), None);
        // "ماي" must not steal the start of "مايو", nor a day run into a longer number.
        assert_eq!(find_date("123 مايو 2020"), None);
    }
}
