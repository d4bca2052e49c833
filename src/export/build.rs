//! Building a bundle: from a permitted decision, the client's profile and the notes in
//! range, what leaves, a note at a time. An allowlist: a section leaves only when the
//! decision permits its category, its text redacted; any other leaves a marker only
//! when the policy marks its category, and a joint note leaves only when every
//! participant permits.

use super::{
    Bundle, BundleAddendum, BundleClient, BundleNote, BundleSection, Cover, JSON_FORMAT, Withheld,
};
use crate::base::DecisionId;
use crate::model::client::Client;
use crate::model::note::{Note, Section};
use crate::model::policy::Policy;
use crate::rules::decision::{Basis, Decision, Obligation};
use crate::rules::redact::Redactor;

fn basis_text(decision: &Decision) -> String {
    match &decision.basis {
        Basis::Consent { consents } => format!("the client's consent ({})", consents.join(", ")),
        Basis::Exception {
            exception,
            justification,
            reference,
        } => match reference {
            Some(r) => format!("legal exception {exception} (reference {r}): {justification}"),
            None => format!("legal exception {exception}: {justification}"),
        },
        Basis::ClientRequest => "the client's own request for their records".to_owned(),
    }
}

fn obligation_text(o: &Obligation) -> Option<String> {
    Some(match o {
        Obligation::AccountingEntry => "entered in the client's accounting of disclosures".into(),
        Obligation::AccountingClientRequest => {
            "listed in the client's accounting as their own request".into()
        }
        Obligation::TellClient => {
            "the client is to be told of this disclosure, unless that is unsafe".into()
        }
        Obligation::RedactThirdParties => {
            "third parties' names and identifiers are redacted".into()
        }
        Obligation::LockboxNotice { text } => text.clone(),
        Obligation::RedisclosureNotice { .. } => return None,
    })
}

struct Filter<'a> {
    permitted: &'a [&'a str],
    marked: &'a [String],
    redactor: &'a Redactor,
    counts: &'a mut Vec<(String, usize)>,
}

impl Filter<'_> {
    /// The sections that leave, and a marker for each section left out whose category
    /// the policy marks; a section of any other category leaves no trace.
    fn sections(&mut self, sections: &[Section]) -> Vec<BundleSection> {
        sections
            .iter()
            .filter(|s| {
                self.permitted.contains(&s.category.as_str()) || self.marked.contains(&s.category)
            })
            .map(|s| {
                if self.permitted.contains(&s.category.as_str()) {
                    let (text, redactions) = self.redactor.redact(&s.text);
                    for r in redactions {
                        let marker = r.kind.marker().to_owned();
                        match self.counts.iter_mut().find(|(m, _)| *m == marker) {
                            Some((_, n)) => *n += 1,
                            None => self.counts.push((marker, 1)),
                        }
                    }
                    BundleSection {
                        category: s.category.clone(),
                        text: Some(text),
                        withheld: false,
                    }
                } else {
                    BundleSection {
                        category: s.category.clone(),
                        text: None,
                        withheld: true,
                    }
                }
            })
            .collect()
    }
}

/// What one note contributes to a bundle: the note as it leaves (if it does), and
/// what the cover sheet counts of it.
pub(crate) struct NoteOut {
    /// The note as it leaves; `None` when it does not.
    pub(crate) note: Option<BundleNote>,
    counts: Vec<(String, usize)>,
    /// A joint note withheld whole, then each category withheld, in order.
    withheld: Vec<Withheld>,
}

/// Builds a bundle a note at a time, so an export need not hold every note: the
/// decision, the client and the redactor are set once; [`Builder::note`] turns one
/// note into what leaves (it only reads the builder, so notes can be built on every
/// core), and [`Builder::add`] counts it for the cover sheet, in the notes' order.
pub(crate) struct Builder<'a> {
    decision: &'a Decision,
    client: &'a Client,
    permitted: Vec<&'a str>,
    identity: bool,
    attendance: bool,
    third_party: bool,
    redactor: Redactor,
    /// The categories whose withheld sections leave a marker (the policy's).
    marked: Vec<String>,
    /// The categories never released to a client's own request (the policy's).
    sole_consent: Vec<String>,
    /// The statements of disagreement that go with this disclosure.
    disagreements: Vec<super::Disagreement>,
    counts: Vec<(String, usize)>,
    withheld: Vec<Withheld>,
    notes: usize,
    vault: String,
    decision_id: DecisionId,
}

impl<'a> Builder<'a> {
    /// A builder for the bundle that a permitted `decision` allows.
    pub(crate) fn new(
        decision: &'a Decision,
        client: &'a Client,
        others: &[Client],
        vault: &str,
        decision_id: &DecisionId,
    ) -> Self {
        let permitted = decision.permitted();
        let identity = permitted.contains(&"identity");
        let attendance = permitted.contains(&"attendance");
        let third_party = decision
            .obligations
            .iter()
            .all(|o| *o != Obligation::RedactThirdParties);
        // Other participants of joint notes are third parties in this client's record:
        // their names, contact, dates of birth and their own third parties.
        let mut redactor = Redactor::new(client, identity, third_party).with_others(others);
        // A report about someone in the client's record (an abuse report naming a
        // child on the profile) releases that person's name with the identity it
        // releases; the decision has checked that the exception is such a report.
        if identity
            && let Some(about) = decision
                .request
                .exception
                .as_ref()
                .and_then(|e| e.about.as_ref())
        {
            redactor = redactor.releasing_third_parties(std::slice::from_ref(about));
        }
        Builder {
            decision,
            client,
            permitted,
            identity,
            attendance,
            third_party,
            redactor,
            marked: Vec::new(),
            disagreements: Vec::new(),
            sole_consent: Vec::new(),
            counts: Vec::new(),
            withheld: Vec::new(),
            notes: 0,
            vault: vault.to_owned(),
            decision_id: decision_id.clone(),
        }
    }

    /// Takes from the policy in force which withheld categories leave a marker, and
    /// which are never part of a client's own copy. Without it, nothing withheld
    /// leaves a trace. A category the client's lockbox withholds leaves none either:
    /// the recipient is told that something was withheld (the lockbox notice among
    /// the obligations), never what.
    pub(crate) fn follow_policy(&mut self, policy: &Policy) {
        let locked: Vec<&str> = self
            .decision
            .verdicts
            .iter()
            .filter(|v| v.withheld)
            .map(|v| v.category.as_str())
            .collect();
        self.marked = policy
            .withheld_markers
            .iter()
            .filter(|c| !locked.contains(&c.as_str()))
            .cloned()
            .collect();
        self.sole_consent = policy.sole_consent.clone();
    }

    /// Sends the client's statements of disagreement (with their rebuttals) with the
    /// disclosure: each goes when it concerns a category that leaves.
    pub(crate) fn with_disagreements(&mut self, disagreements: Vec<super::Disagreement>) {
        self.disagreements = disagreements;
    }

    fn allowed(&self, category: &str) -> bool {
        self.permitted.contains(&category)
    }

    fn client_request(&self) -> bool {
        matches!(self.decision.basis, Basis::ClientRequest)
    }

    /// One note of the range as it leaves: only permitted sections, text redacted; a
    /// joint note only when every participant permits.
    pub(crate) fn note(&self, note: &Note) -> NoteOut {
        let attendance = self.attendance;
        let mut out = NoteOut {
            note: None,
            counts: Vec::new(),
            withheld: Vec::new(),
        };
        if let Some(j) = self.decision.joint_notes.iter().find(|j| j.note == note.id)
            && !j.permitted
        {
            // Saying that a joint session took place is itself attendance.
            if attendance {
                out.withheld.push(Withheld {
                    what: format!("the joint session note of {}", note.date),
                    reason: "withheld whole: another participant has not permitted this disclosure"
                        .into(),
                });
            }
            return out;
        }
        // Without attendance, a note that releases nothing is not even mentioned: its
        // existence, kind and order would tell when the client came.
        if !attendance && !note.all_sections().any(|s| self.allowed(&s.category)) {
            return out;
        }
        let mut filter = Filter {
            permitted: &self.permitted,
            marked: &self.marked,
            redactor: &self.redactor,
            counts: &mut out.counts,
        };
        let sections = filter.sections(&note.sections);
        let addenda = note
            .addenda
            .iter()
            .map(|a| BundleAddendum {
                written_on: attendance.then(|| a.written_at.date_utc()),
                sections: filter.sections(&a.sections),
            })
            .collect();
        for s in note.all_sections() {
            if !self.allowed(&s.category)
                && self.marked.contains(&s.category)
                && !out.withheld.iter().any(|w| w.what == s.category)
            {
                out.withheld.push(Withheld {
                    what: s.category.clone(),
                    reason: self.withheld_reason(&s.category),
                });
            }
        }
        out.note = Some(BundleNote {
            date: attendance.then_some(note.date),
            session: attendance.then(|| note.note_type.as_str().to_owned()),
            sections,
            addenda,
        });
        out
    }

    /// Counts a note's contribution for the cover sheet; notes must be added in the
    /// bundle's order. Returns the note as it leaves.
    pub(crate) fn add(&mut self, out: NoteOut) -> Option<BundleNote> {
        for (marker, n) in out.counts {
            match self.counts.iter_mut().find(|(m, _)| *m == marker) {
                Some((_, total)) => *total += n,
                None => self.counts.push((marker, n)),
            }
        }
        for w in out.withheld {
            // A category is listed once, however many notes it is withheld from.
            let joint = out.note.is_none();
            if joint || !self.withheld.iter().any(|x| x.what == w.what) {
                self.withheld.push(w);
            }
        }
        if out.note.is_some() {
            self.notes += 1;
        }
        out.note
    }

    /// Why a category is not in this export. A disclosure is made only when every
    /// category requested is permitted, so a category left out was not requested,
    /// except under a client's own request, which never releases the sole-consent
    /// categories.
    fn withheld_reason(&self, category: &str) -> String {
        if self.client_request() && self.sole_consent.iter().any(|c| c == category) {
            format!(
                "not part of a client's own copy: {category} are kept apart from the record and released only under a consent that names them alone (for psychotherapy notes, 45 CFR 164.524(a)(1)(i)); this line is on every client's copy, whether or not there are any"
            )
        } else {
            "not part of this request".into()
        }
    }

    /// How many notes leave, of those added so far.
    pub(crate) fn notes(&self) -> usize {
        self.notes
    }

    /// The cover's list of what was withheld: what the notes left out (marked
    /// categories only), and on a client's own copy, whatever their notes, each
    /// category never released to that request, with the true reason.
    fn cover_withheld(&self) -> Vec<Withheld> {
        let mut withheld = self.withheld.clone();
        if self.client_request() {
            for category in &self.sole_consent {
                if !withheld.iter().any(|w| &w.what == category) {
                    withheld.push(Withheld {
                        what: category.clone(),
                        reason: self.withheld_reason(category),
                    });
                }
            }
        }
        withheld
    }

    /// The bundle's cover and profile, for the notes added so far; its `notes` is
    /// empty (they are spooled one by one, [`super::spooled_note`], and [`super::write`] writes
    /// them after it).
    pub(crate) fn head(&self) -> Bundle {
        let decision = self.decision;
        let client = self.client;
        let notice = decision.obligations.iter().find_map(|o| match o {
            Obligation::RedisclosureNotice { text } => Some(text.clone()),
            _ => None,
        });
        let request = &decision.request;
        Bundle {
            format: JSON_FORMAT,
            cover: Cover {
                recipient: request.recipient.clone(),
                purpose: request.purpose.clone(),
                // A justification or reference typed by the user may name someone too.
                basis: self.redactor.redact(&basis_text(decision)).0,
                client: if self.identity {
                    client.name.clone()
                } else {
                    "[withheld: identity]".into()
                },
                from: request.from,
                until: request.until,
                disclosed_on: decision.decided_on,
                vault: self.vault.clone(),
                decision: self.decision_id.clone(),
                permitted: self.permitted.iter().map(|c| c.to_string()).collect(),
                withheld: self.cover_withheld(),
                redactions: self.counts.clone(),
                obligations: decision
                    .obligations
                    .iter()
                    .filter_map(obligation_text)
                    .collect(),
                redisclosure_notice: notice,
                disagreements: self
                    .disagreements
                    .iter()
                    .map(|d| super::Disagreement {
                        request: d.request.clone(),
                        denied_on: d.denied_on,
                        statement: self.redactor.redact(&d.statement).0,
                        rebuttal: d.rebuttal.as_ref().map(|r| self.redactor.redact(r).0),
                    })
                    .collect(),
            },
            client: self.identity.then(|| BundleClient {
                name: client.name.clone(),
                date_of_birth: client.date_of_birth,
                // The contact may hold someone else's name and number ("Emergency:
                // Ben Quill 555-0199"): those are third-party identifiers.
                contact: client
                    .contact
                    .as_ref()
                    .map(|contact| self.redactor.redact(contact).0),
                third_parties: if self.third_party {
                    client.third_parties.clone()
                } else {
                    Vec::new()
                },
            }),
            notes: Vec::new(),
        }
    }
}
