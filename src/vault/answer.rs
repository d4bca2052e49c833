//! Answers that do what they grant: an access request granted produces the client's
//! copy (`grant_access`), an amendment accepted appends its addendum and lists whom
//! to tell (`accept_amendment`). Each closes its request with what was done.

use serde::Serialize;

use crate::audit::Action;
use crate::base::{ClientId, Date, RecordKind};
use crate::error::Error;
use crate::export::ExportOptions;
use crate::model::accounting::AccountingEntry;
use crate::model::rights::{DenialGround, RequestOutcome, RightKind, RightsRequest};
use crate::model::role::Permission;
use crate::rules::decision::{DecisionRecord, DisclosureRequest};
use crate::vault::disclose::Disclosure;
use crate::vault::{Access, Session};

type Result<T> = std::result::Result<T, Error>;

/// How an access request is granted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessGrant {
    /// Categories withheld (a partial denial); empty: the whole record the right
    /// reaches.
    pub withhold: Vec<String>,
    /// The ground of a partial denial (needed with `withhold`).
    pub ground: Option<DenialGround>,
    /// What the client is told, in words (needed with `withhold`).
    pub note: String,
}

/// What granting access did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessGranted {
    /// The disclosure to the client: their copy.
    pub disclosure: Disclosure,
    /// The request, answered.
    pub request: RightsRequest,
}

/// What accepting an amendment did, and whom the practice must tell (164.526(c)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AmendmentAccepted {
    /// The request, answered.
    pub request: RightsRequest,
    /// The note the addendum was appended to, and its new version.
    pub note: String,
    /// The note's version with the addendum.
    pub version: u32,
    /// The people the client named to be told (164.526(c)(3)(i)).
    pub named: Vec<String>,
    /// Those the accounting shows received what the amendment concerns, who may rely
    /// on it (164.526(c)(3)(ii)): recipient and the day, oldest first.
    pub received: Vec<(String, Date)>,
}

impl Session {
    /// One request, as stored (audited as a listing of requests).
    pub fn rights_request(&mut self, id: &str) -> Result<RightsRequest> {
        self.access(Action::RequestList, |a| a.rights_request(id))
    }

    /// Grants access request `id` on `on`: discloses to the client, for their own
    /// request, every category but those `grant` withholds (psychotherapy notes never
    /// go: they are outside the right, 164.524(a)(1)(i)), written as `options` say,
    /// and answers the request (`granted`, or `partly` with the ground when something
    /// is withheld) naming the copy. A disclosure the policy denies leaves the request
    /// open ([`Error::Denied`]).
    pub fn grant_access(
        &mut self,
        id: &str,
        grant: &AccessGrant,
        on: Date,
        today: Date,
        options: &ExportOptions,
    ) -> Result<AccessGranted> {
        let request = self.request_to_answer(id, RightKind::Access, grant.ground, on, today)?;
        let (outcome, ground) = match (grant.withhold.is_empty(), grant.ground) {
            (true, None) => (RequestOutcome::Granted, None),
            (true, Some(g)) => {
                return Err(Error::InvalidInput(format!(
                    "a ground ({}) goes with what is withheld (--withhold CATEGORIES); nothing done",
                    g.as_str()
                )));
            }
            (false, None) => {
                return Err(Error::InvalidInput(
                    "withholding part of the record is a denial in part: name its ground (--ground danger-to-life | harm-to-other | representative-harm | legal-proceeding); nothing done".into(),
                ));
            }
            (false, Some(g)) => (RequestOutcome::Partly, Some(g)),
        };
        let (_, policy) = self.policy()?;
        let categories: Vec<String> = if grant.withhold.is_empty() {
            vec!["all".to_owned()]
        } else {
            for c in &grant.withhold {
                if !policy.categories.contains(c) {
                    return Err(Error::UnknownName {
                        what: "category",
                        name: c.clone(),
                        suggestion: None,
                        known: policy.categories.clone(),
                    });
                }
            }
            // As "all" reads for the client's own request: never the categories only
            // their own consent releases (psychotherapy notes).
            let left: Vec<String> = policy
                .categories
                .iter()
                .filter(|c| !grant.withhold.contains(c) && !policy.sole_consent.contains(c))
                .cloned()
                .collect();
            if left.is_empty() {
                return Err(Error::InvalidInput(
                    "--withhold leaves nothing to give: deny the request instead (`casevault request answer ID --outcome denied`)".into(),
                ));
            }
            left
        };
        let disclosure = self.disclose(
            &DisclosureRequest {
                client: request.client.clone(),
                recipient: "client".into(),
                purpose: policy.client_request_purpose.clone(),
                categories,
                consent: None,
                exception: None,
                from: None,
                until: None,
                recipient_kind: None,
            },
            today,
            options,
        )?;
        let withheld_joint = disclosure
            .decision
            .decision
            .joint_notes
            .iter()
            .filter(|j| !j.permitted)
            .count();
        let mut note = format!(
            "copy produced on {today}: {} session note(s) (decision {}){}",
            disclosure.notes,
            disclosure.decision.id,
            if grant.withhold.is_empty() {
                String::new()
            } else {
                format!("; withheld: {}", grant.withhold.join(", "))
            }
        );
        if withheld_joint > 0 {
            note.push_str(&format!(
                "; {withheld_joint} joint note(s) withheld whole: another participant has not agreed"
            ));
        }
        if !grant.note.trim().is_empty() {
            note = format!("{}; {note}", grant.note.trim());
        }
        let request = self.answer_request(id, outcome, ground, &note, on, today)?;
        Ok(AccessGranted {
            disclosure,
            request,
        })
    }

    /// Accepts amendment request `id` on `on`: appends `addendum` to note `note_id`
    /// (a signed note of the client's), answers the request `granted`, and returns
    /// whom to tell: the people the client named, and those the accounting shows
    /// received what the amendment concerns.
    pub fn accept_amendment(
        &mut self,
        id: &str,
        note_id: &str,
        addendum: &str,
        named: &[String],
        on: Date,
        today: Date,
    ) -> Result<AmendmentAccepted> {
        let request = self.request_to_answer(id, RightKind::Amendment, None, on, today)?;
        for name in named {
            if crate::base::fold::is_blank(name) {
                return Err(Error::InvalidInput(
                    "a person to tell (--notify) is blank; nothing done".into(),
                ));
            }
            super::check_lines([("person to tell", name.as_str())])?;
        }
        let note = self.note(note_id)?;
        if !note.clients.contains(&request.client) {
            return Err(Error::InvalidInput(format!(
                "note {note_id} is not a note of client {}; nothing done",
                request.client
            )));
        }
        let version = self.amend_note(note_id, addendum)?;
        let client = request.client.clone();
        let concerns = request.concerns.clone();
        let received = self.access(Action::AccountingShow, |a| {
            a.client(client.as_str())?;
            a.received_before(&client, &concerns)
        })?;
        let mut text = format!("addendum to note {note_id} (version {version})");
        if !named.is_empty() {
            text.push_str(&format!(
                "; to tell, as the client asked: {}",
                named.join(", ")
            ));
        }
        if !received.is_empty() {
            let list: Vec<String> = received.iter().map(|(r, d)| format!("{r} ({d})")).collect();
            text.push_str(&format!("; received it before: {}", list.join(", ")));
        }
        let request = self.answer_request(id, RequestOutcome::Granted, None, &text, on, today)?;
        Ok(AmendmentAccepted {
            request,
            note: note_id.to_owned(),
            version,
            named: named.to_vec(),
            received,
        })
    }
}

impl Session {
    /// The request `id`, checked before anything is done for it as
    /// [`Session::answer_request`] will check the answer: of `kind`, open, answered on a
    /// day from its receipt to today, by a member whose role may give this answer.
    fn request_to_answer(
        &mut self,
        id: &str,
        kind: RightKind,
        ground: Option<DenialGround>,
        on: Date,
        today: Date,
    ) -> Result<RightsRequest> {
        super::check_dates(&[("answer date", Some(on))])?;
        if on > today {
            return Err(Error::InvalidInput(format!(
                "the answer date {on} is after today; nothing done"
            )));
        }
        let request = self.access(Action::RequestList, |a| {
            let (_, policy) = a.policy()?;
            if ground.is_some_and(DenialGround::reviewable) {
                a.require(&policy, Permission::WriteNotes)?;
            } else {
                a.require(&policy, Permission::ClientRequests)?;
            }
            a.rights_request(id)
        })?;
        open_of_kind(&request, kind)?;
        if on < request.received {
            return Err(Error::InvalidInput(format!(
                "request {id} was received on {}, after {on}; nothing done",
                request.received
            )));
        }
        Ok(request)
    }
}

/// Refuses a request of another kind, or one answered already.
fn open_of_kind(request: &RightsRequest, kind: RightKind) -> Result<()> {
    if request.kind != kind {
        return Err(Error::InvalidInput(format!(
            "request {} is a request of {}, not {kind}; answer it with `casevault request answer`",
            request.id, request.kind
        )));
    }
    if let Some(answer) = &request.answer {
        return Err(Error::InvalidInput(format!(
            "request {} was answered on {} ({}); nothing done",
            request.id,
            answer.on,
            answer.outcome.as_str()
        )));
    }
    Ok(())
}

impl Access<'_, '_> {
    /// Who received, before, the categories an amendment concerns (all of the record
    /// when it names none), other than the client: each recipient once, at their
    /// first such disclosure, oldest first. A disclosure whose decision this member
    /// cannot read is counted: a recipient who may rely on the record is never left
    /// out for want of a key.
    fn received_before(
        &mut self,
        client: &ClientId,
        concerns: &[String],
    ) -> Result<Vec<(String, Date)>> {
        let mut entries: Vec<AccountingEntry> = self
            .read_all::<AccountingEntry>(RecordKind::Accounting)?
            .into_iter()
            .filter(|e| &e.client == client && !e.client_request)
            .collect();
        entries.sort_by(|x, y| {
            x.disclosed_on
                .cmp(&y.disclosed_on)
                .then(x.sequence.cmp(&y.sequence))
        });
        let mut out: Vec<(String, Date)> = Vec::new();
        for e in entries {
            if out.iter().any(|(r, _)| r == &e.recipient) {
                continue;
            }
            let decision: Option<DecisionRecord> =
                match self.read_latest(RecordKind::Decision, &e.decision) {
                    Err(Error::KeyDenied { .. }) => None,
                    other => other?,
                };
            let concerned = match &decision {
                Some(d) => {
                    concerns.is_empty()
                        || d.decision
                            .permitted()
                            .iter()
                            .any(|c| concerns.iter().any(|k| k == c))
                }
                None => true,
            };
            if concerned {
                out.push((e.recipient.clone(), e.disclosed_on));
            }
        }
        Ok(out)
    }
}
