//! Session operations on consents, intake acknowledgements, the policy, and
//! disclosure decisions. Every one goes through `Session::access`.

use serde::{Deserialize, Serialize};

use crate::audit::{Action, Outcome};
use crate::base::{ClientId, ConsentId, Date, DecisionId, IntakeId, NoteId, Timestamp};
use crate::base::{RecordKind, RecordRef};
use crate::error::Error;
use crate::export;
use crate::model::client::Client;
use crate::model::consent::{
    Consent, IntakeAcknowledgement, NewConsent, Relationship, Revocation, ToldException,
};
use crate::model::note::MAX_NOTE_BYTES;
use crate::model::note::{Section, parse_sections};
use crate::model::policy::{ALL_CATEGORIES, PackText, Policy};
use crate::rules::decision::{self, DecisionInput, DecisionRecord, DisclosureRequest, JointNote};
use crate::vault::{Access, Session, check_dates, check_lines};

/// The policy is one record whose versions are the policy's history.
const POLICY_ID: &str = "policy";

type Result<T> = std::result::Result<T, Error>;

/// A stored version of the policy: its TOML text, as set, and the texts of the packs
/// it extends as they were then (so a later build's packs never change it).
#[derive(Serialize, Deserialize)]
struct PolicyRecord {
    source: String,
    set_at: Timestamp,
    set_by: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    bases: Vec<PackText>,
}

/// A client's profile with what the vault knows of their intake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientDetails {
    /// The profile.
    #[serde(flatten)]
    pub client: Client,
    /// The intake acknowledgements recorded, oldest first.
    pub intake: Vec<IntakeAcknowledgement>,
}

impl Access<'_, '_> {
    /// The policy in force and its version.
    ///
    /// Every vault stores its policy when it is created. A vault whose file holds
    /// none is damaged ([`Error::PolicyMissing`]): falling back to the built-in
    /// default would loosen the rules to whatever the default allows. Only a vault
    /// made before policies were stored, whose audit trail records no policy ever
    /// written, gets the built-in default, stored then as version 1.
    pub(crate) fn policy(&mut self) -> Result<(u32, Policy)> {
        match self.latest_record(RecordKind::Policy, POLICY_ID)? {
            None => {
                match self.check_never_written(RecordKind::Policy, POLICY_ID) {
                    Err(Error::RolledBack { .. }) => return Err(Error::PolicyMissing),
                    checked => checked?,
                }
                let policy = Policy::default_policy();
                self.write_policy(1, &policy, "casevault")?;
                Ok((1, policy))
            }
            Some(row) => {
                // The same ciphertext as the last read parses to the same policy: an
                // import of thousands of notes reads it for each.
                if let Some(policy) = self.ring().cached_policy(&row) {
                    self.note_policy_read(&row);
                    return Ok((row.reference.version, policy));
                }
                let record: PolicyRecord = self.decrypt(&row)?;
                let policy = Policy::parse_stored(&record.source, &record.bases).map_err(|_| {
                    Error::MalformedRecord {
                        record: row.reference.to_string(),
                    }
                })?;
                self.ring().cache_policy(&row, &policy);
                Ok((row.reference.version, policy))
            }
        }
    }

    /// Every version of the policy before the one in force, oldest first.
    pub(crate) fn earlier_policies(&mut self) -> Result<Vec<Policy>> {
        let newest = self.count_versions(RecordKind::Policy, POLICY_ID)?;
        let mut out = Vec::new();
        for version in 1..newest {
            let reference = RecordRef::new(RecordKind::Policy, POLICY_ID, version);
            let Some(row) = self.record(&reference)? else {
                continue;
            };
            let stored: PolicyRecord = self.decrypt(&row)?;
            let policy = Policy::parse_stored(&stored.source, &stored.bases).map_err(|_| {
                Error::MalformedRecord {
                    record: reference.to_string(),
                }
            })?;
            out.push(policy);
        }
        Ok(out)
    }

    pub(crate) fn write_policy(
        &mut self,
        version: u32,
        policy: &Policy,
        actor: &str,
    ) -> Result<()> {
        self.write(
            RecordRef::new(RecordKind::Policy, POLICY_ID, version),
            &PolicyRecord {
                source: policy.source.clone(),
                set_at: Timestamp::now(),
                set_by: actor.to_owned(),
                bases: policy.bases.clone(),
            },
        )
    }

    /// Splits a note body into sections by the policy's categories.
    pub(crate) fn sections(&mut self, body: &str) -> Result<Vec<Section>> {
        if body.len() > MAX_NOTE_BYTES {
            return Err(Error::InvalidInput(format!(
                "the note is {} MiB; a note holds at most {} MiB of text (split it into several)",
                body.len().div_ceil(1024 * 1024),
                MAX_NOTE_BYTES / (1024 * 1024)
            )));
        }
        let (_, policy) = self.policy()?;
        Ok(parse_sections(body, &policy.category_names())?)
    }

    fn consent(&mut self, id: &str) -> Result<Consent> {
        self.read_latest(RecordKind::Consent, id)?
            .ok_or_else(|| Error::ConsentNotFound(id.to_owned()))
    }

    fn consents_of(&mut self, clients: &[&str]) -> Result<Vec<Consent>> {
        let all: Vec<Consent> = self.read_all(RecordKind::Consent)?;
        Ok(all
            .into_iter()
            .filter(|c| clients.contains(&c.client.as_str()))
            .collect())
    }
}

/// Refuses a consent signed by someone the policy's `[minors]` says cannot sign it:
/// a minor for themselves (unless they consented to their own care under the
/// policy's rule), or a parent for a minor who did.
fn check_signer(client: &Client, new: &NewConsent, policy: &Policy) -> Result<()> {
    let Some(minors) = &policy.minors else {
        return Ok(());
    };
    let by_client = new.relationship == Relationship::Client;
    if client.care.minor_consent && !by_client {
        return Err(Error::InvalidInput(format!(
            "client {} consented to their own care as a minor ({}): only they sign consents for those records, not a {} ({}); nothing recorded",
            client.id,
            minors
                .self_consent_citation
                .as_deref()
                .unwrap_or("the policy's rule"),
            new.relationship.as_str(),
            minors.citation
        )));
    }
    if let Some(born) = client.date_of_birth
        && by_client
        && !client.care.minor_consent
        && crate::rules::decision::age_on(born, new.effective) < i32::from(minors.age_of_majority)
    {
        return Err(Error::InvalidInput(format!(
            "client {} is a minor on {}: a parent or guardian signs for them ({}): record it with --relationship guardian --signed-by NAME, or mark the client as consenting to their own care where the law lets them (`casevault client edit {} --minor-consent`); nothing recorded",
            client.id, new.effective, minors.citation, client.id
        )));
    }
    Ok(())
}

/// Refuses a name the policy does not have (a usage error, exit 2), suggesting the
/// closest one: a typo must not become a stored denial.
pub(crate) fn check_names(
    what: &'static str,
    names: &[String],
    known: &[String],
    allow_all: bool,
) -> Result<()> {
    for name in names {
        if !(known.contains(name) || (allow_all && name == ALL_CATEGORIES)) {
            let suggestion = known
                .iter()
                .map(|k| (strsim::levenshtein(&name.to_lowercase(), k), k))
                .filter(|(distance, k)| *distance <= (k.len() / 3).max(1))
                .min()
                .map(|(_, k)| k.clone());
            let mut known = known.to_vec();
            if allow_all {
                known.push(ALL_CATEGORIES.to_owned());
            }
            return Err(Error::UnknownName {
                what,
                name: name.clone(),
                suggestion,
                known,
            });
        }
    }
    Ok(())
}

impl Session {
    /// The policy in force and its version.
    pub fn policy(&mut self) -> Result<(u32, Policy)> {
        self.access(Action::PolicyShow, |a| a.policy())
    }

    /// Validates `source` and makes it the policy in force; returns its version.
    /// A malformed file changes nothing; the error names the line.
    pub fn set_policy(&mut self, source: &str) -> Result<u32> {
        let policy = Policy::parse(source)?;
        let actor = self.actor().to_owned();
        let version = self.access(Action::PolicySet, |a| {
            let (current, in_force) = a.policy()?;
            a.require(&in_force, crate::model::role::Permission::Policy)?;
            // Version 0 is the unstored built-in default; stored versions start at 1.
            let version = current + 1;
            a.write_policy(version, &policy, &actor)?;
            a.regrant_all(&policy)?;
            Ok(version)
        })?;
        self.reload_ring()?;
        Ok(version)
    }

    /// Records a consent; returns its id and warnings for the user (a consent that
    /// can never release something it names).
    pub fn add_consent(&mut self, new: NewConsent) -> Result<(ConsentId, Vec<String>)> {
        check_dates(&[
            ("consent's start", Some(new.effective)),
            ("consent's expiry", Some(new.expires)),
        ])?;
        if crate::base::fold::is_blank(&new.recipient.name) {
            return Err(Error::InvalidInput("the recipient's name is empty".into()));
        }
        check_lines(
            [
                ("recipient's name", new.recipient.name.as_str()),
                ("signer's name (signed by)", new.signed_by.as_str()),
            ]
            .into_iter()
            .chain(
                new.recipient
                    .organization
                    .as_deref()
                    .map(|o| ("recipient's organization", o)),
            ),
        )?;
        if (new.purposes.is_empty() && new.tpo.is_none()) || new.categories.is_empty() {
            return Err(Error::InvalidInput(
                "a consent names at least one purpose and one category".into(),
            ));
        }
        if new.expires < new.effective {
            return Err(Error::InvalidInput(format!(
                "the consent expires ({}) before it takes effect ({})",
                new.expires, new.effective
            )));
        }
        if let Some(key) = &new.recipient.public_key {
            // A consent never names a key an export could not use.
            export::parse_recipients(std::slice::from_ref(key))?;
        }
        let mut new = new;
        for list in [&mut new.purposes, &mut new.categories, &mut new.excluded] {
            let mut seen: Vec<String> = Vec::with_capacity(list.len());
            list.retain(|x| {
                let first = !seen.contains(x);
                seen.push(x.clone());
                first
            });
        }
        let actor = self.actor().to_owned();
        self.access(Action::ConsentAdd, |a| {
            let client = a.client(&new.client)?;
            let (_, policy) = a.policy()?;
            let mut new = new;
            if let Some(tpo) = &new.tpo {
                let Some(part2) = &policy.part2 else {
                    return Err(Error::InvalidInput(format!(
                        "the policy in force ({}) has no 42 CFR Part 2 rules, so it has no single consent for treatment, payment and operations; leave out --tpo",
                        policy.name
                    )));
                };
                if !client.care.part2_program {
                    return Err(Error::InvalidInput(format!(
                        "client {} is not marked as a Part 2 program's record: a single consent for treatment, payment and operations ({}) is for those; mark them with `casevault client edit {} --part2-program`, or leave out --tpo",
                        client.id, part2.tpo_citation, client.id
                    )));
                }
                if let Some(other) = new.purposes.iter().find(|p| !part2.tpo_purposes.contains(p)) {
                    return Err(Error::InvalidInput(format!(
                        "a single consent for treatment, payment and operations covers {}, not {other}: leave out --purpose, or record a consent of its own",
                        part2.tpo_purposes.join(", ")
                    )));
                }
                check_names(
                    "recipient kind",
                    std::slice::from_ref(&tpo.recipient_kind),
                    &policy.recipient_kinds,
                    false,
                )?;
                new.purposes = part2.tpo_purposes.clone();
                new.expires = Date::LATEST;
            }
            check_signer(&client, &new, &policy)?;
            check_names("purpose", &new.purposes, &policy.purposes, false)?;
            check_names("category", &new.categories, &policy.categories, true)?;
            check_names("category", &new.excluded, &policy.categories, false)?;
            let mut warnings = Vec::new();
            for sole in &policy.sole_consent {
                if new.categories.contains(sole) && new.categories.len() > 1 {
                    warnings.push(format!(
                        "this consent names {sole} with other categories, so it will never release {sole}: they need a consent of their own"
                    ));
                }
            }
            for explicit in &policy.explicit_consent {
                if new.categories.iter().any(|c| c == ALL_CATEGORIES) && !new.categories.contains(explicit) {
                    warnings.push(format!(
                        "\"all\" does not cover {explicit}: it must be named explicitly"
                    ));
                }
            }
            let id: ConsentId = a.new_id(RecordKind::Consent)?.into();
            let signed_by = match new.signed_by.trim() {
                "" if new.relationship == Relationship::Client => client.name.clone(),
                "" => {
                    return Err(Error::InvalidInput(format!(
                        "a consent signed by a {} needs the signer's name (--signed-by)",
                        new.relationship.as_str()
                    )));
                }
                name => name.to_owned(),
            };
            let consent = Consent {
                id: id.clone(),
                version: 1,
                client: new.client,
                recipient: new.recipient,
                purposes: new.purposes,
                categories: new.categories,
                excluded: new.excluded,
                effective: new.effective,
                expires: new.expires,
                signed_by,
                relationship: new.relationship,
                recorded_at: Timestamp::now(),
                recorded_by: actor,
                revoked: None,
                tpo: new.tpo,
            };
            a.write_for(&consent.client, RecordRef::new(RecordKind::Consent, &id, 1), &consent)?;
            Ok((id, warnings))
        })
    }

    /// One consent, as it stands.
    pub fn consent(&mut self, id: &str) -> Result<Consent> {
        self.access(Action::ConsentShow, |a| a.consent(id))
    }

    /// A client's consents, by effective date.
    pub fn consents_for_client(&mut self, client: &str) -> Result<Vec<Consent>> {
        let mut consents = self.access(Action::ConsentList, |a| {
            a.client(client)?;
            a.consents_of(&[client])
        })?;
        consents.sort_by(|a, b| a.effective.cmp(&b.effective).then(a.id.cmp(&b.id)));
        Ok(consents)
    }

    /// Revokes a consent from `effective` on; the consent is kept, with its revocation,
    /// as a new version. A consent already revoked from a later day is revoked again
    /// from the earlier one: the earliest revocation wins, so a client who withdraws
    /// sooner than first recorded is never held to the later day.
    ///
    /// A Part 2 single consent (`tpo`) is revoked only in writing (42 CFR 2.31(a)(6)):
    /// `in_writing` says the client's revocation is written.
    pub fn revoke_consent(
        &mut self,
        id: &str,
        effective: Date,
        in_writing: bool,
    ) -> Result<Consent> {
        check_dates(&[("revocation date", Some(effective))])?;
        let actor = self.actor().to_owned();
        self.access(Action::ConsentRevoke, |a| {
            let mut consent = a.consent(id)?;
            if consent.tpo.is_some() && !in_writing {
                return Err(Error::InvalidInput(format!(
                    "consent {id} is a 42 CFR Part 2 consent, revoked only in writing: record the client's written revocation (--in-writing); nothing changed"
                )));
            }
            if effective < consent.effective {
                return Err(Error::InvalidInput(format!(
                    "consent {id} begins on {}, after {effective}; revoke it from {} or later (before it begins it permits nothing anyway); nothing changed",
                    consent.effective, consent.effective
                )));
            }
            if let Some(r) = &consent.revoked
                && r.effective <= effective
            {
                return Err(Error::InvalidInput(format!(
                    "consent {id} is already revoked from {}, which is not later than {effective}; nothing changed",
                    r.effective
                )));
            }
            consent.version += 1;
            consent.revoked = Some(Revocation {
                effective,
                in_writing,
                recorded_at: Timestamp::now(),
                recorded_by: actor,
            });
            a.write_for(
                &consent.client.clone(),
                RecordRef::new(RecordKind::Consent, id, consent.version),
                &consent,
            )?;
            Ok(consent)
        })
    }

    /// Records that the client was told the limits of confidentiality on `date`: the
    /// exceptions of the policy in force, as their text stands today.
    pub fn record_intake(&mut self, client: &str, date: Date) -> Result<IntakeAcknowledgement> {
        check_dates(&[("intake date", Some(date))])?;
        let actor = self.actor().to_owned();
        self.access(Action::IntakeAdd, |a| {
            a.client(client)?;
            let (version, policy) = a.policy()?;
            let id: IntakeId = a.new_id(RecordKind::Intake)?.into();
            let intake = IntakeAcknowledgement {
                id: id.clone(),
                client: client.into(),
                acknowledged_on: date,
                policy_version: version,
                policy_name: policy.name.clone(),
                exceptions: policy
                    .exceptions
                    .iter()
                    .map(|e| ToldException {
                        kind: e.kind.clone(),
                        description: e.description.clone(),
                    })
                    .collect(),
                recorded_at: Timestamp::now(),
                recorded_by: actor,
            };
            a.write_for(client, RecordRef::new(RecordKind::Intake, &id, 1), &intake)?;
            Ok(intake)
        })
    }

    /// A client's profile and intake acknowledgements.
    pub fn client_details(&mut self, id: &str) -> Result<ClientDetails> {
        self.access(Action::ClientShow, |a| {
            let client = a.client(id)?;
            let mut intake: Vec<IntakeAcknowledgement> = a
                .read_all::<IntakeAcknowledgement>(RecordKind::Intake)?
                .into_iter()
                .filter(|i| i.client == id)
                .collect();
            intake.sort_by_key(|i| i.acknowledged_on);
            Ok(ClientDetails { client, intake })
        })
    }

    /// Decides a disclosure request on `today` under the policy in force, stores the
    /// decision and audits it (outcome `permitted` or `denied`, with the purpose).
    pub fn decide_disclosure(
        &mut self,
        request: &DisclosureRequest,
        today: Date,
        dry_run: bool,
    ) -> Result<DecisionRecord> {
        check_dates(&[
            ("start of the range", request.from),
            ("end of the range", request.until),
        ])?;
        check_request_lines(request)?;
        let actor = self.actor().to_owned();
        let action = if dry_run {
            Action::DiscloseDryRun
        } else {
            Action::Disclose
        };
        self.access(action, |a| {
            let decided = decide_in(a, request, today, dry_run, &actor)?;
            Ok(decided.record)
        })
    }
}

/// Refuses a request whose one-line values (the recipient, an exception's
/// justification, reference and the person a report is about) break their line on
/// the export's cover; see [`check_lines`].
pub(crate) fn check_request_lines(request: &DisclosureRequest) -> Result<()> {
    let exception = request.exception.as_ref();
    check_lines(
        [("recipient (--to)", request.recipient.as_str())]
            .into_iter()
            .chain(exception.map(|e| ("justification", e.justification.as_str())))
            .chain(
                exception
                    .and_then(|e| e.reference.as_deref())
                    .map(|r| ("reference", r)),
            )
            .chain(
                exception
                    .and_then(|e| e.about.as_deref())
                    .map(|a| ("name of the person the report is about", a)),
            ),
    )
}

/// What deciding a request read, kept for building the export.
pub(crate) struct Decided {
    /// The decision, stored.
    pub(crate) record: DecisionRecord,
    /// The client whose information is concerned.
    pub(crate) client: Client,
    /// The client's notes in the requested range, by date (what the decision read of
    /// them; an export reads each again, in the same transaction, by its reference).
    pub(crate) notes: Vec<NoteHeader>,
    /// The profiles of the other participants of those notes.
    pub(crate) others: Vec<Client>,
    /// The policy the decision was made under.
    pub(crate) policy: Policy,
}

/// The third party on `client`'s profile that a report about someone names, spelled
/// as the profile spells it (case, spacing and accents aside): a report may name only
/// someone the record already names.
fn subject_on_profile(client: &Client, about: &str) -> Result<String> {
    // Folded, with remarks in parentheses ("Mia Quill (daughter)") left out.
    let key = |s: &str| {
        let mut depth = 0usize;
        let bare: String = crate::base::fold::fold(s)
            .chars()
            .filter(|c| match c {
                '(' => {
                    depth += 1;
                    false
                }
                ')' => {
                    depth = depth.saturating_sub(1);
                    false
                }
                _ => depth == 0,
            })
            .collect();
        bare.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    client
        .third_parties
        .iter()
        .find(|t| key(t) == key(about))
        .cloned()
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "the person the report is about is not among the third parties on client {}'s profile; name them as the profile does (`casevault client show {}` lists them)",
                client.id, client.id
            ))
        })
}

/// Expands the pseudo-category `all` in a request: every category of the policy
/// (less the sole-consent ones for the client's own request, which never releases
/// them).
fn expand_all(request: &DisclosureRequest, policy: &Policy) -> DisclosureRequest {
    if !request.categories.iter().any(|c| c == ALL_CATEGORIES) {
        return request.clone();
    }
    let own_request =
        request.exception.is_none() && request.purpose == policy.client_request_purpose;
    let mut categories: Vec<String> = Vec::new();
    for c in &request.categories {
        let expanded: Vec<String> = if c == ALL_CATEGORIES {
            policy
                .categories
                .iter()
                .filter(|c| !(own_request && policy.sole_consent.contains(c)))
                .cloned()
                .collect()
        } else {
            vec![c.clone()]
        };
        for e in expanded {
            if !categories.contains(&e) {
                categories.push(e);
            }
        }
    }
    DisclosureRequest {
        categories,
        ..request.clone()
    }
}

/// Decides `request` inside an operation, stores the decision, and sets the event's
/// purpose and outcome.
pub(crate) fn decide_in(
    a: &mut Access<'_, '_>,
    request: &DisclosureRequest,
    today: Date,
    dry_run: bool,
    actor: &str,
) -> Result<Decided> {
    if let (Some(from), Some(until)) = (request.from, request.until)
        && until < from
    {
        return Err(Error::InvalidInput(format!(
            "the date range ends ({until}) before it starts ({from})"
        )));
    }
    a.purpose = Some(request.purpose.clone());
    let client = a.client(&request.client)?;
    if let Some(id) = &request.consent {
        let consent = a.consent(id)?;
        if consent.client != request.client {
            return Err(Error::InvalidInput(format!(
                "consent {id} is not a consent of client {}",
                request.client
            )));
        }
    }
    let (policy_version, policy) = a.policy()?;
    // A typo is a usage error, not a stored denial of a category that does not exist.
    check_names(
        "purpose",
        std::slice::from_ref(&request.purpose),
        &policy.purposes,
        false,
    )?;
    check_names("category", &request.categories, &policy.categories, true)?;
    if let Some(kind) = &request.recipient_kind {
        check_names(
            "recipient kind",
            std::slice::from_ref(kind),
            &policy.recipient_kinds,
            false,
        )?;
    }
    let mut request = expand_all(request, &policy);
    a.check_may_disclose(&policy, &request)?;
    if let Some(about) = request.exception.as_mut().and_then(|e| e.about.as_mut()) {
        *about = subject_on_profile(&client, about)?;
    }
    let request = &request;
    if request.categories.is_empty() {
        return Err(Error::InvalidInput(
            "the request names no category; say what would leave with --categories".into(),
        ));
    }
    let notes = notes_in_range(a, request)?;
    let joint_notes: Vec<JointNote> = notes
        .iter()
        .filter(|n| n.clients.len() > 1)
        .map(|n| JointNote {
            note: n.id.clone(),
            date: n.date,
            participants: n.clients.clone(),
        })
        .collect();
    let mut involved: Vec<&str> = vec![request.client.as_str()];
    for note in &joint_notes {
        involved.extend(note.participants.iter().map(ClientId::as_str));
    }
    involved.sort_unstable();
    involved.dedup();
    let mut consents = a.consents_of(&involved)?;
    // A restriction this member could not open would be passed over: the requesting
    // client's are in the compartment of their consents, which the member must hold.
    a.require_key_for(RecordKind::Restriction, &request.client)?;
    let restrictions = a.restrictions_of(&involved)?;
    let facts = a.client_facts(&involved)?;
    // Another participant whose profile this member cannot open may be a Part 2
    // program's or a minor's: their consents do not count, so a joint note with them
    // is withheld whole rather than released under rules that may not be theirs.
    consents.retain(|c| facts.iter().any(|f| f.client == c.client));
    let decision = decision::decide(DecisionInput {
        request,
        client_name: &client.name,
        consents: &consents,
        joint_notes: &joint_notes,
        clients: &facts,
        restrictions: &restrictions,
        policy: &policy,
        today,
    });
    let withheld = decision.joint_notes.iter().filter(|j| !j.permitted).count();
    a.outcome = Some(Outcome::decided(decision.all_permitted(), withheld));
    let mut others = Vec::new();
    for id in involved.iter().filter(|id| **id != request.client) {
        match a.client(id) {
            Ok(profile) => others.push(profile),
            // Their joint notes are withheld whole (no facts, no consents above).
            Err(Error::KeyDenied { .. } | Error::ClientNotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let id: DecisionId = a.new_id(RecordKind::Decision)?.into();
    let record = DecisionRecord {
        id: id.clone(),
        policy_version,
        dry_run,
        decision,
        made_at: Timestamp::now(),
        made_by: actor.to_owned(),
    };
    // Stored in this client's `disclosures` compartment: which other participants of
    // a joint note permit its release, not by which of their consents (those are
    // theirs, in their own compartments, and the holders of this one need not hold
    // those).
    let mut stored = record.clone();
    for joint in &mut stored.decision.joint_notes {
        for participant in &mut joint.participants {
            participant.consents.clear();
        }
    }
    a.write_for(
        &record.decision.request.client.clone(),
        RecordRef::new(RecordKind::Decision, &id, 1),
        &stored,
    )?;
    Ok(Decided {
        record,
        client,
        notes,
        others,
        policy,
    })
}

/// What a decision reads of a note: which it is, whose, and when.
#[derive(Deserialize)]
pub(crate) struct NoteHeader {
    /// The note.
    pub(crate) id: NoteId,
    /// The version read (the newest).
    pub(crate) version: u32,
    /// The session date.
    pub(crate) date: Date,
    /// The note's clients.
    pub(crate) clients: Vec<ClientId>,
}

impl NoteHeader {
    /// The record the header was read from.
    pub(crate) fn reference(&self) -> RecordRef {
        RecordRef::new(RecordKind::Note, &self.id, self.version)
    }
}

/// The client's notes (joint ones included), by date, headers only.
pub(crate) fn notes_of(a: &mut Access<'_, '_>, client: &str) -> Result<Vec<NoteHeader>> {
    let mut mine = Vec::new();
    a.for_each_note_header_page(|notes: Vec<NoteHeader>| {
        mine.extend(
            notes
                .into_iter()
                .filter(|n| n.clients.iter().any(|c| c == client)),
        );
        Ok(())
    })?;
    mine.sort_by(|x, y| x.date.cmp(&y.date).then(x.id.cmp(&y.id)));
    Ok(mine)
}

/// The client's notes (joint ones included) in the requested range, by date. Reads
/// every note a page at a time and keeps only the headers of those in range.
fn notes_in_range(a: &mut Access<'_, '_>, request: &DisclosureRequest) -> Result<Vec<NoteHeader>> {
    let mut mine = Vec::new();
    a.for_each_note_header_page(|notes: Vec<NoteHeader>| {
        mine.extend(
            notes
                .into_iter()
                .filter(|n| n.clients.contains(&request.client))
                .filter(|n| request.from.is_none_or(|from| n.date >= from))
                .filter(|n| request.until.is_none_or(|until| n.date <= until)),
        );
        Ok(())
    })?;
    mine.sort_by(|x, y| x.date.cmp(&y.date).then(x.id.cmp(&y.id)));
    Ok(mine)
}
