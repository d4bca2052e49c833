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

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::base::Date;
use crate::model::category::UNHEADED_CATEGORY;

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
}
