//! Policy: the jurisdiction's categories, purposes and exceptions, as a TOML file.
//!
//! The built-in default (`src/model/policy/default.toml`) gives the categories,
//! purposes and exceptions that the decision engine's rules (listed in
//! `crate::rules::decision`, and for users in README.md, "The rules") work with. A
//! practice may replace it; the vault keeps every version, so each decision can be re-explained
//! under the policy in force when it was made.
//!
//! Invariant: a [`Policy`] value is always valid: every category, purpose and exception
//! it names is declared once, and every rule refers to declared names. Parsing is the
//! only way to get one.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::base::Date;
use crate::model::category::UNHEADED_CATEGORY;
use crate::model::role::{
    ClientScope, DISCLOSURES, Permission, RECORD_COMPARTMENTS, Role, valid_role_name,
};

/// The built-in policy's TOML text.
pub const DEFAULT_POLICY: &str = include_str!("policy/default.toml");

/// The pseudo-category a consent may name to cover every category that needs no
/// explicit naming.
pub const ALL_CATEGORIES: &str = "all";

/// A legal ground to disclose without consent, with its limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exception {
    /// Its name, e.g. `duty-to-protect`.
    pub kind: String,
    /// The categories it may release (unless [`Exception::releases_what_order_names`]).
    pub releases: Vec<String>,
    /// True for a court order: it releases exactly the categories the order names.
    pub releases_what_order_names: bool,
    /// True when the order or report reference is required.
    pub requires_reference: bool,
    /// True for a report about someone (an abuse report): it may release the identity
    /// of the person it is about, even when that person is a third party in the
    /// client's record.
    pub releases_subject: bool,
    /// When set, the exception never releases anything and this is the reason.
    pub denial: Option<String>,
    /// The text a client is told at intake.
    pub description: String,
}

/// A validated policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// The policy's name.
    pub name: String,
    /// What it is.
    pub description: String,
    /// The date it takes effect, if stated.
    pub effective: Option<Date>,
    /// The categories note sections and consents may name.
    pub categories: Vec<String>,
    /// The purposes a disclosure may have.
    pub purposes: Vec<String>,
    /// Categories released only under a consent naming them alone, or a court order
    /// naming them; never to the client's own request.
    pub sole_consent: Vec<String>,
    /// Categories released only under a consent naming them explicitly.
    pub explicit_consent: Vec<String>,
    /// The notice every export carrying an explicit-consent category bears.
    pub redisclosure_notice: String,
    /// The category of third parties' information, if the policy has one.
    pub third_party: Option<String>,
    /// The purpose of a client's own access request.
    pub client_request_purpose: String,
    /// The categories whose sections, left out of a disclosure, leave a
    /// `[withheld: <category>]` marker and a line on the cover sheet. Any other
    /// category left out leaves no trace, so the recipient does not learn that the
    /// client has notes of it. Empty when the policy file does not say.
    pub withheld_markers: Vec<String>,
    /// The legal exceptions.
    pub exceptions: Vec<Exception>,
    /// The practice's roles (`[roles.NAME]`), in the order the file lists them; the
    /// defaults (`Role::defaults`) when the file declares none. At least one role
    /// may manage members and sees all clients.
    ///
    /// A role that reads `psychotherapy-notes` reads only the psychotherapy notes its
    /// own member wrote: that compartment is per client and author, not a role
    /// setting (`crate::model::role`).
    pub roles: Vec<Role>,
    /// The TOML text the policy was read from.
    #[serde(skip)]
    pub source: String,
}

/// A policy file that cannot be used: where, and what is wrong. Fields may be added
/// (a column, say).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
#[non_exhaustive]
pub struct PolicyError {
    /// The 1-based line of the mistake.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct PolicyFile {
    name: String,
    #[serde(default)]
    description: String,
    effective: Option<Spanned<toml::value::Datetime>>,
    categories: Spanned<Vec<Spanned<String>>>,
    purposes: Spanned<Vec<Spanned<String>>>,
    rules: Spanned<RulesFile>,
    #[serde(default, rename = "exception")]
    exceptions: Vec<Spanned<ExceptionFile>>,
    roles: Option<Spanned<BTreeMap<Spanned<String>, Spanned<RoleFile>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleFile {
    #[serde(default)]
    reads: Vec<Spanned<String>>,
    #[serde(default)]
    writes: Vec<Spanned<String>>,
    clients: Spanned<String>,
    #[serde(default)]
    may: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RulesFile {
    #[serde(default)]
    sole_consent: Vec<Spanned<String>>,
    #[serde(default)]
    explicit_consent: Vec<Spanned<String>>,
    #[serde(default)]
    redisclosure_notice: String,
    third_party: Option<Spanned<String>>,
    client_request_purpose: Spanned<String>,
    #[serde(default)]
    withheld_markers: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ExceptionFile {
    kind: Spanned<String>,
    #[serde(default)]
    releases: Vec<Spanned<String>>,
    #[serde(default)]
    releases_what_order_names: bool,
    #[serde(default)]
    requires_reference: bool,
    #[serde(default)]
    releases_subject: bool,
    denial: Option<String>,
    description: String,
}

struct Lines<'a>(&'a str);

impl Lines<'_> {
    fn at(&self, offset: usize) -> usize {
        let end = offset.min(self.0.len());
        self.0.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn err(&self, offset: usize, message: impl fmt::Display) -> PolicyError {
        PolicyError {
            line: self.at(offset),
            message: message.to_string(),
        }
    }
}

fn names(
    lines: &Lines<'_>,
    what: &str,
    list: &Spanned<Vec<Spanned<String>>>,
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

fn known(
    lines: &Lines<'_>,
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
    lines: &Lines<'_>,
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
fn roles(
    lines: &Lines<'_>,
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

impl Policy {
    /// The built-in default policy.
    pub fn default_policy() -> Policy {
        Policy::parse(DEFAULT_POLICY).expect("the built-in policy is valid (tested)")
    }

    /// Reads and validates a policy file. Errors name the line and the problem.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let lines = Lines(text);
        let file: PolicyFile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            lines.err(offset, e.message().trim())
        })?;
        let categories = names(&lines, "categories", &file.categories)?;
        let purposes = names(&lines, "purposes", &file.purposes)?;
        if !categories.iter().any(|c| c == UNHEADED_CATEGORY) {
            return Err(lines.err(
                file.categories.span().start,
                format!(
                    "categories: {UNHEADED_CATEGORY:?} is needed (text before any heading of a note is {UNHEADED_CATEGORY})"
                ),
            ));
        }
        for reserved in RECORD_COMPARTMENTS {
            if let Some(item) = file
                .categories
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
        let roles = roles(&lines, file.roles.as_ref(), &categories)?;
        let rules = file.rules.get_ref();
        let effective = match &file.effective {
            None => None,
            Some(value) => match (value.get_ref().date, value.get_ref().time) {
                (Some(d), None) => {
                    let month = time::Month::try_from(d.month).ok();
                    let date = month.and_then(|m| {
                        time::Date::from_calendar_date(i32::from(d.year), m, d.day).ok()
                    });
                    Some(Date(date.ok_or_else(|| {
                        lines.err(value.span().start, "effective: not a valid date")
                    })?))
                }
                _ => {
                    return Err(lines.err(
                        value.span().start,
                        "effective: write a date without a time, e.g. effective = 2026-01-01",
                    ));
                }
            },
        };
        let sole_consent = known(
            &lines,
            "rules.sole-consent",
            &rules.sole_consent,
            &categories,
        )?;
        let explicit_consent = known(
            &lines,
            "rules.explicit-consent",
            &rules.explicit_consent,
            &categories,
        )?;
        if !explicit_consent.is_empty() && rules.redisclosure_notice.trim().is_empty() {
            return Err(lines.err(
                file.rules.span().start,
                "rules.redisclosure-notice is needed when rules.explicit-consent names categories",
            ));
        }
        let third_party = match &rules.third_party {
            Some(t) => known(
                &lines,
                "rules.third-party",
                std::slice::from_ref(t),
                &categories,
            )?
            .pop(),
            None => None,
        };
        let withheld_markers = known(
            &lines,
            "rules.withheld-markers",
            &rules.withheld_markers,
            &categories,
        )?;
        let crp = &rules.client_request_purpose;
        if !purposes.contains(crp.get_ref()) {
            return Err(lines.err(
                crp.span().start,
                format!(
                    "rules.client-request-purpose: unknown purpose {:?}; the policy's purposes are: {}",
                    crp.get_ref(),
                    purposes.join(", ")
                ),
            ));
        }
        let mut exceptions: Vec<Exception> = Vec::new();
        for spanned in &file.exceptions {
            let e = spanned.get_ref();
            let kind = e.kind.get_ref();
            if exceptions.iter().any(|x| &x.kind == kind) {
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
                    spanned.span().start,
                    format!("exception {kind:?}: give either releases or releases-what-order-names, not both"),
                ));
            }
            if e.description.trim().is_empty() {
                return Err(lines.err(
                    spanned.span().start,
                    format!(
                        "exception {kind:?}: the description (told to clients at intake) is empty"
                    ),
                ));
            }
            exceptions.push(Exception {
                kind: kind.clone(),
                releases: known(
                    &lines,
                    &format!("exception {kind:?}"),
                    &e.releases,
                    &categories,
                )?,
                releases_what_order_names: e.releases_what_order_names,
                requires_reference: e.requires_reference,
                releases_subject: e.releases_subject,
                denial: e.denial.clone().filter(|d| !d.trim().is_empty()),
                description: e.description.trim().to_owned(),
            });
        }
        Ok(Policy {
            name: file.name,
            description: file.description,
            effective,
            categories,
            purposes,
            sole_consent,
            explicit_consent,
            redisclosure_notice: rules.redisclosure_notice.trim().to_owned(),
            third_party,
            client_request_purpose: crp.get_ref().clone(),
            withheld_markers,
            exceptions,
            roles,
            source: text.to_owned(),
        })
    }

    /// The exception called `kind`, if the policy has one.
    pub fn exception(&self, kind: &str) -> Option<&Exception> {
        self.exceptions.iter().find(|e| e.kind == kind)
    }

    /// True when `name` is one of the policy's categories.
    pub fn has_category(&self, name: &str) -> bool {
        self.categories.iter().any(|c| c == name)
    }

    /// True when `name` is one of the policy's purposes.
    pub fn has_purpose(&self, name: &str) -> bool {
        self.purposes.iter().any(|p| p == name)
    }

    /// The role called `name`, if the policy declares one.
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// The categories as string slices, for the note parser.
    pub fn category_names(&self) -> Vec<&str> {
        self.categories.iter().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn withheld_markers_are_declared_categories_and_absent_means_none() {
        let p = Policy::default_policy();
        for silent in ["psychotherapy-notes", "substance-use", "sexual-health"] {
            assert!(!p.withheld_markers.iter().any(|c| c == silent), "{silent}");
        }
        assert!(p.withheld_markers.iter().any(|c| c == "progress"));
        // A policy that does not say marks nothing.
        let start = DEFAULT_POLICY.find("withheld-markers").unwrap();
        let end = start + DEFAULT_POLICY[start..].find(']').unwrap() + 1;
        let silent = format!("{}{}", &DEFAULT_POLICY[..start], &DEFAULT_POLICY[end..]);
        assert!(Policy::parse(&silent).unwrap().withheld_markers.is_empty());
        let unknown = DEFAULT_POLICY.replace("\"risk\", \"third-party\",\n]", "\"dreams\",\n]");
        let err = Policy::parse(&unknown).unwrap_err();
        assert!(
            err.message
                .contains("rules.withheld-markers: unknown category \"dreams\""),
            "{err}"
        );
    }

    #[test]
    fn default_policy_matches_the_brief() {
        let p = Policy::default_policy();
        assert_eq!(p.categories, crate::model::category::DEFAULT_CATEGORIES);
        assert_eq!(p.sole_consent, ["psychotherapy-notes"]);
        assert_eq!(p.explicit_consent, ["substance-use"]);
        assert_eq!(
            p.exception("emergency").unwrap().releases,
            ["identity", "risk", "medication", "diagnosis"]
        );
        assert!(
            p.exception("court-order")
                .unwrap()
                .releases_what_order_names
        );
        assert!(p.exception("subpoena").unwrap().denial.is_some());
        assert_eq!(p.exceptions.len(), 7);
        assert!(
            p.redisclosure_notice
                .starts_with("This record, which has been disclosed to you")
        );
    }

    fn with(edit: impl Fn(&str) -> String) -> Result<Policy, PolicyError> {
        Policy::parse(&edit(DEFAULT_POLICY))
    }

    fn line_of(needle: &str, text: &str) -> usize {
        text[..text.find(needle).unwrap()].matches('\n').count() + 1
    }

    #[test]
    fn unknown_category_names_its_line() {
        let text = DEFAULT_POLICY.replace(
            r#"releases = ["identity", "risk", "medication""#,
            r#"releases = ["identity", "risks", "medication""#,
        );
        let err = Policy::parse(&text).unwrap_err();
        assert_eq!(err.line, line_of("\"risks\"", &text));
        assert!(err.message.contains("unknown category \"risks\""), "{err}");
    }

    #[test]
    fn unknown_field_names_its_line() {
        let text = DEFAULT_POLICY.replace("requires-reference = true", "requires-refrence = true");
        let err = Policy::parse(&text).unwrap_err();
        assert_eq!(err.line, line_of("requires-refrence", &text));
        assert!(
            err.message.contains("unknown field `requires-refrence`"),
            "{err}"
        );
    }

    #[test]
    fn bad_date_names_its_line() {
        let line = line_of("effective", DEFAULT_POLICY);
        let err =
            with(|t| t.replace("effective = 2026-01-01", "effective = 2026-13-01")).unwrap_err();
        assert_eq!(err.line, line, "{err}");
        let err =
            with(|t| t.replace("effective = 2026-01-01", "effective = \"soon\"")).unwrap_err();
        assert_eq!(err.line, line, "{err}");
    }

    #[test]
    fn duplicate_exception_names_its_line() {
        let text = format!(
            "{DEFAULT_POLICY}\n[[exception]]\nkind = \"emergency\"\ndescription = \"again\"\n"
        );
        let err = Policy::parse(&text).unwrap_err();
        assert_eq!(err.line, text.lines().count() - 1);
        assert!(
            err.message.contains("\"emergency\" is defined twice"),
            "{err}"
        );
    }

    #[test]
    fn syntax_error_names_its_line() {
        let err = with(|t| t.replace("name = \"casevault default\"", "name = casevault default"))
            .unwrap_err();
        assert_eq!(err.line, line_of("name =", DEFAULT_POLICY), "{err}");
    }

    /// The default policy's text with its `[roles.*]` tables cut out.
    fn without_roles() -> String {
        let start = DEFAULT_POLICY.find("[roles.owner]").unwrap();
        let end = DEFAULT_POLICY.find("[[exception]]").unwrap();
        format!("{}{}", &DEFAULT_POLICY[..start], &DEFAULT_POLICY[end..])
    }

    #[test]
    fn default_roles_are_the_files_and_apply_when_a_file_has_none() {
        let p = Policy::default_policy();
        assert_eq!(p.roles, Role::defaults(&p.categories));
        let names: Vec<&str> = p.roles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            ["owner", "clinician", "supervisor", "biller", "records"]
        );
        assert_eq!(Policy::parse(&without_roles()).unwrap().roles, p.roles);
        let supervisor = p.role("supervisor").unwrap();
        assert!(!supervisor.can_read("psychotherapy-notes"));
        assert!(!supervisor.can_read("substance-use"));
        assert!(supervisor.can_read("consents") && !supervisor.can_read("disclosures"));
        assert!(supervisor.writes.is_empty() && supervisor.may.is_empty());
        assert_eq!(p.role("owner").unwrap().may, Permission::ALL);
        assert_eq!(
            p.role("clinician").unwrap().reads,
            p.role("owner").unwrap().reads
        );
        assert!(p.role("nobody").is_none());
        // A policy of its own categories gets the defaults over them.
        let own =
            without_roles().replace("\"third-party\",\n]", "\"third-party\", \"couples\",\n]");
        let own = Policy::parse(&own).unwrap();
        assert!(own.role("supervisor").unwrap().can_read("couples"));
        assert!(!own.role("biller").unwrap().can_read("couples"));
        // Roles are part of the serialized policy.
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["roles"][3]["name"], "biller");
        assert_eq!(json["roles"][3]["may"][0], "payment-disclosures");
        assert_eq!(json["roles"][1]["clients"], "caseload");
    }

    /// Appends a role to the default policy and returns the error, checking its line
    /// is that of `needle` (the first occurrence after the appended header).
    fn role_error(role: &str, needle: &str) -> PolicyError {
        let text = format!("{DEFAULT_POLICY}\n[roles.extra]\n{role}\n");
        let appended = DEFAULT_POLICY.len();
        let err = Policy::parse(&text).unwrap_err();
        let at = appended + text[appended..].find(needle).unwrap();
        assert_eq!(err.line, text[..at].matches('\n').count() + 1, "{err}");
        err
    }

    #[test]
    fn role_mistakes_name_their_line() {
        let err = role_error(
            "reads = [\"progress\", \"notes\"]\nclients = \"all\"",
            "\"notes\"",
        );
        assert!(
            err.message.starts_with(
                "roles.extra.reads: unknown compartment \"notes\"; the known ones are: identity, "
            ) && err.message.contains("third-party, consents, disclosures"),
            "{err}"
        );
        let err = role_error("clients = \"all\"\nmay = [\"policy\", \"pay\"]", "\"pay\"");
        assert!(
            err.message.contains(
                "unknown permission \"pay\"; the permissions are: write-notes, disclose, payment-disclosures, client-requests, accounting, members, policy, approve-emergency, audit-review"
            ),
            "{err}"
        );
        let err = role_error("reads = [\"all\", \"risk\"]\nclients = \"all\"", "\"all\"");
        assert!(
            err.message.contains("\"all\" must be the only element"),
            "{err}"
        );
        let err = role_error(
            "reads = [\"risk\", \"risk\"]\nclients = \"all\"",
            "\"risk\"]",
        );
        assert!(err.message.contains("\"risk\" is listed twice"), "{err}");
        let err = role_error(
            "reads = [\"risk\"]\nwrites = [\"risk\", \"progress\"]\nclients = \"all\"",
            "\"progress\"",
        );
        assert!(
            err.message.contains("\"progress\" is not in reads"),
            "{err}"
        );
        let err = role_error("clients = \"some\"", "\"some\"");
        assert!(
            err.message
                .contains("roles.extra.clients: \"some\" is neither \"all\" nor \"caseload\""),
            "{err}"
        );
        let err = role_error("clients = \"all\"\nmay = [\"disclose\"]", "\"disclose\"");
        assert!(
            err.message
                .contains("\"disclose\" needs \"disclosures\" in writes"),
            "{err}"
        );
        let err = role_error(
            "reads = [\"all\"]\nwrites = [\"all\"]\nclients = \"caseload\"\nmay = [\"approve-emergency\"]",
            "\"approve-emergency\"",
        );
        assert!(err.message.contains("needs clients = \"all\""), "{err}");
        let err = role_error("clients = \"all\"\nread = []", "read =");
        assert!(err.message.contains("unknown field `read`"), "{err}");
        let err = role_error("reads = []", "[roles.extra]");
        assert!(err.message.contains("missing field `clients`"), "{err}");
    }

    #[test]
    fn role_names_and_a_practice_that_manages_itself() {
        let text = format!("{DEFAULT_POLICY}\n[roles.Front-Desk]\nclients = \"all\"\n");
        let err = Policy::parse(&text).unwrap_err();
        assert_eq!(err.line, text.lines().count() - 1, "{err}");
        assert!(
            err.message
                .contains("\"Front-Desk\" is not a valid role name"),
            "{err}"
        );
        // Without a role that manages members and sees every client: refused.
        let base = without_roles();
        for roles in [
            "[roles.clinician]\nreads = [\"all\"]\nwrites = [\"all\"]\nclients = \"caseload\"\nmay = [\"members\"]\n",
            "[roles.admin]\nclients = \"all\"\nmay = [\"policy\"]\n",
            "[roles]\n",
        ] {
            let text = format!("{base}\n{roles}");
            let err = Policy::parse(&text).unwrap_err();
            assert!(
                err.message
                    .contains("the practice could never manage itself"),
                "{roles}: {err}"
            );
            assert_eq!(err.line, base.lines().count() + 2, "{roles}: {err}");
        }
        let text = format!("{base}\n[roles.admin]\nclients = \"all\"\nmay = [\"members\"]\n");
        let p = Policy::parse(&text).unwrap();
        assert_eq!(p.roles.len(), 1);
        assert!(p.roles[0].reads.is_empty());
    }

    #[test]
    fn record_compartment_names_are_not_categories() {
        for reserved in ["consents", "disclosures"] {
            let text = DEFAULT_POLICY.replace(
                "\"third-party\",\n]",
                &format!("\"third-party\", \"{reserved}\",\n]"),
            );
            let err = Policy::parse(&text).unwrap_err();
            assert!(err.message.contains("is reserved"), "{err}");
            assert_eq!(err.line, line_of(&format!("\"{reserved}\",\n]"), &text));
        }
    }
}
