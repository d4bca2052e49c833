//! A practice: its members (the roster), who is assigned to which client (the
//! caseload), and who holds which compartment's key.
//!
//! A **compartment** is what one data key opens: the practice's shared records, the
//! audit trail's details, one client's category or record compartment, or one
//! author's psychotherapy notes about one client. [`holders`] says, from the policy's
//! roles, the roster and the caseload, which members are entitled to a compartment's
//! key on a given day; the vault wraps the key to exactly those members.
//!
//! Invariant: pure. Nothing here reads a key, a clock or a row: "today" is an argument.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::base::{ClientId, Date, Timestamp};
use crate::model::policy::Policy;
use crate::model::role::{
    CONSENTS, ClientScope, DISCLOSURES, PSYCHOTHERAPY_NOTES, Permission, Role,
};

/// The longest a member's name may be, in bytes (and characters: names are ASCII).
pub const MAX_MEMBER_NAME: usize = 32;

/// A member of the practice, as the roster lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// The member's name, unique in the practice for ever ([`valid_member_name`]).
    pub name: String,
    /// The name of their role in the policy.
    pub role: String,
    /// Their age X25519 recipient (`age1…`): compartment keys are wrapped to it.
    pub x25519: String,
    /// Their Ed25519 public key, in hexadecimal: it verifies what they sign.
    pub ed25519: String,
    /// When they were added.
    pub added: Timestamp,
    /// When they were removed, if they were. A removed member holds nothing.
    pub removed: Option<Timestamp>,
    /// The audit event that removed them: their key verifies only events before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_at_seq: Option<u64>,
    /// Their earlier roles, oldest first: (the event that ended it, the role). What
    /// they wrote is checked against the role they had when they wrote it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_roles: Vec<(u64, String)>,
}

impl Member {
    /// Their role at audit event `seq`.
    pub fn role_at(&self, seq: u64) -> &str {
        self.previous_roles
            .iter()
            .find(|(until, _)| seq < *until)
            .map_or(self.role.as_str(), |(_, role)| role.as_str())
    }
}

impl Member {
    /// True unless the member was removed.
    pub fn is_active(&self) -> bool {
        self.removed.is_none()
    }
}

/// Checks a member's name: 1 to 32 characters, lowercase ASCII letters, digits, `.`,
/// `_` and `-`, the first a letter or digit. Anything else (Unicode, uppercase,
/// spaces) is refused rather than folded: two names that look alike must not both
/// be possible.
pub fn valid_member_name(name: &str) -> Result<(), String> {
    const RULE: &str = "a member name is 1 to 32 characters: lowercase letters a-z, digits, \
                        '.', '_' and '-', starting with a letter or digit";
    let bytes = name.as_bytes();
    let first_ok = matches!(bytes.first(), Some(b) if b.is_ascii_lowercase() || b.is_ascii_digit());
    let rest_ok = bytes
        .iter()
        .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    if first_ok && rest_ok && bytes.len() <= MAX_MEMBER_NAME {
        Ok(())
    } else {
        Err(format!("{name:?} is not a valid member name: {RULE}"))
    }
}

/// The practice's members, past and present, and the key epoch they belong to.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roster {
    /// The key epoch: it starts anew whenever a member is removed or a role narrowed.
    pub epoch: u32,
    /// The practice's naming key, opaque here and kept exactly as given.
    pub naming_key: String,
    /// Every member ever added, removed ones included (names are never reused).
    pub members: Vec<Member>,
    /// The public half (`age1…`) of the key the audit trail's details are sealed to
    /// for the members whose role reviews the trail, in this epoch.
    #[serde(default)]
    pub audit_recipient: String,
}

impl Roster {
    /// The members who have not been removed.
    pub fn active(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.is_active())
    }

    /// The active member called `name`.
    pub fn member(&self, name: &str) -> Option<&Member> {
        self.active().find(|m| m.name == name)
    }

    /// The member called `name`, removed or not: a name once used stays taken.
    pub fn ever(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }
}

impl fmt::Debug for Roster {
    // The naming key is left out: Debug output ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Roster")
            .field("epoch", &self.epoch)
            .field(
                "naming_key",
                &format_args!("<{} bytes>", self.naming_key.len()),
            )
            .field("members", &self.members)
            .field("audit_recipient", &self.audit_recipient)
            .finish()
    }
}

/// One member assigned to one client, until a day or for as long as it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// The member's name.
    pub member: String,
    /// The client.
    pub client: ClientId,
    /// The last day of the assignment (it ends at the end of that day); none for an
    /// open-ended one.
    pub until: Option<Date>,
}

impl Assignment {
    /// True when the assignment stands on `today`.
    pub fn stands_on(&self, today: Date) -> bool {
        self.until.is_none_or(|until| today <= until)
    }
}

/// Who is assigned to which client: what a role with `clients = "caseload"` sees.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Caseload {
    /// The assignments, expired ones included.
    pub assignments: Vec<Assignment>,
}

impl Caseload {
    /// True when `member` is assigned to `client` on `today` (an assignment's `until`
    /// day included).
    pub fn assigned(&self, member: &str, client: &ClientId, today: Date) -> bool {
        self.assignments
            .iter()
            .any(|a| a.member == member && &a.client == client && a.stands_on(today))
    }
}

/// What one data key opens.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Compartment {
    /// The practice's shared records (the roster, the policy, the caseload): every
    /// active member holds it.
    Practice,
    /// The audit events' details: members whose role may `audit-review` hold it.
    Audit,
    /// One client's category, or one of their record compartments
    /// ([`CONSENTS`], [`DISCLOSURES`]). Never the psychotherapy-notes category: that
    /// is [`Compartment::PsychotherapyNotes`].
    Client {
        /// The client.
        client: ClientId,
        /// The category's name, `consents` or `disclosures`.
        name: String,
    },
    /// The psychotherapy notes one author wrote about one client: only the author
    /// holds it.
    PsychotherapyNotes {
        /// The client.
        client: ClientId,
        /// The member who wrote them.
        author: String,
    },
}

impl Compartment {
    /// The compartment's stable name: `practice`, `audit`, `client/<id>/<name>` or
    /// `pn/<id>/<author>`. Client ids, compartment names and member names hold no
    /// `/`, so a label names one compartment.
    pub fn label(&self) -> String {
        match self {
            Compartment::Practice => "practice".to_owned(),
            Compartment::Audit => "audit".to_owned(),
            Compartment::Client { client, name } => format!("client/{client}/{name}"),
            Compartment::PsychotherapyNotes { client, author } => format!("pn/{client}/{author}"),
        }
    }

    /// Reads a label written by [`Compartment::label`]; `None` for anything else.
    pub fn from_label(label: &str) -> Option<Compartment> {
        let part = |s: &str| (!s.is_empty() && !s.contains('/')).then(|| s.to_owned());
        match label {
            "practice" => return Some(Compartment::Practice),
            "audit" => return Some(Compartment::Audit),
            _ => {}
        }
        let (kind, rest) = label.split_once('/')?;
        let (client, last) = rest.split_once('/')?;
        let client = ClientId::from(part(client)?);
        match kind {
            "client" => Some(Compartment::Client {
                client,
                name: part(last)?,
            }),
            "pn" => Some(Compartment::PsychotherapyNotes {
                client,
                author: part(last)?,
            }),
            _ => None,
        }
    }
}

impl fmt::Display for Compartment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// The role of `member` if they are active and the policy declares it.
fn active_role<'p>(policy: &'p Policy, roster: &Roster, member: &str) -> Option<&'p Role> {
    policy.role(&roster.member(member)?.role)
}

/// True when a member with `role` sees `client` on `today`.
fn sees(role: &Role, caseload: &Caseload, member: &str, client: &ClientId, today: Date) -> bool {
    match role.clients {
        ClientScope::All => true,
        ClientScope::Caseload => caseload.assigned(member, client, today),
    }
}

/// The active members entitled to `compartment`'s key on `today`, by name, sorted.
///
/// - [`Compartment::Practice`]: every active member.
/// - [`Compartment::Audit`]: those whose role may `audit-review`.
/// - [`Compartment::Client`]: those whose role reads the compartment's name and who
///   see the client (`clients = "all"`, or the client assigned to them on `today`).
///   Nobody for the psychotherapy-notes category, which is kept per author.
/// - [`Compartment::PsychotherapyNotes`]: the author alone, if active, their role
///   reads psychotherapy-notes and they see the client.
///
/// A removed member, or one whose role the policy does not declare, holds nothing but
/// (if active) the practice compartment.
pub fn holders(
    policy: &Policy,
    roster: &Roster,
    caseload: &Caseload,
    compartment: &Compartment,
    today: Date,
) -> Vec<String> {
    let entitled = |member: &Member| -> bool {
        let role = || policy.role(&member.role);
        match compartment {
            Compartment::Practice => true,
            Compartment::Audit => role().is_some_and(|r| r.may(Permission::AuditReview)),
            Compartment::Client { client, name } => {
                name != PSYCHOTHERAPY_NOTES
                    && role().is_some_and(|r| {
                        r.can_read(name) && sees(r, caseload, &member.name, client, today)
                    })
            }
            Compartment::PsychotherapyNotes { client, author } => {
                &member.name == author
                    && role().is_some_and(|r| {
                        r.can_read(PSYCHOTHERAPY_NOTES)
                            && sees(r, caseload, &member.name, client, today)
                    })
            }
        }
    };
    let mut names: Vec<String> = roster
        .active()
        .filter(|m| entitled(m))
        .map(|m| m.name.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A client's compartments that exist from the start: each of the policy's categories
/// but psychotherapy-notes, then [`CONSENTS`] and [`DISCLOSURES`]. Psychotherapy-notes
/// compartments are per author, made when an author first needs one.
pub fn compartments_of_client(policy: &Policy, client: &ClientId) -> Vec<Compartment> {
    policy
        .categories
        .iter()
        .map(String::as_str)
        .filter(|c| *c != PSYCHOTHERAPY_NOTES)
        .chain([CONSENTS, DISCLOSURES])
        .map(|name| Compartment::Client {
            client: client.clone(),
            name: name.to_owned(),
        })
        .collect()
}

/// True when `member` is active and their role has `permission`
/// ([`Role::may`]: `disclose` includes `payment-disclosures`).
pub fn may(policy: &Policy, roster: &Roster, member: &str, permission: Permission) -> bool {
    active_role(policy, roster, member).is_some_and(|r| r.may(permission))
}

/// True when `member` is active and their role writes the compartment called `name`
/// (a category, `consents` or `disclosures`). Which clients' compartments they hold
/// is [`holders`]' to say.
pub fn can_write(policy: &Policy, roster: &Roster, member: &str, name: &str) -> bool {
    active_role(policy, roster, member).is_some_and(|r| r.can_write(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn member(name: &str, role: &str) -> Member {
        Member {
            name: name.into(),
            role: role.into(),
            x25519: format!("age1{name}"),
            ed25519: "00".repeat(32),
            added: "2026-01-01T09:00:00Z".parse().unwrap(),
            removed: None,
            removed_at_seq: None,
            previous_roles: Vec::new(),
        }
    }

    const TODAY: &str = "2026-03-10";

    /// One member per default role, each assigned to client `a1` and not to `b2`.
    fn practice() -> (Policy, Roster, Caseload) {
        let policy = Policy::default_policy();
        let roles = ["owner", "clinician", "supervisor", "biller", "records"];
        let roster = Roster {
            epoch: 1,
            naming_key: "opaque".into(),
            members: roles.iter().map(|r| member(&format!("m-{r}"), r)).collect(),
            audit_recipient: String::new(),
        };
        let caseload = Caseload {
            assignments: roles
                .iter()
                .map(|r| Assignment {
                    member: format!("m-{r}"),
                    client: "a1".into(),
                    until: None,
                })
                .collect(),
        };
        (policy, roster, caseload)
    }

    /// The compartment names of `client` that `member` holds.
    fn held(
        (policy, roster, caseload): &(Policy, Roster, Caseload),
        member: &str,
        client: &str,
    ) -> Vec<String> {
        compartments_of_client(policy, &client.into())
            .into_iter()
            .filter(|c| {
                holders(policy, roster, caseload, c, day(TODAY))
                    .iter()
                    .any(|h| h == member)
            })
            .map(|c| match c {
                Compartment::Client { name, .. } => name,
                other => panic!("{other}"),
            })
            .collect()
    }

    #[test]
    fn each_default_role_holds_what_the_table_says() {
        let p = practice();
        let all_but_pn = [
            "identity",
            "attendance",
            "diagnosis",
            "treatment-plan",
            "progress",
            "medication",
            "risk",
            "substance-use",
            "sexual-health",
            "third-party",
            "consents",
            "disclosures",
        ];
        let supervisor = [
            "identity",
            "attendance",
            "diagnosis",
            "treatment-plan",
            "progress",
            "medication",
            "risk",
            "sexual-health",
            "third-party",
            "consents",
        ];
        let biller = [
            "identity",
            "attendance",
            "diagnosis",
            "consents",
            "disclosures",
        ];
        // role, assigned client a1, unassigned client b2
        let table: [(&str, &[&str], &[&str]); 5] = [
            ("owner", &all_but_pn, &all_but_pn),
            ("clinician", &all_but_pn, &[]),
            ("supervisor", &supervisor, &[]),
            ("biller", &biller, &biller),
            ("records", &all_but_pn, &all_but_pn),
        ];
        for (role, assigned, unassigned) in table {
            let name = format!("m-{role}");
            assert_eq!(held(&p, &name, "a1"), assigned, "{role}, assigned");
            assert_eq!(held(&p, &name, "b2"), unassigned, "{role}, unassigned");
        }
        let (policy, roster, caseload) = &p;
        let today = day(TODAY);
        let mut every: Vec<String> = roster.active().map(|m| m.name.clone()).collect();
        every.sort();
        assert_eq!(
            holders(policy, roster, caseload, &Compartment::Practice, today),
            every
        );
        assert_eq!(
            holders(policy, roster, caseload, &Compartment::Audit, today),
            ["m-owner", "m-records"]
        );
        // The category itself is kept per author: nobody holds it as a client compartment.
        let pn = Compartment::Client {
            client: "a1".into(),
            name: PSYCHOTHERAPY_NOTES.into(),
        };
        assert!(holders(policy, roster, caseload, &pn, today).is_empty());
    }

    #[test]
    fn psychotherapy_notes_only_for_their_author() {
        let (policy, roster, caseload) = practice();
        let today = day(TODAY);
        let pn = |client: &str, author: &str| Compartment::PsychotherapyNotes {
            client: client.into(),
            author: author.into(),
        };
        for author in ["m-clinician", "m-owner"] {
            let c = pn("a1", author);
            assert_eq!(holders(&policy, &roster, &caseload, &c, today), [author]);
        }
        // The owner's role reads psychotherapy-notes, but not another author's.
        // Roles that do not read the category hold not even their own.
        for author in ["m-supervisor", "m-biller", "m-records", "nobody"] {
            let c = pn("a1", author);
            assert!(
                holders(&policy, &roster, &caseload, &c, today).is_empty(),
                "{author}"
            );
        }
        // A clinician's own notes about a client no longer on their caseload: nobody.
        let c = pn("b2", "m-clinician");
        assert!(holders(&policy, &roster, &caseload, &c, today).is_empty());
    }

    #[test]
    fn removed_members_hold_nothing() {
        let (policy, mut roster, caseload) = practice();
        for m in &mut roster.members {
            m.removed = Some("2026-02-01T09:00:00Z".parse().unwrap());
        }
        let today = day(TODAY);
        let mut all = compartments_of_client(&policy, &"a1".into());
        all.extend([
            Compartment::Practice,
            Compartment::Audit,
            Compartment::PsychotherapyNotes {
                client: "a1".into(),
                author: "m-clinician".into(),
            },
        ]);
        for c in &all {
            assert!(
                holders(&policy, &roster, &caseload, c, today).is_empty(),
                "{c}"
            );
        }
        assert!(roster.member("m-owner").is_none());
        assert!(roster.ever("m-owner").is_some());
        assert!(!may(&policy, &roster, "m-owner", Permission::Members));
        assert!(!can_write(&policy, &roster, "m-owner", "progress"));
    }

    #[test]
    fn an_assignment_ends_at_the_end_of_its_until_day() {
        let (policy, roster, mut caseload) = practice();
        let progress = Compartment::Client {
            client: "a1".into(),
            name: "progress".into(),
        };
        for a in &mut caseload.assignments {
            a.until = Some(day("2026-03-09"));
        }
        let holds = |caseload: &Caseload, today: &str| {
            holders(&policy, &roster, caseload, &progress, day(today))
                .contains(&"m-clinician".to_owned())
        };
        assert!(holds(&caseload, "2026-03-09"), "until = today still holds");
        assert!(
            !holds(&caseload, "2026-03-10"),
            "until yesterday holds nothing"
        );
        // Roles that see every client are not affected.
        let h = holders(&policy, &roster, &caseload, &progress, day("2026-03-10"));
        assert_eq!(h, ["m-owner", "m-records"]);
    }

    #[test]
    fn permissions_and_writes_follow_the_role() {
        let (policy, roster, _) = practice();
        assert!(may(&policy, &roster, "m-owner", Permission::Members));
        assert!(may(
            &policy,
            &roster,
            "m-biller",
            Permission::PaymentDisclosures
        ));
        assert!(!may(&policy, &roster, "m-biller", Permission::Disclose));
        assert!(!may(
            &policy,
            &roster,
            "m-supervisor",
            Permission::WriteNotes
        ));
        assert!(may(
            &policy,
            &roster,
            "m-records",
            Permission::ApproveEmergency
        ));
        assert!(!may(&policy, &roster, "stranger", Permission::WriteNotes));
        assert!(can_write(&policy, &roster, "m-clinician", "risk"));
        assert!(can_write(&policy, &roster, "m-biller", "disclosures"));
        assert!(!can_write(&policy, &roster, "m-biller", "identity"));
        assert!(!can_write(&policy, &roster, "m-supervisor", "consents"));
        assert!(can_write(&policy, &roster, "m-records", "consents"));
    }

    #[test]
    fn member_names_fail_closed() {
        for ok in ["dr-rivera", "a", "j.smith_2", "9lives", &"a".repeat(32)] {
            assert_eq!(valid_member_name(ok), Ok(()), "{ok:?}");
        }
        for bad in [
            "",
            "Dr-Rivera",
            "dr rivera",
            "-x",
            ".x",
            "_x",
            "josé",
            "dr\u{202e}x",
            "a/b",
            &"a".repeat(33),
        ] {
            let err = valid_member_name(bad).unwrap_err();
            assert!(err.contains("lowercase letters a-z"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn labels_are_stable_and_read_back() {
        let cases = [
            (Compartment::Practice, "practice"),
            (Compartment::Audit, "audit"),
            (
                Compartment::Client {
                    client: "8b3ac338".into(),
                    name: "consents".into(),
                },
                "client/8b3ac338/consents",
            ),
            (
                Compartment::PsychotherapyNotes {
                    client: "8b3ac338".into(),
                    author: "dr-rivera".into(),
                },
                "pn/8b3ac338/dr-rivera",
            ),
        ];
        for (c, label) in cases {
            assert_eq!(c.label(), label);
            assert_eq!(c.to_string(), label);
            assert_eq!(Compartment::from_label(label), Some(c));
        }
        for bad in [
            "",
            "client/a1",
            "client//x",
            "client/a1/x/y",
            "pn/a1/",
            "other/a/b",
        ] {
            assert_eq!(Compartment::from_label(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn roster_round_trips_and_hides_its_naming_key_from_debug() {
        let (_, roster, caseload) = practice();
        let json = serde_json::to_string(&roster).unwrap();
        assert_eq!(serde_json::from_str::<Roster>(&json).unwrap(), roster);
        assert!(!format!("{roster:?}").contains("opaque"));
        let json = serde_json::to_string(&caseload).unwrap();
        assert_eq!(serde_json::from_str::<Caseload>(&json).unwrap(), caseload);
        // Fields a later version adds are refused, not ignored.
        let extra = json.replacen("{", "{\"suspended\":true,", 1);
        assert!(serde_json::from_str::<Caseload>(&extra).is_err());
    }
}
