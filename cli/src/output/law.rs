//! How the law's side of the vault looks: the packs, the rules in force with their
//! citations, and a client's restrictions.

use casevault::{Date, Force, PACKS, Policy, Restriction};
use serde_json::json;

use super::{Printer, out};

/// The line that starts the comments `policy show` adds after the policy's text.
pub const CITATIONS_HEADER: &str = "# ---- In force, with the law each rule comes from ----";

/// `text` without the comments `policy show` added after the policy's own text, so
/// that setting what was shown stores the same text, however often it goes round.
pub fn without_citations(text: &str) -> &str {
    let Some(at) = text.find(&format!("\n{CITATIONS_HEADER}\n")) else {
        return text;
    };
    let after = &text[at + 1..];
    if after
        .lines()
        .all(|l| l.starts_with('#') || l.trim().is_empty())
    {
        &text[..at + 1]
    } else {
        text
    }
}

/// The policy's rules and exceptions with their citations, as TOML comments: printed
/// after the policy's own text, so that `policy show > policy.toml` still reads back,
/// and so that a file extending a pack shows what it takes from it. Nothing for a
/// policy that cites nothing and extends no pack (its file says all there is).
pub(super) fn citations(policy: &Policy) -> String {
    let cites = policy.extends.is_some()
        || !policy.citations.is_empty()
        || policy.exceptions.iter().any(|e| e.citation.is_some())
        || policy.part2.is_some()
        || policy.restrictions.is_some()
        || policy.lockbox.is_some()
        || policy.minors.is_some();
    if !cites {
        return String::new();
    }
    let mut text = format!("\n{CITATIONS_HEADER}\n");
    let mut line = |s: String| {
        for l in s.lines() {
            text.push_str("# ");
            text.push_str(l);
            text.push('\n');
        }
    };
    line(format!("policy: {}", policy.name));
    if let Some(pack) = &policy.extends {
        line(format!("extends the pack {pack}"));
    }
    if !policy.sources.is_empty() {
        line(format!("sources: {}", policy.sources.join("; ")));
    }
    for (rule, c) in &policy.citations {
        line(format!("rule {rule} ({}): {}", c.citation, c.summary));
    }
    for e in &policy.exceptions {
        let to = if e.recipients.is_empty() {
            "any recipient".to_owned()
        } else {
            e.recipients.join(", ")
        };
        let force = match e.force {
            Force::Required => "required",
            Force::Permitted => "permitted",
        };
        line(format!(
            "exception {} [{force}; to {to}]{}: {}",
            e.kind,
            e.cited(),
            e.summary.as_deref().unwrap_or(&e.description)
        ));
    }
    if let Some(p) = &policy.part2 {
        line(format!("42 CFR Part 2 ({}): {}", p.citation, p.summary));
    }
    if let Some(r) = &policy.restrictions {
        line(format!("restrictions ({}): {}", r.citation, r.summary));
    }
    if let Some(l) = &policy.lockbox {
        line(format!("lockbox ({}): {}", l.citation, l.summary));
    }
    if let Some(m) = &policy.minors {
        line(format!("minors ({}): {}", m.citation, m.summary));
        if let (Some(age), Some(c)) = (m.self_consent_age, &m.self_consent_citation) {
            line(format!(
                "  a minor of {age} or more may consent to their own care ({c})"
            ));
        }
    }
    text
}

impl Printer {
    pub fn packs(&self) {
        let packs: Vec<(&str, Result<Policy, casevault::PolicyError>)> = PACKS
            .iter()
            .map(|p| (p.id, Policy::parse(p.text)))
            .collect();
        if self.json {
            let list: Vec<serde_json::Value> = packs
                .iter()
                .filter_map(|(id, p)| p.as_ref().ok().map(|p| (id, p)))
                .map(|(id, p)| {
                    json!({
                        "pack": id,
                        "name": p.name,
                        "description": p.description,
                        "extends": p.extends,
                        "effective": p.effective,
                    })
                })
                .collect();
            return self.push_json(&list);
        }
        let rows: Vec<Vec<String>> = packs
            .iter()
            .map(|(id, p)| match p {
                Ok(p) => vec![
                    (*id).to_owned(),
                    p.name.clone(),
                    p.extends
                        .as_ref()
                        .map_or(String::new(), |b| format!("extends {b}")),
                    p.effective.map_or(String::new(), |d| format!("as of {d}")),
                ],
                // Tested never to happen; said plainly if it does.
                Err(e) => vec![(*id).to_owned(), format!("unusable: {e}")],
            })
            .collect();
        self.table(&rows);
        out!(
            self,
            "use one with `casevault policy use PACK`; docs/POLICIES.md says what each decides. Review it with counsel."
        );
    }

    pub fn restrictions(&self, list: &[Restriction], today: Date) {
        if self.json {
            return self.push_json(list);
        }
        if list.is_empty() {
            out!(self, "no restrictions for this client");
        }
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|r| {
                vec![
                    r.id.to_string(),
                    r.state_on(today).to_owned(),
                    if r.lockbox {
                        "lockbox".to_owned()
                    } else if r.self_pay {
                        "self-pay".to_owned()
                    } else {
                        "restriction".to_owned()
                    },
                    format!("since {}", r.requested_on),
                    r.scope(),
                ]
            })
            .collect();
        self.table(&rows);
    }

    pub fn restriction(&self, r: &Restriction, today: Date) {
        if self.json {
            return self.push_json(r);
        }
        out!(self, "restriction {} (version {})", r.id, r.version);
        out!(self, "client:     {}", r.client);
        out!(self, "keeps:      {}", r.scope());
        if r.lockbox {
            out!(self, "kind:       lockbox (the client's instruction)");
        } else if r.self_pay {
            out!(
                self,
                "kind:       paid out of pocket (the practice must agree)"
            );
        }
        out!(self, "requested:  {}", r.requested_on);
        if let Some(a) = &r.refused {
            out!(
                self,
                "refused:    from {}: {}",
                a.on,
                a.reason.as_deref().unwrap_or("")
            );
        }
        if let Some(a) = &r.ended {
            out!(self, "ended:      from {}", a.on);
        }
        out!(self, "state:      {}", r.state_on(today));
    }
}

impl Printer {
    pub fn rights_requests(&self, list: &[casevault::RightsRequest], today: Date) {
        if self.json {
            return self.push_json(list);
        }
        if list.is_empty() {
            out!(self, "no requests");
        }
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|r| {
                vec![
                    r.id.to_string(),
                    r.client.to_string(),
                    r.kind.to_string(),
                    format!("received {}", r.received),
                    match (r.due_now(), &r.answer) {
                        (_, Some(a)) => format!("answered {} ({})", a.on, a.outcome.as_str()),
                        (Some(due), None) if due < today => format!("OVERDUE since {due}"),
                        (Some(due), None) => format!("due {due}"),
                        (None, None) => "no deadline".to_owned(),
                    },
                ]
            })
            .collect();
        self.table(&rows);
    }

    pub fn rights_request(&self, r: &casevault::RightsRequest, today: Date) {
        if self.json {
            return self.push_json(r);
        }
        out!(self, "request {} (version {})", r.id, r.version);
        out!(self, "client:    {}", r.client);
        out!(self, "kind:      {}", r.kind);
        out!(self, "received:  {}", r.received);
        match (r.due, &r.citation) {
            (Some(due), Some(c)) => out!(self, "due:       {due} ({c})"),
            (Some(due), None) => out!(self, "due:       {due}"),
            (None, _) => out!(
                self,
                "due:       the policy sets no deadline: answer without unreasonable delay"
            ),
        }
        if let Some(e) = &r.extension {
            out!(self, "extended:  to {}: {}", e.due, e.reason);
        }
        if let Some(a) = &r.answer {
            out!(
                self,
                "answered:  {} ({}): {}",
                a.on,
                a.outcome.as_str(),
                a.note
            );
            if let Some(g) = a.ground {
                out!(
                    self,
                    "ground:    {} ({}){}",
                    g.as_str(),
                    g.citation(),
                    if g.reviewable() {
                        "; the client may have it reviewed by another clinician"
                    } else {
                        "; not reviewable"
                    }
                );
            }
        }
        if let Some(s) = &r.disagreement {
            out!(self, "client's statement of disagreement: {}", s.text);
        }
        if let Some(s) = &r.rebuttal {
            out!(self, "practice's rebuttal: {}", s.text);
        }
        if let Some(v) = &r.review {
            out!(
                self,
                "reviewed:  {} by {}: {}: {}",
                v.on,
                v.by,
                if v.upheld {
                    "upheld"
                } else {
                    "REVERSED: give access"
                },
                v.note
            );
        }
        out!(self, "state:     {}", r.state_on(today));
    }

    pub fn access_granted(&self, done: &casevault::AccessGranted, today: Date) {
        if self.json {
            return self.push_json(done);
        }
        self.disclosure(&done.disclosure);
        self.rights_request(&done.request, today);
    }

    pub fn amendment_accepted(&self, done: &casevault::AmendmentAccepted, today: Date) {
        if self.json {
            return self.push_json(done);
        }
        self.rights_request(&done.request, today);
        out!(
            self,
            "addendum: note {} version {}",
            done.note,
            done.version
        );
        if done.named.is_empty() && done.received.is_empty() {
            out!(
                self,
                "to tell:   nobody named, and nobody received what it concerns"
            );
        }
        for name in &done.named {
            out!(self, "to tell:   {name} (the client asked)");
        }
        for (recipient, on) in &done.received {
            out!(
                self,
                "to tell:   {recipient} (received it on {on}, may rely on it)"
            );
        }
    }

    pub fn retention(&self, rows: &[casevault::RetentionRow]) {
        if self.json {
            return self.push_json(rows);
        }
        if rows.is_empty() {
            out!(
                self,
                "no client's treatment has ended (record it with `casevault client edit ID --treatment-ended DATE`)"
            );
        }
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.client.to_string(),
                    r.name.clone(),
                    match r.last_session {
                        Some(last) => format!("ended {} (last session {last})", r.treatment_ended),
                        None => format!("ended {}", r.treatment_ended),
                    },
                    format!("keep until {}", r.retention_end),
                    match (&r.legal_hold, r.past) {
                        (Some(reason), _) => format!("LEGAL HOLD: {reason}"),
                        (None, true) => "past retention".to_owned(),
                        (None, false) => String::new(),
                    },
                ]
            })
            .collect();
        self.table(&rows);
    }

    pub fn legal_accounting(&self, a: &casevault::LegalAccounting) {
        if self.json {
            return self.push_json(a);
        }
        out!(
            self,
            "accounting of disclosures owed to client {}, {} to {} ({})",
            a.client,
            a.from,
            a.on,
            a.citation
        );
        if a.entries.is_empty() {
            out!(self, "no disclosure of the period is owed in it");
        }
        for e in &a.entries {
            out!(
                self,
                "  {}  to {}  for {}  {}; basis: {}",
                e.disclosed_on,
                e.recipient,
                e.purpose,
                e.description,
                e.basis
            );
        }
        for (why, n) in &a.left_out {
            out!(self, "left out: {n} disclosure(s) {why}");
        }
    }
}

impl Printer {
    pub fn destruction(&self, done: &casevault::Destruction) {
        if self.json {
            return self.push_json(done);
        }
        let records: Vec<String> = done
            .records
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        out!(
            self,
            "destroyed the record of client {} under {}",
            done.client,
            done.rule
        );
        out!(
            self,
            "  {} records ({} versions): {}",
            done.records.values().sum::<u32>(),
            done.versions,
            if records.is_empty() {
                "none".to_owned()
            } else {
                records.join(", ")
            }
        );
        out!(
            self,
            "  {} keys deleted: nothing of this client opens any more",
            done.keys
        );
        if done.joint_notes_kept > 0 {
            out!(
                self,
                "  {} joint notes kept for their other participants, without this client's parts",
                done.joint_notes_kept
            );
        }
        out!(
            self,
            "  what remains: the audit trail's tombstone, and any backup made before today (destroy those too)"
        );
    }

    pub fn client_page(&self, page: &casevault::ClientPage) {
        if self.json {
            return self.push_json(page);
        }
        self.push_text(casevault::render_client_page(page).trim_end());
    }
}
