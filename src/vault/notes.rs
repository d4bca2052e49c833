//! Clients and notes: adding, reading, editing, signing and amending.

use super::input::{check_dates, check_lines, without_bom};
use super::{Session, now};
use crate::audit::Action;
use crate::base::{ClientId, NoteId};
use crate::base::{RecordKind, RecordRef};
use crate::error::Error;
use crate::model::client::{Client, NewClient};
use crate::model::note::{Addendum, NewNote, Note, NoteStatus, NoteType};

type Result<T> = std::result::Result<T, Error>;

impl Session {
    /// Adds a client; returns the new client's identifier.
    pub fn add_client(&mut self, new: NewClient) -> Result<ClientId> {
        check_dates(&[("date of birth", new.date_of_birth)])?;
        let name = new.name.trim().to_owned();
        if crate::base::fold::is_blank(&name) {
            return Err(Error::InvalidInput("the client's name is empty".into()));
        }
        if new
            .third_parties
            .iter()
            .any(|n| crate::base::fold::is_blank(n))
        {
            return Err(Error::InvalidInput("a third-party name is empty".into()));
        }
        check_lines(
            [("client's name", new.name.as_str())]
                .into_iter()
                .chain(new.contact.as_deref().map(|c| ("contact", c)))
                .chain(
                    new.third_parties
                        .iter()
                        .map(|n| ("third-party name", n.as_str())),
                ),
        )?;
        self.access(Action::ClientAdd, |a| {
            let id = a.new_id(RecordKind::Client)?;
            let client = Client {
                id: id.clone(),
                name,
                date_of_birth: new.date_of_birth,
                contact: new.contact.filter(|c| !crate::base::fold::is_blank(c)),
                third_parties: new
                    .third_parties
                    .iter()
                    .map(|n| n.trim().to_owned())
                    .collect(),
                created_at: now(),
            };
            a.write(RecordRef::new(RecordKind::Client, &id, 1), &client)?;
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
            let id = a.new_id(RecordKind::Note)?;
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
                written_at: now(),
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
            let mut note = a.note(id)?;
            if note.is_signed() {
                return Err(Error::NoteSigned(id.to_owned()));
            }
            note.version += 1;
            note.body = body.to_owned();
            note.sections = sections;
            note.written_at = now();
            note.written_by = actor;
            a.write_note(&note)?;
            Ok(note.version)
        })
    }

    /// Signs a note, closing it for edits.
    pub fn sign_note(&mut self, id: &str) -> Result<u32> {
        let actor = self.actor.clone();
        self.access(Action::NoteSign, |a| {
            let mut note = a.note(id)?;
            if note.is_signed() {
                return Err(Error::NoteSigned(id.to_owned()));
            }
            let at = now();
            note.version += 1;
            note.status = NoteStatus::Signed {
                at: at.clone(),
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
            let mut note = a.note(id)?;
            if !note.is_signed() {
                return Err(Error::NoteNotSigned(id.to_owned()));
            }
            let at = now();
            note.version += 1;
            note.addenda.push(Addendum {
                written_at: at.clone(),
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
