//! Clients' rights on the law's clocks: deadlines in days and calendar months (month
//! ends, leap years, the one extension), retention per pack, and the accounting a
//! client is owed against the full history of what left.

use casevault::{
    CareChange, ConsentRecipient, Date, DenialGround, DisclosureRequest, ExceptionRequest,
    ExportEncryption, ExportFormat, ExportOptions, KdfParams, NewClient, NewConsent, Policy,
    Relationship, RequestOutcome, RightKind, Session, Term, Vault, retention_end, years_after,
};
use secrecy::SecretString;

fn d(s: &str) -> Date {
    s.parse().expect("test date")
}

fn pack(id: &str) -> Policy {
    Policy::pack(id).unwrap().unwrap()
}

#[test]
fn deadlines_count_days_and_calendar_months() {
    // Days run across month ends and leap days.
    assert_eq!(Term::Days(30).after(d("2026-01-31")), Some(d("2026-03-02")));
    assert_eq!(Term::Days(30).after(d("2028-01-31")), Some(d("2028-03-01")));
    assert_eq!(Term::Days(60).after(d("2026-12-15")), Some(d("2027-02-13")));
    // A calendar month ends on the same day, or on the month's last day when it has none.
    assert_eq!(
        Term::Months(1).after(d("2026-01-31")),
        Some(d("2026-02-28"))
    );
    assert_eq!(
        Term::Months(1).after(d("2028-01-31")),
        Some(d("2028-02-29"))
    );
    assert_eq!(
        Term::Months(2).after(d("2026-12-31")),
        Some(d("2027-02-28"))
    );
    assert_eq!(
        Term::Months(1).after(d("2026-03-15")),
        Some(d("2026-04-15"))
    );
    assert_eq!(
        Term::Months(12).after(d("2026-05-31")),
        Some(d("2027-05-31"))
    );
    // Each pack's deadlines, as its law sets them.
    let federal = pack("us-federal");
    let access = RightKind::Access.deadline(&federal).unwrap();
    assert_eq!(
        (access.term, access.extension),
        (Term::Days(30), Some(Term::Days(30)))
    );
    assert_eq!(access.citation, "45 CFR 164.524(b)(2)");
    let amend = RightKind::Amendment.deadline(&federal).unwrap();
    assert_eq!(
        (amend.term, amend.extension),
        (Term::Days(60), Some(Term::Days(30)))
    );
    let uk = pack("uk");
    let access = RightKind::Access.deadline(&uk).unwrap();
    assert_eq!(
        (access.term, access.extension),
        (Term::Months(1), Some(Term::Months(2)))
    );
    assert!(RightKind::Restriction.deadline(&federal).is_none());
    // A state inherits the federal clocks.
    assert_eq!(pack("us-ca").rights, federal.rights);
}

#[test]
fn retention_ends_at_the_later_of_the_pack_s_terms() {
    let end = |id: &str, ended: &str, born: Option<&str>| {
        let p = pack(id);
        retention_end(
            p.retention.as_ref().unwrap(),
            p.minors.as_ref().map_or(18, |m| m.age_of_majority),
            Some(d(ended)),
            born.map(d),
        )
    };
    // California (B&P 2919): 7 years after discharge; a minor's, 7 years after 18.
    assert_eq!(end("us-ca", "2020-01-01", None), Some(d("2027-01-01")));
    assert_eq!(
        end("us-ca", "2020-01-01", Some("2010-05-01")),
        Some(d("2035-05-01"))
    );
    // New York (8 NYCRR 29.2(a)(3)): 6 years, and a minor's until 22.
    assert_eq!(
        end("us-ny", "2020-01-01", Some("2010-05-01")),
        Some(d("2032-05-01"))
    );
    assert_eq!(
        end("us-ny", "2020-01-01", Some("1990-05-01")),
        Some(d("2026-01-01"))
    );
    // Texas (22 TAC 465.22(b)): 7 years or 5 past majority, whichever is later.
    assert_eq!(
        end("us-tx", "2020-01-01", Some("2010-05-01")),
        Some(d("2033-05-01"))
    );
    assert_eq!(
        end("us-tx", "2020-01-01", Some("2003-05-01")),
        Some(d("2027-01-01"))
    );
    // Where the law is silent (APA): 7 years, or 3 past majority.
    assert_eq!(
        end("us-fl", "2020-01-01", Some("2010-05-01")),
        Some(d("2031-05-01"))
    );
    // 29 February is never early: the record is kept to 1 March.
    assert_eq!(end("us-ca", "2020-02-29", None), Some(d("2027-03-01")));
    assert_eq!(years_after(d("2024-02-29"), 4), Some(d("2028-02-29")));
    // No end of treatment, no end of retention.
    let p = pack("us-ca");
    assert_eq!(
        retention_end(p.retention.as_ref().unwrap(), 18, None, None),
        None
    );
}

struct Fixture {
    _dir: tempfile::TempDir,
    session: Session,
    out: std::path::PathBuf,
    n: usize,
}

fn vault(pack_id: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (mut session, _) = Vault::create(
        dir.path().join("v.casevault"),
        &SecretString::from("correct horse battery staple"),
        KdfParams::default(),
        "dr-rivera",
    )
    .unwrap();
    session.use_pack(pack_id).unwrap();
    let out = dir.path().to_path_buf();
    Fixture {
        _dir: dir,
        session,
        out,
        n: 0,
    }
}

impl Fixture {
    fn client(&mut self, name: &str) -> String {
        self.session
            .add_client(NewClient {
                name: name.into(),
                ..NewClient::default()
            })
            .unwrap()
            .to_string()
    }

    /// Discloses `categories` of `client` on `on`, under `exception` or consent.
    fn disclose(
        &mut self,
        client: &str,
        to: &str,
        kind: Option<&str>,
        purpose: &str,
        exception: Option<&str>,
        on: &str,
    ) {
        self.n += 1;
        let request = DisclosureRequest {
            client: client.into(),
            recipient: to.into(),
            purpose: purpose.into(),
            categories: vec!["identity".into()],
            consent: None,
            exception: exception.map(|kind| ExceptionRequest {
                kind: kind.into(),
                justification: "the facts".into(),
                reference: Some("REF-1".into()),
                order_categories: Vec::new(),
                about: None,
            }),
            from: None,
            until: None,
            recipient_kind: kind.map(Into::into),
        };
        self.session
            .disclose(
                &request,
                d(on),
                &ExportOptions {
                    format: ExportFormat::Markdown,
                    encryption: ExportEncryption::Plaintext,
                    out: self.out.join(format!("export-{}.md", self.n)),
                },
            )
            .unwrap_or_else(|e| panic!("disclosure {} on {on}: {e}", self.n));
    }

    fn consent(&mut self, client: &str, to: &str, purpose: &str) {
        self.session
            .add_consent(NewConsent {
                client: client.into(),
                recipient: ConsentRecipient {
                    name: to.into(),
                    organization: None,
                    public_key: None,
                },
                purposes: vec![purpose.into()],
                categories: vec!["identity".into()],
                excluded: Vec::new(),
                effective: d("2018-01-01"),
                expires: d("2030-12-31"),
                signed_by: String::new(),
                relationship: Relationship::Client,
                tpo: None,
            })
            .unwrap();
    }
}

#[test]
fn the_accounting_owed_is_exactly_the_legal_disclosures_of_six_years_in_order() {
    let mut f = vault("us-federal");
    let ada = f.client("Ada Example");
    f.consent(&ada, "Dr Lee", "coordination-of-care");
    let today = "2026-06-01";
    // Owed: exceptions for purposes other than treatment, payment and operations,
    // within six years.
    f.disclose(
        &ada,
        "County Health",
        Some("public-health-authority"),
        "operations",
        Some("public-health"),
        "2024-03-01",
    );
    f.disclose(
        &ada,
        "County CPS",
        Some("child-protection"),
        "legal",
        Some("child-abuse-report"),
        "2021-05-01",
    );
    f.disclose(
        &ada,
        "Sam Target",
        Some("victim"),
        "legal",
        Some("duty-to-protect"),
        "2025-01-15",
    );
    // Not owed: under the client's authorization, to the client, for treatment,
    // older than six years.
    f.disclose(
        &ada,
        "Dr Lee",
        None,
        "coordination-of-care",
        None,
        "2025-02-01",
    );
    f.disclose(&ada, "client", None, "client-request", None, "2025-03-01");
    f.disclose(
        &ada,
        "ER",
        Some("medical"),
        "treatment",
        Some("emergency"),
        "2025-04-01",
    );
    f.disclose(
        &ada,
        "County CPS",
        Some("child-protection"),
        "legal",
        Some("child-abuse-report"),
        "2020-05-31",
    );

    let owed = f.session.legal_accounting(&ada, None, d(today)).unwrap();
    let listed: Vec<(String, String)> = owed
        .entries
        .iter()
        .map(|e| (e.disclosed_on.to_string(), e.recipient.clone()))
        .collect();
    // Every 164.512 disclosure is owed whatever purpose was typed for it (the
    // public-health report was recorded "for operations"); emergency treatment is not.
    assert_eq!(
        listed,
        [
            ("2021-05-01".to_owned(), "County CPS".to_owned()),
            ("2024-03-01".to_owned(), "County Health".to_owned()),
            ("2025-01-15".to_owned(), "Sam Target".to_owned()),
        ],
        "{owed:#?}"
    );
    assert_eq!(owed.from, d("2020-06-01"));
    let left: Vec<(&str, usize)> = owed
        .left_out
        .iter()
        .map(|(w, n)| (w.as_str(), *n))
        .collect();
    for (why, n) in [
        ("under the client's authorization (164.528(a)(1)(iv))", 1),
        ("to the client (164.528(a)(1)(ii))", 1),
        ("for treatment, payment or operations (164.528(a)(1)(i))", 1),
        ("older than the period the accounting reaches", 1),
    ] {
        assert!(left.contains(&(why, n)), "{why}: {left:?}");
    }
    // The six years run back from the day the client asked, not the day it is produced.
    let asked = f
        .session
        .add_request(
            &ada,
            RightKind::Accounting,
            d("2026-05-30"),
            Vec::new(),
            d(today),
        )
        .unwrap();
    let from_request = f
        .session
        .legal_accounting(&ada, Some(&asked.id), d(today))
        .unwrap();
    assert_eq!(from_request.from, d("2020-05-30"));
    assert_eq!(
        from_request.entries.len(),
        4,
        "the report of 2020-05-31 is owed too"
    );
    // The full history still shows every one of the seven.
    assert_eq!(f.session.accounting(&ada).unwrap().len(), 7);

    // A suspension at an agency's request leaves out disclosures to it while it holds
    // (164.528(a)(2)); an oral one holds 30 days at most.
    let err = f
        .session
        .suspend_accounting(
            &ada,
            "County CPS",
            (d(today), d("2026-08-01")),
            "investigation",
            true,
        )
        .unwrap_err();
    assert!(err.to_string().contains("30 days at most"), "{err}");
    f.session
        .suspend_accounting(
            &ada,
            "County  cps",
            (d(today), d("2026-08-01")),
            "investigation",
            false,
        )
        .unwrap();
    // A near name is another agency: its disclosures stay listed.
    f.session
        .suspend_accounting(
            &ada,
            "County CPT",
            (d(today), d("2026-08-01")),
            "investigation",
            false,
        )
        .unwrap();
    let suspended = f.session.legal_accounting(&ada, None, d(today)).unwrap();
    assert_eq!(suspended.entries.len(), 2, "{suspended:#?}");
    assert!(
        suspended
            .left_out
            .iter()
            .any(|(w, n)| w.contains("164.528(a)(2)") && *n == 2)
    );
    let after = f
        .session
        .legal_accounting(&ada, None, d("2026-08-02"))
        .unwrap();
    assert_eq!(after.entries.len(), 3, "the suspension has ended");

    // A Part 2 client is also owed the disclosures made with their consent, three
    // years back (42 CFR 2.24).
    f.session
        .change_care(
            &ada,
            CareChange {
                part2_program: Some(true),
                ..CareChange::default()
            },
            d(today),
        )
        .unwrap();
    let owed = f
        .session
        .legal_accounting(&ada, None, d("2026-08-02"))
        .unwrap();
    assert!(
        owed.entries
            .iter()
            .any(|e| e.recipient == "Dr Lee" && e.disclosed_on == d("2025-02-01")),
        "{owed:#?}"
    );
    assert_eq!(owed.entries.len(), 4);
}

#[test]
fn requests_run_on_the_pack_s_clock_with_one_extension() {
    let mut f = vault("us-federal");
    let ada = f.client("Ada Example");
    let today = d("2026-02-20");
    let r = f
        .session
        .add_request(&ada, RightKind::Access, d("2026-01-31"), Vec::new(), today)
        .unwrap();
    assert_eq!(r.due, Some(d("2026-03-02")));
    assert_eq!(r.citation.as_deref(), Some("45 CFR 164.524(b)(2)"));
    assert_eq!(r.state_on(today), "open");
    assert_eq!(r.state_on(d("2026-03-03")), "overdue");
    // A request received after today is refused.
    assert!(
        f.session
            .add_request(&ada, RightKind::Access, d("2026-02-21"), Vec::new(), today)
            .is_err()
    );
    // One extension, with its reason, before the deadline.
    let err = f.session.extend_request(&r.id, " ", today).unwrap_err();
    assert!(err.to_string().contains("written reason"), "{err}");
    let late = f
        .session
        .extend_request(&r.id, "records off site", d("2026-03-03"));
    assert!(
        late.unwrap_err()
            .to_string()
            .contains("before the deadline")
    );
    let r = f
        .session
        .extend_request(&r.id, "records off site", today)
        .unwrap();
    assert_eq!(r.due_now(), Some(d("2026-04-01")));
    let again = f.session.extend_request(&r.id, "more", today).unwrap_err();
    assert!(again.to_string().contains("one extension"), "{again}");
    // A request of a kind without a deadline has none; `due` lists it last.
    let other = f
        .session
        .add_request(
            &ada,
            RightKind::ConfidentialCommunication,
            today,
            Vec::new(),
            today,
        )
        .unwrap();
    assert_eq!(other.due, None);
    let err = f
        .session
        .add_request(
            &ada,
            RightKind::Amendment,
            d("2026-02-01"),
            Vec::new(),
            today,
        )
        .unwrap_err();
    assert!(err.to_string().contains("--concerns"), "{err}");
    let amendment = f
        .session
        .add_request(
            &ada,
            RightKind::Amendment,
            d("2026-02-01"),
            vec!["diagnosis".into()],
            today,
        )
        .unwrap();
    assert_eq!(amendment.due, Some(d("2026-04-02")));
    let due: Vec<String> = f
        .session
        .due()
        .unwrap()
        .iter()
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(
        due,
        [
            r.id.to_string(),
            amendment.id.to_string(),
            other.id.to_string()
        ]
    );
    // A denial needs its ground; answering closes it.
    let err = f
        .session
        .answer_request(
            &amendment.id,
            RequestOutcome::Denied,
            None,
            "",
            today,
            today,
        )
        .unwrap_err();
    assert!(err.to_string().contains("needs its ground"), "{err}");
    let answered = f
        .session
        .answer_request(
            &amendment.id,
            RequestOutcome::Denied,
            Some(DenialGround::AccurateAndComplete),
            "accurate and complete (164.526(a)(2)(iv))",
            today,
            today,
        )
        .unwrap();
    assert_eq!(answered.state_on(today), "answered");
    assert_eq!(f.session.due().unwrap().len(), 2);
    assert!(
        f.session
            .answer_request(
                &amendment.id,
                RequestOutcome::Granted,
                None,
                "",
                today,
                today
            )
            .is_err()
    );
    assert_eq!(f.session.requests_for_client(&ada).unwrap().len(), 3);

    // Under the UK pack the clock is a calendar month, extended by two.
    let mut uk = vault("uk");
    let ben = uk.client("Ben Quill");
    let r = uk
        .session
        .add_request(&ben, RightKind::Access, d("2026-01-31"), Vec::new(), today)
        .unwrap();
    assert_eq!(r.due, Some(d("2026-02-28")));
    let r = uk.session.extend_request(&r.id, "complex", today).unwrap();
    assert_eq!(
        r.due_now(),
        Some(d("2026-04-30")),
        "one month and two more from receipt"
    );
}

#[test]
fn retention_lists_who_is_past_it_and_a_legal_hold_is_shown() {
    let mut f = vault("us-ca");
    let ada = f.client("Ada Example");
    let ben = f.client("Ben Quill");
    f.client("Cy Still-In-Care");
    let today = d("2026-06-01");
    for (client, ended) in [(&ada, "2018-01-10"), (&ben, "2019-06-02")] {
        f.session
            .change_care(
                client,
                CareChange {
                    treatment_ended: Some(d(ended)),
                    ..CareChange::default()
                },
                today,
            )
            .unwrap();
    }
    f.session
        .change_care(
            &ada,
            CareChange {
                legal_hold: Some(Some("Smith v. Clinic, subpoena pending".into())),
                ..CareChange::default()
            },
            today,
        )
        .unwrap();
    let rows = f.session.retention(today).unwrap();
    assert_eq!(rows.len(), 2, "a client still in care is not listed");
    assert_eq!(rows[0].client.as_str(), ada);
    assert_eq!(rows[0].retention_end, d("2025-01-10"));
    assert!(rows[0].past);
    assert_eq!(
        rows[0].legal_hold.as_deref(),
        Some("Smith v. Clinic, subpoena pending")
    );
    assert_eq!(rows[1].retention_end, d("2026-06-02"));
    assert!(!rows[1].past, "the day before it ends");
    // A session after the end recorded: the retention runs from it.
    f.session
        .add_note(casevault::NewNote::individual(
            &casevault::ClientId::from(ada.as_str()),
            d("2025-12-01"),
            "Came back once.\n",
        ))
        .unwrap();
    let rows = f.session.retention(today).unwrap();
    let ada_row = rows.iter().find(|r| r.client.as_str() == ada).unwrap();
    assert_eq!(ada_row.last_session, Some(d("2025-12-01")));
    assert_eq!(ada_row.retention_end, d("2032-12-01"));
    assert!(!ada_row.past);
    // An end of treatment after today is refused.
    let err = f
        .session
        .change_care(
            &ben,
            CareChange {
                treatment_ended: Some(d("2026-06-02")),
                ..CareChange::default()
            },
            today,
        )
        .unwrap_err();
    assert!(err.to_string().contains("after today"), "{err}");
}

#[test]
fn a_reviewable_denial_is_reviewed_by_another_clinician_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("practice.casevault");
    let pass = |m: &str| SecretString::from(format!("the passphrase of {m}, long enough"));
    let (mut owner, _) = Vault::create_practice(
        &path,
        &pass("dr-owner"),
        KdfParams::default(),
        "dr-owner",
        "dr-owner",
    )
    .unwrap();
    owner.use_pack("us-federal").unwrap();
    owner
        .add_member("dr-lee", "clinician", &pass("dr-lee"), KdfParams::default())
        .unwrap();
    owner
        .add_member("rec", "records", &pass("rec"), KdfParams::default())
        .unwrap();
    let ada = owner
        .add_client(NewClient {
            name: "Ada Example".into(),
            ..NewClient::default()
        })
        .unwrap();
    owner.assign_client("dr-lee", &ada, None).unwrap();
    let today = Date::today();
    let r = owner
        .add_request(&ada, RightKind::Access, today, Vec::new(), today)
        .unwrap();
    // A denial of access names its ground, of the right kind.
    let err = owner
        .answer_request(
            &r.id,
            RequestOutcome::Denied,
            None,
            "risk to her partner",
            today,
            today,
        )
        .unwrap_err();
    assert!(err.to_string().contains("names its ground"), "{err}");
    let err = owner
        .answer_request(
            &r.id,
            RequestOutcome::Denied,
            Some(DenialGround::AccurateAndComplete),
            "risk",
            today,
            today,
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("a ground for denying a request of amendment"),
        "{err}"
    );
    let denied = owner
        .answer_request(
            &r.id,
            RequestOutcome::Denied,
            Some(DenialGround::HarmToOther),
            "the notes name her partner, at risk if she reads them",
            today,
            today,
        )
        .unwrap();
    assert_eq!(denied.answer.as_ref().unwrap().member, "dr-owner");
    assert!(DenialGround::HarmToOther.reviewable());
    assert!(!DenialGround::PsychotherapyNotes.reviewable());
    // A denial on clinical judgment is a licensed professional's: records staff may
    // record answers, not that one.
    let r2 = owner
        .add_request(&ada, RightKind::Access, today, Vec::new(), today)
        .unwrap();
    let mut rec = Vault::open(&path)
        .unwrap()
        .unlock_member(&pass("rec"), "rec", Some("rec"))
        .unwrap();
    let err = rec
        .answer_request(
            &r2.id,
            RequestOutcome::Denied,
            Some(DenialGround::DangerToLife),
            "risk",
            today,
            today,
        )
        .unwrap_err();
    assert_eq!(err.class(), casevault::ErrorClass::Denied, "{err}");
    drop(rec);
    // The clinician who denied it cannot review it.
    let err = owner
        .review_request(&r.id, true, "stands", today, today)
        .unwrap_err();
    assert!(
        err.to_string().contains("another licensed professional"),
        "{err}"
    );
    drop(owner);
    let mut lee = Vault::open(&path)
        .unwrap()
        .unlock_member(&pass("dr-lee"), "dr-lee", Some("dr-lee"))
        .unwrap();
    let reviewed = lee
        .review_request(
            &r.id,
            false,
            "the risk has passed; give access",
            today,
            today,
        )
        .unwrap();
    let review = reviewed.review.unwrap();
    assert_eq!((review.by.as_str(), review.upheld), ("dr-lee", false));
    assert!(
        lee.review_request(&r.id, true, "again", today, today)
            .is_err()
    );
}

#[test]
fn a_statement_of_disagreement_goes_with_every_later_disclosure_of_what_it_concerns() {
    let mut f = vault("us-federal");
    let ada = f.client("Ada Example");
    let today = Date::today();
    f.session
        .add_note(casevault::NewNote::individual(
            &casevault::ClientId::from(ada.as_str()),
            today,
            "Calm.\n## diagnosis\nF41.1\n## progress\nBetter.\n",
        ))
        .unwrap();
    let r = f
        .session
        .add_request(
            &ada,
            RightKind::Amendment,
            today,
            vec!["diagnosis".into()],
            today,
        )
        .unwrap();
    // Only a denied amendment takes a statement; a rebuttal only after one.
    let err = f
        .session
        .record_statement(&r.id, "I disagree", false)
        .unwrap_err();
    assert!(err.to_string().contains("not a denied amendment"), "{err}");
    f.session
        .answer_request(
            &r.id,
            RequestOutcome::Denied,
            Some(DenialGround::AccurateAndComplete),
            "the diagnosis stands",
            today,
            today,
        )
        .unwrap();
    assert!(f.session.record_statement(&r.id, "rebut", true).is_err());
    f.session
        .record_statement(
            &r.id,
            "I never had panic attacks; the diagnosis is wrong.",
            false,
        )
        .unwrap();
    f.session
        .record_statement(&r.id, "The diagnosis rests on the intake assessment.", true)
        .unwrap();
    f.consent(&ada, "Dr Lee", "coordination-of-care");
    let export = |f: &mut Fixture, categories: &[&str]| {
        f.n += 1;
        let out = f.out.join(format!("s-{}.md", f.n));
        f.session
            .disclose(
                &DisclosureRequest {
                    client: ada.as_str().into(),
                    recipient: "client".into(),
                    purpose: "client-request".into(),
                    categories: categories.iter().map(|c| c.to_string()).collect(),
                    consent: None,
                    exception: None,
                    from: None,
                    until: None,
                    recipient_kind: None,
                },
                today,
                &ExportOptions {
                    format: ExportFormat::Markdown,
                    encryption: ExportEncryption::Plaintext,
                    out: out.clone(),
                },
            )
            .unwrap();
        std::fs::read_to_string(out).unwrap()
    };
    let with = export(&mut f, &["diagnosis", "progress"]);
    assert!(with.contains("## Statement of disagreement"), "{with}");
    assert!(
        with.contains("I never had panic attacks; the diagnosis is wrong."),
        "{with}"
    );
    assert!(
        with.contains("The diagnosis rests on the intake assessment."),
        "{with}"
    );
    let without = export(&mut f, &["progress"]);
    assert!(
        !without.contains("Statement of disagreement"),
        "it concerns diagnosis only: {without}"
    );
}
