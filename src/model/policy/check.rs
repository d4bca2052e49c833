//! Checking a merged policy file against itself: every name declared once, every
//! rule and exception naming declared categories, purposes and recipient kinds.

use std::collections::{BTreeMap, BTreeSet};

use toml::Spanned;

use super::file::{
    DeadlineFile, ExceptionFile, Lines, PolicyFile, RightsFile, RoleFile, SpannedNames,
};
use super::{
    ALL_CATEGORIES, Citation, Deadline, EarlyDestruction, Exception, Force, Lockbox, Minors, Part2,
    Policy, PolicyError, RECIPIENT_KINDS, RULE_KEYS, RestrictionRules, Retention, Rights, Term,
};
use crate::base::Date;
use crate::model::category::UNHEADED_CATEGORY;
use crate::model::role::{
    ClientScope, DISCLOSURES, Permission, RECORD_COMPARTMENTS, Role, valid_role_name,
};

pub(super) fn names(
    lines: &Lines,
    what: &str,
    list: &SpannedNames,
) -> Result<Vec<String>, PolicyError> {
    if list.get_ref().is_empty() {
        return Err(lines.err(list.span().start, format!("{what} is empty")));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for item in list.get_ref() {
        let name = item.get_ref();
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(lines.err(
                item.span().start,
                format!(
                    "{what}: {name:?} is not a valid name (lowercase letters, digits and dashes)"
                ),
            ));
        }
        if name == ALL_CATEGORIES {
            return Err(lines.err(
                item.span().start,
                format!("{what}: \"all\" is reserved (a consent names it to cover every category)"),
            ));
        }
        if !seen.insert(name.clone()) {
            return Err(lines.err(
                item.span().start,
                format!("{what}: {name:?} is listed twice"),
            ));
        }
        out.push(name.clone());
    }
    Ok(out)
}

pub(super) fn known(
    lines: &Lines,
    what: &str,
    items: &[Spanned<String>],
    categories: &[String],
) -> Result<Vec<String>, PolicyError> {
    items
        .iter()
        .map(|item| {
            if categories.contains(item.get_ref()) {
                Ok(item.get_ref().clone())
            } else {
                Err(lines.err(
                    item.span().start,
                    format!(
                        "{what}: unknown category {:?}; the policy's categories are: {}",
                        item.get_ref(),
                        categories.join(", ")
                    ),
                ))
            }
        })
        .collect()
}

/// The compartments a role's `reads` or `writes` names, in the order of `known` (the
/// categories, then the record compartments); `"all"` alone means every one.
fn compartments(
    lines: &Lines,
    what: &str,
    items: &[Spanned<String>],
    known: &[&str],
) -> Result<Vec<String>, PolicyError> {
    let mut seen = BTreeSet::new();
    for item in items {
        let name = item.get_ref().as_str();
        if name == ALL_CATEGORIES {
            if items.len() > 1 {
                return Err(lines.err(
                    item.span().start,
                    format!("{what}: \"all\" must be the only element"),
                ));
            }
            return Ok(known.iter().map(|k| (*k).to_owned()).collect());
        }
        if !known.contains(&name) {
            return Err(lines.err(
                item.span().start,
                format!(
                    "{what}: unknown compartment {name:?}; the known ones are: {} (or \"all\" alone)",
                    known.join(", ")
                ),
            ));
        }
        if !seen.insert(name) {
            return Err(lines.err(
                item.span().start,
                format!("{what}: {name:?} is listed twice"),
            ));
        }
    }
    Ok(known
        .iter()
        .filter(|k| seen.contains(*k))
        .map(|k| (*k).to_owned())
        .collect())
}

/// The roles a policy file declares, checked against its categories; the defaults
/// when it declares none.
pub(super) fn roles(
    lines: &Lines,
    table: Option<&Spanned<BTreeMap<Spanned<String>, Spanned<RoleFile>>>>,
    categories: &[String],
) -> Result<Vec<Role>, PolicyError> {
    let Some(table) = table else {
        return Ok(Role::defaults(categories));
    };
    let known: Vec<&str> = categories
        .iter()
        .map(String::as_str)
        .chain(RECORD_COMPARTMENTS)
        .collect();
    let mut entries: Vec<_> = table.get_ref().iter().collect();
    entries.sort_by_key(|(name, _)| name.span().start);
    let mut out = Vec::new();
    for (key, spanned) in entries {
        let name = key.get_ref();
        if !valid_role_name(name) {
            return Err(lines.err(
                key.span().start,
                format!(
                    "roles: {name:?} is not a valid role name (a lowercase letter, then up to 31 lowercase letters, digits and dashes)"
                ),
            ));
        }
        let file = spanned.get_ref();
        let reads = compartments(lines, &format!("roles.{name}.reads"), &file.reads, &known)?;
        let writes = compartments(lines, &format!("roles.{name}.writes"), &file.writes, &known)?;
        if let Some(unread) = writes.iter().find(|w| !reads.contains(w)) {
            let at = file
                .writes
                .iter()
                .find(|i| i.get_ref() == unread || i.get_ref() == ALL_CATEGORIES)
                .map_or(spanned.span().start, |i| i.span().start);
            return Err(lines.err(
                at,
                format!(
                    "roles.{name}.writes: {unread:?} is not in reads (the key that seals a compartment also opens it)"
                ),
            ));
        }
        let clients = ClientScope::parse(file.clients.get_ref()).ok_or_else(|| {
            lines.err(
                file.clients.span().start,
                format!(
                    "roles.{name}.clients: {:?} is neither \"all\" nor \"caseload\"",
                    file.clients.get_ref()
                ),
            )
        })?;
        let mut may: Vec<Permission> = Vec::new();
        for item in &file.may {
            let what = format!("roles.{name}.may");
            let permission = Permission::parse(item.get_ref()).ok_or_else(|| {
                let all: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
                lines.err(
                    item.span().start,
                    format!(
                        "{what}: unknown permission {:?}; the permissions are: {}",
                        item.get_ref(),
                        all.join(", ")
                    ),
                )
            })?;
            if may.contains(&permission) {
                return Err(lines.err(
                    item.span().start,
                    format!(
                        "{what}: {permission:?} is listed twice",
                        permission = permission.as_str()
                    ),
                ));
            }
            let needs = match permission {
                Permission::Disclose
                | Permission::PaymentDisclosures
                | Permission::ClientRequests
                    if !writes.iter().any(|w| w == DISCLOSURES) =>
                {
                    Some("\"disclosures\" in writes (a disclosure is recorded there)")
                }
                Permission::Accounting if !reads.iter().any(|r| r == DISCLOSURES) => {
                    Some("\"disclosures\" in reads (the accounting is kept there)")
                }
                Permission::ApproveEmergency if clients != ClientScope::All => Some(
                    "clients = \"all\" (approving wraps the client's keys, which the approver must hold)",
                ),
                _ => None,
            };
            if let Some(needs) = needs {
                return Err(lines.err(
                    item.span().start,
                    format!("{what}: {:?} needs {needs}", permission.as_str()),
                ));
            }
            may.push(permission);
        }
        may.sort();
        out.push(Role {
            name: name.clone(),
            reads,
            writes,
            clients,
            may,
        });
    }
    if !out
        .iter()
        .any(|r| r.clients == ClientScope::All && r.may.contains(&Permission::Members))
    {
        return Err(lines.err(
            table.span().start,
            "roles: no role has may = [\"members\", ..] with clients = \"all\"; the practice could never manage itself",
        ));
    }
    Ok(out)
}

/// Names that must each be one of `declared` (the policy's purposes or recipient
/// kinds), as `what` calls them.
fn declared(
    lines: &Lines,
    what: &str,
    kind: &str,
    items: &[Spanned<String>],
    declared: &[String],
) -> Result<Vec<String>, PolicyError> {
    items
        .iter()
        .map(|item| {
            if declared.contains(item.get_ref()) {
                Ok(item.get_ref().clone())
            } else {
                Err(lines.err(
                    item.span().start,
                    format!(
                        "{what}: unknown {kind} {:?}; the policy's {kind}s are: {}",
                        item.get_ref(),
                        declared.join(", ")
                    ),
                ))
            }
        })
        .collect()
}

/// `[retention.early.NAME]`: the reasons a record may be destroyed before its
/// retention ends, each with its rule, in the order written.
fn early_reasons(
    lines: &Lines,
    table: Option<&BTreeMap<Spanned<String>, Spanned<super::file::CitationFile>>>,
) -> Result<Vec<EarlyDestruction>, PolicyError> {
    let mut entries: Vec<_> = table.into_iter().flatten().collect();
    entries.sort_by_key(|(name, _)| name.span().start);
    let mut out = Vec::new();
    for (key, value) in entries {
        let name = key.get_ref();
        if !valid_role_name(name) {
            return Err(lines.err(
                key.span().start,
                format!(
                    "retention.early: {name:?} is not a valid reason name (a lowercase letter, then up to 31 lowercase letters, digits and dashes)"
                ),
            ));
        }
        let at = value.span().start;
        out.push(EarlyDestruction {
            reason: name.clone(),
            citation: filled(
                lines,
                at,
                &format!("retention.early.{name}.citation"),
                &value.get_ref().citation,
            )?,
            summary: filled(
                lines,
                at,
                &format!("retention.early.{name}.summary"),
                &value.get_ref().summary,
            )?,
        });
    }
    Ok(out)
}

/// A value of the file given, or the pack, that must not be blank.
fn filled(lines: &Lines, at: usize, what: &str, text: &str) -> Result<String, PolicyError> {
    if text.trim().is_empty() {
        return Err(lines.err(at, format!("{what} is empty")));
    }
    Ok(text.trim().to_owned())
}

fn date(lines: &Lines, value: &Spanned<toml::value::Datetime>) -> Result<Date, PolicyError> {
    match (value.get_ref().date, value.get_ref().time) {
        (Some(d), None) => {
            let month = time::Month::try_from(d.month).ok();
            let date = month
                .and_then(|m| time::Date::from_calendar_date(i32::from(d.year), m, d.day).ok());
            Ok(Date(date.ok_or_else(|| {
                lines.err(value.span().start, "effective: not a valid date")
            })?))
        }
        _ => Err(lines.err(
            value.span().start,
            "effective: write a date without a time, e.g. effective = 2026-01-01",
        )),
    }
}

/// Checks the merged file and builds the policy from it.
pub(super) fn build(lines: &Lines, file: PolicyFile) -> Result<Policy, PolicyError> {
    let own = lines.start_of_own();
    let missing = |what: &str| {
        lines.err(
            own,
            format!("{what} is missing (give it, or extend a pack that does)"),
        )
    };
    let name = match &file.name {
        Some(n) if !n.get_ref().trim().is_empty() => n.get_ref().trim().to_owned(),
        Some(n) => return Err(lines.err(n.span().start, "name is empty")),
        None => return Err(lines.err(own, "name is missing: give the policy a name")),
    };
    let categories_list = file
        .categories
        .as_ref()
        .ok_or_else(|| missing("categories"))?;
    let categories = names(lines, "categories", categories_list)?;
    let purposes = names(
        lines,
        "purposes",
        file.purposes.as_ref().ok_or_else(|| missing("purposes"))?,
    )?;
    let recipient_kinds = match &file.recipient_kinds {
        Some(list) => names(lines, "recipient-kinds", list)?,
        None => RECIPIENT_KINDS.iter().map(|k| (*k).to_owned()).collect(),
    };
    if !categories.iter().any(|c| c == UNHEADED_CATEGORY) {
        return Err(lines.err(
            categories_list.span().start,
            format!(
                "categories: {UNHEADED_CATEGORY:?} is needed (text before any heading of a note is {UNHEADED_CATEGORY})"
            ),
        ));
    }
    for reserved in RECORD_COMPARTMENTS {
        if let Some(item) = categories_list
            .get_ref()
            .iter()
            .find(|c| c.get_ref() == reserved)
        {
            return Err(lines.err(
                item.span().start,
                format!(
                    "categories: {reserved:?} is reserved (roles name it for a record compartment)"
                ),
            ));
        }
    }
    let roles = roles(lines, file.roles.as_ref(), &categories)?;
    let rules_spanned = file.rules.as_ref().ok_or_else(|| missing("[rules]"))?;
    let rules = rules_spanned.get_ref();
    let effective = file
        .effective
        .as_ref()
        .map(|d| date(lines, d))
        .transpose()?;
    let no_names: Vec<Spanned<String>> = Vec::new();
    let sole_consent = known(
        lines,
        "rules.sole-consent",
        rules.sole_consent.as_ref().unwrap_or(&no_names),
        &categories,
    )?;
    let explicit_consent = known(
        lines,
        "rules.explicit-consent",
        rules.explicit_consent.as_ref().unwrap_or(&no_names),
        &categories,
    )?;
    let redisclosure_notice = rules
        .redisclosure_notice
        .as_deref()
        .unwrap_or("")
        .trim()
        .to_owned();
    if !explicit_consent.is_empty() && redisclosure_notice.is_empty() {
        return Err(lines.err(
            rules_spanned.span().start,
            "rules.redisclosure-notice is needed when rules.explicit-consent names categories",
        ));
    }
    let third_party = match &rules.third_party {
        Some(t) => known(
            lines,
            "rules.third-party",
            std::slice::from_ref(t),
            &categories,
        )?
        .pop(),
        None => None,
    };
    let withheld_markers = known(
        lines,
        "rules.withheld-markers",
        rules.withheld_markers.as_ref().unwrap_or(&no_names),
        &categories,
    )?;
    let crp = rules
        .client_request_purpose
        .as_ref()
        .ok_or_else(|| missing("rules.client-request-purpose"))?;
    let client_request_purpose = declared(
        lines,
        "rules.client-request-purpose",
        "purpose",
        std::slice::from_ref(crp),
        &purposes,
    )?
    .remove(0);
    let mut citations = BTreeMap::new();
    for (key, value) in file.citations.iter().flatten() {
        if !RULE_KEYS.contains(&key.get_ref().as_str()) {
            return Err(lines.err(
                key.span().start,
                format!(
                    "citations: {:?} is not a rule; the rules are: {}",
                    key.get_ref(),
                    RULE_KEYS.join(", ")
                ),
            ));
        }
        let at = value.span().start;
        let what = format!("citations.{}", key.get_ref());
        citations.insert(
            key.get_ref().clone(),
            Citation {
                citation: filled(
                    lines,
                    at,
                    &format!("{what}.citation"),
                    &value.get_ref().citation,
                )?,
                summary: filled(
                    lines,
                    at,
                    &format!("{what}.summary"),
                    &value.get_ref().summary,
                )?,
            },
        );
    }
    let mut exceptions: Vec<Exception> = Vec::new();
    for spanned in &file.exceptions {
        exceptions.push(exception(
            lines,
            spanned,
            &exceptions,
            &categories,
            &recipient_kinds,
            &sole_consent,
        )?);
    }
    let part2 = match &file.part2 {
        None => None,
        Some(p) => {
            let at = p.span().start;
            let p = p.get_ref();
            let counseling_notes = match &p.counseling_notes {
                None => None,
                Some(c) => {
                    let name = known(
                        lines,
                        "part2.counseling-notes",
                        std::slice::from_ref(c),
                        &categories,
                    )?
                    .remove(0);
                    if !sole_consent.contains(&name) {
                        return Err(lines.err(
                            c.span().start,
                            format!("part2.counseling-notes: {name:?} must be in rules.sole-consent (42 CFR 2.31(b): they need a consent of their own)"),
                        ));
                    }
                    Some(name)
                }
            };
            Some(Part2 {
                citation: filled(lines, at, "part2.citation", &p.citation)?,
                summary: filled(lines, at, "part2.summary", &p.summary)?,
                notice: filled(lines, at, "part2.notice", &p.notice)?,
                notice_citation: filled(lines, at, "part2.notice-citation", &p.notice_citation)?,
                tpo_purposes: declared(
                    lines,
                    "part2.tpo-purposes",
                    "purpose",
                    &p.tpo_purposes,
                    &purposes,
                )?,
                tpo_citation: filled(lines, at, "part2.tpo-citation", &p.tpo_citation)?,
                proceedings_purposes: declared(
                    lines,
                    "part2.proceedings-purposes",
                    "purpose",
                    &p.proceedings_purposes,
                    &purposes,
                )?,
                proceedings_citation: filled(
                    lines,
                    at,
                    "part2.proceedings-citation",
                    &p.proceedings_citation,
                )?,
                counseling_notes,
            })
        }
    };
    let restrictions = match &file.restrictions {
        None => None,
        Some(r) => {
            let at = r.span().start;
            let r = r.get_ref();
            let must_agree_recipient_kind = match &r.must_agree_recipient_kind {
                None => None,
                Some(k) => Some(
                    declared(
                        lines,
                        "restrictions.must-agree-recipient-kind",
                        "recipient kind",
                        std::slice::from_ref(k),
                        &recipient_kinds,
                    )?
                    .remove(0),
                ),
            };
            let must_agree_purposes = declared(
                lines,
                "restrictions.must-agree-purposes",
                "purpose",
                &r.must_agree_purposes,
                &purposes,
            )?;
            if must_agree_recipient_kind.is_some() == must_agree_purposes.is_empty()
                || must_agree_recipient_kind.is_some() != r.must_agree_citation.is_some()
            {
                return Err(lines.err(
                    at,
                    "restrictions: give must-agree-purposes, must-agree-recipient-kind and must-agree-citation together, or none of them",
                ));
            }
            Some(RestrictionRules {
                citation: filled(lines, at, "restrictions.citation", &r.citation)?,
                summary: filled(lines, at, "restrictions.summary", &r.summary)?,
                must_agree_citation: r
                    .must_agree_citation
                    .as_deref()
                    .map(|c| filled(lines, at, "restrictions.must-agree-citation", c))
                    .transpose()?,
                must_agree_purposes,
                must_agree_recipient_kind,
            })
        }
    };
    let lockbox = match &file.lockbox {
        None => None,
        Some(l) => {
            let at = l.span().start;
            let l = l.get_ref();
            Some(Lockbox {
                citation: filled(lines, at, "lockbox.citation", &l.citation)?,
                summary: filled(lines, at, "lockbox.summary", &l.summary)?,
                notice: filled(lines, at, "lockbox.notice", &l.notice)?,
                notice_citation: filled(lines, at, "lockbox.notice-citation", &l.notice_citation)?,
            })
        }
    };
    let rights = match &file.rights {
        None => None,
        Some(r) => Some(rights(lines, r, &exceptions)?),
    };
    let retention = match &file.retention {
        None => None,
        Some(r) => {
            let at = r.span().start;
            let r = r.get_ref();
            Some(Retention {
                citation: filled(lines, at, "retention.citation", &r.citation)?,
                summary: filled(lines, at, "retention.summary", &r.summary)?,
                years_after_end: count(
                    lines,
                    "retention.years-after-end",
                    &r.years_after_end,
                    1,
                    100,
                )?,
                minor_years_after_majority: r
                    .minor_years_after_majority
                    .as_ref()
                    .map(|y| count(lines, "retention.minor-years-after-majority", y, 0, 100))
                    .transpose()?,
                minor_until_age: r
                    .minor_until_age
                    .as_ref()
                    .map(|y| count(lines, "retention.minor-until-age", y, 1, 100))
                    .transpose()?,
                early: early_reasons(lines, r.early.as_ref())?,
            })
        }
    };
    let minors = match &file.minors {
        None => None,
        Some(m) => {
            let at = m.span().start;
            let m = m.get_ref();
            let majority = *m.age_of_majority.get_ref();
            if !(1..=30).contains(&majority) {
                return Err(lines.err(
                    m.age_of_majority.span().start,
                    "minors.age-of-majority: write an age from 1 to 30",
                ));
            }
            let self_consent_age = match &m.self_consent_age {
                None => None,
                Some(age) if (1..majority).contains(age.get_ref()) => Some(*age.get_ref() as u8),
                Some(age) => {
                    return Err(lines.err(
                        age.span().start,
                        format!("minors.self-consent-age: write an age from 1 to {}, under the age of majority", majority - 1),
                    ));
                }
            };
            if self_consent_age.is_some() != m.self_consent_citation.is_some() {
                return Err(lines.err(
                    at,
                    "minors: give self-consent-age and self-consent-citation together, or neither",
                ));
            }
            Some(Minors {
                citation: filled(lines, at, "minors.citation", &m.citation)?,
                summary: filled(lines, at, "minors.summary", &m.summary)?,
                age_of_majority: majority as u8,
                self_consent_age,
                self_consent_citation: m
                    .self_consent_citation
                    .as_deref()
                    .map(|c| filled(lines, at, "minors.self-consent-citation", c))
                    .transpose()?,
            })
        }
    };
    Ok(Policy {
        name,
        description: file.description.unwrap_or_default(),
        effective,
        extends: None,
        sources: file.sources.unwrap_or_default(),
        categories,
        purposes,
        recipient_kinds,
        sole_consent,
        explicit_consent,
        redisclosure_notice,
        third_party,
        client_request_purpose,
        withheld_markers,
        citations,
        exceptions,
        part2,
        restrictions,
        lockbox,
        minors,
        rights,
        retention,
        roles,
        source: String::new(),
        bases: Vec::new(),
    })
}

/// Checks one exception against those before it and the policy's names.
fn exception(
    lines: &Lines,
    spanned: &Spanned<ExceptionFile>,
    before: &[Exception],
    categories: &[String],
    recipient_kinds: &[String],
    sole_consent: &[String],
) -> Result<Exception, PolicyError> {
    let at = spanned.span().start;
    let e = spanned.get_ref();
    let kind = e.kind.get_ref();
    if before.iter().any(|x| &x.kind == kind) {
        return Err(lines.err(
            e.kind.span().start,
            format!("exception {kind:?} is defined twice"),
        ));
    }
    if kind.is_empty() || kind.contains(char::is_whitespace) {
        return Err(lines.err(e.kind.span().start, "exception kind must be one word"));
    }
    if e.releases_what_order_names && !e.releases.is_empty() {
        return Err(lines.err(
            at,
            format!(
                "exception {kind:?}: give either releases or releases-what-order-names, not both"
            ),
        ));
    }
    if e.description.trim().is_empty() {
        return Err(lines.err(
            at,
            format!("exception {kind:?}: the description (told to clients at intake) is empty"),
        ));
    }
    let what = format!("exception {kind:?}");
    let releases = known(lines, &what, &e.releases, categories)?;
    if e.releases_sole_consent && !releases.iter().any(|c| sole_consent.contains(c)) {
        return Err(lines.err(
            at,
            format!(
                "{what}: releases-sole-consent, but it releases none of rules.sole-consent ({})",
                sole_consent.join(", ")
            ),
        ));
    }
    if e.part2_order && !(e.requires_reference && e.releases_what_order_names) {
        return Err(lines.err(
            at,
            format!("{what}: a part2-order is a court order: it needs requires-reference and releases-what-order-names"),
        ));
    }
    let force = match &e.force {
        None => Force::Permitted,
        Some(f) => match f.get_ref().as_str() {
            "required" => Force::Required,
            "permitted" => Force::Permitted,
            other => {
                return Err(lines.err(
                    f.span().start,
                    format!("{what}: force {other:?} is neither \"required\" nor \"permitted\""),
                ));
            }
        },
    };
    let optional = |name: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(|v| filled(lines, at, &format!("{what}: {name}"), v))
            .transpose()
    };
    Ok(Exception {
        kind: kind.clone(),
        releases,
        releases_what_order_names: e.releases_what_order_names,
        requires_reference: e.requires_reference,
        releases_subject: e.releases_subject,
        denial: e.denial.clone().filter(|d| !d.trim().is_empty()),
        description: e.description.trim().to_owned(),
        recipients: declared(
            lines,
            &what,
            "recipient kind",
            &e.recipients,
            recipient_kinds,
        )?,
        force,
        citation: optional("citation", &e.citation)?,
        summary: optional("summary", &e.summary)?,
        releases_sole_consent: e.releases_sole_consent,
        overrides_restrictions: e.overrides_restrictions,
        overrides_lockbox: e.overrides_lockbox,
        part2_order: e.part2_order,
        beyond_baseline: optional("beyond-baseline", &e.beyond_baseline)?,
    })
}

/// A whole number from `low` to `high`, as `what` calls it.
fn count(
    lines: &Lines,
    what: &str,
    value: &Spanned<i64>,
    low: i64,
    high: i64,
) -> Result<u16, PolicyError> {
    let n = *value.get_ref();
    if !(low..=high).contains(&n) {
        return Err(lines.err(
            value.span().start,
            format!("{what}: write a whole number from {low} to {high}"),
        ));
    }
    Ok(n as u16)
}

/// The `[rights]` table: each kind of request's deadline, and the accounting's reach.
fn rights(
    lines: &Lines,
    r: &Spanned<RightsFile>,
    exceptions: &[Exception],
) -> Result<Rights, PolicyError> {
    let at = r.span().start;
    let r = r.get_ref();
    let deadline =
        |name: &str, d: &Option<Spanned<DeadlineFile>>| -> Result<Option<Deadline>, PolicyError> {
            let Some(d) = d else { return Ok(None) };
            let what = format!("rights.{name}");
            let f = d.get_ref();
            let term = |days: &Option<Spanned<i64>>,
                        months: &Option<Spanned<i64>>,
                        prefix: &str| match (days, months) {
                (Some(n), None) => count(lines, &format!("{what}.{prefix}days"), n, 1, 366)
                    .map(|n| Some(Term::Days(n))),
                (None, Some(n)) => count(lines, &format!("{what}.{prefix}months"), n, 1, 24)
                    .map(|n| Some(Term::Months(n))),
                (None, None) => Ok(None),
                (Some(n), Some(_)) => Err(lines.err(
                    n.span().start,
                    format!("{what}: give {prefix}days or {prefix}months, not both"),
                )),
            };
            let Some(term_in) = term(&f.days, &f.months, "")? else {
                return Err(lines.err(d.span().start, format!("{what}: give days or months")));
            };
            Ok(Some(Deadline {
                term: term_in,
                extension: term(&f.extension_days, &f.extension_months, "extension-")?,
                citation: filled(
                    lines,
                    d.span().start,
                    &format!("{what}.citation"),
                    &f.citation,
                )?,
            }))
        };
    Ok(Rights {
        citation: filled(lines, at, "rights.citation", &r.citation)?,
        summary: filled(lines, at, "rights.summary", &r.summary)?,
        access: deadline("access", &r.access)?,
        amendment: deadline("amendment", &r.amendment)?,
        accounting: deadline("accounting", &r.accounting)?,
        restriction: deadline("restriction", &r.restriction)?,
        confidential_communication: deadline(
            "confidential-communication",
            &r.confidential_communication,
        )?,
        accounting_years: r
            .accounting_years
            .as_ref()
            .map(|y| count(lines, "rights.accounting-years", y, 1, 100))
            .transpose()?,
        accounting_excludes_exceptions: r
            .accounting_excludes_exceptions
            .iter()
            .map(|k| {
                if exceptions.iter().any(|e| e.kind == *k.get_ref()) {
                    Ok(k.get_ref().clone())
                } else {
                    Err(lines.err(
                        k.span().start,
                        format!(
                            "rights.accounting-excludes-exceptions: the policy has no exception {:?}",
                            k.get_ref()
                        ),
                    ))
                }
            })
            .collect::<Result<Vec<_>, _>>()?,
        part2_accounting_years: r
            .part2_accounting_years
            .as_ref()
            .map(|y| count(lines, "rights.part2-accounting-years", y, 1, 100))
            .transpose()?,
    })
}
