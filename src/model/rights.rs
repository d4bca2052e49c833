//! Requests a client makes under their rights (HIPAA 45 CFR 164.522–164.528 and the
//! packs' equivalents), each on the law's clock, and how long their record is kept.
//!
//! A request is never edited: extending or answering it writes its next version.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::base::{ClientId, Date, RequestId, Timestamp};
use crate::model::policy::{Deadline, Policy, Retention};

/// What a client asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RightKind {
    /// To inspect or copy their record (164.524).
    Access,
    /// To amend it (164.526).
    Amendment,
    /// The accounting of disclosures (164.528).
    Accounting,
    /// To restrict uses and disclosures (164.522(a)).
    Restriction,
    /// To be reached another way or at another place (164.522(b)).
    ConfidentialCommunication,
}

impl RightKind {
    /// Every kind, in the order listings use.
    pub const ALL: [RightKind; 5] = [
        RightKind::Access,
        RightKind::Amendment,
        RightKind::Accounting,
        RightKind::Restriction,
        RightKind::ConfidentialCommunication,
    ];

    /// The word used on the command line and in output.
    pub fn as_str(self) -> &'static str {
        match self {
            RightKind::Access => "access",
            RightKind::Amendment => "amendment",
            RightKind::Accounting => "accounting",
            RightKind::Restriction => "restriction",
            RightKind::ConfidentialCommunication => "confidential-communication",
        }
    }

    /// Reads the word.
    pub fn parse(word: &str) -> Option<RightKind> {
        RightKind::ALL.into_iter().find(|k| k.as_str() == word)
    }

    /// The policy's deadline for this kind of request, if it sets one.
    pub fn deadline(self, policy: &Policy) -> Option<&Deadline> {
        let rights = policy.rights.as_ref()?;
        match self {
            RightKind::Access => rights.access.as_ref(),
            RightKind::Amendment => rights.amendment.as_ref(),
            RightKind::Accounting => rights.accounting.as_ref(),
            RightKind::Restriction => rights.restriction.as_ref(),
            RightKind::ConfidentialCommunication => rights.confidential_communication.as_ref(),
        }
    }
}

impl fmt::Display for RightKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// How a request was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestOutcome {
    /// Granted in full.
    Granted,
    /// Granted in part.
    Partly,
    /// Denied.
    Denied,
    /// Withdrawn by the client.
    Withdrawn,
}

impl RequestOutcome {
    /// The word used on the command line and in output.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestOutcome::Granted => "granted",
            RequestOutcome::Partly => "partly",
            RequestOutcome::Denied => "denied",
            RequestOutcome::Withdrawn => "withdrawn",
        }
    }

    /// Reads the word.
    pub fn parse(word: &str) -> Option<RequestOutcome> {
        [
            RequestOutcome::Granted,
            RequestOutcome::Partly,
            RequestOutcome::Denied,
            RequestOutcome::Withdrawn,
        ]
        .into_iter()
        .find(|o| o.as_str() == word)
    }
}

/// Why a request was denied: the grounds HIPAA allows, each reviewable or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DenialGround {
    /// Access: psychotherapy notes are not part of the access right (164.524(a)(1)(i)).
    PsychotherapyNotes,
    /// Access: information compiled for a legal proceeding (164.524(a)(1)(ii)).
    LegalProceeding,
    /// Access: likely to endanger the life or physical safety of the client or another
    /// person (164.524(a)(3)(i)).
    DangerToLife,
    /// Access: it names another person, and access is likely to cause them substantial
    /// harm (164.524(a)(3)(ii)).
    HarmToOther,
    /// Access: asked by a personal representative, and access is likely to cause the
    /// client or another person substantial harm (164.524(a)(3)(iii)).
    RepresentativeHarm,
    /// Amendment: not created by the practice (164.526(a)(2)(i)).
    NotCreatedHere,
    /// Amendment: not part of the designated record set (164.526(a)(2)(ii)).
    NotInRecord,
    /// Amendment: not available for inspection under the access right (164.526(a)(2)(iii)).
    NotOpenToAccess,
    /// Amendment: accurate and complete (164.526(a)(2)(iv)).
    AccurateAndComplete,
}

impl DenialGround {
    /// Every ground, in the order of the rule.
    pub const ALL: [DenialGround; 9] = [
        DenialGround::PsychotherapyNotes,
        DenialGround::LegalProceeding,
        DenialGround::DangerToLife,
        DenialGround::HarmToOther,
        DenialGround::RepresentativeHarm,
        DenialGround::NotCreatedHere,
        DenialGround::NotInRecord,
        DenialGround::NotOpenToAccess,
        DenialGround::AccurateAndComplete,
    ];

    /// The word used on the command line and in output.
    pub fn as_str(self) -> &'static str {
        match self {
            DenialGround::PsychotherapyNotes => "psychotherapy-notes",
            DenialGround::LegalProceeding => "legal-proceeding",
            DenialGround::DangerToLife => "danger-to-life",
            DenialGround::HarmToOther => "harm-to-other",
            DenialGround::RepresentativeHarm => "representative-harm",
            DenialGround::NotCreatedHere => "not-created-here",
            DenialGround::NotInRecord => "not-in-record",
            DenialGround::NotOpenToAccess => "not-open-to-access",
            DenialGround::AccurateAndComplete => "accurate-and-complete",
        }
    }

    /// Reads the word.
    pub fn parse(word: &str) -> Option<DenialGround> {
        DenialGround::ALL.into_iter().find(|g| g.as_str() == word)
    }

    /// The kind of request it answers.
    pub fn kind(self) -> RightKind {
        match self {
            DenialGround::PsychotherapyNotes
            | DenialGround::LegalProceeding
            | DenialGround::DangerToLife
            | DenialGround::HarmToOther
            | DenialGround::RepresentativeHarm => RightKind::Access,
            _ => RightKind::Amendment,
        }
    }

    /// True when the client may have the denial reviewed by another licensed
    /// professional (164.524(a)(3), (a)(4)).
    pub fn reviewable(self) -> bool {
        matches!(
            self,
            DenialGround::DangerToLife
                | DenialGround::HarmToOther
                | DenialGround::RepresentativeHarm
        )
    }

    /// Its citation.
    pub fn citation(self) -> &'static str {
        match self {
            DenialGround::PsychotherapyNotes => "45 CFR 164.524(a)(1)(i)",
            DenialGround::LegalProceeding => "45 CFR 164.524(a)(1)(ii)",
            DenialGround::DangerToLife => "45 CFR 164.524(a)(3)(i)",
            DenialGround::HarmToOther => "45 CFR 164.524(a)(3)(ii)",
            DenialGround::RepresentativeHarm => "45 CFR 164.524(a)(3)(iii)",
            DenialGround::NotCreatedHere => "45 CFR 164.526(a)(2)(i)",
            DenialGround::NotInRecord => "45 CFR 164.526(a)(2)(ii)",
            DenialGround::NotOpenToAccess => "45 CFR 164.526(a)(2)(iii)",
            DenialGround::AccurateAndComplete => "45 CFR 164.526(a)(2)(iv)",
        }
    }
}

/// The review of a reviewable denial by a licensed professional who took no part in
/// it (164.524(a)(4)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// The reviewing member of the practice (the one who recorded it).
    pub by: String,
    /// The day of the review.
    pub on: Date,
    /// True when the denial stands; false when access is to be given.
    pub upheld: bool,
    /// What the reviewer found.
    pub note: String,
    /// When it was recorded.
    pub recorded_at: Timestamp,
}

/// A written statement kept with the record: the client's disagreement, or the
/// practice's rebuttal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Its text.
    pub text: String,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: String,
}

/// The one extension a deadline allows, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// The new due date.
    pub due: Date,
    /// The written reason the client is given.
    pub reason: String,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: String,
}

/// The answer that closes a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestAnswer {
    /// The day it was answered.
    pub on: Date,
    /// How.
    pub outcome: RequestOutcome,
    /// What was done, or the ground for a denial, in words.
    pub note: String,
    /// The ground of a denial, whole or in part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ground: Option<DenialGround>,
    /// The member of the practice who answered (a review must be by another).
    #[serde(default)]
    pub member: String,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: String,
}

/// A client's request, on the law's clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsRequest {
    /// Its identifier.
    pub id: RequestId,
    /// The record version (one more for an extension or the answer).
    pub version: u32,
    /// The client who asked.
    pub client: ClientId,
    /// What they asked for.
    pub kind: RightKind,
    /// The day it was received.
    pub received: Date,
    /// The day it is due, from the policy in force when it was received (`None`: the
    /// policy sets no deadline for this kind; answer without unreasonable delay).
    pub due: Option<Date>,
    /// The deadline's citation.
    #[serde(default)]
    pub citation: Option<String>,
    /// The extension, if one was taken.
    #[serde(default)]
    pub extension: Option<Extension>,
    /// The answer, once answered.
    #[serde(default)]
    pub answer: Option<RequestAnswer>,
    /// The review of a reviewable denial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
    /// For an amendment: the categories it concerns (empty: the whole record).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub concerns: Vec<String>,
    /// The client's statement of disagreement with a denied amendment (164.526(d)(1)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disagreement: Option<Statement>,
    /// The practice's rebuttal of that statement (164.526(d)(2)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rebuttal: Option<Statement>,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: String,
}

impl RightsRequest {
    /// The day it is due now: the extension's, or the original.
    pub fn due_now(&self) -> Option<Date> {
        self.extension.as_ref().map(|e| e.due).or(self.due)
    }

    /// Its state on `today`, in words: `answered`, `overdue`, or `open`.
    pub fn state_on(&self, today: Date) -> &'static str {
        if self.answer.is_some() {
            "answered"
        } else if self.due_now().is_some_and(|d| d < today) {
            "overdue"
        } else {
            "open"
        }
    }
}

/// The day a client's record may be destroyed under `retention`: the later of the years
/// after treatment ended and, for a client who was a minor when it ended, the years after
/// they came of age and the age it must be kept to. `None` while treatment has not ended.
/// A date that does not exist in the year reached (29 February) moves to 1 March: a
/// record is never due for destruction early.
pub fn retention_end(
    retention: &Retention,
    majority: u8,
    treatment_ended: Option<Date>,
    date_of_birth: Option<Date>,
) -> Option<Date> {
    let ended = treatment_ended?;
    let mut end = years_after(ended, retention.years_after_end)?;
    if let Some(born) = date_of_birth {
        let of_age = years_after(born, u16::from(majority))?;
        if ended < of_age {
            if let Some(years) = retention.minor_years_after_majority {
                end = end.max(years_after(of_age, years)?);
            }
            if let Some(age) = retention.minor_until_age {
                end = end.max(years_after(born, age)?);
            }
        }
    }
    Some(end)
}

/// `years` years before `day`: the first day a look back of that many years reaches;
/// from 29 February, 28 February in a year without it.
pub fn years_before(day: Date, years: u16) -> Option<Date> {
    let year = day.0.year() - i32::from(years);
    time::Date::from_calendar_date(year, day.0.month(), day.0.day())
        .or_else(|_| time::Date::from_calendar_date(year, time::Month::February, 28))
        .ok()
        .map(Date)
}

/// `years` years after `from`; 29 February becomes 1 March in a year without it.
pub fn years_after(from: Date, years: u16) -> Option<Date> {
    let year = from.0.year() + i32::from(years);
    match time::Date::from_calendar_date(year, from.0.month(), from.0.day()) {
        Ok(d) => Some(Date(d)),
        Err(_) => time::Date::from_calendar_date(year, time::Month::March, 1)
            .ok()
            .map(Date),
    }
}

/// A suspension of the client's right to an accounting of disclosures to a health
/// oversight agency or law enforcement official, at its request (164.528(a)(2)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    /// Its identifier.
    pub id: RequestId,
    /// The client whose accounting it suspends.
    pub client: ClientId,
    /// The agency or official, as disclosures to them name them.
    pub agency: String,
    /// The day it was asked for.
    pub from: Date,
    /// The last day it holds.
    pub until: Date,
    /// The agency's reason (that the accounting would impede its activities).
    pub reason: String,
    /// True for an oral request, which holds at most 30 days.
    pub oral: bool,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn whole_years_forward_and_back_never_cut_a_period_short() {
        assert_eq!(years_before(d("2026-06-01"), 6), Some(d("2020-06-01")));
        assert_eq!(years_before(d("2028-02-29"), 6), Some(d("2022-02-28")));
        assert_eq!(years_after(d("2020-02-29"), 7), Some(d("2027-03-01")));
        assert_eq!(years_after(d("2020-02-29"), 8), Some(d("2028-02-29")));
    }
}
