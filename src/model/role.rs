//! Roles: what a member of the practice may read, write and do, as the policy declares
//! them.
//!
//! A role names **compartments** by their names: each of the policy's categories, and
//! the two record compartments [`CONSENTS`] (consents and intake acknowledgements) and
//! [`DISCLOSURES`] (disclosure decisions and accounting entries). Which member holds
//! which client's compartment follows from the role together with the caseload
//! (`crate::model::practice`).
//!
//! Psychotherapy notes are not a role setting: a role that reads
//! [`PSYCHOTHERAPY_NOTES`] reads only the psychotherapy notes its own member wrote. That
//! compartment is per client *and* author, so no role, the owner's included, opens
//! another clinician's psychotherapy notes.
//!
//! Invariant: plain data. The policy parser (`crate::model::policy`) is what checks a
//! role against the policy's categories; this module knows no TOML and no policy.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The record compartment of a client's consents and intake acknowledgements.
pub const CONSENTS: &str = "consents";

/// The record compartment of a client's disclosure decisions and accounting entries.
pub const DISCLOSURES: &str = "disclosures";

/// The category of psychotherapy notes: readable only by their author, whatever the
/// role says about other members' notes.
pub const PSYCHOTHERAPY_NOTES: &str = "psychotherapy-notes";

/// The two record compartments, in the order roles list them after the categories.
pub const RECORD_COMPARTMENTS: [&str; 2] = [CONSENTS, DISCLOSURES];

/// Which clients a role's member sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientScope {
    /// Every client of the practice (`clients = "all"`).
    All,
    /// Only the clients assigned to the member, while the assignment lasts
    /// (`clients = "caseload"`).
    Caseload,
}

impl ClientScope {
    /// The scope's name in a policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientScope::All => "all",
            ClientScope::Caseload => "caseload",
        }
    }

    /// Reads a scope's name as a policy file writes it.
    pub fn parse(name: &str) -> Option<ClientScope> {
        match name {
            "all" => Some(ClientScope::All),
            "caseload" => Some(ClientScope::Caseload),
            _ => None,
        }
    }
}

impl fmt::Display for ClientScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a role may do beyond reading and writing its compartments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    /// Write session notes and addenda (`write-notes`).
    WriteNotes,
    /// Disclose records for any purpose (`disclose`). Needs `disclosures` in writes.
    Disclose,
    /// Disclose records with the purpose `payment` only (`payment-disclosures`).
    /// Needs `disclosures` in writes. [`Permission::Disclose`] includes it.
    PaymentDisclosures,
    /// Answer a client's request for their own record (`client-requests`). Needs
    /// `disclosures` in writes.
    ClientRequests,
    /// Produce a client's accounting of disclosures (`accounting`). Needs
    /// `disclosures` in reads.
    Accounting,
    /// Add and remove members, change their roles and caseloads (`members`).
    Members,
    /// Replace the practice's policy (`policy`).
    Policy,
    /// Approve another member's emergency access to a client (`approve-emergency`).
    /// Needs `clients = "all"`: approving wraps the client's keys, which the approver
    /// must hold.
    ApproveEmergency,
    /// Read every member's audit events (`audit-review`); without it a member reads
    /// only their own.
    AuditReview,
    /// Destroy a client's record when its retention has ended, or for a reason the
    /// policy allows (`destroy-records`).
    DestroyRecords,
}

impl Permission {
    /// Every permission, in the order policy files and messages list them.
    pub const ALL: [Permission; 10] = [
        Permission::WriteNotes,
        Permission::Disclose,
        Permission::PaymentDisclosures,
        Permission::ClientRequests,
        Permission::Accounting,
        Permission::Members,
        Permission::Policy,
        Permission::ApproveEmergency,
        Permission::AuditReview,
        Permission::DestroyRecords,
    ];

    /// The permission's name in a policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::WriteNotes => "write-notes",
            Permission::Disclose => "disclose",
            Permission::PaymentDisclosures => "payment-disclosures",
            Permission::ClientRequests => "client-requests",
            Permission::Accounting => "accounting",
            Permission::Members => "members",
            Permission::Policy => "policy",
            Permission::ApproveEmergency => "approve-emergency",
            Permission::AuditReview => "audit-review",
            Permission::DestroyRecords => "destroy-records",
        }
    }

    /// Reads a permission's name as a policy file writes it: exactly, no other
    /// spelling.
    pub fn parse(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role, as a validated policy declares it (`[roles.NAME]`).
///
/// `reads` and `writes` name compartments: the policy's categories and the record
/// compartments [`CONSENTS`] and [`DISCLOSURES`], in that order (a file's `"all"` is
/// already spelled out). Writes are always among reads: the key that seals a
/// compartment also opens it.
///
/// Reading [`PSYCHOTHERAPY_NOTES`] means reading the psychotherapy notes the member
/// wrote, never another author's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Role {
    /// The role's name: a lowercase letter, then up to 31 lowercase letters, digits
    /// and dashes.
    pub name: String,
    /// The compartments its members read.
    pub reads: Vec<String>,
    /// The compartments its members write.
    pub writes: Vec<String>,
    /// Which clients its members see.
    pub clients: ClientScope,
    /// What its members may do.
    pub may: Vec<Permission>,
}

impl Role {
    /// True when the role reads the compartment called `name`.
    pub fn can_read(&self, name: &str) -> bool {
        self.reads.iter().any(|r| r == name)
    }

    /// True when the role writes the compartment called `name`.
    pub fn can_write(&self, name: &str) -> bool {
        self.writes.iter().any(|w| w == name)
    }

    /// True when the role has `permission`; [`Permission::Disclose`] includes
    /// [`Permission::PaymentDisclosures`].
    pub fn may(&self, permission: Permission) -> bool {
        self.may.contains(&permission)
            || (permission == Permission::PaymentDisclosures
                && self.may.contains(&Permission::Disclose))
    }

    /// The roles a policy without `[roles]` gets, spelled out over its `categories`
    /// (those of `src/model/policy/default.toml`, which lists the same roles):
    ///
    /// | role | reads | writes | clients | may |
    /// |---|---|---|---|---|
    /// | `owner` | all | all | all | everything |
    /// | `clinician` | all | all | caseload | write-notes, disclose |
    /// | `supervisor` | every category but psychotherapy-notes and substance-use; consents | nothing | caseload | nothing |
    /// | `biller` | identity, attendance, diagnosis; consents, disclosures | disclosures | all | payment-disclosures, accounting |
    /// | `records` | every category but psychotherapy-notes; consents, disclosures | consents, disclosures | all | disclose, client-requests, accounting, approve-emergency, audit-review |
    ///
    /// A category the list names that the policy lacks is left out.
    pub fn defaults(categories: &[String]) -> Vec<Role> {
        let every = |except: &[&str], records: &[&str]| -> Vec<String> {
            categories
                .iter()
                .map(String::as_str)
                .filter(|c| !except.contains(c))
                .chain(records.iter().copied())
                .map(str::to_owned)
                .collect()
        };
        let names =
            |list: &[&str]| -> Vec<String> { list.iter().map(|s| (*s).to_owned()).collect() };
        let biller_categories = ["identity", "attendance", "diagnosis"];
        let biller_reads: Vec<String> = categories
            .iter()
            .filter(|c| biller_categories.contains(&c.as_str()))
            .cloned()
            .chain(names(&[CONSENTS, DISCLOSURES]))
            .collect();
        vec![
            Role {
                name: "owner".into(),
                reads: every(&[], &RECORD_COMPARTMENTS),
                writes: every(&[], &RECORD_COMPARTMENTS),
                clients: ClientScope::All,
                may: Permission::ALL.to_vec(),
            },
            Role {
                name: "clinician".into(),
                reads: every(&[], &RECORD_COMPARTMENTS),
                writes: every(&[], &RECORD_COMPARTMENTS),
                clients: ClientScope::Caseload,
                may: vec![Permission::WriteNotes, Permission::Disclose],
            },
            Role {
                name: "supervisor".into(),
                reads: every(&[PSYCHOTHERAPY_NOTES, "substance-use"], &[CONSENTS]),
                writes: Vec::new(),
                clients: ClientScope::Caseload,
                may: Vec::new(),
            },
            Role {
                name: "biller".into(),
                reads: biller_reads,
                writes: names(&[DISCLOSURES]),
                clients: ClientScope::All,
                may: vec![Permission::PaymentDisclosures, Permission::Accounting],
            },
            Role {
                name: "records".into(),
                reads: every(&[PSYCHOTHERAPY_NOTES], &RECORD_COMPARTMENTS),
                writes: names(&RECORD_COMPARTMENTS),
                clients: ClientScope::All,
                may: vec![
                    Permission::Disclose,
                    Permission::ClientRequests,
                    Permission::Accounting,
                    Permission::ApproveEmergency,
                    Permission::AuditReview,
                ],
            },
        ]
    }
}

/// Checks a role's name: a lowercase ASCII letter, then up to 31 lowercase ASCII
/// letters, digits and dashes.
pub fn valid_role_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    matches!(bytes.first(), Some(b) if b.is_ascii_lowercase())
        && bytes.len() <= 32
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_read_back_exactly() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.as_str())
            );
        }
        for wrong in ["Disclose", "write_notes", " disclose", "all", ""] {
            assert_eq!(Permission::parse(wrong), None, "{wrong:?}");
        }
        for s in [ClientScope::All, ClientScope::Caseload] {
            assert_eq!(ClientScope::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(ClientScope::parse("All"), None);
    }

    #[test]
    fn role_names() {
        for ok in ["owner", "a", "front-desk-2", &"a".repeat(32)] {
            assert!(valid_role_name(ok), "{ok:?}");
        }
        for bad in [
            "",
            "2nd",
            "-x",
            "Owner",
            "front desk",
            "b_c",
            "é",
            &"a".repeat(33),
        ] {
            assert!(!valid_role_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn disclose_includes_payment_disclosures_and_not_the_reverse() {
        let roles = Role::defaults(&["identity".into(), "progress".into()]);
        let clinician = roles.iter().find(|r| r.name == "clinician").unwrap();
        assert!(clinician.may(Permission::PaymentDisclosures));
        let biller = roles.iter().find(|r| r.name == "biller").unwrap();
        assert!(biller.may(Permission::PaymentDisclosures));
        assert!(!biller.may(Permission::Disclose));
        // A category the policy lacks is left out, not invented.
        assert_eq!(biller.reads, ["identity", CONSENTS, DISCLOSURES]);
    }
}
