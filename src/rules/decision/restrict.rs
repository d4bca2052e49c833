//! Rule 9: the client's restrictions (45 CFR 164.522(a)) and lockbox (PHIPA).
//!
//! A restriction in force on the day denies what it covers, with its reason, unless
//! the exception invoked overrides restrictions (HIPAA does not let a restriction stop
//! a disclosure 164.512 permits). A lockbox withholds what it covers instead of
//! denying the disclosure: the rest may leave, and the recipient is told something
//! was withheld; only an exception that overrides lockboxes (PHIPA s.40(1)) reaches
//! it. The client's own request is never restricted.

use super::{DecisionInput, Verdict, near_name, same_name};
use crate::model::policy::Exception;
use crate::model::restriction::Restriction;

/// True when `restriction` covers `category` of this request. A restriction from a
/// kind of recipient covers a request that names no kind: the request must say the
/// recipient is not of that kind.
fn covers(restriction: &Restriction, category: &str, input: &DecisionInput<'_>) -> bool {
    let request = input.request;
    restriction.categories.iter().any(|c| c == category)
        && (restriction.purposes.is_empty() || restriction.purposes.contains(&request.purpose))
        && restriction
            .recipient
            .as_deref()
            // A slip ("Dr. Lee", "Dr Lee") is the same recipient: a restriction errs
            // on the side of keeping back.
            .is_none_or(|name| {
                same_name(name, &request.recipient) || near_name(name, &request.recipient)
            })
        && restriction
            .recipient_kind
            .as_deref()
            .is_none_or(|kind| request.recipient_kind.as_deref().is_none_or(|k| k == kind))
}

/// Applies `client`'s restrictions in force to the permitted verdicts.
pub(super) fn apply(
    input: &DecisionInput<'_>,
    client: &str,
    rule: Option<&Exception>,
    verdicts: &mut [Verdict],
) {
    let policy = input.policy;
    let in_force: Vec<&Restriction> = input
        .restrictions
        .iter()
        .filter(|r| r.client == client && r.in_force_on(input.today))
        .collect();
    for verdict in verdicts.iter_mut().filter(|v| v.permitted) {
        let Some(r) = in_force
            .iter()
            .filter(|r| covers(r, &verdict.category, input))
            .find(|r| {
                if r.lockbox {
                    !rule.is_some_and(|e| e.overrides_lockbox)
                } else {
                    !rule.is_some_and(|e| e.overrides_restrictions)
                }
            })
        else {
            continue;
        };
        let unnamed_kind = match (&r.recipient_kind, &input.request.recipient_kind) {
            (Some(kind), None) => format!(
                "; it keeps them from {kind} recipients, and this request does not say the recipient is not one (--recipient-kind)"
            ),
            _ => String::new(),
        };
        let category = verdict.category.clone();
        *verdict = if r.lockbox {
            let cited = policy
                .lockbox
                .as_ref()
                .map_or(String::new(), |l| format!(" ({})", l.citation));
            Verdict {
                reason: format!(
                    "withheld: the client locked {category} (lockbox {}, from {}){cited}; the rest may leave, and the recipient is told that something was withheld, not what",
                    r.id, r.requested_on
                ),
                withheld: true,
                ..super::denied(&category, String::new())
            }
        } else {
            let cited = match &policy.restrictions {
                Some(rules) if r.self_pay => rules
                    .must_agree_citation
                    .as_deref()
                    .map_or(String::new(), |c| format!(" ({c})")),
                Some(rules) => format!(" ({})", rules.citation),
                None => String::new(),
            };
            super::denied(
                &category,
                format!(
                    "restricted at the client's request: restriction {} keeps {} (requested {}){cited}{unnamed_kind}",
                    r.id,
                    r.scope(),
                    r.requested_on
                ),
            )
        };
    }
}
