//! Session operations that release information: `disclose` (decide, build, redact,
//! encrypt, write, account, audit, all or nothing) and the accounting of disclosures.

use crate::audit::Action;
use crate::error::Error;
use crate::export::{self, ExportEncryption, ExportOptions};
use crate::model::accounting::AccountingEntry;
use crate::rules::decision::{Basis, DisclosureRequest};
use rayon::prelude::*;
use zeroize::Zeroizing;

use crate::base::{AccountingId, ClientId, Date, Timestamp};
use crate::base::{RecordKind, RecordRef};
use crate::model::note::Note;
use crate::rules::decision::DecisionRecord;
use crate::vault::Session;
use crate::vault::consent::decide_in;

type Result<T> = std::result::Result<T, Error>;

/// The named value that keeps the next accounting sequence number.
const NEXT_ACCOUNTING: &str = "next_accounting_sequence";

/// Notes built at a time by an export: fewer than a scan's page, since each is held
/// decrypted, redacted and rendered at once.
const EXPORT_PAGE: usize = 512;

/// What a disclosure did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Disclosure {
    /// The decision that permitted it.
    pub decision: DecisionRecord,
    /// The accounting entries written (the client's, and joint notes' other participants').
    pub accounting: Vec<AccountingEntry>,
    /// The file written (in JSON, lossily as text when the path is not UTF-8).
    #[serde(serialize_with = "lossy_path")]
    pub out: std::path::PathBuf,
    /// Notes included.
    pub notes: usize,
    /// Identifiers redacted.
    pub redactions: usize,
    /// True when the file is not encrypted.
    pub plaintext: bool,
}

impl Session {
    /// Discloses what `request` asks for, if the policy permits every category:
    /// builds the bundle from the permitted sections only, redacts it, encrypts it,
    /// writes it to `options.out`, and records the accounting entries and the audit
    /// event in one transaction. A denied or failed disclosure writes no file and no
    /// accounting entry (its audit event says why).
    ///
    /// ```
    /// # use casevault::*;
    /// # use secrecy::SecretString;
    /// # fn main() -> Result<(), Error> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let pass = SecretString::from("correct horse battery staple");
    /// # let (mut session, _) =
    /// #     Vault::create(&dir.path().join("v"), &pass, KdfParams::default(), "dr-rivera")?;
    /// let today = Date::today();
    /// let ada = session.add_client(NewClient { name: "Ada Example".into(), ..NewClient::default() })?;
    /// session.add_note(NewNote::individual(&ada, today, "Calmer.\n## medication\nSertraline.\n"))?;
    /// session.add_consent(NewConsent {
    ///     client: ada.clone(),
    ///     recipient: ConsentRecipient { name: "Dr. Osei".into(), organization: None, public_key: None },
    ///     purposes: vec!["treatment".into()],
    ///     categories: vec!["medication".into()],
    ///     excluded: Vec::new(),
    ///     effective: today,
    ///     expires: today,
    ///     signed_by: String::new(),
    ///     relationship: Relationship::Client,
    ///     tpo: None,
    /// })?;
    /// let request = DisclosureRequest {
    ///     client: ada.clone(),
    ///     recipient: "Dr. Osei".into(),
    ///     purpose: "treatment".into(),
    ///     categories: vec!["medication".into()],
    ///     consent: None,
    ///     exception: None,
    ///     from: None,
    ///     until: None,
    ///     recipient_kind: None,
    /// };
    /// let out = dir.path().join("osei.md");
    /// let done = session.disclose(&request, today, &ExportOptions {
    ///     format: ExportFormat::Markdown,
    ///     encryption: ExportEncryption::Plaintext, // an age key or a passphrase in real use
    ///     out: out.clone(),
    /// })?;
    /// assert_eq!(done.accounting.len(), 1);
    /// let text = std::fs::read_to_string(&out).unwrap();
    /// assert!(text.contains("Sertraline") && text.contains("[withheld: progress]"));
    /// assert_eq!(session.accounting(&ada)?.len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn disclose(
        &mut self,
        request: &DisclosureRequest,
        today: Date,
        options: &ExportOptions,
    ) -> Result<Disclosure> {
        crate::vault::check_dates(&[
            ("start of the range", request.from),
            ("end of the range", request.until),
        ])?;
        crate::vault::consent::check_request_lines(request)?;
        export::check_directory(&options.out)?;
        export::check_free(&options.out)?;
        if let ExportEncryption::Recipients(keys) = &options.encryption {
            export::parse_recipients(keys)?;
        }
        let actor = self.actor().to_owned();
        let vault = self.vault_id();
        let mut staged = None;
        let result = self.access(Action::Disclose, |a| {
            let decided = decide_in(a, request, today, false, &actor)?;
            let decision = &decided.record.decision;
            if !decision.all_permitted() {
                return Err(Error::Denied(Box::new(decided.record)));
            }
            // Nothing leaves on the strength of a consent, policy or note that a
            // rollback of the file has put back to an older version.
            a.check_reads_are_latest()?;
            let mut builder = export::Builder::new(
                decision,
                &decided.client,
                &decided.others,
                &vault,
                &decided.record.id,
            );
            builder.follow_policy(&decided.policy);
            let disagreements = a.disagreements_for(&request.client, &decision.permitted())?;
            builder.with_disagreements(disagreements);
            // The cover sheet, which comes first, counts what every note leaves behind:
            // the notes are built a page at a time and spooled until it is written.
            let mut spool = export::Spool::new(&options.out, options.format);
            for page in decided.notes.chunks(EXPORT_PAGE) {
                let references: Vec<RecordRef> = page.iter().map(|n| n.reference()).collect();
                let notes: Vec<Note> = a.read_again(&references)?;
                let built: Vec<(export::NoteOut, Option<Zeroizing<Vec<u8>>>)> = notes
                    .par_iter()
                    .map(|note| {
                        let out = builder.note(note);
                        let spooled = out
                            .note
                            .as_ref()
                            .map(|n| export::spooled_note(n, options.format));
                        (out, spooled)
                    })
                    .collect();
                drop(notes);
                for (out, spooled) in built {
                    builder.add(out);
                    if let Some(spooled) = spooled {
                        spool.push(spooled)?;
                    }
                }
            }
            let head = builder.head();
            let notes_out = builder.notes();
            let mut file = export::ExportFile::create(&options.out, &options.encryption)?;
            export::write(&head, spool, &mut |bytes| file.write(bytes))?;
            let file = file.finish()?;

            let client_request = matches!(decision.basis, Basis::ClientRequest);
            let basis = head.cover.basis.clone();
            let permitted = decision.permitted().join(", ");
            let range = match (request.from, request.until) {
                (None, None) => String::new(),
                (from, until) => format!(
                    ", {} to {}",
                    from.map_or("start".into(), |d| d.to_string()),
                    until.map_or("today".into(), |d| d.to_string())
                ),
            };
            // The client's entry, then one for each other participant of a joint note
            // that left: their information left too.
            let mut subjects: Vec<(ClientId, String, String)> = vec![(
                request.client.clone(),
                format!("{permitted} from {} session note(s){range}", notes_out),
                basis.clone(),
            )];
            for note in &decided.notes {
                let Some(joint) = decision
                    .joint_notes
                    .iter()
                    .find(|j| j.note == note.id && j.permitted)
                else {
                    continue;
                };
                // Another participant's information left under their own consent.
                for p in &joint.participants {
                    let what = format!("{permitted} from the joint session note of {}", note.date);
                    let their_basis = format!("the client's consent ({})", p.consents.join(", "));
                    match subjects.iter_mut().find(|(c, _, _)| *c == p.client) {
                        Some((_, d, _)) => d.push_str(&format!("; {what}")),
                        None => subjects.push((p.client.clone(), what, their_basis)),
                    }
                }
            }
            let mut accounting = Vec::new();
            // From the count of entries, but never below the next number handed out:
            // entries destroyed with a client's record must not free their numbers.
            let kept = a
                .tx()
                .meta(NEXT_ACCOUNTING)?
                .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
                .map_or(0, u64::from_be_bytes);
            let first = (a.count_records(RecordKind::Accounting)? + 1).max(kept);
            let next = first + subjects.len() as u64;
            a.tx().set_meta(NEXT_ACCOUNTING, &next.to_be_bytes())?;
            for (sequence, (client, description, basis)) in (first..).zip(subjects) {
                let id: AccountingId = a.new_id(RecordKind::Accounting)?.into();
                // For another participant of a joint note, the disclosure was not their
                // own request: it went, under their consent, to the requesting client.
                let own = client == request.client;
                let recipient = match (own, client_request) {
                    (false, true) => decided.client.name.clone(),
                    _ => request.recipient.clone(),
                };
                let entry = AccountingEntry {
                    id: id.clone(),
                    sequence,
                    client,
                    disclosed_on: today,
                    recipient,
                    description,
                    purpose: request.purpose.clone(),
                    basis,
                    client_request: client_request && own,
                    decision: decided.record.id.clone(),
                    recorded_at: Timestamp::now(),
                    recorded_by: actor.clone(),
                };
                a.write_for(
                    &entry.client.clone(),
                    RecordRef::new(RecordKind::Accounting, &id, 1),
                    &entry,
                )?;
                accounting.push(entry);
            }
            // Written and synced before the commit, named after it: a crash in between
            // leaves an accounting entry (and a private temporary file), never an
            // export that left with no entry.
            staged = Some(file);
            Ok(Disclosure {
                notes: notes_out,
                redactions: head.cover.redactions.iter().map(|(_, n)| n).sum(),
                decision: decided.record,
                accounting,
                out: options.out.clone(),
                plaintext: matches!(options.encryption, ExportEncryption::Plaintext),
            })
        });
        // On failure the staged file is dropped, and removed, with the transaction.
        let disclosure = result?;
        if let Some(staged) = staged {
            staged.publish()?;
        }
        Ok(disclosure)
    }

    /// The client's accounting of disclosures, oldest first.
    pub fn accounting(&mut self, client: &str) -> Result<Vec<AccountingEntry>> {
        let mut entries = self.access(Action::AccountingShow, |a| {
            a.client(client)?;
            let all: Vec<AccountingEntry> = a.read_all(RecordKind::Accounting)?;
            Ok(all
                .into_iter()
                .filter(|e| e.client == client)
                .collect::<Vec<_>>())
        })?;
        entries.sort_by(|x, y| {
            x.disclosed_on
                .cmp(&y.disclosed_on)
                .then(x.sequence.cmp(&y.sequence))
        });
        Ok(entries)
    }
}

fn lossy_path<S: serde::Serializer>(
    path: &std::path::Path,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}
