//! Session operations on clients' requests, on the law's clock: `add_request`,
//! `extend_request`, `answer_request`, `review_request`, `record_statement` (a
//! denied amendment's disagreement and rebuttal, and `disagreements_for`, which a
//! disclosure carries), `requests_for_client`, `due`. Every one goes through
//! `Session::access`. The accounting owed is in `owed.rs`; retention and the client's
//! page in `record_life.rs`.

use crate::audit::Action;
use crate::base::{Date, RecordKind, RecordRef, RequestId, Timestamp};
use crate::error::Error;
use crate::model::rights::{
    DenialGround, Extension, RequestAnswer, RequestOutcome, Review, RightKind, RightsRequest,
};
use crate::model::role::Permission;
use crate::vault::{Access, Session, check_dates, check_lines};

type Result<T> = std::result::Result<T, Error>;

impl Access<'_, '_> {
    pub(crate) fn rights_request(&mut self, id: &str) -> Result<RightsRequest> {
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
