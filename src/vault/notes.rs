//! Clients and notes: adding, reading, editing, signing and amending.

use super::Session;
use super::input::{check_dates, without_bom};
use super::profile::{check_profile, kept_contact, kept_third_parties};
use crate::audit::Action;
use crate::base::{ClientId, NoteId, Timestamp};
use crate::base::{RecordKind, RecordRef};
use crate::error::Error;
use crate::model::client::{Client, NewClient};
use crate::model::note::{Addendum, NewNote, Note, NoteStatus, NoteType};

type Result<T> = std::result::Result<T, Error>;

impl Session {
    /// Adds a client; returns the new client's identifier.
    pub fn add_client(&mut self, new: NewClient) -> Result<ClientId> {
        check_dates(&[("date of birth", new.date_of_birth)])?;
        check_profile(Some(&new.name), new.contact.as_deref(), &new.third_parties)?;
        let name = new.name.trim().to_owned();
        let today = crate::base::Date::today();
        self.access(Action::ClientAdd, |a| {
            if !new.care.is_plain() {
                let (_, policy) = a.policy()?;
                crate::vault::restrict::check_care(&new.care, new.date_of_birth, &policy, today)?;
            }
            let id: ClientId = a.new_id(RecordKind::Client)?.into();
            let client = Client {
                id: id.clone(),
                name,
                date_of_birth: new.date_of_birth,
                contact: kept_contact(new.contact),
                third_parties: kept_third_parties(&new.third_parties),
                created_at: Timestamp::now(),
                care: new.care,
            };
            a.assign_self_if_caseload(&id)?;
            a.write_for(&id, RecordRef::new(RecordKind::Client, &id, 1), &client)?;
            Ok(id)
        })
    }

    /// Every client, by name.
    pub fn list_clients(&mut self) -> Result<Vec<Client>> {
        let mut clients: Vec<Client> =
            self.access(Action::ClientList, |a| a.read_all(RecordKind::Client))?;
        clients.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then(a.id.cmp(&b.id))
        });
        Ok(clients)
    }

    /// One client's profile.
    pub fn client(&mut self, id: &str) -> Result<Client> {
        self.access(Action::ClientShow, |a| a.client(id))
    }

    /// Adds a draft note; returns its identifier.
    pub fn add_note(&mut self, new: NewNote) -> Result<NoteId> {
        check_dates(&[("session date", Some(new.date))])?;
        let mut clients: Vec<ClientId> = Vec::with_capacity(new.clients.len());
        for client in &new.clients {
            if !clients.contains(client) {
                clients.push(client.clone());
            }
        }
        if clients.is_empty() {
            return Err(Error::InvalidInput(
                "a note needs at least one client".into(),
            ));
        }
        let note_type = match (new.note_type, clients.len()) {
            (Some(NoteType::Individual), n) if n > 1 => {
                return Err(Error::InvalidInput(format!(
                    "an individual note has one client, not {n}; say --type couples, family or group"
                )));
            }
            (Some(t), 1) if t != NoteType::Individual => {
                return Err(Error::InvalidInput(format!(
                    "a {} note has more than one client; add each with --client",
                    t.as_str()
                )));
            }
            (Some(t), _) => t,
            (None, 1) => NoteType::Individual,
            (None, _) => {
                return Err(Error::InvalidInput(
                    "a note with several clients needs --type couples, family or group".into(),
                ));
            }
        };
        let actor = self.actor.clone();
        let body = without_bom(&new.body);
        self.access(Action::NoteAdd, |a| {
            let sections = a.sections(body)?;
            for client in &clients {
                a.client(client)?;
            }
            let id: NoteId = a.new_id(RecordKind::Note)?.into();
            let note = Note {
                id: id.clone(),
                version: 1,
                clients,
                date: new.date,
                note_type,
                body: body.to_owned(),
                sections,
                status: NoteStatus::Draft,
                addenda: Vec::new(),
                written_at: Timestamp::now(),
                written_by: actor,
                source: None,
            };
            a.write_note(&note)?;
            Ok(id)
        })
    }

    /// The current version of a note.
    pub fn note(&mut self, id: &str) -> Result<Note> {
        self.access(Action::NoteShow, |a| a.note(id))
    }

    /// One earlier (or the current) version of a note.
    pub fn note_version(&mut self, id: &str, version: u32) -> Result<Note> {
        self.access(Action::NoteShow, |a| {
            let reference = RecordRef::new(RecordKind::Note, id, version);
            match a.record(&reference)? {
                Some(row) => a.decrypt(&row),
                None if a.record_exists(RecordKind::Note, id)? => Err(Error::NoSuchVersion {
                    note: id.to_owned(),
                    version,
                }),
                None => Err(Error::NoteNotFound(id.to_owned())),
            }
        })
    }

    /// The current version of every note of `client`, by session date.
    pub fn notes_for_client(&mut self, client: &str) -> Result<Vec<Note>> {
        let mut notes = self.access(Action::NoteList, |a| {
            a.client(client)?;
            let notes: Vec<Note> = a.read_all(RecordKind::Note)?;
            Ok(notes
                .into_iter()
                .filter(|n| n.clients.iter().any(|c| c == client))
                .collect::<Vec<_>>())
        })?;
        notes.sort_by(|a, b| a.date.cmp(&b.date).then(a.id.cmp(&b.id)));
        Ok(notes)
    }

    /// Replaces a draft note's body, keeping the earlier version.
    pub fn edit_note(&mut self, id: &str, body: &str) -> Result<u32> {
        let body = without_bom(body);
        let actor = self.actor.clone();
        self.access(Action::NoteEdit, |a| {
            let sections = a.sections(body)?;
            let mut note = a.whole_note(id)?;
            if note.is_signed() {
                return Err(Error::NoteSigned(id.to_owned()));
            }
            note.version += 1;
            note.body = body.to_owned();
            note.sections = sections;
            note.written_at = Timestamp::now();
            note.written_by = actor;
            a.write_note(&note)?;
            Ok(note.version)
        })
    }

    /// Signs a note, closing it for edits.
    pub fn sign_note(&mut self, id: &str) -> Result<u32> {
        let actor = self.actor.clone();
        self.access(Action::NoteSign, |a| {
            let mut note = a.whole_note(id)?;
            if note.is_signed() {
                return Err(Error::NoteSigned(id.to_owned()));
            }
            let at = Timestamp::now();
            note.version += 1;
            note.status = NoteStatus::Signed {
                at,
                by: actor.clone(),
            };
            note.written_at = at;
            note.written_by = actor;
            a.write_note(&note)?;
            Ok(note.version)
        })
    }

    /// Appends an addendum to a signed note.
    pub fn amend_note(&mut self, id: &str, body: &str) -> Result<u32> {
        let body = without_bom(body);
        let actor = self.actor.clone();
        self.access(Action::NoteAmend, |a| {
            let sections = a.sections(body)?;
            let mut note = a.whole_note(id)?;
            if !note.is_signed() {
                return Err(Error::NoteNotSigned(id.to_owned()));
            }
            let at = Timestamp::now();
            note.version += 1;
            note.addenda.push(Addendum {
                written_at: at,
                written_by: actor.clone(),
                body: body.to_owned(),
                sections,
            });
            note.written_at = at;
            note.written_by = actor;
            a.write_note(&note)?;
            Ok(note.version)
        })
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;
    use serde_json::json;

    use crate::base::{RecordKind, RecordRef};
    use crate::crypto::keyslot::KdfParams;
    use crate::error::{Error, ErrorClass};
    use crate::vault::Vault;

    /// A record whose time is not one casevault writes (the "unknown" a failing clock
    /// once gave, another offset, a fraction, a date) is reported as malformed, naming
    /// the record, as an integrity failure: it is never read as some other time.
    #[test]
    fn a_stored_time_that_is_not_rfc_3339_utc_is_a_malformed_record() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (mut session, _) = Vault::create(
            dir.path().join("practice.casevault"),
            &SecretString::from("a test passphrase"),
            KdfParams::default(),
            "dr-test",
        )
        .expect("a vault");
        let client = |id: &str, at: &str| {
            json!({
                "id": id, "name": "Ada Example", "date_of_birth": null, "contact": null,
                "third_parties": [], "created_at": at,
            })
        };
        let times = [
            "unknown",
            "an unreadable time",
            "2026-03-01T10:00:00+02:00",
            "2026-03-01T10:00:00.5Z",
            "2026-03-01",
        ];
        for (i, at) in times.into_iter().enumerate() {
            let id = format!("0000000{i}");
            let record = client(&id, at);
            session
                .access(crate::audit::Action::ClientAdd, |a| {
                    a.write(RecordRef::new(RecordKind::Client, &id, 1), &record)
                })
                .expect("write the record");
            match session.client(&id) {
                Err(e @ Error::MalformedRecord { .. }) => {
                    assert_eq!(
                        e.to_string(),
                        format!("client {id} version 1 decrypted but its content is malformed"),
                        "{at}"
                    );
                    assert_eq!(e.class(), ErrorClass::Integrity, "{at}");
                }
                other => panic!("{at}: {other:?}"),
            }
        }
        // The same record with a casevault time reads, and shows the time as stored.
        let record = client("0a0b0c0d", "2026-03-01T10:00:00Z");
        session
            .access(crate::audit::Action::ClientAdd, |a| {
                a.write(RecordRef::new(RecordKind::Client, "0a0b0c0d", 1), &record)
            })
            .expect("write the record");
        let read = session.client("0a0b0c0d").expect("a readable client");
        assert_eq!(read.created_at.to_string(), "2026-03-01T10:00:00Z");
        assert_eq!(serde_json::to_value(&read).expect("JSON"), record);
    }
}
