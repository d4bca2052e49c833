//! The text form of records and of `--json` output: times and identifiers are typed
//! in the library, but a record written while they were strings reads back and writes
//! out byte for byte (RFC 3339, UTC, whole seconds, `Z`; identifiers as plain strings),
//! and a time casevault does not write is refused rather than read as another.

use casevault::{
    AccountingEntry, AuditEvent, Client, Consent, DecisionRecord, EventTime, FailedUnlock,
    IntakeAcknowledgement, Note, Timestamp,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Reads `text` as a `T` and writes it again, compactly, as records are stored.
fn round_trip<T: Serialize + DeserializeOwned>(text: &str) -> String {
    let value: T = serde_json::from_str(text).expect("the old text reads");
    serde_json::to_string(&value).expect("it writes")
}

/// Each kind of record and output, as casevault wrote it before times and identifiers
/// had types of their own (compact, in the order of its fields).
const CLIENT: &str = r#"{"id":"8b3ac338","name":"Ada Example","date_of_birth":"1984-05-17","contact":"555-0100","third_parties":["Ben Example"],"created_at":"2026-11-26T19:32:20Z"}"#;
const NOTE: &str = r###"{"id":"1268602f","version":3,"clients":["ce010087","07636229"],"date":"2026-03-01","note_type":"couples","body":"Slept better.\n## risk\nNone.\n","sections":[{"category":"progress","text":"Slept better."},{"category":"risk","text":"None."}],"status":{"state":"signed","at":"2026-11-26T19:34:54Z","by":"dr-rivera"},"addenda":[{"written_at":"2026-11-26T19:35:05Z","written_by":"dr-rivera","body":"Correction.\n","sections":[{"category":"progress","text":"Correction."}]}],"written_at":"2026-11-26T19:35:05Z","written_by":"dr-rivera"}"###;
const CONSENT: &str = r#"{"id":"0ace8328","version":2,"client":"8b3ac338","recipient":{"name":"Acme Insurance","organization":null,"public_key":null},"purposes":["payment"],"categories":["diagnosis"],"excluded":[],"effective":"2026-11-26","expires":"2027-12-31","signed_by":"Ada Example","relationship":"self","recorded_at":"2026-11-26T19:32:36Z","recorded_by":"dr-rivera","revoked":{"effective":"2026-12-01","recorded_at":"2026-11-26T19:32:39Z","recorded_by":"dr-rivera"}}"#;
const INTAKE: &str = r#"{"id":"a28b52a4","client":"8b3ac338","acknowledged_on":"2026-03-01","policy_version":1,"policy_name":"casevault default","exceptions":[{"kind":"court-order","description":"A judge's order can require me to release the records it names."}],"recorded_at":"2026-11-26T19:32:39Z","recorded_by":"dr-rivera"}"#;
const DECISION: &str = r#"{"id":"b976a68d","policy_version":2,"dry_run":true,"decision":{"request":{"client":"8b3ac338","recipient":"Dr. Osei","purpose":"treatment","categories":["medication"],"consent":"7b7871bd","exception":null,"from":null,"until":"2026-06-30"},"decided_on":"2026-11-26","policy":"casevault default","basis":{"kind":"consent","consents":["7b7871bd"]},"verdicts":[{"category":"medication","permitted":true,"reason":"permitted by consent 7b7871bd","consent":"7b7871bd"}],"joint_notes":[{"note":"cc2efe2c","date":"2026-03-10","permitted":true,"missing":[],"participants":[{"client":"07636229","consents":["a195e618"]}],"reason":"every participant permits this disclosure"},{"note":"dd3f0f3d","date":"2026-03-17","permitted":false,"missing":["07636229"],"participants":[],"reason":"withheld whole"}],"obligations":[{"obligation":"accounting-entry"},{"obligation":"redact-third-parties"}]},"made_at":"2026-11-26T19:32:47Z","made_by":"dr-rivera"}"#;
const ACCOUNTING: &str = r#"{"id":"5747e278","sequence":1,"client":"8b3ac338","disclosed_on":"2026-11-26","recipient":"Dr. Osei","description":"medication from 2 session note(s)","purpose":"treatment","basis":"the client's consent (7b7871bd)","client_request":false,"decision":"050e1196","recorded_at":"2026-11-26T19:32:52Z","recorded_by":"dr-rivera"}"#;
const EVENT: &str = r#"{"seq":36,"at":"2026-11-26T19:32:47Z","actor":"dr-rivera","action":"disclose.dry-run","targets":[{"kind":"client","id":"8b3ac338","version":1,"access":"read"},{"kind":"decision","id":"b976a68d","version":1,"access":"write","sha256":"b63855b64633ffcfb696f71aa9e855d479e33c51ec3f701c6db9a1f6d69cd9d8"}],"outcome":"permitted","purpose":"treatment"}"#;
/// A failed unlock whose forged row held no time, folded into the trail as it always was.
const UNREADABLE_EVENT: &str = r#"{"seq":7,"at":"an unreadable time","actor":"unknown","action":"vault.unlock","targets":[],"outcome":"failed: wrong passphrase"}"#;

#[test]
fn records_written_before_times_and_identifiers_were_typed_write_out_byte_for_byte() {
    assert_eq!(round_trip::<Client>(CLIENT), CLIENT);
    assert_eq!(round_trip::<Note>(NOTE), NOTE);
    assert_eq!(round_trip::<Consent>(CONSENT), CONSENT);
    assert_eq!(round_trip::<IntakeAcknowledgement>(INTAKE), INTAKE);
    assert_eq!(round_trip::<DecisionRecord>(DECISION), DECISION);
    assert_eq!(round_trip::<AccountingEntry>(ACCOUNTING), ACCOUNTING);
    assert_eq!(round_trip::<AuditEvent>(EVENT), EVENT);
    assert_eq!(round_trip::<AuditEvent>(UNREADABLE_EVENT), UNREADABLE_EVENT);

    // And `--json` prints them the same way, pretty-printed.
    let client: Client = serde_json::from_str(CLIENT).unwrap();
    let pretty = serde_json::to_string_pretty(&client).unwrap();
    assert!(
        pretty.contains(r#""created_at": "2026-11-26T19:32:20Z""#),
        "{pretty}"
    );
    assert!(pretty.contains(r#""id": "8b3ac338""#), "{pretty}");
}

#[test]
fn typed_values_are_what_the_text_said() {
    let note: Note = serde_json::from_str(NOTE).unwrap();
    assert_eq!(note.id, "1268602f");
    assert_eq!(note.clients, ["ce010087", "07636229"]);
    assert_eq!(note.written_at.to_string(), "2026-11-26T19:35:05Z");
    assert_eq!(
        note.addenda[0].written_at,
        "2026-11-26T19:35:05Z".parse::<Timestamp>().unwrap()
    );
    let event: AuditEvent = serde_json::from_str(UNREADABLE_EVENT).unwrap();
    assert_eq!(event.at, EventTime::Unreadable);
    assert_eq!(event.at.to_string(), "an unreadable time");
    let event: AuditEvent = serde_json::from_str(EVENT).unwrap();
    assert_eq!(
        event.at.timestamp().map(|t| t.to_string()).as_deref(),
        Some("2026-11-26T19:32:47Z")
    );
    let unlock = FailedUnlock {
        at: EventTime::Unreadable,
        keyslot: "passphrase".into(),
    };
    assert_eq!(
        serde_json::to_string(&unlock).unwrap(),
        r#"{"at":"an unreadable time","keyslot":"passphrase"}"#
    );
}

#[test]
fn a_record_with_a_time_casevault_does_not_write_is_refused_with_the_reason() {
    for bad in [
        "unknown",
        "an unreadable time",
        "2026-11-26T19:32:20+00:00",
        "2026-11-26T21:32:20+02:00",
        "2026-11-26T19:32:20.250Z",
        "2026-11-26 19:32:20Z",
        "2026-11-26",
    ] {
        let text = CLIENT.replace("2026-11-26T19:32:20Z", bad);
        let err = serde_json::from_str::<Client>(&text).unwrap_err();
        assert!(
            err.to_string()
                .contains("is not a time as casevault records them (RFC 3339, UTC"),
            "{bad}: {err}"
        );
    }
    // An audit event's time may only be unreadable in the one form casevault wrote.
    let text = EVENT.replace("2026-11-26T19:32:47Z", "unknown");
    assert!(serde_json::from_str::<AuditEvent>(&text).is_err());
}
