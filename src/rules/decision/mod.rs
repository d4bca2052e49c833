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

use crate::base::{ConsentId, Date};
use crate::model::consent::Consent;
use crate::model::policy::{ALL_CATEGORIES, Policy};

mod outcome;
mod request;

pub use outcome::{
    Basis, Decision, DecisionRecord, JointVerdict, Obligation, ParticipantConsent, Verdict,
};
pub use request::{DecisionInput, DisclosureRequest, ExceptionRequest, JointNote};

fn same_name(a: &str, b: &str) -> bool {
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

/// Whether `consent` permits `category` to `recipient` for `purpose` on `today`;
/// the reason when it does not.
fn consent_permits(
    consent: &Consent,
    recipient: &str,
    purpose: &str,
    category: &str,
    policy: &Policy,
    today: Date,
) -> Result<(), String> {
    let id = &consent.id;
    if let Some(r) = &consent.revoked
        && r.effective <= today
    {
        return Err(format!("consent {id} was revoked on {}", r.effective));
    }
    if today < consent.effective {
        return Err(format!(
            "consent {id} takes effect on {}",
            consent.effective
        ));
    }
    if today > consent.expires {
        return Err(format!("consent {id} expired on {}", consent.expires));
    }
    if !same_name(&consent.recipient.name, recipient) {
        let hint = if near_name(&consent.recipient.name, recipient) {
            format!(
                " (did you mean \"{}\"? write the recipient as the consent does)",
                consent.recipient.name
            )
        } else {
            String::new()
        };
        return Err(format!(
            "consent {id} is for {}, not {recipient}{hint}",
            consent.recipient.name
        ));
    }
    if !consent.purposes.iter().any(|p| p == purpose) {
        return Err(format!(
            "consent {id} does not cover the purpose {purpose} (it covers {})",
            consent.purposes.join(", ")
        ));
    }
    if consent.excluded.iter().any(|c| c == category) {
        return Err(format!("consent {id} excludes {category}"));
    }
    let named = consent.categories.iter().any(|c| c == category);
    let through_all = consent.categories.iter().any(|c| c == ALL_CATEGORIES);
    if policy.sole_consent.iter().any(|c| c == category) {
        if !named {
            return Err(format!(
                "{category} need a consent that names them and no other category; consent {id} does not name them"
            ));
        }
        let others: Vec<&str> = consent
            .categories
            .iter()
            .filter(|c| *c != category)
            .map(String::as_str)
            .collect();
        if !others.is_empty() {
            return Err(format!(
                "{category} need a consent that names them and no other category; consent {id} also names {}",
                others.join(", ")
            ));
        }
        return Ok(());
    }
    if policy.explicit_consent.iter().any(|c| c == category) && !named {
        return Err(if through_all {
            format!(
                "{category} needs a consent that names it explicitly; consent {id} covers it only through \"all\""
            )
        } else {
            format!("consent {id} does not name {category}")
        });
    }
    if named || through_all {
        Ok(())
    } else {
        Err(format!("consent {id} does not name {category}"))
    }
}

/// The verdict for one category under consent: the first consent (by effective date,
/// then id) that permits it, or every consent's reason.
fn consent_verdict(
    consents: &[&Consent],
    request: &DisclosureRequest,
    category: &str,
    policy: &Policy,
    today: Date,
) -> Verdict {
    let mut reasons = Vec::new();
    for consent in consents {
        match consent_permits(
            consent,
            &request.recipient,
            &request.purpose,
            category,
            policy,
            today,
        ) {
            Ok(()) => {
                return Verdict {
                    category: category.to_owned(),
                    permitted: true,
                    reason: format!(
                        "permitted by consent {} (to {} for {}, {} to {})",
                        consent.id,
                        consent.recipient.name,
                        consent.purposes.join(", "),
                        consent.effective,
                        consent.expires
                    ),
                    consent: Some(consent.id.clone()),
                };
            }
            Err(reason) => reasons.push(reason),
        }
    }
    let reason = match reasons.len() {
        0 => format!("no consent from client {} is on file", request.client),
        1 => reasons.remove(0),
        _ => format!("no consent permits {category}: {}", reasons.join("; ")),
    };
    denied(category, reason)
}

fn denied(category: &str, reason: String) -> Verdict {
    Verdict {
        category: category.to_owned(),
        permitted: false,
        reason,
        consent: None,
    }
}

fn permitted(category: &str, reason: String) -> Verdict {
    Verdict {
        category: category.to_owned(),
        permitted: true,
        reason,
        consent: None,
    }
}

/// The consents of `client` that a consent-based request may rest on, in a fixed order.
fn consents_of<'a>(
    input: &DecisionInput<'a>,
    client: &str,
    only: Option<&str>,
) -> Vec<&'a Consent> {
    let mut out: Vec<&Consent> = input
        .consents
        .iter()
        .filter(|c| c.client == client)
        .filter(|c| only.is_none_or(|id| c.id == id))
        .collect();
    out.sort_by(|a, b| a.effective.cmp(&b.effective).then(a.id.cmp(&b.id)));
    out
}

/// Verdicts for the requesting client, with the basis they rest on.
fn verdicts(
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
        let basis = Basis::Exception {
            exception: exception.kind.clone(),
            justification: exception.justification.clone(),
            reference: exception.reference.clone(),
        };
        let Some(rule) = policy.exception(&exception.kind) else {
            let known: Vec<&str> = policy.exceptions.iter().map(|e| e.kind.as_str()).collect();
            return (
                basis,
                deny_all(format!(
                    "{} is not an exception of the policy (it has: {})",
                    exception.kind,
                    known.join(", ")
                )),
            );
        };
        if exception.about.is_some() && !rule.releases_subject {
            return (
                basis,
                deny_all(format!(
                    "{} is not a report about someone, so it names no other person; leave out who it is about",
                    rule.kind
                )),
            );
        }
        if crate::base::fold::is_blank(&exception.justification) {
            return (
                basis,
                deny_all(format!(
                    "{} needs a justification: say what makes the exception apply",
                    rule.kind
                )),
            );
        }
        let reference = exception.reference.as_deref().map(str::trim).unwrap_or("");
        if rule.requires_reference && crate::base::fold::is_blank(reference) {
            return (
                basis,
                deny_all(format!("{} needs the order's reference", rule.kind)),
            );
        }
        if let Some(denial) = &rule.denial {
            return (basis, deny_all(denial.clone()));
        }
        let allowed: Vec<&str> = if rule.releases_what_order_names {
            if exception.order_categories.is_empty() {
                // The request stands for what the order names, except the
                // sole-consent categories: those only when the order names them.
                requested
                    .iter()
                    .copied()
                    .filter(|c| !policy.sole_consent.iter().any(|s| s == c))
                    .collect()
            } else {
                exception
                    .order_categories
                    .iter()
                    .map(String::as_str)
                    .collect()
            }
        } else {
            rule.releases.iter().map(String::as_str).collect()
        };
        let verdicts = requested
            .iter()
            .map(|&category| {
                let sole = policy.sole_consent.iter().any(|c| c == category);
                let in_allowed = allowed.contains(&category);
                if rule.releases_what_order_names {
                    if in_allowed {
                        permitted(
                            category,
                            format!("named by the court order {reference}"),
                        )
                    } else if sole && exception.order_categories.is_empty() {
                        denied(
                            category,
                            format!("{category} are released under a court order only when it names them: list the order's categories (--order-categories)"),
                        )
                    } else if sole {
                        denied(
                            category,
                            format!("the court order {reference} does not name {category}; they are released only under a consent of their own or an order that names them"),
                        )
                    } else {
                        denied(
                            category,
                            format!("the court order {reference} does not name {category}"),
                        )
                    }
                } else if sole {
                    denied(
                        category,
                        format!("{category} are released without consent only under a court order that names them"),
                    )
                } else if in_allowed {
                    permitted(
                        category,
                        format!("permitted under {}, which may release {}", rule.kind, rule.releases.join(", ")),
                    )
                } else {
                    denied(
                        category,
                        format!(
                            "{} may release only {}",
                            rule.kind,
                            if rule.releases.is_empty() { "nothing".to_owned() } else { rule.releases.join(", ") }
                        ),
                    )
                }
            })
            .collect();
        return (basis, verdicts);
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
                consent_verdict(&consents, request, category, policy, input.today)
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
/// };
/// let decision = decide(DecisionInput {
///     request: &request,
///     client_name: "Ada Example",
///     consents: &[consent],
///     joint_notes: &[],
///     policy: &policy,
///     today: "2026-06-01".parse().unwrap(),
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
    let (mut basis, mut verdicts) = if !policy.has_purpose(&request.purpose) {
        let reason = format!(
            "{} is not a purpose of the policy (it has: {})",
            request.purpose,
            policy.purposes.join(", ")
        );
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
        if verdicts
            .iter()
            .any(|v| v.permitted && policy.explicit_consent.contains(&v.category))
        {
            obligations.push(Obligation::RedisclosureNotice {
                text: policy.redisclosure_notice.clone(),
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

    Decision {
        request: request.clone(),
        decided_on: input.today,
        policy: policy.name.clone(),
        basis,
        verdicts,
        joint_notes,
        obligations,
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
    let consents = consents_of(input, participant, None);
    request
        .categories
        .iter()
        .map(|c| consent_verdict(&consents, &request, c, input.policy, input.today))
        .collect()
}
