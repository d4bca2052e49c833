//! HL7 FHIR R4 output through the CLI (`consent show --fhir`, `audit log --fhir`,
//! `accounting --fhir`): the elements R4 requires and their cardinalities, the
//! invariants Consent carries (ppc-1, ppc-2), every code drawn from the project's
//! value-set table (`casevault::FHIR_CODES`), references to the client as
//! `Patient/<id>`, the status of revoked, expired and future consents, exclusions as a
//! nested deny provision, and date, dateTime and instant formats.
//!
//! Consents are judged on the day the command runs, so active consents span
//! 2020-01-01..2099-12-31 and expired or future ones lie wholly in the past or future.

mod common;

use common::TestVault;
use regex::Regex;
use serde_json::Value;

/// FHIR R4 `date` (full dates only: casevault writes no partial dates).
fn is_date(v: &Value) -> bool {
    let re = Regex::new(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$").unwrap();
    v.as_str().is_some_and(|s| re.is_match(s))
}

/// FHIR R4 `instant`: to the second, with a time zone.
fn is_instant(v: &Value) -> bool {
    let re = Regex::new(
        r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))$",
    )
    .unwrap();
    v.as_str().is_some_and(|s| re.is_match(s))
}

/// Runs `casevault ARGS`, expects success, parses stdout as JSON.
fn fhir(v: &TestVault, args: &[&str]) -> Value {
    let out = v.cmd().args(args).assert().success();
    serde_json::from_slice(&out.get_output().stdout).expect("--fhir prints JSON")
}

/// Every `{system, code}` pair in `value`, with its JSON path.
fn codings(value: &Value, path: &str, out: &mut Vec<(String, String, String)>) {
    match value {
        Value::Object(map) => {
            if let (Some(Value::String(system)), Some(Value::String(code))) =
                (map.get("system"), map.get("code"))
            {
                out.push((path.to_owned(), system.clone(), code.clone()));
            }
            for (k, v) in map {
                codings(v, &format!("{path}.{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                codings(v, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Checks that every coding in `value` is in the project's table (with the table's
/// display), or is a casevault category or purpose of the default policy; identifier
/// systems (`urn:casevault:vault`, `urn:casevault:record:…`) carry values, not codes.
fn assert_codes_known(value: &Value) {
    let mut found = Vec::new();
    codings(value, "$", &mut found);
    assert!(!found.is_empty());
    let steps = Regex::new(r"\.([A-Za-z_]+)|\[(\d+)\]").unwrap();
    for (path, system, code) in found {
        if system == casevault::FHIR_CATEGORY_SYSTEM {
            assert!(
                casevault::DEFAULT_CATEGORIES.contains(&code.as_str()),
                "{path}: {code} is not a category"
            );
            continue;
        }
        assert_ne!(
            system,
            casevault::FHIR_PURPOSE_SYSTEM,
            "{path}: every default purpose has a v3 code"
        );
        let entry = casevault::fhir_code(&system, &code)
            .unwrap_or_else(|| panic!("{path}: {system}#{code} is not in the value-set table"));
        // The coding sits in an object holding its display.
        let mut parent = value;
        for step in steps.captures_iter(&path) {
            parent = match (step.get(1), step.get(2)) {
                (Some(key), _) => &parent[key.as_str()],
                (_, Some(i)) => &parent[i.as_str().parse::<usize>().unwrap()],
                _ => unreachable!(),
            };
        }
        assert_eq!(parent["display"], entry.display, "{path}: display");
    }
}

/// Checks a `code`-typed element against the table.
fn assert_code(value: &Value, system: &str) {
    let code = value.as_str().expect("a code is a string");
    assert!(
        casevault::fhir_code(system, code).is_some(),
        "{system}#{code} is not in the value-set table"
    );
}

fn consent(v: &TestVault, client: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "consent",
        "add",
        "--client",
        client,
        "--recipient",
        "Dr. Osei",
        "--purpose",
        "treatment,coordination-of-care",
    ];
    args.extend(extra);
    v.ok(&args)
}

/// Checks what R4 requires of every Consent, and casevault's constant parts.
fn assert_consent_shape(c: &Value, id: &str, client: &str) {
    assert_eq!(c["resourceType"], "Consent");
    assert_eq!(c["id"], id);
    assert_code(&c["status"], "http://hl7.org/fhir/consent-state-codes");
    assert_eq!(
        c["scope"]["coding"][0]["code"], "patient-privacy",
        "scope 1..1"
    );
    assert!(
        c["category"].as_array().is_some_and(|a| !a.is_empty()),
        "category 1..*"
    );
    // ppc-1: a policy or a policyRule; ppc-2: a privacy consent names the patient.
    assert!(c["policyRule"]["coding"][0]["code"].is_string(), "ppc-1");
    assert_eq!(
        c["patient"]["reference"],
        format!("Patient/{client}"),
        "ppc-2"
    );
    assert!(
        Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
            .unwrap()
            .is_match(c["dateTime"].as_str().unwrap()),
        "dateTime: {}",
        c["dateTime"]
    );
    assert!(is_instant(&c["meta"]["lastUpdated"]));
    let p = &c["provision"];
    assert_eq!(p["type"], "permit");
    assert_code(&p["type"], "http://hl7.org/fhir/consent-provision-type");
    let actors = p["actor"].as_array().expect("provision.actor");
    assert_eq!(actors.len(), 1);
    assert_eq!(
        actors[0]["role"]["coding"][0]["code"], "IRCP",
        "actor.role 1..1"
    );
    assert!(
        actors[0]["reference"]["display"]
            .as_str()
            .is_some_and(|d| d.starts_with("Dr. Osei")),
        "actor.reference 1..1"
    );
    assert_eq!(p["action"][0]["coding"][0]["code"], "disclose");
    let purposes: Vec<&str> = p["purpose"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(purposes, ["TREAT", "COC"]);
    for nested in p["provision"].as_array().into_iter().flatten() {
        assert_code(
            &nested["type"],
            "http://hl7.org/fhir/consent-provision-type",
        );
    }
    assert_codes_known(c);
}

fn codes_of(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|c| c["coding"][0]["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn consents_as_fhir() {
    let (v, _) = TestVault::init();
    let client = v.add_client("Ada Quill", &[]);

    // Active, with an exclusion and an explicitly named sensitive category.
    let active = consent(
        &v,
        &client,
        &[
            "--organization",
            "Riverside Clinic",
            "--allow",
            "all,substance-use",
            "--exclude",
            "risk",
            "--from",
            "2020-01-01",
            "--expires",
            "2099-12-31",
        ],
    );
    let c = fhir(&v, &["consent", "show", &active, "--fhir"]);
    assert_consent_shape(&c, &active, &client);
    assert_eq!(c["status"], "active");
    assert_eq!(c["meta"]["versionId"], "1");
    assert_eq!(c["performer"][0]["reference"], format!("Patient/{client}"));
    let p = &c["provision"];
    assert_eq!(
        p["actor"][0]["reference"]["display"],
        "Dr. Osei (Riverside Clinic)"
    );
    assert_eq!(p["period"]["start"], "2020-01-01");
    assert_eq!(p["period"]["end"], "2099-12-31");
    assert!(is_date(&p["period"]["start"]) && is_date(&p["period"]["end"]));
    let permitted = codes_of(&p["code"]);
    assert!(permitted.contains(&"substance-use".to_owned()));
    assert!(permitted.contains(&"diagnosis".to_owned()));
    assert!(!permitted.contains(&"risk".to_owned()));
    assert!(!permitted.contains(&"psychotherapy-notes".to_owned()));
    let labels: Vec<&str> = p["securityLabel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["code"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"SUD") && labels.contains(&"ETH") && labels.contains(&"SEX"));
    assert!(!labels.contains(&"PSYTHPN"));
    // The exclusion, and what `all` does not reach, as one nested deny provision.
    let nested = p["provision"].as_array().expect("a nested provision");
    assert_eq!(nested.len(), 1);
    assert_eq!(nested[0]["type"], "deny");
    assert_eq!(
        codes_of(&nested[0]["code"]),
        ["risk", "psychotherapy-notes"]
    );
    assert_eq!(nested[0]["securityLabel"][0]["code"], "PSYTHPN");

    // `--json` alongside `--fhir` changes nothing.
    assert_eq!(
        fhir(&v, &["consent", "show", &active, "--fhir", "--json"]),
        c
    );

    // Revoked: inactive, version 2, the period ends the day before the revocation.
    v.ok(&["consent", "revoke", &active, "--on", "2026-01-01"]);
    let c = fhir(&v, &["consent", "show", &active, "--fhir"]);
    assert_consent_shape(&c, &active, &client);
    assert_eq!(c["status"], "inactive");
    assert_eq!(c["meta"]["versionId"], "2");
    assert_eq!(c["provision"]["period"]["end"], "2025-12-31");

    // Expired: inactive, its period as signed.
    let expired = consent(
        &v,
        &client,
        &[
            "--allow",
            "diagnosis",
            "--from",
            "2020-01-01",
            "--expires",
            "2021-01-01",
        ],
    );
    let c = fhir(&v, &["consent", "show", &expired, "--fhir"]);
    assert_consent_shape(&c, &expired, &client);
    assert_eq!(c["status"], "inactive");
    assert_eq!(c["provision"]["period"]["end"], "2021-01-01");
    assert!(c["provision"].get("provision").is_none(), "nothing denied");

    // Not yet effective: signed, so active; the period says when it applies.
    let future = consent(
        &v,
        &client,
        &[
            "--allow",
            "diagnosis",
            "--from",
            "2098-01-01",
            "--expires",
            "2099-01-01",
        ],
    );
    let c = fhir(&v, &["consent", "show", &future, "--fhir"]);
    assert_consent_shape(&c, &future, &client);
    assert_eq!(c["status"], "active");
    assert_eq!(c["provision"]["period"]["start"], "2098-01-01");

    // Revoked from the day it would have taken effect (a revocation before that day is
    // refused): inactive, and no period to misread.
    v.ok(&["consent", "revoke", &future, "--on", "2098-01-01"]);
    let c = fhir(&v, &["consent", "show", &future, "--fhir"]);
    assert_eq!(c["status"], "inactive");
    assert!(c["provision"].get("period").is_none());

    // Psychotherapy notes named with another category are not permitted (the sole
    // consent rule) and go to the deny provision; a guardian signs as a RelatedPerson.
    let mixed = consent(
        &v,
        &client,
        &[
            "--allow",
            "psychotherapy-notes,diagnosis",
            "--from",
            "2020-01-01",
            "--expires",
            "2099-12-31",
            "--signed-by",
            "Bea Quill",
            "--relationship",
            "guardian",
        ],
    );
    let c = fhir(&v, &["consent", "show", &mixed, "--fhir"]);
    assert_consent_shape(&c, &mixed, &client);
    assert_eq!(codes_of(&c["provision"]["code"]), ["diagnosis"]);
    assert_eq!(
        codes_of(&c["provision"]["provision"][0]["code"]),
        ["psychotherapy-notes"]
    );
    assert_eq!(c["performer"][0]["type"], "RelatedPerson");
    assert_eq!(
        c["performer"][0]["display"],
        "Bea Quill (guardian of the client)"
    );

    // Psychotherapy notes alone: permitted, labelled.
    let sole = consent(
        &v,
        &client,
        &[
            "--allow",
            "psychotherapy-notes",
            "--from",
            "2020-01-01",
            "--expires",
            "2099-12-31",
        ],
    );
    let c = fhir(&v, &["consent", "show", &sole, "--fhir"]);
    assert_eq!(codes_of(&c["provision"]["code"]), ["psychotherapy-notes"]);
    assert_eq!(c["provision"]["securityLabel"][0]["code"], "PSYTHPN");
}

/// Checks what R4 requires of every AuditEvent casevault writes.
fn assert_audit_event_shape(e: &Value) {
    assert_eq!(e["resourceType"], "AuditEvent");
    assert!(e["id"].is_string());
    assert!(e["type"]["code"].is_string(), "type 1..1");
    assert_code(&e["action"], "http://hl7.org/fhir/audit-event-action");
    assert!(is_instant(&e["recorded"]), "recorded: {}", e["recorded"]);
    assert_code(&e["outcome"], "http://hl7.org/fhir/audit-event-outcome");
    let agents = e["agent"].as_array().expect("agent 1..*");
    assert!(!agents.is_empty());
    assert!(
        agents.iter().all(|a| a["requestor"].is_boolean()),
        "requestor 1..1"
    );
    assert_eq!(
        agents.iter().filter(|a| a["requestor"] == true).count(),
        1,
        "one requestor"
    );
    assert_eq!(
        e["source"]["observer"]["display"], "casevault",
        "observer 1..1"
    );
    for entity in e["entity"].as_array().into_iter().flatten() {
        // sev-1: a name or a query, not both (casevault writes neither).
        assert!(entity.get("name").is_none() || entity.get("query").is_none());
        assert!(entity["what"].is_object());
    }
}

fn resources(bundle: &Value) -> Vec<Value> {
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_code(&bundle["type"], "http://hl7.org/fhir/bundle-type");
    assert_eq!(bundle["type"], "collection");
    assert!(
        bundle.get("total").is_none(),
        "bdl-1: total only in searches"
    );
    bundle["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["resource"].clone())
        .collect()
}

/// A vault with one disclosure made under consent, and one failed unlock.
fn vault_with_a_disclosure() -> (TestVault, String) {
    let (v, _) = TestVault::init();
    let client = v.add_client("Ada Quill", &[]);
    v.add_note(
        &client,
        "2026-03-01",
        "Slept better.\n## diagnosis\nF41.1\n",
    );
    consent(
        &v,
        &client,
        &[
            "--allow",
            "diagnosis,progress",
            "--from",
            "2020-01-01",
            "--expires",
            "2099-12-31",
        ],
    );
    let out = v.dir.path().join("osei.md");
    v.ok(&[
        "disclose",
        "--client",
        &client,
        "--to",
        "Dr. Osei",
        "--purpose",
        "coordination-of-care",
        "--categories",
        "diagnosis",
        "--write-plaintext",
        "--out",
        out.to_str().unwrap(),
    ]);
    v.cmd_with_passphrase("not the passphrase")
        .args(["client", "list"])
        .assert()
        .code(3);
    (v, client)
}

#[test]
fn audit_log_and_accounting_as_fhir() {
    let (v, client) = vault_with_a_disclosure();
    // The audit trail: one AuditEvent per event, in order.
    let plain = v.json(&["audit", "log"]);
    let bundle = fhir(&v, &["audit", "log", "--fhir"]);
    let events = resources(&bundle);
    // `audit log --fhir` lists the events before its own.
    assert_eq!(events.len(), plain.as_array().unwrap().len() + 1);
    let mut ids = std::collections::HashSet::new();
    for e in &events {
        assert_audit_event_shape(e);
        assert!(
            ids.insert(e["id"].as_str().unwrap().to_owned()),
            "ids unique"
        );
        assert_eq!(e["agent"][0]["requestor"], true);
        assert_codes_known(e);
        for entity in e["entity"].as_array().into_iter().flatten() {
            if entity["role"]["code"] == "1" {
                assert_eq!(entity["what"]["reference"], format!("Patient/{client}"));
            }
        }
    }
    let of_type = |code: &str| -> Vec<&Value> {
        events
            .iter()
            .filter(|e| e["type"]["code"] == code)
            .collect()
    };
    let export = of_type("110106");
    assert_eq!(export.len(), 1, "one disclosure");
    assert_eq!(export[0]["outcome"], "0");
    assert_eq!(
        export[0]["purposeOfEvent"][0]["coding"][0]["code"], "COC",
        "the request's purpose"
    );
    let logins = of_type("110114");
    assert!(
        logins.iter().any(|e| e["outcome"] == "4"),
        "the failed unlock"
    );
    assert!(
        logins
            .iter()
            .all(|e| e["agent"][0]["who"]["display"] == "unknown")
    );
    let note_add = events
        .iter()
        .find(|e| {
            e["outcomeDesc"]
                .as_str()
                .is_some_and(|d| d.starts_with("note.add"))
        })
        .expect("the note's event");
    assert_eq!(note_add["type"]["code"], "110110");
    assert_eq!(note_add["subtype"][0]["code"], "create");
    assert_eq!(note_add["action"], "C");
    assert_eq!(note_add["agent"][0]["who"]["display"], "dr-test");

    // The accounting: one AuditEvent per disclosure.
    let entries = v.json(&["accounting", "--client", &client]);
    let bundle = fhir(&v, &["accounting", "--client", &client, "--fhir"]);
    let events = resources(&bundle);
    assert_eq!(events.len(), entries.as_array().unwrap().len());
    assert_eq!(events.len(), 1);
    let e = &events[0];
    let entry = &entries[0];
    assert_audit_event_shape(e);
    assert_codes_known(e);
    assert_eq!(
        e["id"],
        format!("accounting-{}", entry["id"].as_str().unwrap())
    );
    assert_eq!(e["type"]["code"], "110106");
    assert_eq!(e["action"], "R");
    assert!(is_date(&e["period"]["start"]));
    assert_eq!(e["period"]["start"], entry["disclosed_on"]);
    assert_eq!(e["purposeOfEvent"][0]["coding"][0]["code"], "COC");
    assert_eq!(e["purposeOfEvent"][0]["text"], "coordination-of-care");
    let agents = e["agent"].as_array().unwrap();
    assert_eq!(agents.len(), 2);
    assert_eq!(agents[0]["who"]["display"], "dr-test");
    assert_eq!(agents[1]["requestor"], false);
    assert_eq!(agents[1]["who"]["display"], "Dr. Osei");
    assert_eq!(agents[1]["type"]["coding"][0]["code"], "IRCP");
    assert_eq!(
        e["entity"][0]["what"]["reference"],
        format!("Patient/{client}")
    );
    assert_eq!(e["entity"][0]["description"], entry["description"]);
    assert_eq!(e["entity"][0]["detail"][0]["valueString"], entry["basis"]);
    assert_eq!(
        e["entity"][1]["what"]["identifier"]["value"],
        entry["decision"]
    );

    // A client with no disclosures: an empty collection, still a valid Bundle.
    let other = v.add_client("Ben Quill", &[]);
    let bundle = fhir(&v, &["accounting", "--client", &other, "--fhir"]);
    assert!(resources(&bundle).is_empty());
}

#[test]
fn every_code_in_the_table_is_well_formed() {
    for c in casevault::FHIR_CODES {
        assert!(
            c.system.starts_with("http://"),
            "{}: a canonical URL",
            c.system
        );
        assert!(!c.code.is_empty() && !c.code.contains(char::is_whitespace));
        assert!(!c.used_for.is_empty());
    }
    for purpose in [
        "treatment",
        "payment",
        "operations",
        "coordination-of-care",
        "client-request",
        "legal",
        "family-involvement",
        "supervision",
        "research",
    ] {
        let c = casevault::fhir_purpose_of_use(purpose).expect("mapped");
        assert_eq!(
            c.system,
            "http://terminology.hl7.org/CodeSystem/v3-ActReason"
        );
    }
}
