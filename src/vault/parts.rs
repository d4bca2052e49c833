//! A note's text, stored in parts: one per client and category, each sealed under
//! that compartment's key, so that a member reads exactly the categories their keys
//! open.
//!
//! A note's record (sealed for the attendance compartment of each of its clients)
//! holds its date, type, clients and status, and for its body and each addendum a list
//! of parts. Every category of the policy has a part for every client, empty or not,
//! and a part's text is padded to at least 128 bytes: whoever opens the record but not
//! a part learns neither whether the note has text of that category nor, below about
//! a hundred bytes (its heading included), how much.
//!
//! Invariant: a part is bound (associated data) to its note version, its place (body
//! or which addendum) and its compartment: moved anywhere else it does not open.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use base64::Engine;
use base64::prelude::BASE64_STANDARD_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

use super::seal::Sealed;
use crate::base::{ClientId, Date, NoteId, RecordKind, RecordRef, Timestamp};
use crate::crypto::compartment::{self, DataKey};
use crate::error::Error;
use crate::model::note::split::pieces;
use crate::model::note::{Note, NoteSource, NoteStatus, NoteType};

type Result<T> = std::result::Result<T, Error>;

/// A sealed part as the note's record lists it.
#[derive(Serialize, Deserialize)]
struct Part {
    /// The compartment's identifier.
    c: String,
    /// nonce || ciphertext, base64.
    s: String,
}

/// What a part holds besides its category (its label): the pieces of the text of that
/// category with their places in the whole (so that a reader of every part rebuilds
/// the text byte for byte).
type Pieces = Vec<(u32, String)>;

/// Where in a note a list of parts belongs: the body, or one addendum.
fn binding(reference: &RecordRef, place: &str, compartment: &str) -> Vec<u8> {
    let mut out = b"casevault.org/v2/note-part".to_vec();
    for part in [
        reference.kind.as_str().as_bytes(),
        reference.id.as_bytes(),
        &reference.version.to_be_bytes(),
        place.as_bytes(),
        compartment.as_bytes(),
    ] {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

/// The key a part of `category` for `client` is sealed under: (identifier, key).
pub(crate) use super::index::KeyFor;

/// Seals `text` into parts: for each client, one part per category of `categories`
/// (and of any category the text has that is not among them).
fn seal(
    reference: &RecordRef,
    place: &str,
    text: &str,
    clients: &[String],
    categories: &[String],
    key_for: &mut KeyFor<'_>,
) -> Result<Vec<Part>> {
    let mut by_category: BTreeMap<&str, Vec<(u32, &str)>> = BTreeMap::new();
    let pieces = pieces(text);
    for (index, (category, piece)) in pieces.iter().enumerate() {
        by_category
            .entry(category.as_str())
            .or_default()
            .push((index as u32, piece));
    }
    let mut extra: Vec<&str> = Vec::new();
    for category in by_category.keys() {
        if !categories.iter().any(|c| c == category) {
            extra.push(category);
        }
    }
    let all = categories.iter().map(String::as_str).chain(extra);
    let mut parts = Vec::with_capacity(clients.len() * (categories.len() + 1));
    for client in clients {
        for category in all.clone() {
            let (id, key) = key_for(client, category)?;
            let pieces: &[(u32, &str)] = by_category.get(category).map_or(&[], Vec::as_slice);
            let plain = crate::crypto::record::to_json(&pieces)
                .map_err(|e| Error::InvalidInput(format!("cannot serialize: {e}")))?;
            let sealed = compartment::seal_part(
                &key,
                &binding(reference, place, &id),
                category.as_bytes(),
                &plain,
            );
            parts.push(Part {
                c: id,
                s: BASE64_STANDARD_NO_PAD.encode(sealed),
            });
        }
    }
    Ok(parts)
}

/// A note's record as it is stored: what [`Note::record`] holds, with the body and
/// each addendum's body as parts instead of text (and never the sections, which are
/// split from the text again when it is read). Written directly, not through a
/// `serde_json::Value`; [`assemble`] reads it.
#[derive(Serialize)]
struct PartedNote<'a> {
    id: &'a NoteId,
    version: u32,
    clients: &'a [ClientId],
    date: Date,
    note_type: NoteType,
    status: &'a NoteStatus,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    addenda: Vec<PartedAddendum<'a>>,
    written_at: Timestamp,
    written_by: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a NoteSource>,
    parts: Vec<Part>,
}

/// An addendum as [`PartedNote`] holds it.
#[derive(Serialize)]
struct PartedAddendum<'a> {
    written_at: Timestamp,
    written_by: &'a str,
    parts: Vec<Part>,
}

/// The keys a note is sealed under, fetched beforehand in a transaction
/// ([`Access::note_keys`](super::access::Access::note_keys)): each part's, by client
/// and category, and the record's (each client's attendance compartment). Sealing
/// with them reads nothing, so many notes seal at once on every core.
pub(crate) struct NoteKeys {
    /// The clients that get parts (a participant whose record was destroyed gets none).
    pub(super) clients: Vec<String>,
    /// The policy's categories: every one has a part for every client.
    pub(super) categories: Vec<String>,
    /// (client, category) → the compartment's identifier and key.
    pub(super) parts: HashMap<(String, String), (String, Arc<DataKey>)>,
    /// The record's stanzas: each client's attendance compartment.
    pub(super) record: Vec<(String, Arc<DataKey>)>,
}

impl NoteKeys {
    /// True when `other` holds the same keys for the same clients and categories
    /// (fetched from the same keyring, so the very same keys): what was sealed under
    /// one is what the other would seal.
    pub(crate) fn same_as(&self, other: &NoteKeys) -> bool {
        let same = |(a, k): &(String, Arc<DataKey>), (b, l): &(String, Arc<DataKey>)| {
            a == b && Arc::ptr_eq(k, l)
        };
        self.clients == other.clients
            && self.categories == other.categories
            && self.record.len() == other.record.len()
            && self
                .record
                .iter()
                .zip(&other.record)
                .all(|(a, b)| same(a, b))
            && self.parts.len() == other.parts.len()
            && self
                .parts
                .iter()
                .all(|(k, a)| other.parts.get(k).is_some_and(|b| same(a, b)))
    }

    /// The key of `category`'s part for `client`: fetched, or else from `more`.
    fn key_for(
        &self,
        client: &str,
        category: &str,
        more: &mut KeyFor<'_>,
    ) -> Result<(String, Arc<DataKey>)> {
        match self.parts.get(&(client.to_owned(), category.to_owned())) {
            Some((id, key)) => Ok((id.clone(), key.clone())),
            None => more(client, category),
        }
    }

    /// The record's plaintext: the note's fields, its text sealed in parts.
    fn stored_form(
        &self,
        reference: &RecordRef,
        note: &Note,
        more: &mut KeyFor<'_>,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let mut key_for = |client: &str, category: &str| self.key_for(client, category, more);
        let body = seal(
            reference,
            "body",
            &note.body,
            &self.clients,
            &self.categories,
            &mut key_for,
        )?;
        let mut addenda = Vec::with_capacity(note.addenda.len());
        for (i, addendum) in note.addenda.iter().enumerate() {
            addenda.push(PartedAddendum {
                written_at: addendum.written_at,
                written_by: &addendum.written_by,
                parts: seal(
                    reference,
                    &format!("addendum/{i}"),
                    &addendum.body,
                    &self.clients,
                    &self.categories,
                    &mut key_for,
                )?,
            });
        }
        super::seal::to_json(&PartedNote {
            id: &note.id,
            version: note.version,
            clients: &note.clients,
            date: note.date,
            note_type: note.note_type,
            status: &note.status,
            addenda,
            written_at: note.written_at,
            written_by: &note.written_by,
            source: note.source.as_ref(),
            parts: body,
        })
    }

    /// Seals a note version: its parts under the keys fetched, and the record holding
    /// them for each client's attendance compartment. `more` gives the key of a
    /// category the text has that is not among the policy's (fetched then).
    pub(crate) fn seal(&self, note: &Note, more: &mut KeyFor<'_>) -> Result<Sealed> {
        let reference = RecordRef::new(RecordKind::Note, &note.id, note.version);
        let plain = self.stored_form(&reference, note, more)?;
        super::seal::check_size(&reference, plain.len())?;
        // What the note adds to the search index, under the same parts' keys.
        let texts: Vec<&str> = std::iter::once(note.body.as_str())
            .chain(note.addenda.iter().map(|a| a.body.as_str()))
            .collect();
        let entry = super::index::entry_of_note(
            &reference,
            &texts,
            &self.clients,
            &self.categories,
            &mut |client: &str, category: &str| self.key_for(client, category, more),
        )?;
        let stanzas: Vec<(&str, &DataKey)> = self
            .record
            .iter()
            .map(|(id, key)| (id.as_str(), key.as_ref()))
            .collect();
        let ciphertext = crate::crypto::record::seal_to(&stanzas, &reference, &plain);
        let sha256 = crate::audit::sha256_hex(&ciphertext);
        Ok(Sealed {
            reference,
            ciphertext,
            sha256,
            index: Some(entry),
        })
    }
}

/// Opens the parts whose keys `key_of` gives and rebuilds the text they hold: the
/// whole text when every part was opened (the bool says so), otherwise the pieces that
/// were. A part that fails to open with its key is an integrity failure.
pub(crate) fn open(
    reference: &RecordRef,
    place: &str,
    parts: &Value,
    key_of: &dyn Fn(&str) -> Option<Arc<DataKey>>,
) -> Result<(String, bool)> {
    let malformed = || Error::MalformedRecord {
        record: reference.to_string(),
    };
    let parts = Vec::<Part>::deserialize(parts).map_err(|_| malformed())?;
    let mut pieces: BTreeMap<u32, String> = BTreeMap::new();
    let mut whole = true;
    for part in &parts {
        let Some(key) = key_of(&part.c) else {
            whole = false;
            continue;
        };
        let sealed = BASE64_STANDARD_NO_PAD
            .decode(&part.s)
            .map_err(|_| malformed())?;
        let opened = compartment::open_part(&key, &binding(reference, place, &part.c), &sealed)
            .ok_or_else(|| {
                Error::from(crate::crypto::record::IntegrityError {
                    reference: reference.clone(),
                })
            })?;
        let text: Pieces = serde_json::from_slice(&opened.text).map_err(|_| malformed())?;
        for (index, piece) in text {
            pieces.entry(index).or_insert(piece);
        }
    }
    let text: String = pieces.into_values().collect();
    Ok((text, whole))
}

/// Rebuilds a note record's JSON as the note types read it (`body` and each addendum's
/// `body` as text), from its stored form (parts); a record written before practices
/// (a `body` already) is returned as it is. The bool says whether every part was read.
pub(crate) fn assemble(
    reference: &RecordRef,
    plain: Zeroizing<Vec<u8>>,
    key_of: &dyn Fn(&str) -> Option<Arc<DataKey>>,
) -> Result<(Zeroizing<Vec<u8>>, bool)> {
    let malformed = || Error::MalformedRecord {
        record: reference.to_string(),
    };
    let mut value: Value = serde_json::from_slice(&plain).map_err(|_| malformed())?;
    let Some(parts) = value.get_mut("parts").map(Value::take) else {
        return Ok((plain, true));
    };
    let (body, mut whole) = open(reference, "body", &parts, key_of)?;
    let object = value.as_object_mut().ok_or_else(malformed)?;
    object.remove("parts");
    object.insert("body".into(), Value::String(body));
    if let Some(addenda) = object.get_mut("addenda").and_then(Value::as_array_mut) {
        for (i, addendum) in addenda.iter_mut().enumerate() {
            let parts = addendum
                .get_mut("parts")
                .map(Value::take)
                .ok_or_else(malformed)?;
            let (body, read) = open(reference, &format!("addendum/{i}"), &parts, key_of)?;
            whole &= read;
            let addendum = addendum.as_object_mut().ok_or_else(malformed)?;
            addendum.remove("parts");
            addendum.insert("body".into(), Value::String(body));
        }
    }
    let json = crate::crypto::record::to_json(&value).map_err(|_| malformed())?;
    Ok((json, whole))
}

/// What a stored note version adds to the search index: the trigrams of each of its
/// parts `key_of` opens (a note re-sealed under new keys).
pub(crate) fn index_entry_of_record(
    reference: &RecordRef,
    plain: &[u8],
    key_of: &dyn Fn(&str) -> Option<Arc<DataKey>>,
) -> Result<super::index::Entry> {
    Ok(super::index::entry_of_texts(
        reference,
        texts_by_compartment(reference, plain, key_of)?,
    ))
}

/// Each compartment's key and its texts (body and addenda, in order).
pub(crate) type TextsByCompartment = BTreeMap<String, (Arc<DataKey>, Vec<String>)>;

/// The text of each part of a stored note record (body and addenda) that `key_of`
/// opens, by compartment, with the key: what the search index reads of a note sealed
/// beforehand. A part that fails to open with its key is an integrity failure.
pub(crate) fn texts_by_compartment(
    reference: &RecordRef,
    plain: &[u8],
    key_of: &dyn Fn(&str) -> Option<Arc<DataKey>>,
) -> Result<TextsByCompartment> {
    #[derive(Deserialize)]
    struct Stored {
        #[serde(default)]
        parts: Vec<Part>,
        #[serde(default)]
        addenda: Vec<AddendumStored>,
    }
    #[derive(Deserialize)]
    struct AddendumStored {
        #[serde(default)]
        parts: Vec<Part>,
    }
    let malformed = || Error::MalformedRecord {
        record: reference.to_string(),
    };
    let stored: Stored = serde_json::from_slice(plain).map_err(|_| malformed())?;
    let places = std::iter::once(("body".to_owned(), stored.parts)).chain(
        stored
            .addenda
            .into_iter()
            .enumerate()
            .map(|(i, a)| (format!("addendum/{i}"), a.parts)),
    );
    let mut out = TextsByCompartment::new();
    for (place, parts) in places {
        for part in parts {
            let Some(key) = key_of(&part.c) else {
                continue;
            };
            let sealed = BASE64_STANDARD_NO_PAD
                .decode(&part.s)
                .map_err(|_| malformed())?;
            let opened =
                compartment::open_part(&key, &binding(reference, &place, &part.c), &sealed)
                    .ok_or_else(|| {
                        Error::from(crate::crypto::record::IntegrityError {
                            reference: reference.clone(),
                        })
                    })?;
            let pieces: Pieces = serde_json::from_slice(&opened.text).map_err(|_| malformed())?;
            let text: String = pieces.into_iter().map(|(_, piece)| piece).collect();
            out.entry(part.c)
                .or_insert_with(|| (key, Vec::new()))
                .1
                .push(text);
        }
    }
    Ok(out)
}

/// Every compartment a stored note record's parts name (body and addenda).
pub(crate) fn compartments_of_record(plain: &[u8]) -> Vec<String> {
    /// Only the parts' compartments: the rest of the record is passed over.
    #[derive(Deserialize)]
    struct Named {
        #[serde(default)]
        parts: Vec<PartName>,
        #[serde(default)]
        addenda: Vec<AddendumNamed>,
    }
    #[derive(Deserialize)]
    struct AddendumNamed {
        #[serde(default)]
        parts: Vec<PartName>,
    }
    #[derive(Deserialize)]
    struct PartName {
        c: String,
    }
    let Ok(named) = serde_json::from_slice::<Named>(plain) else {
        return Vec::new();
    };
    let mut out: Vec<String> = named
        .parts
        .into_iter()
        .chain(named.addenda.into_iter().flat_map(|a| a.parts))
        .map(|p| p.c)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Every part of a decrypted note record: (place, compartment, sealed bytes).
pub(crate) fn raw_parts(plain: &[u8]) -> Vec<(String, String, Vec<u8>)> {
    let Ok(value) = serde_json::from_slice::<Value>(plain) else {
        return Vec::new();
    };
    let mut places: Vec<(String, Value)> = Vec::new();
    if let Some(parts) = value.get("parts") {
        places.push(("body".into(), parts.clone()));
    }
    if let Some(addenda) = value.get("addenda").and_then(Value::as_array) {
        for (i, addendum) in addenda.iter().enumerate() {
            if let Some(parts) = addendum.get("parts") {
                places.push((format!("addendum/{i}"), parts.clone()));
            }
        }
    }
    let mut out = Vec::new();
    for (place, parts) in places {
        let parts: Vec<Part> = serde_json::from_value(parts).unwrap_or_default();
        for part in parts {
            if let Ok(sealed) = BASE64_STANDARD_NO_PAD.decode(&part.s) {
                out.push((place.clone(), part.c, sealed));
            }
        }
    }
    out
}

/// Opens one part with one key: its category and text.
pub(crate) fn open_one(
    key: &DataKey,
    reference: &RecordRef,
    place: &str,
    compartment: &str,
    sealed: &[u8],
) -> Option<(String, String)> {
    let opened = compartment::open_part(key, &binding(reference, place, compartment), sealed)?;
    let pieces: Pieces = serde_json::from_slice(&opened.text).ok()?;
    let joined: String = pieces.into_iter().map(|(_, piece)| piece).collect();
    Some((opened.label, joined))
}

/// Seals a part again under another key (a new epoch's, same compartment): the same
/// label and text, bound to `new_compartment`. `None` when `old_key` does not open it.
pub(crate) fn reseal_part(
    reference: &RecordRef,
    place: &str,
    old: (&str, &DataKey),
    new: (&str, &DataKey),
    sealed: &[u8],
) -> Option<Vec<u8>> {
    let opened = compartment::open_part(old.1, &binding(reference, place, old.0), sealed)?;
    Some(compartment::seal_part(
        new.1,
        &binding(reference, place, new.0),
        opened.label.as_bytes(),
        &opened.text,
    ))
}

/// Every list of parts in a stored note record's JSON, with its place (`body`,
/// `addendum/<i>`), for changing them in place.
pub(crate) fn part_lists(value: &mut Value) -> Vec<(String, &mut Value)> {
    let mut out = Vec::new();
    let Some(object) = value.as_object_mut() else {
        return out;
    };
    let (mut parts, mut addenda) = (None, None);
    for (key, item) in object.iter_mut() {
        match key.as_str() {
            "parts" => parts = Some(item),
            "addenda" => addenda = Some(item),
            _ => {}
        }
    }
    if let Some(parts) = parts {
        out.push(("body".to_owned(), parts));
    }
    if let Some(addenda) = addenda.and_then(Value::as_array_mut) {
        for (i, addendum) in addenda.iter_mut().enumerate() {
            if let Some(parts) = addendum.get_mut("parts") {
                out.push((format!("addendum/{i}"), parts));
            }
        }
    }
    out
}

/// Decodes a part's sealed bytes from its JSON form.
pub(crate) fn part_bytes(part: &Value) -> Option<(String, Vec<u8>)> {
    let id = part.get("c")?.as_str()?.to_owned();
    let sealed = BASE64_STANDARD_NO_PAD
        .decode(part.get("s")?.as_str()?)
        .ok()?;
    Some((id, sealed))
}

/// A part's JSON form.
pub(crate) fn part_value(compartment: &str, sealed: &[u8]) -> Value {
    serde_json::json!({ "c": compartment, "s": BASE64_STANDARD_NO_PAD.encode(sealed) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::note::Addendum;

    const CATEGORIES: [&str; 5] = [
        "attendance",
        "progress",
        "risk",
        "medication",
        "psychotherapy-notes",
    ];

    fn note() -> Note {
        Note {
            id: "0a0b0c0d".into(),
            version: 3,
            clients: vec!["01020304".into(), "05060708".into()],
            date: "2026-03-01".parse().unwrap(),
            note_type: NoteType::Couples,
            body: "Slept better.\n## risk\nNo current risk.\n".into(),
            sections: Vec::new(),
            status: NoteStatus::Signed {
                at: "2026-03-02T10:00:00Z".parse().unwrap(),
                by: "ada".into(),
            },
            addenda: vec![Addendum {
                written_at: "2026-03-03T10:00:00Z".parse().unwrap(),
                written_by: "ada".into(),
                body: "## medication\nStarted.".into(),
                sections: Vec::new(),
            }],
            written_at: "2026-03-03T10:00:00Z".parse().unwrap(),
            written_by: "ada".into(),
            source: Some(NoteSource {
                file: "2026-03-01.md".into(),
                sha256: "00".repeat(32),
            }),
        }
    }

    fn keys(note: &Note) -> NoteKeys {
        let clients: Vec<String> = note.clients.iter().map(ToString::to_string).collect();
        let mut parts = HashMap::new();
        for client in &clients {
            for category in CATEGORIES {
                let id = format!("{client}/{category}");
                parts.insert(
                    (client.clone(), category.to_owned()),
                    (id, Arc::new(compartment::generate())),
                );
            }
        }
        let record = clients
            .iter()
            .map(|c| {
                (
                    format!("{c}/attendance-record"),
                    Arc::new(compartment::generate()),
                )
            })
            .collect();
        NoteKeys {
            clients,
            categories: CATEGORIES.map(str::to_owned).to_vec(),
            parts,
            record,
        }
    }

    /// A note's record is now written directly, not built as a `serde_json::Value`
    /// from the note's record with its texts swapped for parts: it must hold exactly
    /// what that gave (records written before and after read alike), and open whole.
    #[test]
    fn the_stored_form_is_the_shape_written_before_and_opens_whole() {
        let note = note();
        let keys = keys(&note);
        let reference = RecordRef::new(RecordKind::Note, &note.id, note.version);
        let plain = keys
            .stored_form(&reference, &note, &mut |_, _| {
                panic!("every category has its key")
            })
            .unwrap();
        let stored: Value = serde_json::from_slice(&plain).unwrap();
        assert_eq!(
            stored["parts"].as_array().unwrap().len(),
            note.clients.len() * CATEGORIES.len(),
            "a part per client and category"
        );

        // The earlier construction, with the same parts (their nonces are random).
        let mut before = serde_json::to_value(note.record()).unwrap();
        let object = before.as_object_mut().unwrap();
        object.remove("body");
        object.remove("sections");
        object.insert("parts".into(), stored["parts"].clone());
        let addenda = object.get_mut("addenda").unwrap().as_array_mut().unwrap();
        for (i, addendum) in addenda.iter_mut().enumerate() {
            let addendum = addendum.as_object_mut().unwrap();
            addendum.remove("body");
            addendum.remove("sections");
            addendum.insert("parts".into(), stored["addenda"][i]["parts"].clone());
        }
        assert_eq!(stored, before);

        let by_id: HashMap<String, Arc<DataKey>> = keys.parts.values().cloned().collect();
        let (json, whole) = assemble(&reference, plain, &|c| by_id.get(c).cloned()).unwrap();
        assert!(whole);
        let read: Note = serde_json::from_slice(&json).unwrap();
        assert_eq!(read.body, note.body);
        assert_eq!(read.addenda[0].body, note.addenda[0].body);
        assert_eq!(
            (
                &read.id,
                read.version,
                &read.clients,
                &read.status,
                &read.source
            ),
            (
                &note.id,
                note.version,
                &note.clients,
                &note.status,
                &note.source
            )
        );

        // A reader holding one client's risk key reads that part alone.
        let (id, key) = keys.parts[&("01020304".to_owned(), "risk".to_owned())].clone();
        let raw: Value = serde_json::from_slice(
            &keys
                .stored_form(&reference, &note, &mut |_, _| unreachable!())
                .unwrap(),
        )
        .unwrap();
        let (text, whole) = open(&reference, "body", &raw["parts"], &|c| {
            (c == id).then(|| key.clone())
        })
        .unwrap();
        assert!(!whole);
        assert_eq!(text, "## risk\nNo current risk.\n");
    }

    /// Keys fetched again from the same keyring are the same keys; any other key is not.
    #[test]
    fn keys_are_the_same_only_when_every_key_is() {
        let note = note();
        let keys = keys(&note);
        let again = NoteKeys {
            clients: keys.clients.clone(),
            categories: keys.categories.clone(),
            parts: keys.parts.clone(),
            record: keys.record.clone(),
        };
        assert!(keys.same_as(&again));
        let mut other = again;
        let slot = other
            .parts
            .get_mut(&("01020304".to_owned(), "risk".to_owned()))
            .unwrap();
        slot.1 = Arc::new(compartment::generate());
        assert!(!keys.same_as(&other));
    }
}
