//! The record's life as the client and the practice see it: how long it is kept
//! (`retention`), and the page a client is given about it (`client_page`).

use serde::Serialize;

use crate::audit::Action;
use crate::base::{ClientId, Date, RecordKind};
use crate::error::Error;
use crate::export::ClientPage;
use crate::model::accounting::AccountingEntry;
use crate::model::consent::Consent;
use crate::model::policy::Policy;
use crate::model::rights::{RightKind, retention_end};
use crate::vault::{Access, Session};

type Result<T> = std::result::Result<T, Error>;

/// A client's place in the record's life: when treatment ended, when the record may be
/// destroyed under the policy in force, and whether a legal hold keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RetentionRow {
    /// The client.
    pub client: ClientId,
    /// Their name.
    pub name: String,
    /// The day treatment ended.
    pub treatment_ended: Date,
    /// The last session on record, when it is after the end recorded (the retention
    /// runs from the later).
    pub last_session: Option<Date>,
    /// The first day the record may be destroyed.
    pub retention_end: Date,
    /// True when that day has come.
    pub past: bool,
    /// The reason of a legal hold, which keeps the record whatever the date.
    pub legal_hold: Option<String>,
}

impl Session {
    /// Every client this member's keys open whose treatment has ended, with the day
    /// their record may be destroyed under the policy in force; the soonest first.
    pub fn retention(&mut self, today: Date) -> Result<Vec<RetentionRow>> {
        let mut rows = self.access(Action::RetentionList, |a| {
            let (_, policy) = a.policy()?;
            let Some(retention) = policy.retention.clone() else {
                return Err(no_retention(&policy));
            };
            let majority = policy.minors.as_ref().map_or(18, |m| m.age_of_majority);
            let clients: Vec<crate::model::client::Client> = a.read_all(RecordKind::Client)?;
            let last = last_sessions(a)?;
            let rows: Vec<RetentionRow> = clients
                .into_iter()
                .filter_map(|c| {
                    let ended = c.care.treatment_ended?;
                    let later = last.get(&c.id).copied().filter(|d| *d > ended);
                    let end = retention_end(
                        &retention,
                        majority,
                        Some(later.unwrap_or(ended)),
                        c.date_of_birth,
                    )?;
                    Some(RetentionRow {
                        client: c.id,
                        name: c.name,
                        treatment_ended: ended,
                        last_session: later,
                        retention_end: end,
                        past: end <= today,
                        legal_hold: c.care.legal_hold.map(|h| h.reason),
                    })
                })
                .collect();
            Ok(rows)
        })?;
        rows.sort_by(|a, b| {
            a.retention_end
                .cmp(&b.retention_end)
                .then(a.client.cmp(&b.client))
        });
        Ok(rows)
    }
}

impl Session {
    /// The page `client` is given about their record on `today`: what is kept, the
    /// limits of confidentiality under the policy in force, every disclosure of their
    /// information, their rights with the deadlines, and how long the record is kept.
    /// Render it with [`crate::render_client_page`].
    pub fn client_page(&mut self, client: &str, today: Date) -> Result<ClientPage> {
        self.access(Action::ClientPage, |a| {
            let profile = a.client(client)?;
            let (_, policy) = a.policy()?;
            let notes = crate::vault::consent::notes_of(a, client)?;
            let consents: Vec<Consent> = a.read_all(RecordKind::Consent)?;
            let restrictions = a.restrictions_of(&[client])?;
            let mut entries: Vec<AccountingEntry> = a
                .read_all::<AccountingEntry>(RecordKind::Accounting)?
                .into_iter()
                .filter(|e| e.client == client)
                .collect();
            entries.sort_by(|x, y| {
                x.disclosed_on
                    .cmp(&y.disclosed_on)
                    .then(x.sequence.cmp(&y.sequence))
            });
            let mut consents: Vec<&Consent> = consents
                .iter()
                .filter(|c| c.client == client && c.state_on(today) == "active")
                .collect();
            consents.sort_by(|a, b| a.effective.cmp(&b.effective).then(a.id.cmp(&b.id)));
            let rights = policy.rights.as_ref().map_or_else(Vec::new, |r| {
                let mut out: Vec<String> = RightKind::ALL
                    .into_iter()
                    .filter_map(|kind| {
                        let d = kind.deadline(&policy)?;
                        let ext = d
                            .extension
                            .map_or(String::new(), |e| format!(", once extended by up to {e} with a written reason"));
                        Some(format!(
                            "{}: we answer within {}{ext} ({})",
                            right_in_words(kind),
                            d.term,
                            d.citation
                        ))
                    })
                    .collect();
                if let Some(years) = r.accounting_years {
                    out.push(format!(
                        "The accounting you are owed reaches {years} years back ({}).",
                        r.citation
                    ));
                }
                out
            });
            let retention = policy.retention.as_ref().map(|r| {
                let majority = policy.minors.as_ref().map_or(18, |m| m.age_of_majority);
                // The retention runs from the later of the end recorded and the last
                // session on record.
                let ended = profile
                    .care
                    .treatment_ended
                    .map(|e| notes.last().map_or(e, |n| e.max(n.date)));
                match retention_end(r, majority, ended, profile.date_of_birth) {
                    Some(end) => format!(
                        "Your treatment ended on {}: your record is kept until {end}, then destroyed ({}).{}",
                        ended.map_or(String::new(), |d| d.to_string()),
                        r.citation,
                        if profile.care.legal_hold.is_some() {
                            " A legal hold keeps it longer for now."
                        } else {
                            ""
                        }
                    ),
                    None => format!("{} ({})", r.summary, r.citation),
                }
            });
            Ok(ClientPage {
                client: profile.name.clone(),
                on: today,
                policy: policy.name.clone(),
                notes: notes.len(),
                first_session: notes.first().map(|n| n.date),
                last_session: notes.last().map(|n| n.date),
                part2: profile.care.part2_program && policy.part2.is_some(),
                consents: consents
                    .iter()
                    .map(|c| {
                        format!(
                            "to {} for {}: {} (from {} to {})",
                            c.recipient.name,
                            c.purposes.join(", "),
                            c.categories.join(", "),
                            c.effective,
                            if c.tpo.is_some() { "your written revocation".to_owned() } else { c.expires.to_string() }
                        )
                    })
                    .collect(),
                restrictions: restrictions
                    .iter()
                    .filter(|r| r.in_force_on(today))
                    .map(|r| r.scope())
                    .collect(),
                limits: policy
                    .exceptions
                    .iter()
                    .filter(|e| e.denial.is_none())
                    .map(|e| (e.description.clone(), e.force == crate::model::policy::Force::Required))
                    .collect(),
                disclosures: entries
                    .iter()
                    .map(|e| {
                        format!(
                            "{}: to {}, for {}: {}{}",
                            e.disclosed_on,
                            e.recipient,
                            e.purpose,
                            e.description,
                            if e.client_request { " (your own request)" } else { "" }
                        )
                    })
                    .collect(),
                rights,
                retention,
            })
        })
    }
}

/// A right, in the words a client knows it by.
fn right_in_words(kind: RightKind) -> &'static str {
    match kind {
        RightKind::Access => "To see and get a copy of your record",
        RightKind::Amendment => "To ask us to correct it",
        RightKind::Accounting => "To know who received your information",
        RightKind::Restriction => "To ask us to keep something back",
        RightKind::ConfidentialCommunication => "To be reached another way or at another place",
    }
}

/// Each client's last session on record, from the notes' headers (no text opened).
fn last_sessions(a: &mut Access<'_, '_>) -> Result<std::collections::HashMap<ClientId, Date>> {
    let mut last: std::collections::HashMap<ClientId, Date> = std::collections::HashMap::new();
    a.for_each_note_header_page(|notes: Vec<crate::vault::consent::NoteHeader>| {
        for note in notes {
            for client in note.clients {
                let day = last.entry(client).or_insert(note.date);
                *day = (*day).max(note.date);
            }
        }
        Ok(())
    })?;
    Ok(last)
}

fn no_retention(policy: &Policy) -> Error {
    Error::InvalidInput(format!(
        "the policy in force ({}) sets no retention period ([retention]); use a pack that does",
        policy.name
    ))
}
