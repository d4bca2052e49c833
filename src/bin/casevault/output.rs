//! Printing results, for people or as JSON (`--json`).

use std::path::Path;

use casevault::{AuditEvent, Client, Note, NoteStatus, RecoveryCode, SearchHit, VerifyReport};
use serde::Serialize;
use serde_json::json;

pub struct Printer {
    json: bool,
}

fn print_json<T: Serialize + ?Sized>(value: &T) {
    // Serializing our own plain data types cannot fail.
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("plain data serializes")
    );
}

impl Printer {
    pub fn new(json: bool) -> Self {
        Printer { json }
    }

    pub fn json(&self) -> bool {
        self.json
    }

    pub fn init(&self, path: &Path, vault_id: &str, code: &RecoveryCode) {
        if self.json {
            print_json(&json!({
                "vault": path,
                "vault_id": vault_id,
                "recovery_code": code.expose(),
            }));
            return;
        }
        println!("Created vault {}", path.display());
        println!();
        println!("Recovery code (shown once; write it down and keep it apart from the computer):");
        println!();
        println!("    {}", code.expose());
        println!();
        println!("With it, `casevault recover` sets a new passphrase if this one is lost.");
    }

    pub fn done(&self, message: &str) {
        if self.json {
            print_json(&json!({ "ok": true, "message": message }));
        } else {
            println!("{message}");
        }
    }

    pub fn id(&self, id: &str) {
        if self.json {
            print_json(&json!({ "id": id }));
        } else {
            println!("{id}");
        }
    }

    pub fn version(&self, id: &str, version: u32, what: &str) {
        if self.json {
            print_json(&json!({ "id": id, "version": version }));
        } else {
            println!("note {id} {what}: now version {version}");
        }
    }

    pub fn clients(&self, clients: &[Client]) {
        if self.json {
            return print_json(clients);
        }
        if clients.is_empty() {
            println!("no clients yet; add one with `casevault client add --name NAME`");
        }
        for c in clients {
            let dob = c.date_of_birth.map(|d| d.to_string()).unwrap_or_default();
            println!("{}  {:<30}  {}", c.id, c.name, dob);
        }
    }

    pub fn client(&self, c: &Client) {
        if self.json {
            return print_json(c);
        }
        println!("id:            {}", c.id);
        println!("name:          {}", c.name);
        if let Some(dob) = c.date_of_birth {
            println!("date of birth: {dob}");
        }
        if let Some(contact) = &c.contact {
            println!("contact:       {contact}");
        }
        if !c.third_parties.is_empty() {
            println!("third parties: {}", c.third_parties.join(", "));
        }
        println!("created:       {}", c.created_at);
    }

    pub fn note(&self, n: &Note) {
        if self.json {
            return print_json(n);
        }
        println!("note {} version {}", n.id, n.version);
        println!("date:    {}", n.date);
        println!("type:    {}", n.note_type.as_str());
        println!("clients: {}", n.clients.join(", "));
        match &n.status {
            NoteStatus::Draft => println!("status:  draft"),
            NoteStatus::Signed { at, by } => println!("status:  signed by {by} at {at}"),
        }
        let categories: Vec<&str> = n.sections.iter().map(|s| s.category.as_str()).collect();
        println!("sections: {}", categories.join(", "));
        println!();
        println!("{}", n.body.trim_end());
        for a in &n.addenda {
            println!();
            println!("--- addendum by {} at {} ---", a.written_by, a.written_at);
            println!("{}", a.body.trim_end());
        }
    }

    pub fn notes(&self, notes: &[Note]) {
        if self.json {
            return print_json(notes);
        }
        if notes.is_empty() {
            println!("no notes for this client");
        }
        for n in notes {
            let status = if n.is_signed() { "signed" } else { "draft" };
            println!(
                "{}  {}  {:<10}  {:<6}  v{}  {}",
                n.id,
                n.date,
                n.note_type.as_str(),
                status,
                n.version,
                n.clients.join(",")
            );
        }
    }

    pub fn hits(&self, hits: &[SearchHit]) {
        if self.json {
            return print_json(hits);
        }
        if hits.is_empty() {
            println!("no matches");
        }
        for h in hits {
            println!("{}  {}  {}", h.note, h.date, h.line);
        }
    }

    pub fn events(&self, events: &[AuditEvent]) {
        if self.json {
            return print_json(events);
        }
        for e in events {
            let targets: Vec<String> = e
                .targets
                .iter()
                .map(|t| format!("{}:{}@{}", t.kind, t.id, t.version))
                .collect();
            println!(
                "{:>6}  {}  {:<12}  {:<14}  {:<24}  {}",
                e.seq,
                e.at,
                e.actor,
                e.action,
                e.outcome,
                targets.join(" ")
            );
        }
    }

    pub fn report(&self, r: &VerifyReport) {
        if self.json {
            return print_json(r);
        }
        if r.is_intact() {
            println!(
                "audit trail intact: {} events, {} records match their last audited write",
                r.events, r.records
            );
        } else {
            for f in &r.findings {
                println!("FAILED: {f}");
            }
        }
        println!("anchor: {}", r.anchor);
    }

    pub fn anchor(&self, anchor: &str) {
        if self.json {
            print_json(&json!({ "anchor": anchor }));
        } else {
            println!("{anchor}");
        }
    }
}
