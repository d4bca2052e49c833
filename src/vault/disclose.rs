//! Session operations that release information: `disclose` (decide, build, redact,
//! encrypt, write, account, audit, all or nothing), `preview_disclosure` (the same
//! decision and bundle, as a dry run, into memory) and the accounting of disclosures.

use crate::audit::Action;
use crate::error::Error;
use crate::export::{self, ExportEncryption, ExportFormat, ExportOptions};
use crate::model::accounting::AccountingEntry;
use crate::rules::decision::{Basis, DisclosureRequest};
use rayon::prelude::*;
use zeroize::Zeroizing;

use crate::base::{AccountingId, ClientId, Date, Timestamp};
use crate::base::{RecordKind, RecordRef};
use crate::model::note::Note;
use crate::rules::decision::DecisionRecord;
use crate::vault::consent::{Decided, decide_in};
use crate::vault::{Access, Session};

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

/// What a disclosure would send, built in memory and written nowhere: see
/// [`Session::preview_disclosure`].
#[derive(Clone)]
pub struct Preview {
    /// The decision, stored as a dry run.
    pub decision: DecisionRecord,
    /// The bundle, exactly as [`Session::disclose`] would write it in the format asked
    /// for (before encryption), when every requested category is permitted; `None`
    /// when the decision denies one. Wiped on drop.
    pub text: Option<Zeroizing<String>>,
}

/// Shows the decision and only the length of the text: a preview is what a release
/// would send, and must not reach a log through `{:?}`.
impl std::fmt::Debug for Preview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Preview")
            .field("decision", &self.decision)
            .field(
                "text",
                &self.text.as_ref().map(|t| format!("<{} bytes>", t.len())),
            )
            .finish()
    }
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
            let Built {
                head,
                notes: notes_out,
                sink: file,
            } = build_bundle(
                a,
                &decided,
                request,
                &vault,
                export::Spool::new(&options.out, options.format),
                || export::ExportFile::create(&options.out, &options.encryption),
            )?;
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

    /// Shows what [`Session::disclose`] would send for `request`, before anything is
    /// written: decides the request as `disclose` does and, when every requested
    /// category is permitted, builds the bundle as `disclose` builds it (the same
    /// sections, redactions, markers, statements of disagreement and cover sheet; joint
    /// notes withheld whole stay out) into memory, in `format`, unencrypted.
    ///
    /// Nothing leaves and nothing is accounted for: no file is written and no
    /// accounting entry is made. The decision is stored as a dry run and the preview
    /// is audited as `disclose.dry-run` with the request's purpose, the notes it read
    /// among its targets, as [`Session::decide_disclosure`] does with `dry_run`. A
    /// denied request is not an error here: the preview carries the decision (saying
    /// which category was refused and why) and no text.
    ///
    /// The text on the cover differs from a later disclosure of the same request only
    /// in the decision it names: each decision has an identifier of its own.
    ///
    /// # Security
    ///
    /// The text is the record's plaintext, redacted as it would leave: it is held in a
    /// buffer wiped on drop (grown without leaving unwiped copies), and [`Preview`]'s
    /// `Debug` shows only its length. Past 4 MiB of notes the build spools to an
    /// unnamed temporary file in the system's temporary directory, encrypted to a key
    /// made for it and never stored, as an export spools in its own directory.
    ///
    /// ```
    /// # use casevault::*;
    /// # use secrecy::SecretString;
    /// # fn main() -> Result<(), Error> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let pass = SecretString::from("correct horse battery staple");
    /// # let (mut session, _) =
    /// #     Vault::create(&dir.path().join("v"), &pass, KdfParams::default(), "dr-rivera")?;
    /// # let today = Date::today();
    /// # let ada = session.add_client(NewClient { name: "Ada Example".into(), ..NewClient::default() })?;
    /// # session.add_note(NewNote::individual(&ada, today, "Calmer.\n## medication\nSertraline.\n"))?;
    /// # session.add_consent(NewConsent {
    /// #     client: ada.clone(),
    /// #     recipient: ConsentRecipient { name: "Dr. Osei".into(), organization: None, public_key: None },
    /// #     purposes: vec!["treatment".into()],
    /// #     categories: vec!["medication".into()],
    /// #     excluded: Vec::new(),
    /// #     effective: today,
    /// #     expires: today,
    /// #     signed_by: String::new(),
    /// #     relationship: Relationship::Client,
    /// #     tpo: None,
    /// # })?;
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
    /// let preview = session.preview_disclosure(&request, today, ExportFormat::Markdown)?;
    /// assert!(preview.decision.dry_run);
    /// let text = preview.text.as_ref().expect("every category is permitted");
    /// assert!(text.contains("Sertraline") && text.contains("[withheld: progress]"));
    /// // Nothing left, so nothing is accounted for.
    /// assert!(session.accounting(&ada)?.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn preview_disclosure(
        &mut self,
        request: &DisclosureRequest,
        today: Date,
        format: ExportFormat,
    ) -> Result<Preview> {
        crate::vault::check_dates(&[
            ("start of the range", request.from),
            ("end of the range", request.until),
        ])?;
        crate::vault::consent::check_request_lines(request)?;
        let actor = self.actor().to_owned();
        let vault = self.vault_id();
        // Only where the spool's file would go past 4 MiB: nothing is named there.
        let spool_at = std::env::temp_dir().join("casevault-preview");
        self.access(Action::DiscloseDryRun, |a| {
            let decided = decide_in(a, request, today, true, &actor)?;
            if !decided.record.decision.all_permitted() {
                return Ok(Preview {
                    decision: decided.record,
                    text: None,
                });
            }
            let built = build_bundle(
                a,
                &decided,
                request,
                &vault,
                export::Spool::new(&spool_at, format),
                || Ok(Zeroizing::new(Vec::new())),
            )?;
            let text = into_text(built.sink)?;
            Ok(Preview {
                decision: decided.record,
                text: Some(text),
            })
        })
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

/// A bundle built by [`build_bundle`]: its cover and profile, how many notes it holds,
/// and where its bytes went.
struct Built<S> {
    /// The cover sheet and profile (its `notes` are empty: they went to the sink).
    head: export::Bundle,
    /// Notes included.
    notes: usize,
    /// What the bytes were written to.
    sink: S,
}

/// Where a built bundle's bytes go: the export's file, or a preview's memory.
trait Sink {
    /// Takes the next bytes of the bundle.
    fn put(&mut self, bytes: &[u8]) -> Result<()>;
}

impl Sink for export::ExportFile {
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.write(bytes)
    }
}

/// A preview's memory. Grown by hand, into a new wiped buffer, so that no
/// reallocation leaves a copy of the bundle behind unwiped.
impl Sink for Zeroizing<Vec<u8>> {
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        if self.capacity() - self.len() < bytes.len() {
            let wanted = self.len().saturating_add(bytes.len());
            let mut grown = Zeroizing::new(Vec::with_capacity(
                wanted.max(self.capacity().saturating_mul(2)),
            ));
            grown.extend_from_slice(self);
            // The old buffer is wiped as it drops.
            *self = grown;
        }
        self.extend_from_slice(bytes);
        Ok(())
    }
}

/// The bundle a permitted decision allows, built as every disclosure builds it and
/// written to the sink `open` makes: the one place [`Session::disclose`] and
/// [`Session::preview_disclosure`] build what leaves, so a preview cannot show other
/// than what would be sent.
///
/// First checks that nothing the decision read was rolled back (a preview of what a
/// disclosure would refuse to send would be a false one); then reads the notes the
/// decision read again, a page at a time, builds and redacts them on every core into
/// `spool`, and writes the cover and profile followed by the spooled notes. `open` is
/// called only once the notes are built, so an export's file is created no earlier
/// than it has to be.
fn build_bundle<S: Sink>(
    a: &mut Access<'_, '_>,
    decided: &Decided,
    request: &DisclosureRequest,
    vault: &str,
    mut spool: export::Spool,
    open: impl FnOnce() -> Result<S>,
) -> Result<Built<S>> {
    let decision = &decided.record.decision;
    // Nothing leaves on the strength of a consent, policy or note that a
    // rollback of the file has put back to an older version.
    a.check_reads_are_latest()?;
    let mut builder = export::Builder::new(
        decision,
        &decided.client,
        &decided.others,
        vault,
        &decided.record.id,
    );
    builder.follow_policy(&decided.policy);
    let disagreements = a.disagreements_for(&request.client, &decision.permitted())?;
    builder.with_disagreements(disagreements);
    // The cover sheet, which comes first, counts what every note leaves behind:
    // the notes are built a page at a time and spooled until it is written.
    let format = spool.format();
    for page in decided.notes.chunks(EXPORT_PAGE) {
        let references: Vec<RecordRef> = page.iter().map(|n| n.reference()).collect();
        let notes: Vec<Note> = a.read_again(&references)?;
        let built: Vec<(export::NoteOut, Option<Zeroizing<Vec<u8>>>)> = notes
            .par_iter()
            .map(|note| {
                let out = builder.note(note);
                let spooled = out.note.as_ref().map(|n| export::spooled_note(n, format));
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
    let notes = builder.notes();
    let mut sink = open()?;
    export::write(&head, spool, &mut |bytes| sink.put(bytes))?;
    Ok(Built { head, notes, sink })
}

/// A preview's bytes as text, in place (no copy is made).
fn into_text(mut bytes: Zeroizing<Vec<u8>>) -> Result<Zeroizing<String>> {
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(e) => {
            // Never expected (the bundle is written from Rust strings and serde_json),
            // and never printed: the bytes are the record's text, wiped here.
            drop(Zeroizing::new(e.into_bytes()));
            Err(Error::InvalidInput(
                "the preview is not valid UTF-8 text, which is a bug in casevault: please report it (nothing was written)".into(),
            ))
        }
    }
}

fn lossy_path<S: serde::Serializer>(
    path: &std::path::Path,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}
