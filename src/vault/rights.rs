//! Session operations on clients' rights: requests on the law's clock (`add_request`,
//! `extend_request`, `answer_request`, `requests_for_client`, `due`), how long records
//! are kept (`retention`), and the accounting a client is owed (`legal_accounting`).
//! Every one goes through `Session::access`.

use serde::Serialize;

use crate::audit::Action;
use crate::base::{ClientId, Date, RecordKind, RecordRef, RequestId, Timestamp};
use crate::error::Error;
use crate::export::ClientPage;
use crate::model::accounting::AccountingEntry;
use crate::model::consent::Consent;
use crate::model::policy::Policy;
use crate::model::rights::{
    DenialGround, Extension, RequestAnswer, RequestOutcome, Review, RightKind, RightsRequest,
    Suspension, retention_end, years_before,
};
use crate::model::role::Permission;
use crate::rules::decision::{Basis, DecisionRecord};
use crate::vault::{Access, Session, check_dates, check_lines};

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

impl Access<'_, '_> {
    fn rights_request(&mut self, id: &str) -> Result<RightsRequest> {
        self.read_latest(RecordKind::RightsRequest, id)?
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "no request {id}; list a client's with `casevault request list --client ID`"
                ))
            })
    }

    fn write_rights_request(&mut self, request: &RightsRequest) -> Result<()> {
        self.write_for(
            &request.client.clone(),
            RecordRef::new(RecordKind::RightsRequest, &request.id, request.version),
            request,
        )
    }
}

impl Session {
    /// Records a client's request received on `received`; its due date comes from the
    /// policy in force. Returns it.
    ///
    /// `concerns` names the categories an amendment concerns (empty: the whole record):
    /// a statement of disagreement goes with every later disclosure of them.
    pub fn add_request(
        &mut self,
        client: &str,
        kind: RightKind,
        received: Date,
        concerns: Vec<String>,
        today: Date,
    ) -> Result<RightsRequest> {
        check_dates(&[("day received", Some(received))])?;
        if received > today {
            return Err(Error::InvalidInput(format!(
                "the request was received on {received}, after today; nothing recorded"
            )));
        }
        let actor = self.actor().to_owned();
        self.access(Action::RequestAdd, |a| {
            let (_, policy) = a.policy()?;
            a.require(&policy, Permission::ClientRequests)?;
            a.client(client)?;
            if kind == RightKind::Amendment && concerns.is_empty() {
                return Err(Error::InvalidInput(
                    "an amendment names the categories it concerns (--concerns): a statement of disagreement goes only with disclosures of them; nothing recorded".into(),
                ));
            }
            if !concerns.is_empty() {
                if kind != RightKind::Amendment {
                    return Err(Error::InvalidInput(
                        "only an amendment concerns categories (--concerns); nothing recorded"
                            .into(),
                    ));
                }
                crate::vault::consent::check_names(
                    "category",
                    &concerns,
                    &policy.categories,
                    false,
                )?;
            }
            let deadline = kind.deadline(&policy);
            let due = deadline.and_then(|d| d.term.after(received));
            check_dates(&[("due date", due)])?;
            let id: RequestId = a.new_id(RecordKind::RightsRequest)?.into();
            let request = RightsRequest {
                id,
                version: 1,
                client: client.into(),
                kind,
                received,
                due,
                citation: deadline.map(|d| d.citation.clone()),
                extension: None,
                answer: None,
                review: None,
                concerns,
                disagreement: None,
                rebuttal: None,
                recorded_at: Timestamp::now(),
                recorded_by: actor,
            };
            a.write_rights_request(&request)?;
            Ok(request)
        })
    }

    /// Takes the one extension the policy allows, with the written reason the client is
    /// given, before the original deadline passes.
    pub fn extend_request(&mut self, id: &str, reason: &str, today: Date) -> Result<RightsRequest> {
        if crate::base::fold::is_blank(reason) {
            return Err(Error::InvalidInput(
                "an extension needs its written reason (--reason): the client is told it".into(),
            ));
        }
        check_lines([("reason", reason)])?;
        let actor = self.actor().to_owned();
        self.access(Action::RequestExtend, |a| {
            let (_, policy) = a.policy()?;
            a.require(&policy, Permission::ClientRequests)?;
            let mut request = a.rights_request(id)?;
            if request.answer.is_some() {
                return Err(Error::InvalidInput(format!(
                    "request {id} is answered; nothing changed"
                )));
            }
            if request.extension.is_some() {
                return Err(Error::InvalidInput(format!(
                    "request {id} was extended already: the law allows one extension; nothing changed"
                )));
            }
            let deadline = request.kind.deadline(&policy);
            let (Some(due), Some((term, Some(extension)))) = (
                request.due,
                deadline.map(|d| (d.term, d.extension)),
            ) else {
                return Err(Error::InvalidInput(format!(
                    "the policy in force allows no extension for a request of {}; nothing changed",
                    request.kind
                )));
            };
            if today > due {
                return Err(Error::InvalidInput(format!(
                    "request {id} was due on {due}: an extension is taken before the deadline, not after; answer it now"
                )));
            }
            // The extension runs on from the day received, as the law counts it (one
            // month and two more are three months from receipt).
            let new_due = match term.then(extension) {
                (whole, None) => whole.after(request.received),
                (first, Some(more)) => first.after(request.received).and_then(|d| more.after(d)),
            }
            .filter(|d| d.in_range())
            .ok_or_else(|| {
                Error::InvalidInput("the extended deadline is past the dates casevault keeps".into())
            })?;
            request.version += 1;
            request.extension = Some(Extension {
                due: new_due,
                reason: reason.trim().to_owned(),
                recorded_at: Timestamp::now(),
                recorded_by: actor,
            });
            a.write_rights_request(&request)?;
            Ok(request)
        })
    }

    /// Answers a request on `on`, closing it. A denial or a partial grant needs its
    /// ground in `note`.
    pub fn answer_request(
        &mut self,
        id: &str,
        outcome: RequestOutcome,
        ground: Option<DenialGround>,
        note: &str,
        on: Date,
        today: Date,
    ) -> Result<RightsRequest> {
        check_dates(&[("answer date", Some(on))])?;
        if on > today {
            return Err(Error::InvalidInput(format!(
                "the answer date {on} is after today; nothing changed"
            )));
        }
        if matches!(outcome, RequestOutcome::Denied | RequestOutcome::Partly)
            && crate::base::fold::is_blank(note)
        {
            return Err(Error::InvalidInput(
                "a denial, whole or in part, needs its ground (--note): the client is owed it in writing".into(),
            ));
        }
        check_lines([("note", note)])?;
        let actor = self.actor().to_owned();
        self.access(Action::RequestAnswer, |a| {
            let (_, policy) = a.policy()?;
            // A denial that rests on clinical judgment (164.524(a)(3)) is a licensed
            // professional's, recorded under their own name; any other answer is the
            // records' staff's to record.
            if ground.is_some_and(DenialGround::reviewable) {
                a.require(&policy, Permission::WriteNotes)?;
            } else {
                a.require(&policy, Permission::ClientRequests)?;
            }
            let mut request = a.rights_request(id)?;
            if let Some(answer) = &request.answer {
                return Err(Error::InvalidInput(format!(
                    "request {id} was answered on {} ({}); nothing changed",
                    answer.on,
                    answer.outcome.as_str()
                )));
            }
            let denied = matches!(outcome, RequestOutcome::Denied | RequestOutcome::Partly);
            match (ground, denied) {
                (Some(g), false) => {
                    return Err(Error::InvalidInput(format!(
                        "a ground ({}) goes with a denial, whole or in part; nothing changed",
                        g.as_str()
                    )));
                }
                (Some(g), true) if g.kind() != request.kind => {
                    return Err(Error::InvalidInput(format!(
                        "{} is a ground for denying a request of {}, not {}; nothing changed",
                        g.as_str(),
                        g.kind(),
                        request.kind
                    )));
                }
                (None, true)
                    if matches!(request.kind, RightKind::Access | RightKind::Amendment) =>
                {
                    let grounds: Vec<&str> = DenialGround::ALL
                        .into_iter()
                        .filter(|g| g.kind() == request.kind)
                        .map(DenialGround::as_str)
                        .collect();
                    return Err(Error::InvalidInput(format!(
                        "a denial of {} names its ground (--ground {}); nothing changed",
                        request.kind,
                        grounds.join(" | ")
                    )));
                }
                _ => {}
            }
            if on < request.received {
                return Err(Error::InvalidInput(format!(
                    "request {id} was received on {}, after {on}; nothing changed",
                    request.received
                )));
            }
            request.version += 1;
            request.answer = Some(RequestAnswer {
                on,
                outcome,
                note: note.trim().to_owned(),
                ground,
                member: a.ring().member().to_owned(),
                recorded_at: Timestamp::now(),
                recorded_by: actor,
            });
            a.write_rights_request(&request)?;
            Ok(request)
        })
    }

    /// Records the review of a reviewable denial, by the member acting, who must be
    /// another clinician than the one who denied it (164.524(a)(4)).
    pub fn review_request(
        &mut self,
        id: &str,
        upheld: bool,
        note: &str,
        on: Date,
        today: Date,
    ) -> Result<RightsRequest> {
        check_dates(&[("review date", Some(on))])?;
        if on > today {
            return Err(Error::InvalidInput(format!(
                "the review date {on} is after today; nothing changed"
            )));
        }
        if crate::base::fold::is_blank(note) {
            return Err(Error::InvalidInput(
                "a review says what the reviewer found (--note)".into(),
            ));
        }
        check_lines([("note", note)])?;
        self.access(Action::RequestReview, |a| {
            let (_, policy) = a.policy()?;
            a.require(&policy, Permission::WriteNotes)?;
            let mut request = a.rights_request(id)?;
            let Some(answer) = &request.answer else {
                return Err(Error::InvalidInput(format!(
                    "request {id} is not answered: only a denial is reviewed"
                )));
            };
            let Some(ground) = answer.ground.filter(|g| g.reviewable()) else {
                return Err(Error::InvalidInput(format!(
                    "request {id} was not denied on a reviewable ground (164.524(a)(3)); nothing to review"
                )));
            };
            if request.review.is_some() {
                return Err(Error::InvalidInput(format!(
                    "request {id} was reviewed already; nothing changed"
                )));
            }
            let member = a.ring().member().to_owned();
            if answer.member == member {
                return Err(Error::InvalidInput(format!(
                    "you denied request {id} ({}): the review is by another licensed professional who took no part in it (164.524(a)(4)); they record it under their own name",
                    ground.as_str()
                )));
            }
            if on < answer.on {
                return Err(Error::InvalidInput(format!(
                    "request {id} was denied on {}, after {on}; nothing changed",
                    answer.on
                )));
            }
            request.version += 1;
            request.review = Some(Review {
                by: member,
                on,
                upheld,
                note: note.trim().to_owned(),
                recorded_at: Timestamp::now(),
            });
            a.write_rights_request(&request)?;
            Ok(request)
        })
    }

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

    /// Records the client's statement of disagreement with a denied amendment
    /// (164.526(d)(1)), or, once there is one, the practice's rebuttal (164.526(d)(2)).
    /// Both go with every later disclosure of what the amendment concerns.
    pub fn record_statement(
        &mut self,
        id: &str,
        text: &str,
        rebuttal: bool,
    ) -> Result<RightsRequest> {
        if crate::base::fold::is_blank(text) {
            return Err(Error::InvalidInput("the statement is empty".into()));
        }
        let actor = self.actor().to_owned();
        self.access(Action::RequestStatement, |a| {
            let (_, policy) = a.policy()?;
            a.require(&policy, Permission::ClientRequests)?;
            let mut request = a.rights_request(id)?;
            let denied = request.kind == RightKind::Amendment
                && request.answer.as_ref().is_some_and(|x| {
                    matches!(x.outcome, RequestOutcome::Denied | RequestOutcome::Partly)
                });
            if !denied {
                return Err(Error::InvalidInput(format!(
                    "request {id} is not a denied amendment: a statement of disagreement answers a denial of amendment (164.526(d)); nothing recorded"
                )));
            }
            let statement = Some(crate::model::rights::Statement {
                text: text.trim().to_owned(),
                recorded_at: Timestamp::now(),
                recorded_by: actor,
            });
            match (rebuttal, &request.disagreement, &request.rebuttal) {
                (false, None, _) => request.disagreement = statement,
                (false, Some(_), _) => {
                    return Err(Error::InvalidInput(format!(
                        "request {id} has the client's statement already; nothing recorded"
                    )));
                }
                (true, None, _) => {
                    return Err(Error::InvalidInput(format!(
                        "request {id} has no statement of disagreement to rebut; nothing recorded"
                    )));
                }
                (true, Some(_), None) => request.rebuttal = statement,
                (true, Some(_), Some(_)) => {
                    return Err(Error::InvalidInput(format!(
                        "request {id} has the practice's rebuttal already; nothing recorded"
                    )));
                }
            }
            request.version += 1;
            a.write_rights_request(&request)?;
            Ok(request)
        })
    }

    /// A client's requests, oldest first.
    pub fn requests_for_client(&mut self, client: &str) -> Result<Vec<RightsRequest>> {
        let mut list: Vec<RightsRequest> = self.access(Action::RequestList, |a| {
            a.client(client)?;
            let all: Vec<RightsRequest> = a.read_all(RecordKind::RightsRequest)?;
            Ok(all.into_iter().filter(|r| r.client == client).collect())
        })?;
        list.sort_by(|a, b| a.received.cmp(&b.received).then(a.id.cmp(&b.id)));
        Ok(list)
    }

    /// Every unanswered request this member's keys open, soonest due first (those
    /// without a deadline last).
    pub fn due(&mut self) -> Result<Vec<RightsRequest>> {
        let mut open: Vec<RightsRequest> = self.access(Action::RequestDue, |a| {
            let all: Vec<RightsRequest> = a.read_all(RecordKind::RightsRequest)?;
            Ok(all.into_iter().filter(|r| r.answer.is_none()).collect())
        })?;
        open.sort_by(|a, b| {
            (a.due_now().is_none(), a.due_now(), &a.id).cmp(&(
                b.due_now().is_none(),
                b.due_now(),
                &b.id,
            ))
        });
        Ok(open)
    }

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

impl Access<'_, '_> {
    /// The client's statements of disagreement that go with a disclosure of
    /// `permitted`: each of a denied amendment whose every concerned category leaves.
    pub(crate) fn disagreements_for(
        &mut self,
        client: &str,
        permitted: &[&str],
    ) -> Result<Vec<crate::export::Disagreement>> {
        let all: Vec<RightsRequest> = self.read_all(RecordKind::RightsRequest)?;
        let mut out: Vec<(Date, crate::export::Disagreement)> = all
            .into_iter()
            .filter(|r| r.client == client)
            // Only with a disclosure that releases everything it concerns: the client's
            // words may speak of any of it (an amendment concerns named categories).
            .filter(|r| {
                !r.concerns.is_empty() && r.concerns.iter().all(|c| permitted.contains(&c.as_str()))
            })
            .filter_map(|r| {
                let answer = r.answer?;
                let statement = r.disagreement?;
                Some((
                    answer.on,
                    crate::export::Disagreement {
                        request: r.id.to_string(),
                        denied_on: answer.on,
                        statement: statement.text,
                        rebuttal: r.rebuttal.map(|s| s.text),
                    },
                ))
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.request.cmp(&b.1.request)));
        Ok(out.into_iter().map(|(_, d)| d).collect())
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
