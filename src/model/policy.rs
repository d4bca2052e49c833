//! Policy: the jurisdiction's categories, purposes, rules and exceptions, as a TOML
//! file, each rule with the law it comes from.
//!
//! The built-in default (`src/model/policy/default.toml`) gives the categories,
//! purposes and exceptions that the decision engine's rules (listed in
//! `crate::rules::decision`, and for users in README.md, "The rules") work with. The
//! jurisdiction packs (`src/model/policy/packs/`, [`packs`]) state a place's law, each
//! rule and exception with its citation; a pack may extend another (a state on the
//! federal baseline), and so may a practice's own file. A practice may replace the
//! policy; the vault keeps every version, with the packs it extends as they were, so
//! each decision can be re-explained under the policy in force when it was made.
//!
//! Invariant: a [`Policy`] value is always valid: every category, purpose, recipient
//! kind and exception it names is declared once, and every rule refers to declared
//! names. Parsing is the only way to get one.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::base::Date;
use crate::model::role::Role;

mod check;
mod file;

pub use file::PolicyError;
pub mod packs;
#[cfg(test)]
mod tests;

/// The built-in policy's TOML text.
pub const DEFAULT_POLICY: &str = include_str!("policy/default.toml");

/// The pseudo-category a consent may name to cover every category that needs no
/// explicit naming.
pub const ALL_CATEGORIES: &str = "all";

/// The kinds of recipient a policy knows when its file does not list its own.
pub const RECIPIENT_KINDS: &[&str] = &[
    "client",
    "victim",
    "law-enforcement",
    "medical",
    "child-protection",
    "adult-protection",
    "court",
    "public-health-authority",
    "county-mental-health-director",
    "health-plan",
    "parent-or-guardian",
    "legal-counsel",
    "supervisor",
    "training-program",
    "health-oversight",
    "coroner",
    "school",
    "family",
    "researcher",
    "other",
];

/// The rules of `[rules]` that `[citations.RULE]` may cite.
pub const RULE_KEYS: &[&str] = &[
    "sole-consent",
    "explicit-consent",
    "redisclosure-notice",
    "third-party",
    "client-request-purpose",
    "withheld-markers",
];

/// Whether the law requires a disclosure or only permits it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Force {
    /// The clinician may disclose.
    Permitted,
    /// The clinician must disclose (a mandatory report, a duty to warn).
    Required,
}

impl Force {
    /// The word used in decisions and listings.
    pub fn as_str(self) -> &'static str {
        match self {
            Force::Permitted => "permitted",
            Force::Required => "required",
        }
    }
}

/// Where a rule comes from, and what it says in a line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Citation {
    /// The law or guidance, e.g. `45 CFR 164.508(a)(2)`.
    pub citation: String,
    /// One plain line.
    pub summary: String,
}

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
    /// The kinds of recipient it may go to; empty: any.
    pub recipients: Vec<String>,
    /// Whether the law requires the disclosure or permits it.
    pub force: Force,
    /// The law it comes from.
    pub citation: Option<String>,
    /// What it says, in one plain line for the clinician.
    pub summary: Option<String>,
    /// True when it may release the sole-consent categories it lists (HIPAA's uses of
    /// psychotherapy notes without authorization, 45 CFR 164.508(a)(2)).
    pub releases_sole_consent: bool,
    /// True when a client's restriction (45 CFR 164.522(a)) does not stop it.
    pub overrides_restrictions: bool,
    /// True when a client's lockbox does not stop it (PHIPA s.40(1)).
    pub overrides_lockbox: bool,
    /// True for a court order under 42 CFR 2.64 or 2.65: the only way a Part 2
    /// program's record goes to a proceedings purpose.
    pub part2_order: bool,
    /// For a pack that extends another: why this exception may permit what the
    /// baseline's does not.
    pub beyond_baseline: Option<String>,
}

impl Exception {
    /// " (citation)" when the exception has one, for reasons.
    pub fn cited(&self) -> String {
        self.citation
            .as_deref()
            .map_or(String::new(), |c| format!(" ({c})"))
    }
}

/// 42 CFR Part 2: what applies to a client marked as a Part 2 program's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Part2 {
    /// The regulation, as amended.
    pub citation: String,
    /// One plain line.
    pub summary: String,
    /// The notice every disclosure of the client's information carries (42 CFR 2.32).
    pub notice: String,
    /// Where the notice comes from.
    pub notice_citation: String,
    /// The purposes the single consent for treatment, payment and operations covers.
    pub tpo_purposes: Vec<String>,
    /// Where that consent comes from (42 CFR 2.33(b)).
    pub tpo_citation: String,
    /// Purposes of proceedings: only a [`Exception::part2_order`] releases to them.
    pub proceedings_purposes: Vec<String>,
    /// Where that limit comes from.
    pub proceedings_citation: String,
    /// The category of SUD counseling notes (a sole-consent category).
    pub counseling_notes: Option<String>,
}

/// Restrictions a client requests (45 CFR 164.522(a)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RestrictionRules {
    /// The rule.
    pub citation: String,
    /// One plain line.
    pub summary: String,
    /// The rule that makes the practice agree to some restrictions.
    pub must_agree_citation: Option<String>,
    /// The purposes a must-agree (self-pay) restriction covers.
    pub must_agree_purposes: Vec<String>,
    /// The recipient kind a must-agree restriction keeps information from.
    pub must_agree_recipient_kind: Option<String>,
}

/// The client's lockbox (PHIPA): locked information is withheld, and the recipient is
/// told something was, not what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lockbox {
    /// The rule.
    pub citation: String,
    /// One plain line.
    pub summary: String,
    /// What the recipient of a disclosure that withholds locked information is told.
    pub notice: String,
    /// Where that notice comes from.
    pub notice_citation: String,
}

/// Who signs for a minor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Minors {
    /// The rule.
    pub citation: String,
    /// One plain line.
    pub summary: String,
    /// The age at which a client signs for themselves.
    pub age_of_majority: u8,
    /// The age from which a minor may consent to their own mental-health care, where
    /// the pack's law lets them.
    pub self_consent_age: Option<u8>,
    /// The law that lets them.
    pub self_consent_citation: Option<String>,
}

/// A length of time the law counts in days or in calendar months.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Term {
    /// So many days.
    Days(u16),
    /// So many calendar months: the same day of the month, or the month's last day
    /// when it has no such day (31 January + 1 month = 28 or 29 February).
    Months(u16),
}

impl Term {
    /// The day `self` after `from`, or `None` past the dates casevault keeps.
    pub fn after(self, from: Date) -> Option<Date> {
        match self {
            Term::Days(n) => from
                .0
                .checked_add(time::Duration::days(i64::from(n)))
                .map(Date),
            Term::Months(n) => {
                let months = i32::from(from.0.month() as u8) - 1 + i32::from(n);
                let year = from.0.year() + months.div_euclid(12);
                let month = time::Month::try_from((months.rem_euclid(12) + 1) as u8).ok()?;
                let last = time::util::days_in_month(month, year);
                time::Date::from_calendar_date(year, month, from.0.day().min(last))
                    .ok()
                    .map(Date)
            }
        }
    }
}

impl Term {
    /// `self` and then `more`, counted from the same day: 1 month and 2 more months
    /// are 3 months (31 January + 3 months = 30 April, not 28 April).
    pub fn then(self, more: Term) -> (Term, Option<Term>) {
        match (self, more) {
            (Term::Days(a), Term::Days(b)) => (Term::Days(a.saturating_add(b)), None),
            (Term::Months(a), Term::Months(b)) => (Term::Months(a.saturating_add(b)), None),
            (a, b) => (a, Some(b)),
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Days(1) => write!(f, "1 day"),
            Term::Days(n) => write!(f, "{n} days"),
            Term::Months(1) => write!(f, "1 month"),
            Term::Months(n) => write!(f, "{n} months"),
        }
    }
}

/// How long the practice has to answer one kind of request from a client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// From the day the request was received.
    pub term: Term,
    /// The one extension the law allows, with a written reason.
    pub extension: Option<Term>,
    /// Where the deadline comes from.
    pub citation: String,
}

/// Clients' rights: each kind of request's deadline, and how far back the accounting a
/// client is owed reaches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rights {
    /// The rules.
    pub citation: String,
    /// One plain line.
    pub summary: String,
    /// A request to inspect or copy the record.
    pub access: Option<Deadline>,
    /// A request to amend it.
    pub amendment: Option<Deadline>,
    /// A request for the accounting of disclosures.
    pub accounting: Option<Deadline>,
    /// A request to restrict uses and disclosures.
    pub restriction: Option<Deadline>,
    /// A request to be reached another way or at another place.
    pub confidential_communication: Option<Deadline>,
    /// How many years back the accounting a client is owed reaches (`None`: the law
    /// owes no accounting of disclosures).
    pub accounting_years: Option<u16>,
    /// Exceptions whose disclosures are for treatment, payment or operations, which
    /// the accounting a client is owed leaves out (HIPAA's emergency treatment,
    /// 164.506). Every other exception's disclosures are owed, whatever purpose was
    /// typed (164.512 disclosures are always accounted for).
    pub accounting_excludes_exceptions: Vec<String>,
    /// How many years back a Part 2 client's accounting of disclosures made with their
    /// consent reaches (42 CFR 2.24), where the policy has one.
    pub part2_accounting_years: Option<u16>,
}

/// How long records are kept after treatment ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Retention {
    /// The rule.
    pub citation: String,
    /// One plain line.
    pub summary: String,
    /// Years kept after the end of treatment.
    pub years_after_end: u16,
    /// For a client who was a minor: years kept after they come of age (the later of
    /// this and `years_after_end` applies).
    pub minor_years_after_majority: Option<u16>,
    /// For a client who was a minor: kept at least until this age.
    pub minor_until_age: Option<u16>,
    /// The reasons a record may be destroyed before its retention ends
    /// (`[retention.early.NAME]`), in the order written; none when the law allows none.
    pub early: Vec<EarlyDestruction>,
}

/// A reason the policy allows to destroy a client's record before its retention ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EarlyDestruction {
    /// Its name, given to `client destroy --reason`.
    pub reason: String,
    /// The rule that allows it.
    pub citation: String,
    /// When it applies, in one plain line.
    pub summary: String,
}

/// The text of a pack a policy extends, as it was when the policy was set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackText {
    /// The pack's name, e.g. `us-federal`.
    pub pack: String,
    /// Its TOML text.
    pub text: String,
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
    /// The pack this policy's file extends, if any.
    pub extends: Option<String>,
    /// The laws and guidance it draws on.
    pub sources: Vec<String>,
    /// The categories note sections and consents may name.
    pub categories: Vec<String>,
    /// The purposes a disclosure may have.
    pub purposes: Vec<String>,
    /// The kinds of recipient a disclosure may name.
    pub recipient_kinds: Vec<String>,
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
    /// Each rule's citation (`[citations.RULE]`), by the rule's key.
    pub citations: BTreeMap<String, Citation>,
    /// The legal exceptions.
    pub exceptions: Vec<Exception>,
    /// 42 CFR Part 2, where the policy applies it.
    pub part2: Option<Part2>,
    /// Client-requested restrictions, where the policy has them.
    pub restrictions: Option<RestrictionRules>,
    /// The client's lockbox, where the policy has one.
    pub lockbox: Option<Lockbox>,
    /// Who signs for minors, where the policy says.
    pub minors: Option<Minors>,
    /// Clients' rights and their deadlines, where the policy says.
    pub rights: Option<Rights>,
    /// How long records are kept, where the policy says.
    pub retention: Option<Retention>,
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
    /// The packs it extends, root first, as they were read.
    #[serde(skip)]
    pub bases: Vec<PackText>,
}

/// How deep packs may extend each other.
const MAX_CHAIN: usize = 8;

impl Policy {
    /// The built-in default policy.
    pub fn default_policy() -> Policy {
        Policy::parse(DEFAULT_POLICY).expect("the built-in policy is valid (tested)")
    }

    /// Reads and validates a policy file, with the built-in packs it extends. Errors
    /// name the line (and the pack, when the mistake is in one) and the problem.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        Policy::parse_with(text, |id| packs::text(id).map(str::to_owned))
    }

    /// Reads a stored policy with the packs' texts stored beside it (as they were
    /// when it was set, whatever this build's packs say now).
    pub fn parse_stored(text: &str, bases: &[PackText]) -> Result<Policy, PolicyError> {
        Policy::parse_with(text, |id| {
            bases.iter().find(|b| b.pack == id).map(|b| b.text.clone())
        })
    }

    /// The built-in pack `id` as a policy.
    pub fn pack(id: &str) -> Option<Result<Policy, PolicyError>> {
        packs::text(id).map(Policy::parse)
    }

    fn parse_with(
        text: &str,
        resolve: impl Fn(&str) -> Option<String>,
    ) -> Result<Policy, PolicyError> {
        let mut lines = file::Lines::new();
        // The chain, the given file first, then each pack it extends: a file names
        // the next only once it is read.
        let mut chain: Vec<(Option<String>, String, file::PolicyFile)> = Vec::new();
        let mut next = Some((None, text.to_owned()));
        while let Some((pack, body)) = next.take() {
            let read = lines.read(pack.clone(), body.clone())?;
            if let Some(base) = &read.extends {
                let id = base.get_ref();
                let seen = pack.as_deref() == Some(id.as_str())
                    || chain
                        .iter()
                        .any(|(p, _, _)| p.as_deref() == Some(id.as_str()));
                if seen || chain.len() + 2 > MAX_CHAIN {
                    return Err(lines.err(
                        base.span().start,
                        format!("extends: {id:?} makes a loop, or a chain deeper than {MAX_CHAIN}"),
                    ));
                }
                let text = resolve(id).ok_or_else(|| {
                    lines.err(
                        base.span().start,
                        format!(
                            "extends: there is no pack {id:?}; the packs are: {}",
                            packs::ids().join(", ")
                        ),
                    )
                })?;
                next = Some((Some(id.clone()), text));
            } else if let Some(first) = read.without_exceptions.as_ref().and_then(|w| w.first()) {
                return Err(lines.err(
                    first.span().start,
                    "without-exceptions: only a file that extends a pack can drop its exceptions",
                ));
            }
            chain.push((pack, body, read));
        }
        let extends = chain[0].2.extends.as_ref().map(|e| e.get_ref().clone());
        let named = chain[0].2.name.is_some();
        let mut bases = Vec::new();
        let mut merged: Option<file::PolicyFile> = None;
        let mut own_text = String::new();
        for (pack, body, read) in chain.into_iter().rev() {
            merged = Some(match merged {
                None => read,
                Some(base) => file::merge(&lines, base, read)?,
            });
            match pack {
                Some(pack) => bases.push(PackText { pack, text: body }),
                None => own_text = body,
            }
        }
        let merged = merged.expect("the chain holds at least the file given");
        let mut policy = check::build(&lines, merged)?;
        if !named {
            // Decisions name the policy they were made under: a practice's file goes
            // by its own name, never the pack's.
            return Err(lines.err(
                lines.start_of_own(),
                "name is missing: give the policy a name of its own (name = \"…\")",
            ));
        }
        policy.extends = extends;
        policy.source = own_text;
        policy.bases = bases;
        Ok(policy)
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
