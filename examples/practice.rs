//! Embedding casevault in practice software, end to end: a vault, a client and a note,
//! the client's consent, a disclosure decided and written for the recipient's age key,
//! the recipient opening it, the client's accounting of disclosures, and the audit
//! trail verified; then the practice grows to three: a clinician who sees only her
//! caseload and a biller who sees names, attendance and diagnoses, each opening only
//! what their keys open.
//!
//! Run it with `cargo run --example practice`; it works in a temporary directory and
//! leaves nothing behind.

use std::io::Read;

use casevault::{
    ConsentRecipient, Date, DisclosureRequest, ExportEncryption, ExportFormat, ExportOptions,
    KdfParams, NewClient, NewConsent, NewNote, Relationship, Vault,
};
use secrecy::SecretString;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("practice.casevault");
    let passphrase = SecretString::from("an example passphrase, not for real notes");

    // The vault: Argon2id keyslots; the recovery code is shown to the user once.
    let (mut session, _recovery_code) =
        Vault::create(&path, &passphrase, KdfParams::default(), "dr-rivera")?;

    let client = session.add_client(NewClient {
        name: "Ada Example".into(),
        third_parties: vec!["Ben Example".into()],
        ..NewClient::default()
    })?;
    let today = Date::today();
    session.add_note(NewNote::individual(
        &client,
        today,
        "Slept better; Ben Example came to the first half.\n\
         ## medication\nSertraline 50 mg, well tolerated.\n\
         ## psychotherapy-notes\nMy working hypothesis, for me only.\n",
    ))?;

    // Her consent: medication to her psychiatrist, for treatment, for a year.
    let next_year = Date(today.0.replace_year(today.0.year() + 1)?);
    let (consent, _warnings) = session.add_consent(NewConsent {
        client: client.clone(),
        recipient: ConsentRecipient {
            name: "Dr. Osei".into(),
            organization: None,
            public_key: None,
        },
        purposes: vec!["treatment".into()],
        categories: vec!["medication".into()],
        excluded: Vec::new(),
        effective: today,
        expires: next_year,
        signed_by: String::new(),
        relationship: Relationship::Client,
        tpo: None,
    })?;

    // The disclosure: decided category by category, then written for the recipient.
    let recipient = age::x25519::Identity::generate();
    let out = dir.path().join("to-dr-osei.age");
    let disclosure = session.disclose(
        &DisclosureRequest {
            client: client.clone(),
            recipient: "Dr. Osei".into(),
            purpose: "treatment".into(),
            categories: vec!["medication".into()],
            consent: Some(consent),
            exception: None,
            from: None,
            until: None,
            recipient_kind: None,
        },
        today,
        &ExportOptions {
            format: ExportFormat::Markdown,
            encryption: ExportEncryption::Recipients(vec![recipient.to_public().to_string()]),
            out: out.clone(),
        },
    )?;
    for verdict in &disclosure.decision.decision.verdicts {
        println!("{}: {}", verdict.category, verdict.reason);
    }

    // What Dr. Osei reads: the medication section only, third parties redacted.
    let sealed = std::fs::read(&out)?;
    let mut text = String::new();
    age::Decryptor::new_buffered(&sealed[..])?
        .decrypt(std::iter::once(&recipient as &dyn age::Identity))?
        .read_to_string(&mut text)?;
    assert!(text.contains("Sertraline") && !text.contains("working hypothesis"));
    println!("\n{text}");

    // The client's accounting of disclosures, and the audit trail.
    for entry in session.accounting(&client)? {
        println!(
            "accounting: {} to {} for {}: {}",
            entry.disclosed_on, entry.recipient, entry.purpose, entry.description
        );
    }
    let report = session.verify_audit(None)?;
    println!(
        "audit trail: {} ({} events)",
        if report.is_intact() {
            "intact"
        } else {
            "NOT intact"
        },
        report.events
    );

    // A practice of three: each member's passphrase opens what their role and
    // caseload grant, by the keys wrapped to them, and nothing else.
    let lee_pass = SecretString::from("dr lee's own passphrase, not for real notes");
    let billing_pass = SecretString::from("the billing desk's passphrase, not real");
    let _lee_code = session.add_member("dr-lee", "clinician", &lee_pass, KdfParams::default())?;
    let _billing_code =
        session.add_member("billing", "biller", &billing_pass, KdfParams::default())?;
    let other = session.add_client(NewClient {
        name: "Cy Example".into(),
        ..NewClient::default()
    })?;
    session.assign_client("dr-lee", &other, None)?;
    drop(session);

    let mut lee = Vault::open(&path)?.unlock_member(&lee_pass, "dr-lee", Some("dr-lee"))?;
    lee.add_note(NewNote::individual(
        &other,
        today,
        "First session.\n## diagnosis\nF41.1\n## risk\nNo current risk.\n",
    ))?;
    let lee_sees: Vec<String> = lee.list_clients()?.into_iter().map(|c| c.name).collect();
    println!("dr-lee sees: {lee_sees:?}");
    assert_eq!(lee_sees, ["Cy Example"]);
    drop(lee);

    let mut billing =
        Vault::open(&path)?.unlock_member(&billing_pass, "billing", Some("billing"))?;
    let billed = billing.notes_for_client(&other)?;
    let body = &billed[0].body;
    println!("billing sees of dr-lee's note: {body:?}");
    assert!(body.contains("F41.1") && !body.contains("No current risk"));
    Ok(())
}
