//! Clients' rights from the command line: requests on the law's clock, what is due,
//! retention and legal holds, and the accounting a client is owed.

mod common;

use common::TestVault;

fn today() -> casevault::Date {
    casevault::Date::today()
}

fn days_ago(n: i64) -> String {
    casevault::Date(today().0 - time::Duration::days(n)).to_string()
}

fn a_request_gets_its_due_date_and_due_lists_what_is_overdue() {
    let (v, _) = TestVault::init();
    v.ok(&["policy", "use", "us-federal"]);
    let ada = v.add_client("Ada Example", &[]);
    let received = days_ago(40);
    let shown = v.ok(&[
        "request",
        "add",
        "--client",
        &ada,
        "--kind",
        "access",
        "--received",
        &received,
    ]);
    let due = casevault::Date(today().0 - time::Duration::days(10)).to_string();
    assert!(
        shown.contains(&format!("due:       {due} (45 CFR 164.524(b)(2))")),
        "{shown}"
    );
    assert!(shown.contains("state:     overdue"), "{shown}");
    let id = v.json(&["request", "list", "--client", &ada])[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = v.ok(&["due"]);
    assert!(listed.contains(&format!("OVERDUE since {due}")), "{listed}");
    // Too late to extend; answering closes it.
    let out = v.output(&["request", "extend", &id, "--reason", "off site"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("before the deadline"));
    let out = v.output(&["request", "answer", &id, "--outcome", "denied"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs its ground"));
    let answered = v.ok(&[
        "request",
        "answer",
        &id,
        "--outcome",
        "granted",
        "--note",
        "copy sent by secure mail",
    ]);
    assert!(
        answered.contains("(granted): copy sent by secure mail"),
        "{answered}"
    );
    assert_eq!(v.ok(&["due"]), "no requests");
    // Bad words are usage errors.
    let out = v.output(&["request", "add", "--client", &ada, "--kind", "erasure"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"erasure\" is not a kind of request"));
    let log = v.ok(&["audit", "log"]);
    for action in [
        "request.add",
        "request.answer",
        "request.due",
        "request.list",
    ] {
        assert!(log.contains(action), "{action}: {log}");
    }
}

fn retention_and_holds_and_the_legal_accounting_from_the_command_line() {
    let (v, _) = TestVault::init();
    // The built-in default keeps to the APA guideline; California's pack to B&P 2919.
    v.ok(&["policy", "use", "us-ca"]);
    let ada = v.add_client("Ada Example", &[]);
    assert!(
        v.ok(&["retention"])
            .starts_with("no client's treatment has ended")
    );
    let ended = casevault::Date(today().0 - time::Duration::days(365 * 8)).to_string();
    v.ok(&["client", "edit", &ada, "--treatment-ended", &ended]);
    let listed = v.ok(&["retention", "--past"]);
    assert!(
        listed.contains(&ada) && listed.contains("past retention"),
        "{listed}"
    );
    let held = v.ok(&["client", "edit", &ada, "--legal-hold", "Smith v. Clinic"]);
    assert!(!held.is_empty());
    let listed = v.ok(&["retention"]);
    assert!(listed.contains("LEGAL HOLD: Smith v. Clinic"), "{listed}");
    let json = v.json(&["retention"]);
    assert_eq!(json[0]["legal_hold"], "Smith v. Clinic");

    // The accounting owed: a disclosure under the client's consent is left out.
    v.ok(&[
        "consent",
        "add",
        "--client",
        &ada,
        "--recipient",
        "Dr Lee",
        "--purpose",
        "coordination-of-care",
        "--allow",
        "identity",
        "--expires",
        "2030-12-31",
    ]);
    let file = v.dir.path().join("lee.md");
    v.ok(&[
        "disclose",
        "--client",
        &ada,
        "--to",
        "Dr Lee",
        "--purpose",
        "coordination-of-care",
        "--categories",
        "identity",
        "--write-plaintext",
        "--out",
        file.to_str().unwrap(),
    ]);
    let owed = v.ok(&["accounting", "--client", &ada, "--legal"]);
    assert!(
        owed.contains("no disclosure of the period is owed in it"),
        "{owed}"
    );
    assert!(
        owed.contains(
            "left out: 1 disclosure(s) under the client's authorization (164.528(a)(1)(iv))"
        ),
        "{owed}"
    );
    let full = v.ok(&["accounting", "--client", &ada]);
    assert!(full.contains("Dr Lee"), "{full}");
    let fhir: serde_json::Value =
        serde_json::from_str(&v.ok(&["accounting", "--client", &ada, "--legal", "--fhir"]))
            .unwrap();
    assert_eq!(fhir["resourceType"], "Bundle");
    assert!(
        fhir["entry"].as_array().is_none_or(|e| e.is_empty()),
        "{fhir}"
    );
    // Under a pack that owes no accounting, the command says so.
    v.ok(&["policy", "use", "ca-on"]);
    let out = v.output(&["accounting", "--client", &ada, "--legal"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("owes clients no accounting of disclosures")
    );
}

fn a_client_is_given_a_plain_page_about_their_record() {
    let (v, _) = TestVault::init();
    v.ok(&["policy", "use", "us-ca"]);
    let ada = v.add_client("Ada *Example*", &[]);
    v.add_note(&ada, &days_ago(30), "Calmer.\n## diagnosis\nF41.1\n");
    v.ok(&[
        "consent",
        "add",
        "--client",
        &ada,
        "--recipient",
        "Dr Lee",
        "--purpose",
        "coordination-of-care",
        "--allow",
        "diagnosis",
        "--expires",
        "2030-12-31",
    ]);
    let file = v.dir.path().join("lee.md");
    v.ok(&[
        "disclose",
        "--client",
        &ada,
        "--to",
        "Dr Lee",
        "--purpose",
        "coordination-of-care",
        "--categories",
        "diagnosis",
        "--write-plaintext",
        "--out",
        file.to_str().unwrap(),
    ]);
    let page = v.ok(&["client", "page", &ada]);
    // The name is escaped: it prints as typed, never as emphasis.
    assert!(
        page.starts_with("# Your record with this practice: Ada \\*Example\\*"),
        "{page}"
    );
    assert!(page.contains("1 session note(s)"), "{page}");
    assert!(
        page.contains("- to Dr Lee for coordination-of-care: diagnosis"),
        "{page}"
    );
    // The limits of confidentiality as the pack tells clients, duties marked.
    assert!(page.contains("(the law requires it)"), "{page}");
    assert!(
        page.contains(": to Dr Lee, for coordination-of-care: diagnosis from 1 session note(s)"),
        "{page}"
    );
    assert!(
        page.contains("To see and get a copy of your record: we answer within 30 days, once extended by up to 30 days with a written reason (45 CFR 164.524(b)(2))"),
        "{page}"
    );
    assert!(
        page.contains("Keep a record 7 years after") || page.contains("7 years after discharge"),
        "{page}"
    );
    assert!(
        !page.contains("F41.1"),
        "no clinical text on the page: {page}"
    );
    let json = v.json(&["client", "page", &ada]);
    assert_eq!(json["notes"], 1);
    assert!(v.ok(&["audit", "log"]).contains("client.page"));
}

fn granting_access_writes_the_copy_and_accepting_an_amendment_appends_it() {
    let (v, _) = TestVault::init();
    v.ok(&["policy", "use", "us-federal"]);
    let ada = v.add_client("Ada Example", &[]);
    let note = v.add_note(
        &ada,
        &days_ago(10),
        "Calmer: KESTREL-1.\n\n## risk\nKESTREL-RISK.\n",
    );
    v.ok(&["note", "sign", &note]);
    let received = days_ago(2);
    let access = v.json(&[
        "request",
        "add",
        "--client",
        &ada,
        "--kind",
        "access",
        "--received",
        &received,
    ])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let copy = v.dir.path().join("copy.md");
    let copy_arg = copy.to_str().unwrap();
    // Not said how to encrypt: a usage error before unlocking, nothing written.
    let out = v.output(&["request", "grant-access", &access, "--out", copy_arg]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!copy.exists());
    // A ground needs something withheld, and the reverse: usage errors.
    let out = v.output(&[
        "request",
        "grant-access",
        &access,
        "--out",
        copy_arg,
        "--write-plaintext",
        "--ground",
        "danger-to-life",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let shown = v.ok(&[
        "request",
        "grant-access",
        &access,
        "--out",
        copy_arg,
        "--write-plaintext",
        "--withhold",
        "risk",
        "--ground",
        "danger-to-life",
        "--note",
        "kept back for now",
    ]);
    assert!(
        shown.contains("answered:") && shown.contains("(partly)"),
        "{shown}"
    );
    let text = std::fs::read_to_string(&copy).unwrap();
    assert!(
        text.contains("KESTREL-1") && !text.contains("KESTREL-RISK"),
        "{text}"
    );

    let amendment = v.json(&[
        "request",
        "add",
        "--client",
        &ada,
        "--kind",
        "amendment",
        "--received",
        &received,
        "--concerns",
        "progress",
    ])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let addendum = v.dir.path().join("addendum.md");
    std::fs::write(&addendum, "Calm, not calmer: KESTREL-2.\n").unwrap();
    let done = v.ok(&[
        "request",
        "accept-amendment",
        &amendment,
        "--note-id",
        &note,
        "--file",
        addendum.to_str().unwrap(),
        "--notify",
        "Dr. Osei",
    ]);
    assert!(
        done.contains("to tell:   Dr. Osei (the client asked)"),
        "{done}"
    );
    assert!(done.contains("(granted): addendum to note"), "{done}");
    let shown = v.ok(&["note", "show", &note]);
    assert!(shown.contains("KESTREL-2"), "{shown}");
}

common::on_both_backends!(
    a_request_gets_its_due_date_and_due_lists_what_is_overdue,
    retention_and_holds_and_the_legal_accounting_from_the_command_line,
    a_client_is_given_a_plain_page_about_their_record,
    granting_access_writes_the_copy_and_accepting_an_amendment_appends_it,
);
