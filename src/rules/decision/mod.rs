//! The disclosure decision engine: a pure function from a request, the consents on
//! file, the joint notes involved, the policy and the date, to a decision.
//!
//! Invariant: [`decide`] does no I/O, reads no clock and keeps no state: the same
//! inputs give the same decision, every time. It denies by default: a category is
//! permitted only when a rule below permits it, and every verdict carries its reason.
//!
//! The rules, in the order they are applied (README.md, "The rules", states them for
//! users; the names they use come from the policy, by default
//! `src/model/policy/default.toml`):
//! 1. Every requested category gets its own verdict; unknown names are denied.
//! 2. Under consent, a consent permits only its recipient, its purposes, its
//!    categories (less those it excludes), inside its period, while not revoked.
//! 3. Sole-consent categories (`psychotherapy-notes`) need a consent naming them and
//!    nothing else, or a court order naming them; never the client's own request.
//! 4. Explicit-consent categories (`substance-use`) need a consent naming them (not
//!    `all`); releasing them carries the redisclosure notice.
//! 5. A joint note is released only when every participant permits the disclosure.
//! 6. Third-party information is redacted unless its category is permitted.
//! 7. An exception needs a justification (and a reference where the policy says so)
//!    and releases only what the policy lets it; the client is told unless unsafe.
//! 8. The client's own request releases everything but sole-consent categories and
//!    is exempt from the accounting.

use crate::base::ConsentId;

mod consent;
mod exception;
mod outcome;
mod request;
mod restrict;

pub(crate) use consent::age_on;
use consent::{consent_verdict, consents_of};

pub use outcome::{
    Basis, Decision, DecisionRecord, JointVerdict, Obligation, ParticipantConsent, Verdict,
};
pub use request::{ClientFacts, DecisionInput, DisclosureRequest, ExceptionRequest, JointNote};

/// True when two names are the same once spaces and case are set aside.
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    norm(a) == norm(b)
}

/// Whether two names differ only by a slip: the same letters and digits once folded
/// ("Dr. Smith", "dr smith"), or one or two letters apart ("Dr Smyth").
fn near_name(a: &str, b: &str) -> bool {
    let key = |s: &str| -> String {
        crate::base::fold::fold(s)
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect()
    };
    let (a, b) = (key(a), key(b));
    let slack = if a.chars().count().min(b.chars().count()) >= 6 {
        2
    } else {
        1
    };
    !a.is_empty() && strsim::levenshtein(&a, &b) <= slack
}

fn denied(category: &str, reason: String) -> Verdict {
    Verdict {
        category: category.to_owned(),
        permitted: false,
        reason,
        consent: None,
        withheld: false,
    }
}

fn permitted(category: &str, reason: String) -> Verdict {
    Verdict {
        category: category.to_owned(),
        permitted: true,
        reason,
        consent: None,
        withheld: false,
    }
}

/// Part 2: a consent never takes a Part 2 program's record to a proceeding; the reason,
/// when `client`'s record is one and the request's purpose is one of proceedings.
fn part2_proceedings(input: &DecisionInput<'_>, client: &str) -> Option<String> {
    let part2 = input.policy.part2.as_ref()?;
    let marked = input
        .clients
        .iter()
        .any(|f| f.client == client && f.care.part2_program);
    (marked && part2.proceedings_purposes.contains(&input.request.purpose)).then(|| {
        format!(
            "client {client}'s record is a 42 CFR Part 2 program's: it goes to {} only under a court order issued under 42 CFR 2.64 or 2.65 ({}); a consent or a subpoena alone does not suffice",
            input.request.purpose, part2.proceedings_citation
        )
    })
}

/// Verdicts for `client`'s information, with the basis they rest on, after the
/// client's restrictions (rule 9).
fn verdicts(
    input: &DecisionInput<'_>,
    client: &str,
    only_consent: Option<&str>,
) -> (Basis, Vec<Verdict>) {
    let (basis, mut verdicts) = unrestricted(input, client, only_consent);
    if basis != Basis::ClientRequest {
        let rule = input
            .request
            .exception
            .as_ref()
            .and_then(|e| input.policy.exception(&e.kind));
        restrict::apply(input, client, rule, &mut verdicts);
    }
    (basis, verdicts)
}

/// Verdicts before restrictions: under an exception, the client's own request, or
/// consent.
fn unrestricted(
    input: &DecisionInput<'_>,
    client: &str,
    only_consent: Option<&str>,
) -> (Basis, Vec<Verdict>) {
    let request = input.request;
    let policy = input.policy;
    let requested: Vec<&str> = request.categories.iter().map(String::as_str).collect();
    // Request-wide reasons to deny everything.
    let deny_all = |reason: String| {
        requested
            .iter()
            .map(|c| denied(c, reason.clone()))
            .collect()
    };

    if let Some(exception) = &request.exception {
        return exception::verdicts(input, client, exception);
    }

    if request.purpose == policy.client_request_purpose {
        let to_client = same_name(&request.recipient, "client")
            || same_name(&request.recipient, input.client_name);
        if !to_client {
            return (
                Basis::ClientRequest,
                deny_all(format!(
                    "{} releases only to the client (--to client); to send records to {} record the client's consent",
                    policy.client_request_purpose, request.recipient
                )),
            );
        }
        let verdicts = requested
            .iter()
            .map(|&category| {
                if policy.sole_consent.iter().any(|c| c == category) {
                    denied(
                        category,
                        format!("{category} are never released to the client's own access request"),
                    )
                } else {
                    permitted(
                        category,
                        format!(
                            "the client's own request releases everything but {}",
                            policy.sole_consent.join(", ")
                        ),
                    )
                }
            })
            .collect();
        return (Basis::ClientRequest, verdicts);
    }

    if let Some(reason) = part2_proceedings(input, client) {
        return (
            Basis::Consent {
                consents: Vec::new(),
            },
            deny_all(reason),
        );
    }
    let consents = consents_of(input, client, only_consent);
    let verdicts: Vec<Verdict> = requested
        .iter()
        .map(|&category| {
            if only_consent.is_some() && consents.is_empty() {
                denied(
                    category,
                    format!(
                        "consent {} is not a consent of client {client}",
                        only_consent.unwrap_or_default()
                    ),
                )
            } else {
                consent_verdict(&consents, request, category, input)
            }
        })
        .collect();
    // `decide` lists the consents relied on once every verdict is final.
    let consents = Vec::new();
    (Basis::Consent { consents }, verdicts)
}

/// Decides a disclosure request. Pure: see the module's invariant.
///
/// ```
/// use casevault::{
///     Consent, ConsentRecipient, DecisionInput, DisclosureRequest, Policy, Relationship, decide,
/// };
///
/// let policy = Policy::default_policy();
/// let consent = Consent {
///     id: "c5168db0".into(),
///     version: 1,
///     client: "67e344e9".into(),
///     recipient: ConsentRecipient {
///         name: "Dr. Osei".into(),
///         organization: None,
///         public_key: None,
///     },
///     purposes: vec!["treatment".into()],
///     categories: vec!["diagnosis".into(), "medication".into()],
///     excluded: Vec::new(),
///     effective: "2026-01-01".parse().unwrap(),
///     expires: "2027-12-31".parse().unwrap(),
///     signed_by: "Ada Example".into(),
///     relationship: Relationship::Client,
///     recorded_at: "2026-01-01T09:00:00Z".parse().unwrap(),
///     recorded_by: "dr-rivera".into(),
///     revoked: None,
///     tpo: None,
/// };
/// let request = DisclosureRequest {
///     client: "67e344e9".into(),
///     recipient: "Dr. Osei".into(),
///     purpose: "treatment".into(),
///     categories: vec!["medication".into(), "psychotherapy-notes".into()],
///     consent: None,
///     exception: None,
///     from: None,
///     until: None,
///     recipient_kind: None,
/// };
/// let decision = decide(DecisionInput {
///     request: &request,
///     client_name: "Ada Example",
///     consents: &[consent],
///     joint_notes: &[],
///     policy: &policy,
///     today: "2026-06-01".parse().unwrap(),
///     clients: &[],
///     restrictions: &[],
/// });
/// // Category by category, with reasons: medication may leave, the notes may not.
/// assert_eq!(decision.permitted(), vec!["medication"]);
/// assert!(!decision.all_permitted());
/// let denied = decision.verdicts.iter().find(|v| !v.permitted).unwrap();
/// assert_eq!(denied.category, "psychotherapy-notes");
/// assert!(denied.reason.contains("psychotherapy-notes"));
/// ```
pub fn decide(input: DecisionInput<'_>) -> Decision {
    let request = input.request;
    let policy = input.policy;
    let unknown = if !policy.has_purpose(&request.purpose) {
        Some(format!(
            "{} is not a purpose of the policy (it has: {})",
            request.purpose,
            policy.purposes.join(", ")
        ))
    } else {
        match &request.recipient_kind {
            Some(kind) if !policy.recipient_kinds.contains(kind) => Some(format!(
                "{kind} is not a kind of recipient of the policy (it has: {})",
                policy.recipient_kinds.join(", ")
            )),
            _ => None,
        }
    };
    let (mut basis, mut verdicts) = if let Some(reason) = unknown {
        let basis = match &request.exception {
            Some(e) => Basis::Exception {
                exception: e.kind.clone(),
                justification: e.justification.clone(),
                reference: e.reference.clone(),
            },
            None => Basis::Consent {
                consents: Vec::new(),
            },
        };
        (
            basis,
            request
                .categories
                .iter()
                .map(|c| denied(c, reason.clone()))
                .collect(),
        )
    } else {
        verdicts(&input, &request.client, request.consent.as_deref())
    };
    // Unknown categories are denied whatever the basis.
    for v in &mut verdicts {
        if !policy.has_category(&v.category) {
            *v = denied(
                &v.category,
                format!("{} is not a category of the policy", v.category),
            );
        }
    }
    // The basis names exactly the consents that permit something.
    if let Basis::Consent { consents } = &mut basis {
        for id in verdicts.iter().filter_map(|v| v.consent.as_ref()) {
            if !consents.contains(id) {
                consents.push(id.clone());
            }
        }
    }

    // Rule 5: a joint note needs every other participant to permit what would leave.
    let released: Vec<String> = verdicts
        .iter()
        .filter(|v| v.permitted)
        .map(|v| v.category.clone())
        .collect();
    let mut joint_notes = Vec::new();
    for note in input.joint_notes {
        let mut missing = Vec::new();
        let mut participants = Vec::new();
        for other in note.participants.iter().filter(|p| **p != request.client) {
            let other_request = DisclosureRequest {
                client: other.clone(),
                categories: released.clone(),
                consent: None,
                ..request.clone()
            };
            let other_input = DecisionInput {
                request: &other_request,
                ..input
            };
            let theirs = participant_verdicts(&other_input, other);
            if released.is_empty() || !theirs.iter().all(|v| v.permitted) {
                missing.push(other.clone());
            } else {
                let mut consents: Vec<ConsentId> = Vec::new();
                for id in theirs.iter().filter_map(|v| v.consent.as_ref()) {
                    if !consents.contains(id) {
                        consents.push(id.clone());
                    }
                }
                participants.push(ParticipantConsent {
                    client: other.clone(),
                    consents,
                });
            }
        }
        if !missing.is_empty() {
            participants.clear();
        }
        let permitted = missing.is_empty();
        let reason = if permitted {
            "every participant permits this disclosure".to_owned()
        } else {
            format!(
                "joint note {} of {} withheld whole: no permission from client {}",
                note.note,
                note.date,
                missing.join(", client ")
            )
        };
        joint_notes.push(JointVerdict {
            note: note.note.clone(),
            date: note.date,
            permitted,
            missing,
            participants,
            reason,
        });
    }

    let mut obligations = Vec::new();
    let any_permitted = verdicts.iter().any(|v| v.permitted);
    if any_permitted {
        obligations.push(match basis {
            Basis::ClientRequest => Obligation::AccountingClientRequest,
            _ => Obligation::AccountingEntry,
        });
        if matches!(basis, Basis::Exception { .. }) {
            obligations.push(Obligation::TellClient);
        }
        // The notices the recipient must be given with what they receive: the
        // policy's for an explicit-consent category, Part 2's (42 CFR 2.32) for
        // anything of a Part 2 program's record.
        let mut notices: Vec<&str> = Vec::new();
        if verdicts
            .iter()
            .any(|v| v.permitted && policy.explicit_consent.contains(&v.category))
        {
            notices.push(&policy.redisclosure_notice);
        }
        // Whose information leaves: the client's, and that of the other participants
        // of every joint note released.
        let leaving = |client: &str| {
            *client == *request.client
                || input.joint_notes.iter().any(|n| {
                    n.participants.iter().any(|p| p == client)
                        && joint_notes.iter().any(|j| j.note == n.note && j.permitted)
                })
        };
        if let Some(part2) = &policy.part2
            && input
                .clients
                .iter()
                .any(|f| f.care.part2_program && leaving(&f.client))
            && !notices.contains(&part2.notice.as_str())
        {
            notices.push(&part2.notice);
        }
        if !notices.is_empty() {
            obligations.push(Obligation::RedisclosureNotice {
                text: notices.join("\n\n"),
            });
        }
        if let Some(lockbox) = &policy.lockbox
            && verdicts.iter().any(|v| v.withheld)
        {
            obligations.push(Obligation::LockboxNotice {
                text: lockbox.notice.clone(),
            });
        }
        // Without a third-party category in the policy nothing can permit others'
        // information, so it is always redacted.
        let third_party_permitted = policy
            .third_party
            .as_ref()
            .is_some_and(|tp| verdicts.iter().any(|v| v.permitted && &v.category == tp));
        if !third_party_permitted {
            obligations.push(Obligation::RedactThirdParties);
        }
    }

    let required = any_permitted
        && request
            .exception
            .as_ref()
            .and_then(|e| policy.exception(&e.kind))
            .is_some_and(|rule| rule.force == crate::model::policy::Force::Required);
    Decision {
        request: request.clone(),
        decided_on: input.today,
        policy: policy.name.clone(),
        basis,
        verdicts,
        joint_notes,
        obligations,
        required,
    }
}

/// A joint note's other participant permits under the same basis as the request, with
/// two exceptions where only their own consent will do: an exception concerns the
/// client it was invoked for, not the others in the room; and the requesting client's
/// own access does not reach another client's information, so that participant must
/// consent to release to the requester (by name).
fn participant_verdicts(input: &DecisionInput<'_>, participant: &str) -> Vec<Verdict> {
    let own_request = input.request.exception.is_none()
        && input.request.purpose == input.policy.client_request_purpose;
    if !own_request && input.request.exception.is_none() {
        return verdicts(input, participant, None).1;
    }
    let request = DisclosureRequest {
        recipient: if own_request {
            input.client_name.to_owned()
        } else {
            input.request.recipient.clone()
        },
        exception: None,
        ..input.request.clone()
    };
    let input = DecisionInput {
        request: &request,
        ..*input
    };
    if let Some(reason) = part2_proceedings(&input, participant) {
        return request
            .categories
            .iter()
            .map(|c| denied(c, reason.clone()))
            .collect();
    }
    let consents = consents_of(&input, participant, None);
    let mut verdicts: Vec<Verdict> = request
        .categories
        .iter()
        .map(|c| consent_verdict(&consents, &request, c, &input))
        .collect();
    // Their restrictions and lockbox hold whatever the request rests on: the
    // exception invoked concerns the requesting client, not them.
    restrict::apply(&input, participant, None, &mut verdicts);
    verdicts
}
