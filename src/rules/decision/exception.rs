//! Rule 7: a disclosure under a legal exception, to the recipients the law names,
//! with its force and its citation; and what 42 CFR Part 2 adds for a Part 2
//! program's record.

use super::{Basis, DecisionInput, ExceptionRequest, Verdict, denied, permitted};
use crate::model::policy::{Exception, Force};

/// The verdicts under `exception` for `client`'s information.
pub(super) fn verdicts(
    input: &DecisionInput<'_>,
    client: &str,
    exception: &ExceptionRequest,
) -> (Basis, Vec<Verdict>) {
    let request = input.request;
    let policy = input.policy;
    let requested: Vec<&str> = request.categories.iter().map(String::as_str).collect();
    let deny_all = |reason: String| -> Vec<Verdict> {
        requested
            .iter()
            .map(|c| denied(c, reason.clone()))
            .collect()
    };
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
    if let Some(reason) = refused(input, client, exception, rule) {
        return (basis, deny_all(reason));
    }
    let reference = exception.reference.as_deref().map(str::trim).unwrap_or("");
    let cited = rule.cited();
    let allowed: Vec<&str> = if rule.releases_what_order_names {
        if exception.order_categories.is_empty() {
            // The request stands for what the order names, except the sole-consent
            // categories: those only when the order names them.
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
    let force = match rule.force {
        Force::Required => "required",
        Force::Permitted => "permitted",
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
                        format!("named by the court order {reference}{cited}"),
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
            } else if sole && !(in_allowed && rule.releases_sole_consent) {
                let others: Vec<&str> = policy
                    .exceptions
                    .iter()
                    .filter(|e| e.releases_sole_consent && e.releases.iter().any(|c| c == category))
                    .map(|e| e.kind.as_str())
                    .collect();
                let or = if others.is_empty() {
                    String::new()
                } else {
                    format!(", or under {}", others.join(" or "))
                };
                denied(
                    category,
                    format!("{category} are released without consent only under a court order that names them{or}"),
                )
            } else if in_allowed {
                let without = if sole { " without the client's authorization" } else { "" };
                permitted(
                    category,
                    format!(
                        "{force}{without} under {}{cited}, which may release {}",
                        rule.kind,
                        rule.releases.join(", ")
                    ),
                )
            } else {
                denied(
                    category,
                    format!(
                        "{} may release only {}{cited}",
                        rule.kind,
                        if rule.releases.is_empty() {
                            "nothing".to_owned()
                        } else {
                            rule.releases.join(", ")
                        }
                    ),
                )
            }
        })
        .collect();
    (basis, verdicts)
}

/// A reason the exception releases nothing of `client`'s for this request: it
/// names no one else, it lacks its justification or reference, the policy makes
/// it a denial, the recipient is not one it may go to, or the record is a Part 2
/// program's and the exception is not a 2.64/2.65 order where one is needed.
fn refused(
    input: &DecisionInput<'_>,
    client: &str,
    exception: &ExceptionRequest,
    rule: &Exception,
) -> Option<String> {
    let cited = rule.cited();
    if exception.about.is_some() && !rule.releases_subject {
        return Some(format!(
            "{} is not a report about someone, so it names no other person; leave out who it is about",
            rule.kind
        ));
    }
    if crate::base::fold::is_blank(&exception.justification) {
        return Some(format!(
            "{} needs a justification: say what makes the exception apply",
            rule.kind
        ));
    }
    let reference = exception.reference.as_deref().map(str::trim).unwrap_or("");
    if rule.requires_reference && crate::base::fold::is_blank(reference) {
        return Some(format!("{} needs the order's reference", rule.kind));
    }
    if let Some(denial) = &rule.denial {
        return Some(format!("{denial}{cited}"));
    }
    if !rule.recipients.is_empty() {
        match input.request.recipient_kind.as_deref() {
            None => {
                return Some(format!(
                    "{} goes only to {}{cited}: say which kind of recipient {} is with --recipient-kind",
                    rule.kind,
                    rule.recipients.join(", "),
                    input.request.recipient
                ));
            }
            Some(kind) if !rule.recipients.iter().any(|r| r == kind) => {
                return Some(format!(
                    "{} goes only to {}, not to {kind}{cited}",
                    rule.kind,
                    rule.recipients.join(", ")
                ));
            }
            Some(_) => {}
        }
    }
    let part2_client = input
        .clients
        .iter()
        .any(|f| f.client == client && f.care.part2_program);
    if let Some(part2) = &input.policy.part2
        && part2_client
        && !rule.part2_order
    {
        let proceedings = part2.proceedings_purposes.contains(&input.request.purpose);
        if proceedings || rule.releases_what_order_names {
            let orders: Vec<&str> = input
                .policy
                .exceptions
                .iter()
                .filter(|e| e.part2_order)
                .map(|e| e.kind.as_str())
                .collect();
            return Some(format!(
                "client {client}'s record is a 42 CFR Part 2 program's: it goes to a court or a proceeding only under a court order issued under 42 CFR 2.64 or 2.65 ({}){}; {} does not suffice",
                part2.proceedings_citation,
                if orders.is_empty() {
                    String::new()
                } else {
                    format!(" (--exception {})", orders.join(" or "))
                },
                rule.kind
            ));
        }
    }
    None
}
