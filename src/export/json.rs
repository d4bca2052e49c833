//! The JSON bundle (`casevault-disclosure/1`, docs/EXPORT.md), written by serde_json
//! alone: one serializer with serde_json's pretty formatter writes the cover sheet and
//! the profile, then the notes as one sequence, fed a note at a time as each is read
//! back from the spool. serde_json escapes every string and lays out every line, so
//! no text can end a string or add a field, and the bytes are exactly those of
//! `serde_json::to_vec_pretty` on the whole bundle, which is never held in memory.
//!
//! The spool keeps each note as serde_json's compact text ([`spooled`]); it is read
//! back into a [`BundleNote`] just before it is serialized in its place.

use std::cell::Cell;
use std::io;

use serde::Serialize;
use serde::ser::{Error as _, SerializeSeq, Serializer};
use zeroize::Zeroizing;

use super::file::{Spool, SpooledNotes};
use super::{Bundle, BundleClient, BundleNote, Cover};
use crate::error::Error;

/// A note as the spool keeps it: serde_json's compact text. Wiped on drop.
pub(super) fn spooled(note: &BundleNote) -> Zeroizing<Vec<u8>> {
    // Serializing our own plain data into memory cannot fail.
    Zeroizing::new(serde_json::to_vec(note).expect("plain data serializes"))
}

/// The bundle as it is written: [`Bundle`]'s fields, in its order and under its
/// serde attributes, with the notes read back from the spool.
#[derive(Serialize)]
struct Streamed<'a> {
    format: &'a str,
    cover: &'a Cover,
    #[serde(skip_serializing_if = "Option::is_none")]
    client: Option<&'a BundleClient>,
    notes: Notes,
}

/// The spool's notes, serialized as one sequence. serde_json carries a failure to
/// read one back only as text, so the failure itself is kept here.
struct Notes {
    spooled: Cell<Option<SpooledNotes>>,
    count: usize,
    failed: Cell<Option<Error>>,
}

impl Serialize for Notes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(spooled) = self.spooled.take() else {
            return Err(S::Error::custom("the spooled notes are written once"));
        };
        let mut notes = serializer.serialize_seq(Some(self.count))?;
        for record in spooled {
            let note = record.and_then(|text| {
                serde_json::from_slice::<BundleNote>(&text).map_err(|e| {
                    Error::InvalidInput(format!("cannot read back a temporary file: {e}"))
                })
            });
            match note {
                Ok(note) => notes.serialize_element(&note)?,
                Err(e) => {
                    let message = e.to_string();
                    self.failed.set(Some(e));
                    return Err(S::Error::custom(message));
                }
            }
        }
        notes.end()
    }
}

/// Hands what serde_json writes on to the export. serde_json carries a failure to
/// write only as an I/O error, so the failure itself is kept here.
struct Out<'a> {
    put: &'a mut dyn FnMut(&[u8]) -> Result<(), Error>,
    failed: Option<Error>,
}

impl io::Write for Out<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match (self.put)(bytes) {
            Ok(()) => Ok(bytes.len()),
            Err(e) => {
                self.failed = Some(e);
                Err(io::Error::other("the export could not be written"))
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes `head`'s cover and profile and the notes `spool` holds as one JSON value.
pub(super) fn write(
    head: &Bundle,
    spool: Spool,
    put: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    // Every field of `Bundle` is named: one added there is a compile error here until
    // it is written too.
    let Bundle {
        format,
        cover,
        client,
        notes: _,
    } = head;
    let count = spool.len();
    let bundle = Streamed {
        format,
        cover,
        client: client.as_ref(),
        notes: Notes {
            spooled: Cell::new(Some(spool.into_notes()?)),
            count,
            failed: Cell::new(None),
        },
    };
    let mut out = Out { put, failed: None };
    let written = bundle.serialize(&mut serde_json::Serializer::pretty(&mut out));
    if let Some(e) = out.failed.take().or_else(|| bundle.notes.failed.take()) {
        return Err(e);
    }
    written.map_err(|e| Error::InvalidInput(format!("cannot write the export: {e}")))
}
