//! A policy file as written: its TOML read with every value's place kept, and a file
//! that extends a pack merged onto it.
//!
//! Every file of a chain (a pack, the packs it extends, a practice's own file) is read
//! at its own offset in one numbering, so a value's span says which file it came from
//! and [`Lines`] turns it into "pack us-federal, line 12" or "line 12". Merging keeps
//! those spans, so a mistake is reported where it was written.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use toml::Spanned;

/// A list of names as written, with its place and each item's.
pub(super) type SpannedNames = Spanned<Vec<Spanned<String>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct PolicyFile {
    pub(super) name: Option<Spanned<String>>,
    pub(super) description: Option<String>,
    pub(super) effective: Option<Spanned<toml::value::Datetime>>,
    pub(super) extends: Option<Spanned<String>>,
    pub(super) sources: Option<Vec<String>>,
    pub(super) without_exceptions: Option<Vec<Spanned<String>>>,
    pub(super) recipient_kinds: Option<SpannedNames>,
    pub(super) categories: Option<SpannedNames>,
    pub(super) purposes: Option<SpannedNames>,
    pub(super) rules: Option<Spanned<RulesFile>>,
    pub(super) citations: Option<BTreeMap<Spanned<String>, Spanned<CitationFile>>>,
    #[serde(default, rename = "exception")]
    pub(super) exceptions: Vec<Spanned<ExceptionFile>>,
    pub(super) roles: Option<Spanned<BTreeMap<Spanned<String>, Spanned<RoleFile>>>>,
    pub(super) part2: Option<Spanned<Part2File>>,
    pub(super) restrictions: Option<Spanned<RestrictionsFile>>,
    pub(super) lockbox: Option<Spanned<LockboxFile>>,
    pub(super) minors: Option<Spanned<MinorsFile>>,
    pub(super) rights: Option<Spanned<RightsFile>>,
    pub(super) retention: Option<Spanned<RetentionFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RoleFile {
    #[serde(default)]
    pub(super) reads: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) writes: Vec<Spanned<String>>,
    pub(super) clients: Spanned<String>,
    #[serde(default)]
    pub(super) may: Vec<Spanned<String>>,
}

/// The `[rules]` table; each key is merged on its own over a base's.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RulesFile {
    pub(super) sole_consent: Option<Vec<Spanned<String>>>,
    pub(super) explicit_consent: Option<Vec<Spanned<String>>>,
    pub(super) redisclosure_notice: Option<String>,
    pub(super) third_party: Option<Spanned<String>>,
    pub(super) client_request_purpose: Option<Spanned<String>>,
    pub(super) withheld_markers: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CitationFile {
    pub(super) citation: String,
    pub(super) summary: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct ExceptionFile {
    pub(super) kind: Spanned<String>,
    #[serde(default)]
    pub(super) releases: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) releases_what_order_names: bool,
    #[serde(default)]
    pub(super) requires_reference: bool,
    #[serde(default)]
    pub(super) releases_subject: bool,
    pub(super) denial: Option<String>,
    pub(super) description: String,
    #[serde(default)]
    pub(super) recipients: Vec<Spanned<String>>,
    pub(super) force: Option<Spanned<String>>,
    pub(super) citation: Option<String>,
    pub(super) summary: Option<String>,
    #[serde(default)]
    pub(super) releases_sole_consent: bool,
    #[serde(default)]
    pub(super) overrides_restrictions: bool,
    #[serde(default)]
    pub(super) overrides_lockbox: bool,
    #[serde(default)]
    pub(super) part2_order: bool,
    pub(super) beyond_baseline: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct Part2File {
    pub(super) citation: String,
    pub(super) summary: String,
    pub(super) notice: String,
    pub(super) notice_citation: String,
    pub(super) tpo_purposes: Vec<Spanned<String>>,
    pub(super) tpo_citation: String,
    pub(super) proceedings_purposes: Vec<Spanned<String>>,
    pub(super) proceedings_citation: String,
    pub(super) counseling_notes: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RestrictionsFile {
    pub(super) citation: String,
    pub(super) summary: String,
    pub(super) must_agree_citation: Option<String>,
    #[serde(default)]
    pub(super) must_agree_purposes: Vec<Spanned<String>>,
    pub(super) must_agree_recipient_kind: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct LockboxFile {
    pub(super) citation: String,
    pub(super) summary: String,
    pub(super) notice: String,
    pub(super) notice_citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct MinorsFile {
    pub(super) citation: String,
    pub(super) summary: String,
    pub(super) age_of_majority: Spanned<i64>,
    pub(super) self_consent_age: Option<Spanned<i64>>,
    pub(super) self_consent_citation: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RightsFile {
    pub(super) citation: String,
    pub(super) summary: String,
    pub(super) access: Option<Spanned<DeadlineFile>>,
    pub(super) amendment: Option<Spanned<DeadlineFile>>,
    pub(super) accounting: Option<Spanned<DeadlineFile>>,
    pub(super) restriction: Option<Spanned<DeadlineFile>>,
    pub(super) confidential_communication: Option<Spanned<DeadlineFile>>,
    pub(super) accounting_years: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) accounting_excludes_exceptions: Vec<Spanned<String>>,
    pub(super) part2_accounting_years: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct DeadlineFile {
    pub(super) days: Option<Spanned<i64>>,
    pub(super) months: Option<Spanned<i64>>,
    pub(super) extension_days: Option<Spanned<i64>>,
    pub(super) extension_months: Option<Spanned<i64>>,
    pub(super) citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RetentionFile {
    pub(super) citation: String,
    pub(super) summary: String,
    pub(super) years_after_end: Spanned<i64>,
    pub(super) minor_years_after_majority: Option<Spanned<i64>>,
    pub(super) minor_until_age: Option<Spanned<i64>>,
    /// Reasons a record may be destroyed before its retention ends, by name.
    pub(super) early: Option<BTreeMap<Spanned<String>, Spanned<CitationFile>>>,
}

/// One file of a chain: the pack it is (`None` for the file given), its text and
/// where its offsets start.
struct Segment {
    pack: Option<String>,
    start: usize,
    text: String,
}

/// Turns an offset in the chain's numbering into the file and line it is on.
pub(super) struct Lines {
    segments: Vec<Segment>,
}

impl Lines {
    pub(super) fn new() -> Self {
        Lines {
            segments: Vec::new(),
        }
    }

    /// Reads one file of the chain at the next free offset.
    pub(super) fn read(
        &mut self,
        pack: Option<String>,
        text: String,
    ) -> Result<PolicyFile, PolicyError> {
        let start = self
            .segments
            .last()
            .map_or(0, |s| s.start + s.text.len() + 1);
        // Leading spaces are insignificant in TOML: they only move every span to this
        // file's place in the numbering.
        let mut shifted = " ".repeat(start);
        shifted.push_str(&text);
        self.segments.push(Segment { pack, start, text });
        toml::from_str(&shifted).map_err(|e| {
            let offset = e.span().map_or(start, |s| s.start);
            self.err(offset, e.message().trim())
        })
    }

    /// The error at `offset`, naming the pack it is in when it is not the file given.
    pub(super) fn err(&self, offset: usize, message: impl std::fmt::Display) -> PolicyError {
        let segment = self
            .segments
            .iter()
            .rev()
            .find(|s| s.start <= offset)
            .or(self.segments.first());
        let (pack, line) = match segment {
            Some(s) => {
                let end = (offset - s.start.min(offset)).min(s.text.len());
                let line = s.text.as_bytes()[..end]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1;
                (s.pack.clone(), line)
            }
            None => (None, 1),
        };
        PolicyError {
            line,
            message: message.to_string(),
            pack,
        }
    }

    /// The start of the file given (the last one read), for mistakes of the whole.
    pub(super) fn start_of_own(&self) -> usize {
        self.segments
            .iter()
            .find(|s| s.pack.is_none())
            .map_or(0, |s| s.start)
    }
}

/// `child` over `base`: the child's values win; rules and citations key by key;
/// exceptions by kind (the child's replaces the base's of the same kind, new kinds
/// follow), less those the child drops with `without-exceptions`.
pub(super) fn merge(
    lines: &Lines,
    base: PolicyFile,
    child: PolicyFile,
) -> Result<PolicyFile, PolicyError> {
    let mut exceptions = base.exceptions;
    if let Some(drop) = &child.without_exceptions {
        for (i, kind) in drop.iter().enumerate() {
            if drop[..i].iter().any(|k| k.get_ref() == kind.get_ref()) {
                return Err(lines.err(
                    kind.span().start,
                    format!("without-exceptions: {:?} is listed twice", kind.get_ref()),
                ));
            }
            let before = exceptions.len();
            exceptions.retain(|e| e.get_ref().kind.get_ref() != kind.get_ref());
            if exceptions.len() == before {
                return Err(lines.err(
                    kind.span().start,
                    format!(
                        "without-exceptions: the pack extended has no exception {:?}",
                        kind.get_ref()
                    ),
                ));
            }
        }
    }
    for e in child.exceptions {
        let kind = e.get_ref().kind.get_ref().clone();
        match exceptions
            .iter_mut()
            .find(|x| *x.get_ref().kind.get_ref() == kind)
        {
            Some(slot) => *slot = e,
            None => exceptions.push(e),
        }
    }
    let rules = match (base.rules, child.rules) {
        (Some(b), Some(c)) => {
            let span = c.span();
            let (b, c) = (b.into_inner(), c.into_inner());
            Some(Spanned::new(
                span,
                RulesFile {
                    sole_consent: c.sole_consent.or(b.sole_consent),
                    explicit_consent: c.explicit_consent.or(b.explicit_consent),
                    redisclosure_notice: c.redisclosure_notice.or(b.redisclosure_notice),
                    third_party: c.third_party.or(b.third_party),
                    client_request_purpose: c.client_request_purpose.or(b.client_request_purpose),
                    withheld_markers: c.withheld_markers.or(b.withheld_markers),
                },
            ))
        }
        (b, c) => c.or(b),
    };
    let citations = match (base.citations, child.citations) {
        (Some(mut b), Some(c)) => {
            for (key, value) in c {
                b.retain(|k, _| k.get_ref() != key.get_ref());
                b.insert(key, value);
            }
            Some(b)
        }
        (b, c) => c.or(b),
    };
    Ok(PolicyFile {
        name: child.name.or(base.name),
        description: child.description.or(base.description),
        effective: child.effective.or(base.effective),
        extends: child.extends,
        sources: child.sources.or(base.sources),
        without_exceptions: None,
        recipient_kinds: child.recipient_kinds.or(base.recipient_kinds),
        categories: child.categories.or(base.categories),
        purposes: child.purposes.or(base.purposes),
        rules,
        citations,
        exceptions,
        roles: child.roles.or(base.roles),
        part2: child.part2.or(base.part2),
        restrictions: child.restrictions.or(base.restrictions),
        lockbox: child.lockbox.or(base.lockbox),
        minors: child.minors.or(base.minors),
        rights: child.rights.or(base.rights),
        retention: child.retention.or(base.retention),
    })
}

/// A policy file that cannot be used: where, and what is wrong. Fields may be added
/// (a column, say).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct PolicyError {
    /// The 1-based line of the mistake.
    pub line: usize,
    /// What is wrong.
    pub message: String,
    /// The built-in pack the mistake is in, when it is not in the file given.
    pub pack: Option<String>,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pack {
            Some(pack) => write!(f, "pack {pack}, line {}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}
