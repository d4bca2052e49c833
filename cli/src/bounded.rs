//! Every file and every standard input the command reads, read within a bound.
//!
//! A note from `/dev/zero`, an endless pipe (`yes | casevault note add …`) or a
//! passphrase file of gigabytes must not take the machine's memory: [`read`] stops
//! after the input's limit plus one byte and refuses what is longer, naming the input
//! and its limit. Memory stays near the bound: a regular file's buffer is sized once
//! from its length; anything else grows by doubling, each smaller buffer wiped as it
//! is replaced, and a refused input is wiped before the error is returned (it may be
//! a secret or a client's story).

use std::io::{ErrorKind, Read};
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::CliError;

/// What is being read: it sets the limit and the words of the errors.
#[derive(Clone, Copy)]
pub enum Input<'a> {
    /// A note's text (`note add|edit|amend --file`, standard input, the editor's file).
    Note,
    /// A policy file (`policy set FILE`).
    Policy,
    /// A file holding a secret on its first line (`--passphrase-file`, …); names it.
    Secret(&'a str),
    /// A short text kept off the command line (justification, reference, profile,
    /// search query); names it.
    Text(&'a str),
}

/// The most a policy file may hold.
pub const MAX_POLICY_BYTES: usize = 1024 * 1024;
/// The most a file holding a passphrase or recovery code may hold.
pub const MAX_SECRET_FILE_BYTES: usize = 64 * 1024;
/// The most a justification, reference, profile or search query may hold.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

impl<'a> Input<'a> {
    /// The most bytes this input may hold.
    pub fn limit(self) -> usize {
        match self {
            Input::Note => casevault::MAX_NOTE_BYTES,
            Input::Policy => MAX_POLICY_BYTES,
            Input::Secret(_) => MAX_SECRET_FILE_BYTES,
            Input::Text(_) => MAX_TEXT_BYTES,
        }
    }

    fn noun(self) -> &'a str {
        match self {
            Input::Note => "note",
            Input::Policy => "policy",
            Input::Secret(what) | Input::Text(what) => what,
        }
    }

    fn remedy(self) -> &'static str {
        match self {
            Input::Note => {
                "split the text into several notes, each under the limit; check that the right file was given"
            }
            Input::Policy => "check that the right file was given: a policy is a short TOML file",
            Input::Secret(_) => {
                "check that the right file was given: only its first line is read, and a passphrase is a line of text"
            }
            Input::Text(_) => "shorten it, or check that the right file was given",
        }
    }
}

/// Where an input comes from.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    /// A file; `-` is not special here.
    File(&'a Path),
    /// Standard input.
    Stdin,
}

impl Source<'_> {
    fn describe(self) -> String {
        match self {
            Source::File(path) => path.display().to_string(),
            Source::Stdin => "standard input".into(),
        }
    }
}

/// `limit` in the largest whole unit that states it exactly.
pub fn human(limit: usize) -> String {
    if limit >= 1024 * 1024 && limit.is_multiple_of(1024 * 1024) {
        format!("{} MiB", limit / (1024 * 1024))
    } else if limit >= 1024 && limit.is_multiple_of(1024) {
        format!("{} KiB", limit / 1024)
    } else {
        format!("{limit} bytes")
    }
}

/// Reads all of `source`, at most `input`'s limit; longer input is refused (exit 1)
/// after reading one byte past the limit, and what was read is wiped.
pub fn read(source: Source<'_>, input: Input<'_>) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let limit = input.limit();
    let cannot = |e: std::io::Error| match source {
        Source::File(path) => CliError::input(
            format!(
                "cannot read the {} file {}: {e}",
                input.noun(),
                path.display()
            ),
            "check the path and its permissions",
        ),
        Source::Stdin => CliError::input(
            format!("cannot read the {} from standard input: {e}", input.noun()),
            "run the command again",
        ),
    };
    let bytes = match source {
        Source::File(path) => {
            let file = std::fs::File::open(path).map_err(cannot)?;
            // A regular file's length sizes the buffer once; a device or pipe says 0.
            let hint = file
                .metadata()
                .ok()
                .filter(|m| m.is_file())
                .map_or(0, |m| usize::try_from(m.len()).unwrap_or(usize::MAX));
            read_at_most(file, limit, hint)
        }
        Source::Stdin => read_at_most(std::io::stdin().lock(), limit, 0),
    }
    .map_err(cannot)?;
    bytes.ok_or_else(|| {
        CliError::input(
            format!(
                "the {} in {} is larger than {}, the most casevault reads for it; nothing was written",
                input.noun(),
                source.describe(),
                human(limit)
            ),
            input.remedy(),
        )
    })
}

/// Reads `reader` to its end if it holds at most `limit` bytes (`Some`), else stops
/// after `limit + 1` bytes and wipes them (`None`). `size_hint` is the expected length.
pub fn read_at_most(
    mut reader: impl Read,
    limit: usize,
    size_hint: usize,
) -> std::io::Result<Option<Zeroizing<Vec<u8>>>> {
    let most = limit.saturating_add(1);
    // One more than the hint, so that reading the end of a file needs no reallocation.
    let initial = match size_hint {
        0 => 8 * 1024,
        hint => hint.saturating_add(1),
    };
    let mut buf = Zeroizing::new(Vec::with_capacity(initial.min(most)));
    let mut chunk = Zeroizing::new([0u8; 16 * 1024]);
    while buf.len() < most {
        let want = chunk.len().min(most - buf.len());
        let n = match reader.read(&mut chunk[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.capacity() - buf.len() < n {
            // Grow by hand: the old buffer is wiped when dropped, never left behind
            // by a reallocation.
            let capacity = buf
                .capacity()
                .saturating_mul(2)
                .max(buf.len() + n)
                .min(most);
            let mut bigger = Zeroizing::new(Vec::with_capacity(capacity));
            bigger.extend_from_slice(&buf);
            buf = bigger;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok((buf.len() <= limit).then_some(buf))
}

/// One line of standard input (a terminal, usually), at most `input`'s limit: its
/// text without the line ending, or `None` at the end of input. A longer line is
/// wiped and refused like a longer file.
pub fn read_line(input: Input<'_>) -> Result<Option<Zeroizing<String>>, CliError> {
    let limit = input.limit();
    let mut stdin = std::io::stdin().lock();
    let line = line_at_most(&mut stdin, limit).map_err(|e| {
        CliError::input(
            format!("cannot read the {} from standard input: {e}", input.noun()),
            "run the command again",
        )
    })?;
    let Some(mut line) = line else {
        return Err(CliError::input(
            format!(
                "the {} in standard input is longer than {}, the most casevault reads for it; nothing was written",
                input.noun(),
                human(limit)
            ),
            input.remedy(),
        ));
    };
    let Some(ended) = line.take() else {
        return Ok(None);
    };
    let text = into_text(ended).ok_or_else(|| {
        CliError::usage(
            format!("the {} typed is not UTF-8 text", input.noun()),
            "set the terminal's encoding to UTF-8 and run the command again",
        )
    })?;
    let mut text = text;
    // Truncation never reallocates.
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(Some(text))
}

/// Reads one line (up to and including `\n`, or to the end) from `reader`, in a buffer
/// of `limit + 1` bytes allocated once: `Some(Some(line))`, `Some(None)` at the end
/// of input, `None` (and what was read wiped) when the line is longer than `limit`.
fn line_at_most(
    reader: &mut impl std::io::BufRead,
    limit: usize,
) -> std::io::Result<Option<Option<Zeroizing<Vec<u8>>>>> {
    let mut line = Zeroizing::new(Vec::with_capacity(limit.saturating_add(1).min(64 * 1024)));
    let mut any = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            break;
        }
        any = true;
        let (take, done) = match available.iter().position(|&b| b == b'\n') {
            Some(at) => (at + 1, true),
            None => (available.len(), false),
        };
        if line.len() + take > limit.saturating_add(2) {
            // Over the limit even without its line ending: refuse.
            reader.consume(take);
            return Ok(None);
        }
        if line.capacity() - line.len() < take {
            let capacity = (line.capacity().saturating_mul(2)).max(line.len() + take);
            let mut bigger = Zeroizing::new(Vec::with_capacity(capacity));
            bigger.extend_from_slice(&line);
            line = bigger;
        }
        line.extend_from_slice(&available[..take]);
        reader.consume(take);
        if done {
            break;
        }
    }
    let text_len = line
        .strip_suffix(b"\n")
        .map_or(line.len(), |l| l.strip_suffix(b"\r").unwrap_or(l).len());
    if text_len > limit {
        return Ok(None);
    }
    Ok(Some(any.then_some(line)))
}

/// `bytes` as UTF-8 text, without copying; `None` (and the bytes wiped) if they are not.
pub fn into_text(mut bytes: Zeroizing<Vec<u8>>) -> Option<Zeroizing<String>> {
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Some(Zeroizing::new(text)),
        Err(e) => {
            // Wiped when dropped.
            drop(Zeroizing::new(e.into_bytes()));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that never ends.
    struct Endless;

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            buf.fill(b'y');
            Ok(buf.len())
        }
    }

    #[test]
    fn reads_up_to_the_limit_and_refuses_past_it() {
        for limit in [0usize, 1, 100, 16 * 1024, 16 * 1024 + 1, 100_000] {
            for len in [limit.saturating_sub(1), limit, limit + 1, limit * 3 + 7] {
                let data = vec![b'a'; len];
                for hint in [0, len, len / 2] {
                    let got = read_at_most(&data[..], limit, hint).unwrap();
                    if len <= limit {
                        assert_eq!(got.as_deref().map(|v| v.len()), Some(len));
                    } else {
                        assert!(got.is_none(), "{len} > {limit}");
                    }
                }
            }
        }
        assert!(read_at_most(Endless, 1 << 20, 0).unwrap().is_none());
    }

    #[test]
    fn the_buffer_stays_near_the_bound() {
        let limit = 1 << 20;
        let got = read_at_most(&vec![0u8; limit][..], limit, 0)
            .unwrap()
            .unwrap();
        assert!(got.capacity() <= limit + 1, "{}", got.capacity());
        let got = read_at_most(&vec![0u8; 10][..], limit, 10)
            .unwrap()
            .unwrap();
        assert!(got.capacity() <= 11, "{}", got.capacity());
    }

    #[test]
    fn lines_are_read_up_to_the_limit() {
        let mut input = &b"short\r\nnext\n"[..];
        let line = line_at_most(&mut input, 5).unwrap().unwrap().unwrap();
        assert_eq!(&line[..], b"short\r\n");
        let line = line_at_most(&mut input, 5).unwrap().unwrap().unwrap();
        assert_eq!(&line[..], b"next\n");
        assert!(line_at_most(&mut input, 5).unwrap().unwrap().is_none());
        assert!(line_at_most(&mut &b"toolong\n"[..], 5).unwrap().is_none());
        let mut endless = std::io::BufReader::new(Endless);
        assert!(line_at_most(&mut endless, 1 << 16).unwrap().is_none());
    }

    #[test]
    fn every_input_is_read_through_this_module() {
        for (name, text) in crate::child::tests::SOURCES {
            // The demo reads back only the files it has just written itself.
            if matches!(*name, "bounded.rs" | "commands/demo.rs") {
                continue;
            }
            for unbounded in [
                "fs::read(",
                "fs::read_to_string(",
                "read_to_end(",
                "read_to_string(",
                ".read_line(",
                ".lock().lines(",
                "stdin().lines(",
            ] {
                assert!(
                    !text.contains(unbounded),
                    "{name} reads with {unbounded}; read through bounded::read or bounded::read_line, which stop at the input's limit"
                );
            }
        }
    }

    #[test]
    fn limits_are_named_in_whole_units() {
        assert_eq!(human(8 * 1024 * 1024), "8 MiB");
        assert_eq!(human(64 * 1024), "64 KiB");
        assert_eq!(human(1000), "1000 bytes");
    }
}
