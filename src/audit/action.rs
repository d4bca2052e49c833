//! What an audit event records was done: one [`Action`] per operation of the vault.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares [`Action`] from one table of variants and the text each is written as, so
/// the text, the parser and [`Action::ALL`] cannot disagree.
macro_rules! actions {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)*) => {
        /// What an audited operation was. Written in the audit trail (and printed by
        /// `audit log`) as its text, e.g. `note.show`; the text of each variant is
        /// fixed, since events already written hold it.
        ///
        /// Non-exhaustive: operations will be added (members, requests).
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Action {
            $($(#[$doc])* $variant,)*
            /// An action this version of casevault does not know (an event written
            /// by a newer one), kept as written. The vault never records it itself.
            Unrecognized(String),
        }

        impl Action {
            /// Every action the vault records, in the order declared.
            pub const ALL: &[Action] = &[$(Action::$variant,)*];

            /// The text the action is written as, e.g. `note.show`.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Action::$variant => $text,)*
                    Action::Unrecognized(text) => text,
                }
            }

            /// The action written as `text`; never fails (see
            /// [`Action::Unrecognized`]).
            pub(crate) fn parse(text: &str) -> Action {
                match text {
                    $($text => Action::$variant,)*
                    other => Action::Unrecognized(other.to_owned()),
                }
            }
        }
    };
}

actions! {
    /// A vault was created (`vault.init`).
    VaultInit = "vault.init",
    /// A failed unlock, entered at the next successful one (`vault.unlock`).
    VaultUnlock = "vault.unlock",
    /// The vault was unlocked with the recovery code and a new passphrase set
    /// (`vault.recover`).
    VaultRecover = "vault.recover",
    /// The passphrase was changed (`vault.passwd`).
    VaultPasswd = "vault.passwd",
    /// A copy of the vault was written (`vault.backup`).
    VaultBackup = "vault.backup",
    /// A vault made before practices became a practice of one: its first member's
    /// keys and the roster were written (`practice.found`).
    PracticeFound = "practice.found",
    /// The practice's members were listed or shown (`member.list`).
    MemberList = "member.list",
    /// A member was added (`member.add`).
    MemberAdd = "member.add",
    /// A member was removed (`member.remove`).
    MemberRemove = "member.remove",
    /// A member was given another role (`member.role`).
    MemberRole = "member.role",
    /// A client was assigned to a member's caseload (`caseload.assign`).
    CaseloadAssign = "caseload.assign",
    /// A client was taken off a member's caseload (`caseload.unassign`).
    CaseloadUnassign = "caseload.unassign",
    /// The caseloads were listed (`caseload.list`).
    CaseloadList = "caseload.list",
    /// Emergency access to a client was requested (`access.request`).
    AccessRequest = "access.request",
    /// Emergency access was approved (`access.approve`).
    AccessApprove = "access.approve",
    /// Emergency access ended at the end of its period (`access.end`).
    AccessEnd = "access.end",
    /// The emergency access requests were listed (`access.list`).
    AccessList = "access.list",
    /// Records were sealed again under the current keys (`vault.rekey`).
    VaultRekey = "vault.rekey",
    /// A client was added (`client.add`).
    ClientAdd = "client.add",
    /// The clients were listed (`client.list`).
    ClientList = "client.list",
    /// A client's profile was read (`client.show`).
    ClientShow = "client.show",
    /// A client's care was marked: Part 2, a minor's own consent, the end of
    /// treatment (`client.edit`).
    ClientEdit = "client.edit",
    /// A note was added (`note.add`).
    NoteAdd = "note.add",
    /// A note, or a version of it, was read (`note.show`).
    NoteShow = "note.show",
    /// A client's notes were listed (`note.list`).
    NoteList = "note.list",
    /// A draft note was edited (`note.edit`).
    NoteEdit = "note.edit",
    /// A note was signed (`note.sign`).
    NoteSign = "note.sign",
    /// An addendum was added to a signed note (`note.amend`).
    NoteAmend = "note.amend",
    /// The notes were searched (`note.search`).
    NoteSearch = "note.search",
    /// One imported note file (`note.import`).
    NoteImport = "note.import",
    /// An import read what it needs before its first file (`note.import.prepare`).
    NoteImportPrepare = "note.import.prepare",
    /// A member's search index was built again from the notes (`index.rebuild`).
    IndexRebuild = "index.rebuild",
    /// A consent was recorded (`consent.add`).
    ConsentAdd = "consent.add",
    /// A consent was read (`consent.show`).
    ConsentShow = "consent.show",
    /// A client's consents were listed (`consent.list`).
    ConsentList = "consent.list",
    /// A consent was revoked (`consent.revoke`).
    ConsentRevoke = "consent.revoke",
    /// An intake acknowledgement was recorded (`intake.add`).
    IntakeAdd = "intake.add",
    /// A restriction or lockbox was recorded (`restriction.add`).
    RestrictionAdd = "restriction.add",
    /// A client's restrictions were listed (`restriction.list`).
    RestrictionList = "restriction.list",
    /// A restriction was refused (`restriction.refuse`).
    RestrictionRefuse = "restriction.refuse",
    /// A restriction was ended (`restriction.end`).
    RestrictionEnd = "restriction.end",
    /// A client's request under their rights was recorded (`request.add`).
    RequestAdd = "request.add",
    /// A request's deadline was extended (`request.extend`).
    RequestExtend = "request.extend",
    /// A request was answered (`request.answer`).
    RequestAnswer = "request.answer",
    /// A statement of disagreement or a rebuttal was recorded (`request.statement`).
    RequestStatement = "request.statement",
    /// A denial was reviewed (`request.review`).
    RequestReview = "request.review",
    /// A client's requests were listed (`request.list`).
    RequestList = "request.list",
    /// The open requests were listed (`request.due`).
    RequestDue = "request.due",
    /// Clients' retention was listed (`retention.list`).
    RetentionList = "retention.list",
    /// A client's accounting was suspended at an agency's request (`accounting.suspend`).
    AccountingSuspend = "accounting.suspend",
    /// A client's page was made: what is kept, the rules, the accounting, their rights
    /// (`client.page`).
    ClientPage = "client.page",
    /// A client's record was destroyed at the end of its retention: the event is its
    /// tombstone (`client.destroy`).
    ClientDestroy = "client.destroy",
    /// The policy was read (`policy.show`).
    PolicyShow = "policy.show",
    /// A new policy was set (`policy.set`).
    PolicySet = "policy.set",
    /// A disclosure request was decided without disclosing (`disclose.dry-run`).
    DiscloseDryRun = "disclose.dry-run",
    /// A disclosure was decided and, if permitted, made (`disclose`).
    Disclose = "disclose",
    /// A client's accounting of disclosures was read (`accounting.show`).
    AccountingShow = "accounting.show",
    /// The audit log was read (`audit.log`).
    AuditLog = "audit.log",
    /// The audit trail was verified (`audit.verify`).
    AuditVerify = "audit.verify",
    /// The audit trail's anchor was taken (`audit.anchor`).
    AuditAnchor = "audit.anchor",
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|text| Action::parse(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_written_as_its_own_text_and_read_back() {
        let mut seen = std::collections::BTreeSet::new();
        for action in Action::ALL {
            let text = action.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert_eq!(&Action::parse(text), action);
            assert_eq!(
                serde_json::to_string(action).unwrap(),
                format!("\"{text}\"")
            );
            let read: Action = serde_json::from_str(&format!("\"{text}\"")).unwrap();
            assert_eq!(&read, action);
        }
        assert_eq!(seen.len(), 60);
    }

    #[test]
    fn an_unknown_action_is_kept_as_written() {
        let read: Action = serde_json::from_str("\"member.invite\"").unwrap();
        assert_eq!(read, Action::Unrecognized("member.invite".into()));
        assert_eq!(read.to_string(), "member.invite");
        assert_eq!(serde_json::to_string(&read).unwrap(), "\"member.invite\"");
    }

    #[test]
    fn display_pads_like_a_string() {
        assert_eq!(format!("{:<12}|", Action::NoteAdd), "note.add    |");
    }
}
