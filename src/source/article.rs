//! Import one article file (plain text or Markdown, plus an optional sidecar) into an [`Article`].

use std::path::Path;

use chrono::{NaiveTime, TimeZone, Utc};

use super::markdown::{self, MarkdownArticle};
use super::meta::Meta;
use super::text::{self, TextArticle};
use super::{SourceError, infer, prose, read_text, toml_from_str};
use crate::model::{Article, Attribution, Content, Credit, FeedMeta, Image, ItemId, Language, Person, date_in_range};

/// What either article format yields before metadata is applied.
struct Draft {
    meta: Meta,
    lede: String,
    /// Text searched for a date when the metadata gives none.
    plain: String,
    body_html: String,
    photo_credit: Option<Credit>,
    source: Option<Credit>,
}

/// Imports `path` (`.txt` or `.md`) for `feed`; `sidecar` (`<stem>.toml`) overrides its metadata.
pub fn import(path: &Path, sidecar: Option<&Path>, feed: &FeedMeta) -> Result<Article, SourceError> {
    let text = read_text(path)?;
    if text.trim().is_empty() {
        return Err(SourceError::Empty { path: path.to_owned() });
    }
    let mut draft = match path.extension().and_then(|e| e.to_str()) {
        Some("md") => from_markdown(markdown::parse(&text, path)?),
        _ => from_text(text::parse(&text, &feed.publisher.name)),
    };
    if let Some(sidecar) = sidecar {
        let side: Meta = toml_from_str(&read_text(sidecar)?, sidecar)?;
        draft.meta = std::mem::take(&mut draft.meta).overlay(side);
    }
    if draft.body_html.is_empty() {
        return Err(SourceError::Empty { path: path.to_owned() });
    }
    // Errors in metadata values name the sidecar when there is one, else the article.
    let meta_path = sidecar.unwrap_or(path);
    resolve(draft, path, meta_path)
}

fn from_text(a: TextArticle) -> Draft {
    let body_html = prose::paragraphs_html(a.paragraphs.iter().map(String::as_str));
    Draft {
        meta: Meta::default(),
        lede: a.paragraphs.first().cloned().unwrap_or_default(),
        plain: a.paragraphs.join("\n"),
        body_html,
        photo_credit: a.photo_credit,
        source: a.source,
    }
}

fn from_markdown(a: MarkdownArticle) -> Draft {
    Draft { meta: a.meta, lede: a.lede, plain: a.plain, body_html: a.body_html, photo_credit: None, source: None }
}

fn resolve(draft: Draft, path: &Path, meta_path: &Path) -> Result<Article, SourceError> {
    let invalid = |key, message: String| SourceError::Invalid { path: meta_path.to_owned(), key, message };
    let meta = draft.meta;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let id = match meta.id {
        Some(id) => ItemId::new(id).map_err(|e| invalid("id", e.to_string()))?,
        None => ItemId::new(stem).map_err(|source| SourceError::BadName { path: path.to_owned(), source })?,
    };
    let title = match meta.title {
        Some(t) if !t.trim().is_empty() => t.trim().to_owned(),
        Some(_) => return Err(invalid("title", "must not be empty".into())),
        None => infer::derive_title(&draft.lede).ok_or_else(|| SourceError::Empty { path: path.to_owned() })?,
    };
    let published = match meta.date {
        Some(d) => d.to_utc().map_err(|m| invalid("date", m))?,
        None => {
            let day = infer::find_date(&draft.plain).ok_or_else(|| SourceError::NoDate { path: path.to_owned() })?;
            Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN))
        }
    };
    let updated = meta.updated.map(|d| d.to_utc()).transpose().map_err(|m| invalid("updated", m))?;
    for (key, date) in [("date", Some(published)), ("updated", updated)] {
        if date.is_some_and(|d| !date_in_range(&d)) {
            return Err(invalid(key, "a feed can carry years 1900 to 9999 only".into()));
        }
    }
    if updated.is_some_and(|u| u < published) {
        return Err(invalid("updated", "is earlier than the publication date".into()));
    }
    let language =
        meta.language.map(|l| Language::parse(&l)).transpose().map_err(|e| invalid("language", e.to_string()))?;
    let image = meta.image.map(|url| Image { url, alt: meta.image_alt });
    if meta.source_url.is_some() && draft.source.is_none() {
        return Err(invalid("source_url", "the article has no source line (Source: … / المصدر: …)".into()));
    }
    let source = draft.source.map(|credit| Attribution { credit, url: meta.source_url });
    let content = Content {
        title,
        summary: meta.summary.unwrap_or(draft.lede),
        body_html: draft.body_html,
        language,
        author: meta.author.map(Person::from),
        tags: meta.tags.unwrap_or_default(),
        image,
        photo_credit: draft.photo_credit,
        source,
        link: None,
        origin: None,
    };
    // A raw control character was refused when the file was read; one can still come in
    // through a TOML escape (`title = "\u0010"`) or a Markdown character reference.
    let content = content.fit().map_err(|(field, c)| SourceError::Invalid {
        path: if matches!(field, "body" | "summary") { path } else { meta_path }.to_owned(),
        key: field,
        message: format!("control character U+{:04X} cannot go into a feed", u32::from(c)),
    })?;
    Ok(Article { id, content, published, updated })
}
