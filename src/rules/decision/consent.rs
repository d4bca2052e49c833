//! Rules 2 to 4 and the signer's: whether one consent permits one category.

use crate::base::Date;
use crate::model::consent::{Consent, Relationship, Tpo};
use crate::model::policy::ALL_CATEGORIES;

use super::{DecisionInput, DisclosureRequest, Verdict, denied, near_name, same_name};

/// Whether `consent` permits `category` to `recipient` for `purpose` on `today`;
/// the reason when it does not.
fn consent_permits(
    consent: &Consent,
    request: &DisclosureRequest,
    category: &str,
    input: &DecisionInput<'_>,
) -> Result<(), String> {
    let (policy, today) = (input.policy, input.today);
    let (recipient, purpose) = (request.recipient.as_str(), request.purpose.as_str());
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
    signer_may_consent(consent, input)?;
    if let Some(tpo) = &consent.tpo {
        by_class(consent, tpo, request, input)?;
    } else if !same_name(&consent.recipient.name, recipient) {
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
pub(super) fn consent_verdict(
    consents: &[&Consent],
    request: &DisclosureRequest,
    category: &str,
    input: &DecisionInput<'_>,
) -> Verdict {
    let mut reasons = Vec::new();
    for consent in consents {
        match consent_permits(consent, request, category, input) {
            Ok(()) => {
                let until = match &consent.tpo {
                    Some(t) if t.until_end_of_treatment => "the end of treatment".to_owned(),
                    Some(_) => "revoked in writing".to_owned(),
                    None => consent.expires.to_string(),
                };
                let to = match &consent.tpo {
                    Some(t) => format!("{} recipients", t.recipient_kind),
                    None => consent.recipient.name.clone(),
                };
                return Verdict {
                    category: category.to_owned(),
                    permitted: true,
                    reason: format!(
                        "permitted by consent {} (to {to} for {}, {} to {until})",
                        consent.id,
                        consent.purposes.join(", "),
                        consent.effective,
                    ),
                    consent: Some(consent.id.clone()),
                    withheld: false,
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

/// The consents of `client` that a consent-based request may rest on, in a fixed order.
pub(super) fn consents_of<'a>(
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

/// Whole years from `born` to `on`.
pub(crate) fn age_on(born: Date, on: Date) -> i32 {
    let (b, d) = (born.0, on.0);
    let mut years = d.year() - b.year();
    if (d.month() as u8, d.day()) < (b.month() as u8, b.day()) {
        years -= 1;
    }
    years
}

/// Who may sign for the client (the policy's `[minors]`): a parent or guardian signs
/// for a minor, unless the minor consented to their own care where the policy lets a
/// minor of their age do so; then only the client's own signature speaks for those
/// records, whenever a parent's consent was signed. A parent's consent no longer
/// speaks for a client who has come of age.
fn signer_may_consent(consent: &Consent, input: &DecisionInput<'_>) -> Result<(), String> {
    let Some(minors) = &input.policy.minors else {
        return Ok(());
    };
    let facts = input.clients.iter().find(|f| f.client == consent.client);
    let id = &consent.id;
    let client = &consent.client;
    let born = facts.and_then(|f| f.date_of_birth);
    let majority = i32::from(minors.age_of_majority);
    // The mark counts only where this policy lets a minor consent to their own care,
    // and (when the age is known) from the age it says: set under another pack, or
    // for a younger child, a parent signs as for any minor.
    let self_age = minors
        .self_consent_age
        .filter(|_| facts.is_some_and(|f| f.care.minor_consent))
        .map(i32::from);
    if consent.relationship != Relationship::Client {
        if let Some(age) = self_age
            && born.is_none_or(|b| age_on(b, input.today) >= age)
        {
            return Err(format!(
                "client {client} consented to their own care as a minor ({}): consent {id}, signed by their {} ({}), does not release those records; only the client's own consent does ({})",
                minors
                    .self_consent_citation
                    .as_deref()
                    .unwrap_or("the policy's rule"),
                consent.relationship.as_str(),
                consent.signed_by,
                minors.citation
            ));
        }
        if consent.relationship == Relationship::Guardian
            && let Some(b) = born
            && age_on(b, input.today) >= majority
        {
            return Err(format!(
                "client {client} is {majority} or older: consent {id}, signed by a guardian while they were a minor, no longer speaks for them ({}); ask the client for their own",
                minors.citation
            ));
        }
        return Ok(());
    }
    let Some(born) = born else {
        return Ok(());
    };
    let age = age_on(born, consent.effective);
    if age >= majority || self_age.is_some_and(|s| age >= s) {
        return Ok(());
    }
    Err(format!(
        "client {client} was {age} on {}, a minor: a parent or guardian signs for them ({}); record the consent as signed by the guardian, or mark the client as consenting to their own care where the law lets them",
        consent.effective, minors.citation
    ))
}

/// A consent by class (42 CFR 2.33(b)): the recipient's kind, not their name, must
/// be the consent's, and it ends with treatment when it says so.
fn by_class(
    consent: &Consent,
    tpo: &Tpo,
    request: &DisclosureRequest,
    input: &DecisionInput<'_>,
) -> Result<(), String> {
    let id = &consent.id;
    let cited = input
        .policy
        .part2
        .as_ref()
        .map_or(String::new(), |p| format!(" ({})", p.tpo_citation));
    match request.recipient_kind.as_deref() {
        Some(kind) if kind == tpo.recipient_kind => {}
        Some(kind) => {
            return Err(format!(
                "consent {id} covers {} recipients{cited}, not {kind}",
                tpo.recipient_kind
            ));
        }
        None => {
            return Err(format!(
                "consent {id} covers recipients by kind ({}){cited}: say which kind {} is with --recipient-kind",
                tpo.recipient_kind, request.recipient
            ));
        }
    }
    if tpo.until_end_of_treatment
        && let Some(ended) = input
            .clients
            .iter()
            .find(|f| f.client == consent.client)
            .and_then(|f| f.care.treatment_ended)
        && ended < input.today
    {
        return Err(format!(
            "consent {id} lasted until the end of treatment, which was {ended}"
        ));
    }
    Ok(())
}
