//! Printing results, for people or as JSON (`--json`).

use std::path::Path;

use casevault::{
    AuditEvent, Basis, Client, ClientDetails, Consent, Date, DecisionRecord, IntakeAcknowledgement,
    Note, NoteStatus, Obligation, Policy, RecoveryCode, SearchHit, VerifyReport,
};
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

    pub fn client(&self, details: &ClientDetails) {
        if self.json {
            return print_json(details);
        }
        let c: &Client = &details.client;
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
        match details.intake.last() {
            Some(i) => println!(
                "intake:        limits of confidentiality acknowledged on {} ({} exceptions of policy {:?})",
                i.acknowledged_on,
                i.exceptions.len(),
                i.policy_name
            ),
            None => println!(
                "intake:        none recorded; record it with `casevault intake --client {} --acknowledged-on DATE`",
                c.id
            ),
        }
    }

    pub fn consents(&self, consents: &[Consent], today: Date) {
        if self.json {
            return print_json(consents);
        }
        if consents.is_empty() {
            println!("no consents for this client");
        }
        for c in consents {
            println!(
                "{}  {:<17}  {}  {} to {}  for {}  allows {}",
                c.id,
                c.state_on(today),
                c.recipient.name,
                c.effective,
                c.expires,
                c.purposes.join(","),
                c.categories.join(",")
            );
        }
    }

    pub fn consent(&self, c: &Consent, today: Date) {
        if self.json {
            return print_json(c);
        }
        println!("consent {} (version {})", c.id, c.version);
        println!("client:       {}", c.client);
        println!("recipient:    {}", c.recipient.name);
        if let Some(org) = &c.recipient.organization {
            println!("organization: {org}");
        }
        if let Some(key) = &c.recipient.public_key {
            println!("key:          {key}");
        }
        println!("purposes:     {}", c.purposes.join(", "));
        println!("allows:       {}", c.categories.join(", "));
        if !c.excluded.is_empty() {
            println!("excludes:     {}", c.excluded.join(", "));
        }
        println!("period:       {} to {}", c.effective, c.expires);
        println!(
            "signed by:    {} ({})",
            c.signed_by,
            c.relationship.as_str()
        );
        println!("recorded:     {} by {}", c.recorded_at, c.recorded_by);
        match &c.revoked {
            Some(r) => println!(
                "revoked:      from {} (recorded {} by {})",
                r.effective, r.recorded_at, r.recorded_by
            ),
            None => println!("state:        {}", c.state_on(today)),
        }
    }

    pub fn intake(&self, i: &IntakeAcknowledgement) {
        if self.json {
            return print_json(i);
        }
        println!(
            "intake {} recorded: client {} acknowledged on {} the limits of confidentiality under policy {:?}:",
            i.id, i.client, i.acknowledged_on, i.policy_name
        );
        for e in &i.exceptions {
            println!("  - {}: {}", e.kind, e.description);
        }
    }

    pub fn policy(&self, version: u32, policy: &Policy) {
        if self.json {
            return print_json(&json!({ "version": version, "policy": policy }));
        }
        if version == 0 {
            println!("# policy: the built-in default (none stored in this vault)");
        } else {
            println!("# policy version {version}");
        }
        print!("{}", policy.source);
    }

    pub fn decision(&self, record: &DecisionRecord) {
        if self.json {
            return print_json(record);
        }
        let d = &record.decision;
        let r = &d.request;
        println!(
            "decision {}{} on {} under policy {:?} (version {})",
            record.id,
            if record.dry_run { " (dry run)" } else { "" },
            d.decided_on,
            d.policy,
            record.policy_version
        );
        println!("client {} to {:?} for {}", r.client, r.recipient, r.purpose);
        let basis = match &d.basis {
            Basis::Consent { consents } if consents.is_empty() => {
                "consent (none permits)".to_owned()
            }
            Basis::Consent { consents } => format!("consent {}", consents.join(", ")),
            Basis::Exception {
                exception,
                reference,
                ..
            } => match reference {
                Some(r) => format!("exception {exception} (reference {r})"),
                None => format!("exception {exception}"),
            },
            Basis::ClientRequest => "the client's own request".to_owned(),
        };
        println!("basis: {basis}");
        let width = d
            .verdicts
            .iter()
            .map(|v| v.category.len())
            .max()
            .unwrap_or(0);
        for v in &d.verdicts {
            println!(
                "  {:<9}  {:<width$}  {}",
                if v.permitted { "permitted" } else { "DENIED" },
                v.category,
                v.reason
            );
        }
        if !d.joint_notes.is_empty() {
            println!("joint notes:");
            for j in &d.joint_notes {
                println!(
                    "  {:<9}  {}  {}  {}",
                    if j.permitted { "included" } else { "WITHHELD" },
                    j.note,
                    j.date,
                    j.reason
                );
            }
        }
        if !d.obligations.is_empty() {
            println!("obligations:");
            for o in &d.obligations {
                let text = match o {
                    Obligation::AccountingEntry => {
                        "enter it in the client's accounting of disclosures"
                    }
                    Obligation::AccountingClientRequest => {
                        "list it in the client's accounting, marked as their own request"
                    }
                    Obligation::RedisclosureNotice { .. } => {
                        "attach the redisclosure notice (42 CFR part 2)"
                    }
                    Obligation::TellClient => "tell the client, unless that is unsafe",
                    Obligation::RedactThirdParties => "redact third parties' names and identifiers",
                };
                println!("  - {text}");
            }
        }
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
            let purpose = e
                .purpose
                .as_deref()
                .map(|p| format!("  purpose {p}"))
                .unwrap_or_default();
            println!(
                "{:>6}  {}  {:<12}  {:<16}  {:<24}  {}{purpose}",
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
