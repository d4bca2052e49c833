//! How each command's results look, for people and as JSON (`--json`). Every line goes
//! through the printing layer (`out!`, `push_text`, `push_json`, `table`), which escapes
//! what could act on a terminal.

use casevault::{AccessRequest, Assignment, Caseload, IndexRebuild, Member, RekeyReport};
use casevault::{
    AccountingEntry, AuditEvent, Basis, Client, ClientDetails, Consent, Date, DecisionRecord,
    Disclosure, ImportReport, IntakeAcknowledgement, Note, NoteStatus, Obligation, Policy,
    RecoveryCode, Roster, SearchHit, VerifyReport,
};
use serde_json::json;

use super::local_time::{Local, LocalEvent};
use super::{Printer, eout, out};

impl Printer {
    pub fn init(
        &self,
        path: &casevault::Location,
        vault_id: &str,
        member: &str,
        code: &RecoveryCode,
    ) {
        if self.json {
            self.push_json(&json!({
                "vault": path.to_string(),
                "vault_id": vault_id,
                "member": member,
                "recovery_code": code.expose(),
            }));
            return;
        }
        out!(self, "Created vault {path}");
        out!(self, "You are its first member, {member} (role owner).");
        out!(self);
        out!(
            self,
            "Recovery code (shown once; write it down and keep it apart from the computer):"
        );
        out!(self);
        out!(self, "    {}", code.expose());
        out!(self);
        out!(
            self,
            "With it, `casevault recover` sets a new passphrase if this one is lost."
        );
    }

    pub fn clients(&self, clients: &[Client]) {
        if self.json {
            return self.push_json(clients);
        }
        if clients.is_empty() {
            out!(
                self,
                "no clients yet; add one with `casevault client add --name NAME`"
            );
        }
        let rows: Vec<Vec<String>> = clients
            .iter()
            .map(|c| {
                let dob = c.date_of_birth.map(|d| d.to_string()).unwrap_or_default();
                vec![c.id.to_string(), c.name.clone(), dob]
            })
            .collect();
        self.table(&rows);
    }

    pub fn client(&self, details: &ClientDetails) {
        if self.json {
            return self.push_json(details);
        }
        let c: &Client = &details.client;
        out!(self, "id:            {}", c.id);
        out!(self, "name:          {}", c.name);
        if let Some(dob) = c.date_of_birth {
            out!(self, "date of birth: {dob}");
        }
        if let Some(contact) = &c.contact {
            out!(self, "contact:       {contact}");
        }
        if !c.third_parties.is_empty() {
            out!(self, "third parties: {}", c.third_parties.join(", "));
        }
        out!(self, "created:       {}", Local(c.created_at));
        if c.care.part2_program {
            out!(
                self,
                "part 2:        a 42 CFR Part 2 program's record (every disclosure carries the 2.32 notice)"
            );
        }
        if c.care.minor_consent {
            out!(
                self,
                "minor consent: consented to their own care as a minor; they sign for those records"
            );
        }
        if let Some(ended) = c.care.treatment_ended {
            out!(self, "treatment:     ended {ended}");
        }
        match details.intake.last() {
            Some(i) => out!(
                self,
                "intake:        limits of confidentiality acknowledged on {} ({} exceptions of policy {:?})",
                i.acknowledged_on,
                i.exceptions.len(),
                i.policy_name
            ),
            None => out!(
                self,
                "intake:        none recorded; record it with `casevault intake --client {} --acknowledged-on DATE`",
                c.id
            ),
        }
    }

    pub fn consents(&self, consents: &[Consent], today: Date) {
        if self.json {
            return self.push_json(consents);
        }
        if consents.is_empty() {
            out!(self, "no consents for this client");
        }
        let rows: Vec<Vec<String>> = consents
            .iter()
            .map(|c| {
                vec![
                    c.id.to_string(),
                    c.state_on(today).to_owned(),
                    match &c.tpo {
                        Some(t) => {
                            format!("{} ({} recipients)", c.recipient.name, t.recipient_kind)
                        }
                        None => c.recipient.name.clone(),
                    },
                    format!("{} to {}", c.effective, until(c)),
                    format!("for {}", c.purposes.join(",")),
                    format!("allows {}", c.categories.join(",")),
                ]
            })
            .collect();
        self.table(&rows);
    }

    pub fn consent(&self, c: &Consent, today: Date) {
        if self.json {
            return self.push_json(c);
        }
        out!(self, "consent {} (version {})", c.id, c.version);
        out!(self, "client:       {}", c.client);
        out!(self, "recipient:    {}", c.recipient.name);
        if let Some(org) = &c.recipient.organization {
            out!(self, "organization: {org}");
        }
        if let Some(key) = &c.recipient.public_key {
            out!(self, "key:          {key}");
        }
        out!(self, "purposes:     {}", c.purposes.join(", "));
        out!(self, "allows:       {}", c.categories.join(", "));
        if !c.excluded.is_empty() {
            out!(self, "excludes:     {}", c.excluded.join(", "));
        }
        if let Some(t) = &c.tpo {
            out!(
                self,
                "by class:     any {} recipient (42 CFR Part 2 single consent for treatment, payment and operations)",
                t.recipient_kind
            );
        }
        out!(self, "period:       {} to {}", c.effective, until(c));
        out!(
            self,
            "signed by:    {} ({})",
            c.signed_by,
            c.relationship.as_str()
        );
        out!(
            self,
            "recorded:     {} by {}",
            Local(c.recorded_at),
            c.recorded_by
        );
        match &c.revoked {
            Some(r) => out!(
                self,
                "revoked:      from {}{} (recorded {} by {})",
                r.effective,
                if r.in_writing { ", in writing" } else { "" },
                Local(r.recorded_at),
                r.recorded_by
            ),
            None => out!(self, "state:        {}", c.state_on(today)),
        }
    }

    pub fn intake(&self, i: &IntakeAcknowledgement) {
        if self.json {
            return self.push_json(i);
        }
        out!(
            self,
            "intake {} recorded: client {} acknowledged on {} the limits of confidentiality under policy {:?}:",
            i.id,
            i.client,
            i.acknowledged_on,
            i.policy_name
        );
        for e in &i.exceptions {
            out!(self, "  - {}: {}", e.kind, e.description);
        }
    }

    pub fn import(&self, r: &ImportReport) {
        if self.json {
            return self.push_json(r);
        }
        out!(
            self,
            "imported {} note(s); {} already imported earlier; {} failed; {} skipped",
            r.imported.len(),
            r.already_imported.len(),
            r.failed.len(),
            r.skipped.len()
        );
        for (file, reason) in &r.failed {
            out!(self, "  FAILED {file}: {reason}");
        }
        for s in &r.skipped {
            out!(self, "  SKIPPED {}: {}", s.file, s.reason);
        }
    }

    pub fn disclosure(&self, d: &Disclosure) {
        if self.json {
            return self.push_json(d);
        }
        self.decision(&d.decision);
        out!(
            self,
            "disclosed: {} session note(s), {} identifier(s) redacted, written to {}{}",
            d.notes,
            d.redactions,
            d.out.display(),
            if d.plaintext {
                " (NOT encrypted)"
            } else {
                " (age-encrypted)"
            }
        );
        for e in &d.accounting {
            out!(
                self,
                "accounting entry {} for client {}: {}",
                e.id,
                e.client,
                e.description
            );
        }
    }

    pub fn accounting(&self, entries: &[AccountingEntry]) {
        if self.json {
            return self.push_json(entries);
        }
        if entries.is_empty() {
            out!(self, "no disclosures recorded for this client");
        }
        for e in entries {
            out!(
                self,
                "{}  to {}  for {}{}",
                e.disclosed_on,
                e.recipient,
                e.purpose,
                if e.client_request {
                    "  (the client's own request)"
                } else {
                    ""
                }
            );
            out!(self, "    what:  {}", e.description);
            out!(self, "    basis: {}", e.basis);
        }
    }

    /// The roster: one line a member (`*` marks the one acting), or JSON.
    pub fn members(&self, roster: &Roster, acting: &str) {
        if self.json {
            return self.push_json(&json!({ "epoch": roster.epoch, "members": roster.members }));
        }
        let rows: Vec<Vec<String>> = roster
            .members
            .iter()
            .map(|m| {
                vec![
                    format!("{}{}", if m.name == acting { "* " } else { "  " }, m.name),
                    m.role.clone(),
                    format!("added {}", Local(m.added)),
                    m.removed
                        .map(|at| format!("removed {}", Local(at)))
                        .unwrap_or_default(),
                ]
            })
            .collect();
        self.table(&rows);
    }

    /// One member: role, when added and removed, and their public keys.
    pub fn member(&self, m: &Member) {
        if self.json {
            return self.push_json(m);
        }
        out!(self, "member:  {}", m.name);
        out!(self, "role:    {}", m.role);
        out!(self, "added:   {}", Local(m.added));
        match m.removed {
            Some(at) => out!(self, "removed: {}", Local(at)),
            None => out!(self, "state:   active"),
        }
        out!(self, "x25519:  {}", m.x25519);
        out!(self, "ed25519: {}", fingerprint(&m.ed25519));
    }

    /// A new member and their recovery code, shown once.
    pub fn member_added(&self, name: &str, role: &str, code: &RecoveryCode) {
        if self.json {
            self.push_json(&json!({
                "member": name,
                "role": role,
                "recovery_code": code.expose(),
            }));
            return;
        }
        out!(self, "Added member {name} (role {role}).");
        out!(self);
        out!(
            self,
            "Their recovery code (shown once; give it to {name} to keep apart from the computer):"
        );
        out!(self);
        out!(self, "    {}", code.expose());
        out!(self);
        out!(
            self,
            "With it, `casevault --member {name} recover` sets a new passphrase if theirs is lost."
        );
    }

    /// The caseloads (of `member` only, when given): member, client, until when.
    pub fn caseloads(&self, caseload: &Caseload, member: Option<&str>, today: Date) {
        let assignments: Vec<&Assignment> = caseload
            .assignments
            .iter()
            .filter(|a| member.is_none_or(|m| a.member == m))
            .collect();
        if self.json {
            return self.push_json(&assignments);
        }
        if assignments.is_empty() {
            match member {
                Some(m) => out!(self, "no clients on {m}'s caseload"),
                None => out!(self, "no caseload assignments"),
            }
        }
        let rows: Vec<Vec<String>> = assignments
            .iter()
            .map(|a| {
                vec![
                    a.member.clone(),
                    a.client.to_string(),
                    match a.until {
                        Some(until) if !a.stands_on(today) => format!("ended {until}"),
                        Some(until) => format!("until {until}"),
                        None => "until unassigned".to_owned(),
                    },
                ]
            })
            .collect();
        self.table(&rows);
    }

    /// Emergency access requests, oldest first.
    pub fn access_requests(&self, requests: &[AccessRequest]) {
        if self.json {
            return self.push_json(requests);
        }
        if requests.is_empty() {
            out!(self, "no emergency access requests");
        }
        let rows: Vec<Vec<String>> = requests
            .iter()
            .map(|r| {
                vec![
                    r.id.clone(),
                    r.member.clone(),
                    format!("client {}", r.client),
                    format!("asked {}", Local(r.requested_at)),
                    access_state(r),
                ]
            })
            .collect();
        self.table(&rows);
        for r in requests {
            out!(self, "{}: {}", r.id, r.justification);
        }
    }

    /// An approved request.
    pub fn access_approved(&self, r: &AccessRequest) {
        if self.json {
            return self.push_json(r);
        }
        match &r.approved {
            Some(a) => out!(
                self,
                "approved: {} holds client {}'s keys until the end of {}",
                r.member,
                r.client,
                a.until
            ),
            None => out!(self, "request {} is not approved", r.id),
        }
    }

    /// What `rekey` did.
    pub fn rekey(&self, r: &RekeyReport) {
        if self.json {
            return self.push_json(r);
        }
        out!(
            self,
            "resealed {}, already current {}, not held {}{}",
            r.resealed,
            r.current,
            r.not_held,
            if r.not_held > 0 {
                " (their holders must run rekey)"
            } else {
                ""
            }
        );
    }

    /// What `index rebuild` did.
    pub fn index_rebuild(&self, r: &IndexRebuild) {
        if self.json {
            return self.push_json(r);
        }
        out!(self, "indexed {} notes", r.notes);
        if r.incomplete > 0 {
            eout!(
                "the index of {} compartment(s) holds only the notes your keys open: searches read every note until an owner runs `casevault index rebuild`",
                r.incomplete
            );
        }
    }

    pub fn policy(&self, version: u32, policy: &Policy) {
        if self.json {
            return self.push_json(&json!({ "version": version, "policy": policy }));
        }
        // The version goes to standard error, so that standard output is the file
        // itself, to be edited and set again as it is.
        if version == 0 {
            eout!("policy: the built-in default (none stored in this vault)");
        } else {
            eout!("policy version {version}");
        }
        self.push_text(policy.source.trim_end());
        let cited = super::law::citations(policy);
        if !cited.is_empty() {
            self.push_text(&cited);
        }
    }

    pub fn decision(&self, record: &DecisionRecord) {
        if self.json {
            return self.push_json(record);
        }
        let d = &record.decision;
        let r = &d.request;
        out!(
            self,
            "decision {}{} on {} under policy {:?} (version {})",
            // A refused disclosure is rolled back whole, its decision with it.
            if record.dry_run || d.all_permitted() {
                record.id.as_str()
            } else {
                "(refused, not kept)"
            },
            if record.dry_run { " (dry run)" } else { "" },
            d.decided_on,
            d.policy,
            record.policy_version
        );
        out!(
            self,
            "client {} to {:?} for {}",
            r.client,
            r.recipient,
            r.purpose
        );
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
        out!(self, "basis: {basis}");
        if d.required {
            out!(
                self,
                "required: the law requires this disclosure, not only permits it"
            );
        }
        let width = d
            .verdicts
            .iter()
            .map(|v| v.category.len())
            .max()
            .unwrap_or(0);
        for v in &d.verdicts {
            out!(
                self,
                "  {:<9}  {:<width$}  {}",
                if v.permitted {
                    "permitted"
                } else if v.withheld {
                    "WITHHELD"
                } else {
                    "DENIED"
                },
                v.category,
                v.reason
            );
        }
        // The export names the client only when `identity` is released, and dates
        // sessions only when `attendance` is (see the library's export module): say so,
        // so that a recipient who needs either is not sent a file without it.
        let permitted = d.permitted();
        if !permitted.contains(&"identity") {
            out!(
                self,
                "note: the export will carry no client name (identity not released)"
            );
        }
        if !permitted.contains(&"attendance") {
            out!(
                self,
                "note: the export will carry no session dates (attendance not released)"
            );
        }
        if !d.joint_notes.is_empty() {
            out!(self, "joint notes:");
            for j in &d.joint_notes {
                out!(
                    self,
                    "  {:<9}  {}  {}  {}",
                    if j.permitted { "included" } else { "WITHHELD" },
                    j.note,
                    j.date,
                    j.reason
                );
            }
        }
        if !d.obligations.is_empty() {
            out!(self, "obligations:");
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
                    Obligation::LockboxNotice { .. } => {
                        "tell the recipient that some information was withheld at the client's instruction (not what)"
                    }
                };
                out!(self, "  - {text}");
            }
        }
    }

    pub fn note(&self, n: &Note) {
        if self.json {
            return self.push_json(n);
        }
        out!(self, "note {} version {}", n.id, n.version);
        out!(self, "date:    {}", n.date);
        out!(self, "type:    {}", n.note_type.as_str());
        out!(self, "clients: {}", n.clients.join(", "));
        match &n.status {
            NoteStatus::Draft => out!(self, "status:  draft"),
            NoteStatus::Signed { at, by } => {
                out!(self, "status:  signed by {by} at {}", Local(*at))
            }
        }
        let categories: Vec<&str> = n.sections.iter().map(|s| s.category.as_str()).collect();
        out!(self, "sections: {}", categories.join(", "));
        out!(self);
        self.push_text(n.body.trim_end());
        for a in &n.addenda {
            out!(self);
            out!(
                self,
                "--- addendum by {} at {} ---",
                a.written_by,
                Local(a.written_at)
            );
            self.push_text(a.body.trim_end());
        }
    }

    pub fn notes(&self, notes: &[Note]) {
        if self.json {
            return self.push_json(notes);
        }
        if notes.is_empty() {
            out!(self, "no notes for this client");
        }
        let rows: Vec<Vec<String>> = notes
            .iter()
            .map(|n| {
                let status = if n.is_signed() { "signed" } else { "draft" };
                vec![
                    n.id.to_string(),
                    n.date.to_string(),
                    n.note_type.as_str().to_owned(),
                    status.to_owned(),
                    format!("v{}", n.version),
                    n.clients.join(","),
                ]
            })
            .collect();
        self.table(&rows);
    }

    pub fn hits(&self, hits: &[SearchHit]) {
        if self.json {
            return self.push_json(hits);
        }
        if hits.is_empty() {
            out!(self, "no matches");
        }
        for h in hits {
            out!(self, "{}  {}  {}", h.note, h.date, h.line);
        }
    }

    pub fn events(&self, events: &[AuditEvent]) {
        if self.json {
            return self.push_json(events);
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
            out!(
                self,
                "{:>6}  {}  {:<12}  {:<16}  {:<24}  {}{purpose}",
                e.seq,
                LocalEvent(e.at),
                e.actor,
                e.action,
                e.outcome,
                targets.join(" ")
            );
        }
    }

    pub fn report(&self, r: &VerifyReport) {
        if self.json {
            return self.push_json(r);
        }
        if r.is_intact() {
            out!(
                self,
                "audit trail intact: {} events, {} records match their last audited write",
                r.events,
                r.records
            );
        } else {
            for f in &r.findings {
                out!(self, "FAILED: {f}");
            }
        }
        out!(self, "anchor: {}", r.anchor);
    }

    pub fn migrated(
        &self,
        from: &casevault::Location,
        to: &casevault::Location,
        copy: &casevault::VaultCopy,
        report: &VerifyReport,
    ) {
        if self.json {
            return self.push_json(&json!({
                "from": from.to_string(),
                "to": to.to_string(),
                "records": copy.records,
                "events": copy.events,
                "digest": copy.digest,
                "verified_events": report.events,
                "verified_records": report.records,
                "anchor": report.anchor,
            }));
        }
        out!(
            self,
            "copied {} record versions and {} audit events to {to}; read back, they match (SHA-256 {})",
            copy.records,
            copy.events,
            copy.digest
        );
        out!(
            self,
            "the copy unlocks with your passphrase and its audit trail is intact: {} events, {} records",
            report.events,
            report.records
        );
        out!(self, "anchor: {}", report.anchor);
        out!(
            self,
            "{from} is unchanged: point every machine at the copy (--vault or CASEVAULT_VAULT), then retire it"
        );
    }

    pub fn anchor(&self, anchor: &str) {
        if self.json {
            self.push_json(&json!({ "anchor": anchor }));
        } else {
            out!(self, "{anchor}");
        }
    }
}

/// An Ed25519 public key (hexadecimal) in groups of four digits, to read aloud and
/// compare with what the member's own `member show` prints.
fn fingerprint(hex: &str) -> String {
    let chars: Vec<char> = hex.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where an emergency access request stands.
fn access_state(r: &AccessRequest) -> String {
    match (&r.approved, &r.ended_at) {
        (_, Some(at)) => format!("ended {}", Local(*at)),
        (Some(a), None) => format!("approved by {} until {}", a.by, a.until),
        (None, None) => "pending".to_owned(),
    }
}

/// When a consent ends, in words: its date, or for a Part 2 single consent, "the end
/// of treatment" or "revoked in writing".
fn until(c: &Consent) -> String {
    match &c.tpo {
        Some(t) if t.until_end_of_treatment => "the end of treatment".to_owned(),
        Some(_) => "its revocation in writing".to_owned(),
        None => c.expires.to_string(),
    }
}
