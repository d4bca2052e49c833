//! The rules of what the law attaches to a client's care (Part 2, a minor's own
//! consent, the end of treatment, a legal hold: `profile.rs` writes the changes), and
//! the session operations on a client's restrictions and lockbox and on the
//! jurisdiction pack in force. Every one goes through `Session::access`.

use crate::audit::Action;
use crate::base::{Date, RecordKind, RecordRef, RestrictionId, Timestamp};
use crate::error::Error;
use crate::model::client::Care;
use crate::model::policy::Policy;
use crate::model::restriction::{Answer, NewRestriction, Restriction};
use crate::rules::decision::ClientFacts;
use crate::vault::consent::check_names;
use crate::vault::{Access, Session, check_dates, check_lines};

type Result<T> = std::result::Result<T, Error>;

/// A change to what is marked on a client's care; `None` leaves a mark as it is.
#[derive(Clone, Debug, Default)]
pub struct CareChange {
    /// Mark (or unmark) the record as a 42 CFR Part 2 program's.
    pub part2_program: Option<bool>,
    /// Mark (or unmark) that the client consented to their own care as a minor.
    pub minor_consent: Option<bool>,
    /// Record the day treatment ended.
    pub treatment_ended: Option<Date>,
    /// Place a legal hold, with its reason (`Some(None)`: lift it).
    pub legal_hold: Option<Option<String>>,
}

impl CareChange {
    /// True when it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.part2_program.is_none()
            && self.minor_consent.is_none()
            && self.treatment_ended.is_none()
            && self.legal_hold.is_none()
    }
}

/// Refuses a change to a client's care that is wrong whatever the vault holds: a date
/// out of range, an end of treatment after `today`, a legal hold without its reason.
pub(crate) fn check_care_change(change: &CareChange, today: Date) -> Result<()> {
    check_dates(&[("end of treatment", change.treatment_ended)])?;
    if change.treatment_ended.is_some_and(|d| d > today) {
        return Err(Error::InvalidInput(
            "the end of treatment is after today: record it on the day it ends; nothing changed"
                .into(),
        ));
    }
    if let Some(Some(reason)) = &change.legal_hold {
        if crate::base::fold::is_blank(reason) {
            return Err(Error::InvalidInput(
                "a legal hold needs its reason: the case, the order or the investigation".into(),
            ));
        }
        check_lines([("legal hold's reason", reason.as_str())])?;
    }
    Ok(())
}

/// `care` with `change` made to it (checked by [`check_care_change`]); a legal hold
/// placed is placed on `today`.
pub(crate) fn changed_care(care: &Care, change: &CareChange, today: Date) -> Care {
    let mut care = care.clone();
    if let Some(mark) = change.part2_program {
        care.part2_program = mark;
    }
    if let Some(mark) = change.minor_consent {
        care.minor_consent = mark;
    }
    if let Some(ended) = change.treatment_ended {
        care.treatment_ended = Some(ended);
    }
    match &change.legal_hold {
        None => {}
        Some(None) => care.legal_hold = None,
        Some(Some(reason)) => {
            care.legal_hold = Some(crate::model::client::LegalHold {
                reason: reason.trim().to_owned(),
                since: today,
            });
        }
    }
    care
}

/// Refuses marks the policy has no rule for, or that the client's age rules out.
pub(crate) fn check_care(
    care: &Care,
    date_of_birth: Option<Date>,
    policy: &Policy,
    today: Date,
) -> Result<()> {
    check_dates(&[("end of treatment", care.treatment_ended)])?;
    if care.part2_program && policy.part2.is_none() {
        return Err(Error::InvalidInput(format!(
            "the policy in force ({}) has no 42 CFR Part 2 rules, so a client cannot be marked as a Part 2 program's; use a pack that has them (`casevault policy use us-federal`, or a state on it)",
            policy.name
        )));
    }
    if care.minor_consent {
        let Some((minors, age)) = policy
            .minors
            .as_ref()
            .and_then(|m| m.self_consent_age.map(|age| (m, age)))
        else {
            return Err(Error::InvalidInput(format!(
                "the policy in force ({}) has no rule letting a minor consent to their own care ([minors] self-consent-age); nothing changed",
                policy.name
            )));
        };
        let Some(born) = date_of_birth else {
            return Err(Error::InvalidInput(
                "a minor's own consent depends on their age: record the client's date of birth first (--dob); nothing changed".into(),
            ));
        };
        let now = crate::rules::decision::age_on(born, today);
        if now < i32::from(age) {
            return Err(Error::InvalidInput(format!(
                "the client is {now}; under {} a minor consents to their own care from {age} ({}); nothing changed",
                policy.name,
                minors
                    .self_consent_citation
                    .as_deref()
                    .unwrap_or("the policy's rule")
            )));
        }
    }
    Ok(())
}

impl Access<'_, '_> {
    /// The facts the decision needs of each of `clients` whose profile this member
    /// opens; a client whose profile is closed to them is left out (the caller must
    /// not let their consents count either: what is marked on their care is unknown).
    pub(crate) fn client_facts(&mut self, clients: &[&str]) -> Result<Vec<ClientFacts>> {
        let mut facts = Vec::with_capacity(clients.len());
        for id in clients {
            match self.client(id) {
                Ok(client) => facts.push(ClientFacts {
                    client: client.id,
                    date_of_birth: client.date_of_birth,
                    care: client.care,
                }),
                // Not this member's to open, or destroyed at the end of its retention
                // (a joint note outlives a participant's record): no facts, so none of
                // their consents counts and a joint note with them is withheld whole.
                Err(Error::KeyDenied { .. } | Error::ClientNotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(facts)
    }

    /// The restrictions on file for `clients`, as they stand.
    pub(crate) fn restrictions_of(&mut self, clients: &[&str]) -> Result<Vec<Restriction>> {
        let all: Vec<Restriction> = self.read_all(RecordKind::Restriction)?;
        Ok(all
            .into_iter()
            .filter(|r| clients.contains(&r.client.as_str()))
            .collect())
    }

    fn restriction(&mut self, id: &str) -> Result<Restriction> {
        self.read_latest(RecordKind::Restriction, id)?
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "no restriction {id}; list a client's with `casevault restriction list --client ID`"
                ))
            })
    }
}

impl Session {
    /// Records a restriction the client asked for; honoured from `requested_on` until
    /// refused or ended. Returns its identifier.
    pub fn add_restriction(&mut self, new: NewRestriction) -> Result<RestrictionId> {
        check_dates(&[("request date", Some(new.requested_on))])?;
        if new.requested_on > Date::today() {
            // A year mistyped into the future would leave the restriction silent
            // until then.
            return Err(Error::InvalidInput(format!(
                "the request date {} is after today: a restriction is honoured from the day the client asked; nothing recorded",
                new.requested_on
            )));
        }
        if let Some(name) = &new.recipient {
            if crate::base::fold::is_blank(name) {
                return Err(Error::InvalidInput("the recipient's name is empty".into()));
            }
            check_lines([("recipient's name", name.as_str())])?;
        }
        if new.categories.is_empty() {
            return Err(Error::InvalidInput(
                "a restriction names at least one category (--categories)".into(),
            ));
        }
        let actor = self.actor().to_owned();
        self.access(Action::RestrictionAdd, |a| {
            a.client(&new.client)?;
            let (_, policy) = a.policy()?;
            if new.lockbox && policy.lockbox.is_none() {
                return Err(Error::InvalidInput(format!(
                    "the policy in force ({}) has no lockbox; leave out --lockbox",
                    policy.name
                )));
            }
            if !new.lockbox && policy.restrictions.is_none() {
                return Err(Error::InvalidInput(format!(
                    "the policy in force ({}) has no rules for restrictions ([restrictions]){}; use a pack that has them",
                    policy.name,
                    if policy.lockbox.is_some() { ", only a lockbox (--lockbox)" } else { "" }
                )));
            }
            let mut new = new;
            for list in [&mut new.categories, &mut new.purposes] {
                let mut seen: Vec<String> = Vec::with_capacity(list.len());
                list.retain(|x| {
                    let first = !seen.contains(x);
                    seen.push(x.clone());
                    first
                });
            }
            check_names("category", &new.categories, &policy.categories, false)?;
            check_names("purpose", &new.purposes, &policy.purposes, false)?;
            if let Some(kind) = &new.recipient_kind {
                check_names(
                    "recipient kind",
                    std::slice::from_ref(kind),
                    &policy.recipient_kinds,
                    false,
                )?;
            }
            if new.self_pay {
                let must_agree = policy.restrictions.as_ref().and_then(|r| {
                    Some((
                        r.must_agree_recipient_kind.as_ref()?,
                        r.must_agree_citation.as_ref()?,
                        &r.must_agree_purposes,
                    ))
                });
                let Some((kind, _, purposes)) = must_agree else {
                    return Err(Error::InvalidInput(format!(
                        "the policy in force ({}) has no must-agree restriction for services paid out of pocket; leave out --self-pay",
                        policy.name
                    )));
                };
                let other_kind = new.recipient_kind.as_ref().is_some_and(|k| k != kind);
                let other_purpose = new.purposes.iter().any(|p| !purposes.contains(p));
                if other_kind || other_purpose || new.recipient.is_some() || new.lockbox {
                    return Err(Error::InvalidInput(format!(
                        "--self-pay keeps the services from {kind} recipients for {}: give it alone, without another purpose, recipient or --lockbox",
                        purposes.join(", ")
                    )));
                }
                new.recipient_kind = Some(kind.clone());
                new.purposes = purposes.clone();
            }
            let id: RestrictionId = a.new_id(RecordKind::Restriction)?.into();
            let restriction = Restriction {
                id: id.clone(),
                version: 1,
                client: new.client,
                categories: new.categories,
                purposes: new.purposes,
                recipient: new.recipient.map(|r| r.trim().to_owned()),
                recipient_kind: new.recipient_kind,
                self_pay: new.self_pay,
                lockbox: new.lockbox,
                requested_on: new.requested_on,
                refused: None,
                ended: None,
                recorded_at: Timestamp::now(),
                recorded_by: actor,
            };
            a.write_for(
                &restriction.client.clone(),
                RecordRef::new(RecordKind::Restriction, &id, 1),
                &restriction,
            )?;
            Ok(id)
        })
    }

    /// A client's restrictions, oldest first.
    pub fn restrictions_for_client(&mut self, client: &str) -> Result<Vec<Restriction>> {
        let mut list = self.access(Action::RestrictionList, |a| {
            a.client(client)?;
            a.restrictions_of(&[client])
        })?;
        list.sort_by(|a, b| a.requested_on.cmp(&b.requested_on).then(a.id.cmp(&b.id)));
        Ok(list)
    }

    /// Refuses a restriction from `on`, with the reason. The must-agree case (services
    /// paid out of pocket) and a lockbox cannot be refused.
    pub fn refuse_restriction(&mut self, id: &str, reason: &str, on: Date) -> Result<Restriction> {
        check_dates(&[("refusal date", Some(on))])?;
        if crate::base::fold::is_blank(reason) {
            return Err(Error::InvalidInput(
                "a refusal needs its reason (--reason): the client is owed one".into(),
            ));
        }
        check_lines([("reason", reason)])?;
        let actor = self.actor().to_owned();
        self.answer(Action::RestrictionRefuse, id, on, |restriction, policy| {
            if restriction.self_pay {
                let cited = policy
                    .restrictions
                    .as_ref()
                    .and_then(|r| r.must_agree_citation.clone())
                    .unwrap_or_else(|| "the policy's must-agree rule".into());
                return Err(Error::InvalidInput(format!(
                    "restriction {id} is for services paid in full out of pocket, which the practice must agree to ({cited}); it cannot be refused; nothing changed"
                )));
            }
            if restriction.lockbox {
                return Err(Error::InvalidInput(format!(
                    "restriction {id} is a lockbox: the client's instruction, not a request the practice may refuse; it ends when the client withdraws it (`casevault restriction end {id}`); nothing changed"
                )));
            }
            restriction.refused = Some(Answer {
                on,
                reason: Some(reason.trim().to_owned()),
                recorded_at: Timestamp::now(),
                recorded_by: actor,
            });
            Ok(())
        })
    }

    /// Ends a restriction from `on` (the client withdrew it, or the practice ended it
    /// and told them).
    pub fn end_restriction(&mut self, id: &str, on: Date) -> Result<Restriction> {
        check_dates(&[("end date", Some(on))])?;
        let actor = self.actor().to_owned();
        self.answer(Action::RestrictionEnd, id, on, |restriction, _| {
            restriction.ended = Some(Answer {
                on,
                reason: None,
                recorded_at: Timestamp::now(),
                recorded_by: actor,
            });
            Ok(())
        })
    }

    /// Writes a new version of restriction `id` with `change` made to it.
    fn answer(
        &mut self,
        action: Action,
        id: &str,
        on: Date,
        change: impl FnOnce(&mut Restriction, &Policy) -> Result<()>,
    ) -> Result<Restriction> {
        self.access(action, |a| {
            let mut restriction = a.restriction(id)?;
            if let Some(done) = restriction.refused.as_ref().or(restriction.ended.as_ref()) {
                return Err(Error::InvalidInput(format!(
                    "restriction {id} no longer applies since {} ({}); nothing changed",
                    done.on,
                    if restriction.refused.is_some() {
                        "refused"
                    } else {
                        "ended"
                    }
                )));
            }
            if on < restriction.requested_on {
                return Err(Error::InvalidInput(format!(
                    "restriction {id} was requested on {}, after {on}; nothing changed",
                    restriction.requested_on
                )));
            }
            let (_, policy) = a.policy()?;
            change(&mut restriction, &policy)?;
            restriction.version += 1;
            a.write_for(
                &restriction.client.clone(),
                RecordRef::new(RecordKind::Restriction, id, restriction.version),
                &restriction,
            )?;
            Ok(restriction)
        })
    }

    /// Makes the built-in pack `pack` the policy in force (a new version, audited);
    /// returns the version.
    pub fn use_pack(&mut self, pack: &str) -> Result<u32> {
        let text = crate::model::policy::packs::text(pack).ok_or_else(|| Error::UnknownName {
            what: "pack",
            name: pack.to_owned(),
            suggestion: None,
            known: crate::model::policy::packs::ids()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        })?;
        self.set_policy(text)
    }
}
