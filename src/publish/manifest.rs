//! The manifest: every file feedpub wrote to a folder, one relative path per line, sorted. A
//! build merges it with what it rendered as two sorted streams, so the old manifest (three
//! million lines for a million articles) is never held in memory, only what was rendered.

use std::io::{BufRead as _, BufWriter, Write as _};
use std::path::{Component, Path};

/// The file's name in the output folder.
pub const MANIFEST: &str = ".feedpub-manifest";

/// What a merge did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Merged {
    /// Lines of the new manifest.
    pub files: usize,
    /// Whether it differs from the old one.
    pub changed: bool,
}

/// The old manifest's entries, in order (none when there is no manifest). Only entries in the
/// form feedpub writes are taken: `a//b.html` or `a/./b.html` would name a live file by another
/// spelling, and one that could escape the folder is never touched. A manifest that cannot be
/// read is an error, never an empty list: files it lists would stay published unlisted.
fn entries(out_dir: &Path) -> std::io::Result<Box<dyn Iterator<Item = std::io::Result<String>>>> {
    let file = match std::fs::File::open(out_dir.join(MANIFEST)) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Box::new(std::iter::empty())),
        Err(e) => return Err(e),
    };
    let canonical = |l: &str| {
        let parts: Vec<&str> = l.split('/').collect();
        parts.iter().all(|p| !p.is_empty())
            && Path::new(l).components().all(|c| matches!(c, Component::Normal(_)))
            && Path::new(l).components().count() == parts.len()
    };
    Ok(Box::new(std::io::BufReader::new(file).lines().filter(move |l| l.as_ref().map_or(true, |l| canonical(l)))))
}

/// Whether the old manifest is strictly sorted (feedpub writes it so; a hand-edited one may not be).
fn sorted(out_dir: &Path) -> std::io::Result<bool> {
    let mut last: Option<String> = None;
    for l in entries(out_dir)? {
        let l = l?;
        if last.as_ref().is_some_and(|p| *p >= l) {
            return Ok(false);
        }
        last = Some(l);
    }
    Ok(true)
}

/// Merges the old manifest with `new` (sorted, without duplicates: the files this build
/// rendered): an old entry stays if `new` has it or `keep` selects it, else `stale` is called
/// with it (and it stays listed if that returns `false`: it could not be removed); every entry
/// of the result goes to `write`, in order.
pub(super) fn merge(
    out_dir: &Path,
    new: &[String],
    keep: &dyn Fn(&str) -> bool,
    stale: &mut dyn FnMut(&str) -> bool,
    write: &mut dyn FnMut(&str) -> std::io::Result<()>,
) -> std::io::Result<Merged> {
    // A stale decision relies on both sides being in order; an unsorted manifest is sorted in
    // memory first (only ever after a hand edit; it is then rewritten sorted).
    let (old, resorted): (Box<dyn Iterator<Item = std::io::Result<String>>>, bool) = if sorted(out_dir)? {
        (entries(out_dir)?, false)
    } else {
        let mut all: Vec<String> = entries(out_dir)?.collect::<Result<_, _>>()?;
        all.sort_unstable();
        all.dedup();
        (Box::new(all.into_iter().map(Ok)), true)
    };
    let (mut merged, mut next) = (Merged { changed: resorted, ..Merged::default() }, new.iter().peekable());
    let mut emit = |line: &str, merged: &mut Merged| {
        merged.files += 1;
        write(line)
    };
    for o in old {
        let o = o?;
        while let Some(n) = next.next_if(|n| n.as_str() < o.as_str()) {
            merged.changed = true;
            emit(n, &mut merged)?;
        }
        if next.next_if(|n| **n == o).is_some() || keep(&o) {
            emit(&o, &mut merged)?;
        } else {
            merged.changed = true;
            if !stale(&o) {
                emit(&o, &mut merged)?;
            }
        }
    }
    for n in next {
        merged.changed = true;
        emit(n, &mut merged)?;
    }
    Ok(merged)
}

/// Merges into a new manifest beside the old one; it replaces the old one (made durable first)
/// only if it differs. See [`merge`].
pub(super) fn rewrite(
    out_dir: &Path,
    new: &[String],
    keep: &dyn Fn(&str) -> bool,
    stale: &mut dyn FnMut(&str) -> bool,
) -> std::io::Result<Merged> {
    let tmp = tempfile::Builder::new().prefix(".feedpub-").suffix(".tmp").tempfile_in(out_dir)?;
    let mut out = BufWriter::new(tmp);
    let merged = merge(out_dir, new, keep, stale, &mut |line| writeln!(out, "{line}"))?;
    if merged.changed {
        let tmp = out.into_inner().map_err(|e| e.into_error())?;
        // tempfile creates 0600; the manifest is as readable as the site.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
        }
        tmp.as_file().sync_all()?;
        tmp.persist(out_dir.join(MANIFEST)).map_err(|e| e.error)?;
    }
    Ok(merged)
}

/// How many files the site in `out_dir` has, by its manifest (counted as it is read).
pub fn count(out_dir: &Path) -> usize {
    entries(out_dir).map_or(0, |e| e.map_while(Result::ok).count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(old: &str, new: &[&str], keep: &dyn Fn(&str) -> bool) -> (Vec<String>, Vec<String>, Merged) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MANIFEST), old).unwrap();
        let new: Vec<String> = new.iter().map(|s| s.to_string()).collect();
        let (mut gone, mut out) = (Vec::new(), Vec::new());
        let merged = merge(
            dir.path(),
            &new,
            keep,
            &mut |s| {
                gone.push(s.to_owned());
                true
            },
            &mut |s| {
                out.push(s.to_owned());
                Ok(())
            },
        )
        .unwrap();
        (out, gone, merged)
    }

    #[test]
    fn keeps_adds_and_removes_in_order() {
        let keep = |p: &str| p.starts_with("b/");
        let (out, gone, m) =
            run("a/1.html\na/2.html\nb/1.html\nindex.html\n", &["a/1.html", "a/3.html", "index.html"], &keep);
        assert_eq!(out, ["a/1.html", "a/3.html", "b/1.html", "index.html"]);
        assert_eq!(gone, ["a/2.html"]);
        assert_eq!(m, Merged { files: 4, changed: true });
        let (_, gone, m) = run("a/1.html\nindex.html\n", &["a/1.html", "index.html"], &|_| false);
        assert!(gone.is_empty() && !m.changed);
    }

    #[test]
    fn a_hand_edited_manifest_never_loses_a_kept_file() {
        // Unsorted, with a duplicate, an entry that would escape the folder, and other
        // spellings of a live file's name.
        let old = "z.html\na/1.html\n../x\na/1.html\na//1.html\na/./1.html\na/1.html/\n";
        let (out, gone, m) = run(old, &["a/1.html", "z.html"], &|_| false);
        assert_eq!(out, ["a/1.html", "z.html"]);
        assert!(gone.is_empty() && m.changed, "{gone:?}");
    }
}
