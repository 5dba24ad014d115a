//! Inference of what a plain article does not state: its title and its date.

pub mod date;
pub mod title;

pub use date::find_date;
pub use title::derive_title;

/// Folds Arabic spelling variation so one table entry matches every spelling: hamza forms of
/// alef → `ا`, `ة` → `ه`, `ى` → `ي`, Eastern digits → ASCII, diacritics and tatweel dropped.
pub(crate) fn fold_arabic(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'أ' | 'إ' | 'آ' | 'ٱ' => Some('ا'),
            'ة' => Some('ه'),
            'ى' => Some('ي'),
            '٠'..='٩' => char::from_digit(c as u32 - '٠' as u32, 10),
            '۰'..='۹' => char::from_digit(c as u32 - '۰' as u32, 10),
            // Harakat, superscript alef and tatweel do not change a word.
            '\u{064B}'..='\u{065F}' | '\u{0670}' | 'ـ' => None,
            _ => Some(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn folding() {
        assert_eq!(super::fold_arabic("أكتوبر ٢٠٢٣ تشرين الأوّل"), "اكتوبر 2023 تشرين الاول");
        assert_eq!(super::fold_arabic("جويلية ۱۶"), "جويليه 16");
    }
}
