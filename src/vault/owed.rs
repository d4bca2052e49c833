//! The accounting a client is owed (`legal_accounting`), and an agency's suspension of
//! it (`suspend_accounting`). Every one goes through `Session::access`.

use serde::Serialize;

use crate::audit::Action;
use crate::base::{ClientId, Date, RecordKind, RecordRef, RequestId, Timestamp};
use crate::error::Error;
use crate::model::accounting::AccountingEntry;
use crate::model::rights::{RightKind, Suspension, years_before};
use crate::model::role::Permission;
use crate::rules::decision::{Basis, DecisionRecord};
use crate::vault::{Access, Session, check_dates, check_lines};

type Result<T> = std::result::Result<T, Error>;

/// The accounting a client is owed (HIPAA 164.528; 42 CFR 2.24 for Part 2): the
/// disclosures of the period the law reaches, less those it leaves out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LegalAccounting {
    /// The client.
    pub client: ClientId,
    /// The first day it reaches.
    pub from: Date,
    /// The day it was produced.
    pub on: Date,
    /// The disclosures owed, oldest first.
    pub entries: Vec<AccountingEntry>,
    /// How many disclosures of the period were left out, and why, in words.
    pub left_out: Vec<(String, usize)>,
    /// The rule it follows.
    pub citation: String,
}

impl Session {
    /// Suspends `client`'s accounting of disclosures to `agency` from `from` to
    /// `until`, at the agency's request with its reason (164.528(a)(2)); an oral
    /// request holds at most 30 days.
    pub fn suspend_accounting(
        &mut self,
        client: &str,
        agency: &str,
        (from, until): (Date, Date),
        reason: &str,
        oral: bool,
    ) -> Result<Suspension> {
        check_dates(&[("start", Some(from)), ("end", Some(until))])?;
        for (what, text) in [("agency", agency), ("reason", reason)] {
            if crate::base::fold::is_blank(text) {
                return Err(Error::InvalidInput(format!(
                    "a suspension needs the {what} (164.528(a)(2)); nothing recorded"
                )));
            }
        }
        check_lines([("agency", agency), ("reason", reason)])?;
        if until < from {
            return Err(Error::InvalidInput(format!(
                "the suspension ends ({until}) before it starts ({from}); nothing recorded"
            )));
        }
        let limit = crate::model::policy::Term::Days(30).after(from);
        if oral && limit.is_some_and(|l| until > l) {
            return Err(Error::InvalidInput(format!(
                "an oral request suspends the accounting for 30 days at most (to {}), unless the agency puts it in writing (164.528(a)(2)(ii)); nothing recorded",
                limit.map_or(String::new(), |l| l.to_string())
            )));
        }
        let actor = self.actor().to_owned();
        self.access(Action::AccountingSuspend, |a| {
            let (_, policy) = a.policy()?;
            a.require(&policy, Permission::Accounting)?;
            a.client(client)?;
            let id: RequestId = a.new_id(RecordKind::AccountingSuspension)?.into();
            let suspension = Suspension {
                id: id.clone(),
                client: client.into(),
                agency: agency.trim().to_owned(),
                from,
                until,
                reason: reason.trim().to_owned(),
                oral,
                recorded_at: Timestamp::now(),
                recorded_by: actor,
            };
            a.write_for(
                client,
                RecordRef::new(RecordKind::AccountingSuspension, &id, 1),
                &suspension,
            )?;
            Ok(suspension)
        })
    }

    /// The accounting `client` is owed on `today` under the policy in force: the
    /// disclosures of the years it reaches, less those to the client, under their
    /// authorization, and for the purposes it leaves out; for a Part 2 client, also
    /// those made with their consent in the years Part 2 reaches.
    ///
    /// The period runs back from the day the client asked: give the accounting
    /// request's id as `request` (otherwise from `today`).
    pub fn legal_accounting(
        &mut self,
        client: &str,
        request: Option<&str>,
        today: Date,
    ) -> Result<LegalAccounting> {
        self.access(Action::AccountingShow, |a| {
            let profile = a.client(client)?;
            let asked = match request {
                None => today,
                Some(id) => {
                    let r = a.rights_request(id)?;
                    if r.client != client || r.kind != RightKind::Accounting {
                        return Err(Error::InvalidInput(format!(
                            "request {id} is not a request of client {client} for the accounting"
                        )));
                    }
                    r.received
                }
            };
            let (_, policy) = a.policy()?;
            let Some((rights, years)) = policy
                .rights
                .clone()
                .and_then(|r| r.accounting_years.map(|y| (r, y)))
            else {
                return Err(Error::InvalidInput(format!(
                    "the policy in force ({}) owes clients no accounting of disclosures (its [rights] set no accounting-years); `casevault accounting --client {client}` lists every disclosure",
                    policy.name
                )));
            };
            let back = |years: u16| {
                years_before(asked, years).unwrap_or(crate::base::Date::EARLIEST)
            };
            let from = back(years);
            let part2_from = rights
                .part2_accounting_years
                .filter(|_| profile.care.part2_program && policy.part2.is_some())
                .map(back);
            let all: Vec<AccountingEntry> = a.read_all(RecordKind::Accounting)?;
            let suspensions: Vec<Suspension> = a
                .read_all::<Suspension>(RecordKind::AccountingSuspension)?
                .into_iter()
                .filter(|s| s.client == client && s.from <= today && today <= s.until)
                .collect();
            let mut entries = Vec::new();
            let mut left_out: Vec<(String, usize)> = Vec::new();
            let mut leave = |why: &str| match left_out.iter_mut().find(|(w, _)| w == why) {
                Some((_, n)) => *n += 1,
                None => left_out.push((why.to_owned(), 1)),
            };
            for entry in all.into_iter().filter(|e| e.client == client) {
                if suspensions
                    .iter()
                    // Exactly the agency (case and spacing aside): a looser match would
                    // hide a disclosure to another recipient from the client.
                    .any(|s| crate::rules::decision::same_name(&s.agency, &entry.recipient))
                {
                    leave("to an agency that suspended the accounting for now (164.528(a)(2))");
                    continue;
                }
                match a.entry_basis(&entry)? {
                    EntryBasis::ClientRequest => leave("to the client (164.528(a)(1)(ii))"),
                    EntryBasis::Consent => match part2_from {
                        Some(start) if entry.disclosed_on >= start => entries.push(entry),
                        Some(_) => leave("older than the period the accounting reaches"),
                        None => leave("under the client's authorization (164.528(a)(1)(iv))"),
                    },
                    EntryBasis::Exception(_) if entry.disclosed_on < from => {
                        leave("older than the period the accounting reaches")
                    }
                    EntryBasis::Exception(Some(kind))
                        if rights.accounting_excludes_exceptions.contains(&kind) =>
                    {
                        leave("for treatment, payment or operations (164.528(a)(1)(i))")
                    }
                    EntryBasis::Exception(_) => entries.push(entry),
                }
            }
            entries.sort_by(|x, y| {
                x.disclosed_on
                    .cmp(&y.disclosed_on)
                    .then(x.sequence.cmp(&y.sequence))
            });
            Ok(LegalAccounting {
                client: profile.id,
                from: part2_from.map_or(from, |p| p.min(from)),
                on: today,
                entries,
                left_out,
                citation: rights.citation.clone(),
            })
        })
    }
}

/// What an accounting entry rests on, as the law's accounting sorts it.
enum EntryBasis {
    Consent,
    /// A legal exception, by kind when its decision could be read.
    Exception(Option<String>),
    ClientRequest,
}

impl Access<'_, '_> {
    /// The basis of the disclosure `entry` records: from its decision (another
    /// participant of a joint note disclosed under their own consent).
    fn entry_basis(&mut self, entry: &AccountingEntry) -> Result<EntryBasis> {
        if entry.client_request {
            return Ok(EntryBasis::ClientRequest);
        }
        let decision: Option<DecisionRecord> =
            match self.read_latest(RecordKind::Decision, &entry.decision) {
                Err(Error::KeyDenied { .. }) => None,
                other => other?,
            };
        Ok(match decision {
            Some(d) if d.decision.request.client != entry.client => EntryBasis::Consent,
            Some(d) => match d.decision.basis {
                Basis::Consent { .. } => EntryBasis::Consent,
                Basis::Exception { exception, .. } => EntryBasis::Exception(Some(exception)),
                Basis::ClientRequest => EntryBasis::ClientRequest,
            },
            // A decision this member cannot read: listed, as owed (a client is never
            // shown less than they are owed for want of a key).
            None => EntryBasis::Exception(None),
        })
    }
}
