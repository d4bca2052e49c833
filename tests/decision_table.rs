//! Table tests for the disclosure decision engine: every rule (README.md, "The rules";
//! `src/rules/decision/mod.rs`) and every exception of the default policy, with the
//! reasons `decide` gives, plus a custom policy that changes what an exception releases.

use casevault::{
    Basis, Consent, ConsentRecipient, DEFAULT_POLICY, Date, Decision, DecisionInput,
    DisclosureRequest, ExceptionRequest, JointNote, Obligation, Policy, Relationship, Revocation,
    Verdict, decide,
};

const ADA: &str = "ada";
const BEN: &str = "ben";
const CY: &str = "cy";
const ADA_NAME: &str = "Ada Example";
const TODAY: &str = "2026-03-01";
const LEE: &str = "Dr Lee";

fn d(s: &str) -> Date {
    s.parse().expect("test date")
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// A consent from `client` to `recipient`, in force from 2026-01-01 to 2026-12-31.
fn consent(
    id: &str,
    client: &str,
    recipient: &str,
    purposes: &[&str],
    categories: &[&str],
) -> Consent {
    Consent {
        id: id.into(),
        version: 1,
        client: client.into(),
        recipient: ConsentRecipient {
            name: recipient.to_owned(),
            organization: None,
            public_key: None,
        },
        purposes: strings(purposes),
        categories: strings(categories),
        excluded: Vec::new(),
        effective: d("2026-01-01"),
        expires: d("2026-12-31"),
        signed_by: "Ada Example".to_owned(),
        relationship: Relationship::Client,
        recorded_at: "2026-01-01T09:00:00Z".parse().unwrap(),
        recorded_by: "dr-rivera".to_owned(),
        revoked: None,
        tpo: None,
    }
}

/// The usual consent: Ada to Dr Lee for treatment.
fn ada_to_lee(id: &str, categories: &[&str]) -> Consent {
    consent(id, ADA, LEE, &["treatment"], categories)
}

fn revoked(mut c: Consent, on: &str) -> Consent {
    c.version = 2;
    c.revoked = Some(Revocation {
        effective: d(on),
        in_writing: false,
        recorded_at: format!("{on}T10:00:00Z").parse().unwrap(),
        recorded_by: "dr-rivera".to_owned(),
    });
    c
}

fn request(recipient: &str, purpose: &str, categories: &[&str]) -> DisclosureRequest {
    DisclosureRequest {
        client: ADA.into(),
        recipient: recipient.to_owned(),
        purpose: purpose.to_owned(),
        categories: strings(categories),
        consent: None,
        exception: None,
        from: None,
        until: None,
        recipient_kind: None,
    }
}

fn exception_request(
    kind: &str,
    justification: &str,
    reference: Option<&str>,
    order_categories: &[&str],
    categories: &[&str],
) -> DisclosureRequest {
    DisclosureRequest {
        exception: Some(ExceptionRequest {
            kind: kind.to_owned(),
            justification: justification.to_owned(),
            reference: reference.map(str::to_owned),
            order_categories: strings(order_categories),
            about: None,
        }),
        ..request("County Sheriff", "legal", categories)
    }
}

fn decide_full(
    policy: &Policy,
    req: &DisclosureRequest,
    consents: &[Consent],
    joint: &[JointNote],
    today: &str,
) -> Decision {
    decide(DecisionInput {
        request: req,
        client_name: ADA_NAME,
        consents,
        joint_notes: joint,
        policy,
        today: d(today),
        clients: &[],
        restrictions: &[],
    })
}

fn run(req: &DisclosureRequest, consents: &[Consent]) -> Decision {
    decide_full(&Policy::default_policy(), req, consents, &[], TODAY)
}

fn run_on(req: &DisclosureRequest, consents: &[Consent], today: &str) -> Decision {
    decide_full(&Policy::default_policy(), req, consents, &[], today)
}

fn verdict<'a>(decision: &'a Decision, category: &str) -> &'a Verdict {
    decision
        .verdicts
        .iter()
        .find(|v| v.category == category)
        .unwrap_or_else(|| panic!("no verdict for {category} in {decision:#?}"))
}

#[track_caller]
fn assert_permitted(decision: &Decision, category: &str, reason: &str) {
    let v = verdict(decision, category);
    assert!(v.permitted, "{category} should be permitted: {v:#?}");
    assert_eq!(v.reason, reason, "{category}");
}

#[track_caller]
fn assert_denied(decision: &Decision, category: &str, reason: &str) {
    let v = verdict(decision, category);
    assert!(!v.permitted, "{category} should be denied: {v:#?}");
    assert_eq!(v.reason, reason, "{category}");
    assert_eq!(v.consent, None, "a denied verdict names no consent");
}

#[track_caller]
fn assert_denied_containing(decision: &Decision, category: &str, fragment: &str) {
    let v = verdict(decision, category);
    assert!(!v.permitted, "{category} should be denied: {v:#?}");
    assert!(
        v.reason.contains(fragment),
        "{category}: reason {:?} lacks {fragment:?}",
        v.reason
    );
}

fn permitted_by(id: &str) -> String {
    format!("permitted by consent {id} (to Dr Lee for treatment, 2026-01-01 to 2026-12-31)")
}

fn has(decision: &Decision, wanted: &Obligation) -> bool {
    decision.obligations.contains(wanted)
}

fn has_notice(decision: &Decision) -> bool {
    decision
        .obligations
        .iter()
        .any(|o| matches!(o, Obligation::RedisclosureNotice { .. }))
}

const OTHER_KINDS: &[&str] = &[
    "duty-to-protect",
    "child-abuse-report",
    "adult-abuse-report",
    "emergency",
    "public-health",
];

// ---------------------------------------------------------------------------------
// Rule 1: deny by default; every category its own verdict.

#[test]
fn no_consent_on_file_denies_every_category() {
    let decision = run(
        &request(LEE, "treatment", &["diagnosis", "progress", "risk"]),
        &[],
    );
    assert_eq!(decision.verdicts.len(), 3);
    for category in ["diagnosis", "progress", "risk"] {
        assert_denied(&decision, category, "no consent from client ada is on file");
    }
    assert!(!decision.all_permitted());
    assert!(decision.permitted().is_empty());
    assert_eq!(decision.basis, Basis::Consent { consents: vec![] });
    assert!(
        decision.obligations.is_empty(),
        "nothing leaves, nothing is owed"
    );
}

#[test]
fn another_clients_consent_does_not_count() {
    let decision = run(
        &request(LEE, "treatment", &["diagnosis"]),
        &[consent("b1", BEN, LEE, &["treatment"], &["all"])],
    );
    assert_denied(
        &decision,
        "diagnosis",
        "no consent from client ada is on file",
    );
}

#[test]
fn each_category_gets_its_own_verdict_in_request_order() {
    let decision = run(
        &request(LEE, "treatment", &["progress", "diagnosis", "risk"]),
        &[ada_to_lee("c1", &["diagnosis"])],
    );
    let order: Vec<&str> = decision
        .verdicts
        .iter()
        .map(|v| v.category.as_str())
        .collect();
    assert_eq!(order, ["progress", "diagnosis", "risk"]);
    assert_denied(&decision, "progress", "consent c1 does not name progress");
    assert_permitted(&decision, "diagnosis", &permitted_by("c1"));
    assert_eq!(
        verdict(&decision, "diagnosis").consent.as_deref(),
        Some("c1")
    );
    assert_denied(&decision, "risk", "consent c1 does not name risk");
    assert_eq!(decision.permitted(), ["diagnosis"]);
    assert!(!decision.all_permitted());
    assert_eq!(
        decision.basis,
        Basis::Consent {
            consents: vec!["c1".into()]
        }
    );
    assert_eq!(
        decision.obligations,
        [Obligation::AccountingEntry, Obligation::RedactThirdParties]
    );
    assert_eq!(decision.decided_on, d(TODAY));
    assert_eq!(decision.policy, "casevault default");
    assert_eq!(
        decision.request,
        request(LEE, "treatment", &["progress", "diagnosis", "risk"])
    );
}

// ---------------------------------------------------------------------------------
// Rule 2: recipient, purposes, categories, period, not revoked.

#[test]
fn consent_revoked_before_or_on_today_never_permits() {
    let req = request(LEE, "treatment", &["diagnosis"]);
    for on in ["2026-02-15", TODAY] {
        let decision = run(&req, &[revoked(ada_to_lee("c1", &["diagnosis"]), on)]);
        assert_denied(
            &decision,
            "diagnosis",
            &format!("consent c1 was revoked on {on}"),
        );
        assert!(decision.obligations.is_empty());
    }
}

#[test]
fn revocation_dated_in_the_future_does_not_yet_revoke() {
    let req = request(LEE, "treatment", &["diagnosis"]);
    let c = revoked(ada_to_lee("c1", &["diagnosis"]), "2026-03-02");
    assert_permitted(
        &run(&req, std::slice::from_ref(&c)),
        "diagnosis",
        &permitted_by("c1"),
    );
    // ...and does from its date on.
    assert_denied(
        &run_on(&req, &[c], "2026-03-02"),
        "diagnosis",
        "consent c1 was revoked on 2026-03-02",
    );
}

#[test]
fn expired_consent_never_permits() {
    let req = request(LEE, "treatment", &["diagnosis"]);
    let mut c = ada_to_lee("c1", &["diagnosis"]);
    c.expires = d("2026-02-28");
    assert_denied(
        &run(&req, std::slice::from_ref(&c)),
        "diagnosis",
        "consent c1 expired on 2026-02-28",
    );
    // The expiry day itself is still inside the period.
    c.expires = d(TODAY);
    let decision = run(&req, &[c]);
    assert!(verdict(&decision, "diagnosis").permitted, "{decision:#?}");
}

#[test]
fn consent_not_yet_effective_does_not_permit() {
    let req = request(LEE, "treatment", &["diagnosis"]);
    let mut c = ada_to_lee("c1", &["diagnosis"]);
    c.effective = d("2026-03-02");
    assert_denied(
        &run(&req, std::slice::from_ref(&c)),
        "diagnosis",
        "consent c1 takes effect on 2026-03-02",
    );
    // The first day permits.
    c.effective = d(TODAY);
    let decision = run(&req, &[c]);
    assert!(verdict(&decision, "diagnosis").permitted, "{decision:#?}");
}

#[test]
fn wrong_recipient_is_denied() {
    let decision = run(
        &request("Dr Smith", "treatment", &["diagnosis"]),
        &[ada_to_lee("c1", &["diagnosis"])],
    );
    assert_denied(
        &decision,
        "diagnosis",
        "consent c1 is for Dr Lee, not Dr Smith",
    );
}

#[test]
fn recipient_matching_ignores_case_and_extra_spaces() {
    for recipient in ["dr lee", "DR LEE", "  Dr   Lee ", "dR\tlEE"] {
        let decision = run(
            &request(recipient, "treatment", &["diagnosis"]),
            &[ada_to_lee("c1", &["diagnosis"])],
        );
        assert_permitted(&decision, "diagnosis", &permitted_by("c1"));
    }
    // Spaces inside a word still matter.
    let decision = run(
        &request("DrLee", "treatment", &["diagnosis"]),
        &[ada_to_lee("c1", &["diagnosis"])],
    );
    assert_denied(
        &decision,
        "diagnosis",
        "consent c1 is for Dr Lee, not DrLee (did you mean \"Dr Lee\"? write the recipient as the consent does)",
    );
}

#[test]
fn a_near_miss_recipient_is_denied_with_the_consents_spelling() {
    // Every one-letter slip of the consent's recipient (a letter dropped, doubled,
    // swapped with the next, or changed), and punctuation or accents added.
    let name = "Dr Leeland";
    let chars: Vec<char> = name.chars().collect();
    let mut slips = vec![
        "Dr. Leeland".to_owned(),
        "Dr Léeland".to_owned(),
        "dr-leeland".to_owned(),
    ];
    for i in 0..chars.len() {
        let mut dropped = chars.clone();
        dropped.remove(i);
        let mut doubled = chars.clone();
        doubled.insert(i, chars[i]);
        let mut changed = chars.clone();
        changed[i] = if chars[i] == 'x' { 'y' } else { 'x' };
        slips.extend([dropped, doubled, changed].map(|c| c.into_iter().collect::<String>()));
        if i + 1 < chars.len() {
            let mut swapped = chars.clone();
            swapped.swap(i, i + 1);
            slips.push(swapped.into_iter().collect());
        }
    }
    let consent = {
        let mut c = ada_to_lee("c1", &["diagnosis"]);
        c.recipient.name = name.into();
        c
    };
    for slip in slips.iter().filter(|s| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
            != name.to_lowercase()
    }) {
        let decision = run(
            &request(slip, "treatment", &["diagnosis"]),
            std::slice::from_ref(&consent),
        );
        assert_denied_containing(&decision, "diagnosis", "did you mean \"Dr Leeland\"?");
    }
    // Another name entirely gets no suggestion.
    for other in ["Dr Smith", "Leeland Clinic Billing", "Dr"] {
        let decision = run(
            &request(other, "treatment", &["diagnosis"]),
            std::slice::from_ref(&consent),
        );
        let reason = &verdict(&decision, "diagnosis").reason;
        assert!(!reason.contains("did you mean"), "{other}: {reason}");
    }
}

#[test]
fn wrong_purpose_is_denied() {
    let decision = run(
        &request(LEE, "payment", &["diagnosis"]),
        &[consent(
            "c1",
            ADA,
            LEE,
            &["treatment", "coordination-of-care"],
            &["diagnosis"],
        )],
    );
    assert_denied(
        &decision,
        "diagnosis",
        "consent c1 does not cover the purpose payment (it covers treatment, coordination-of-care)",
    );
}

#[test]
fn excluded_category_is_denied_even_under_all_or_named() {
    let mut c = ada_to_lee("c1", &["all", "sexual-health"]);
    c.excluded = strings(&["sexual-health"]);
    let decision = run(
        &request(LEE, "treatment", &["sexual-health", "diagnosis"]),
        &[c],
    );
    assert_denied(
        &decision,
        "sexual-health",
        "consent c1 excludes sexual-health",
    );
    assert_permitted(&decision, "diagnosis", &permitted_by("c1"));
}

#[test]
fn category_not_named_is_denied() {
    let decision = run(
        &request(LEE, "treatment", &["medication"]),
        &[ada_to_lee("c1", &["diagnosis", "progress"])],
    );
    assert_denied(
        &decision,
        "medication",
        "consent c1 does not name medication",
    );
}

#[test]
fn all_covers_ordinary_categories_only() {
    let ordinary = [
        "identity",
        "attendance",
        "diagnosis",
        "treatment-plan",
        "progress",
        "medication",
        "risk",
        "sexual-health",
        "third-party",
    ];
    let mut categories = ordinary.to_vec();
    categories.extend(["substance-use", "psychotherapy-notes"]);
    let decision = run(
        &request(LEE, "treatment", &categories),
        &[ada_to_lee("c1", &["all"])],
    );
    for category in ordinary {
        assert_permitted(&decision, category, &permitted_by("c1"));
    }
    assert_denied(
        &decision,
        "substance-use",
        "substance-use needs a consent that names it explicitly; consent c1 covers it only through \"all\"",
    );
    assert_denied_containing(&decision, "substance-use", "only through \"all\"");
    assert_denied(
        &decision,
        "psychotherapy-notes",
        "psychotherapy-notes need a consent that names them and no other category; consent c1 does not name them",
    );
    // third-party permitted: nothing to redact; substance-use denied: no notice.
    assert_eq!(decision.obligations, [Obligation::AccountingEntry]);
}

// ---------------------------------------------------------------------------------
// Rule 3: psychotherapy notes need a consent of their own.

#[test]
fn psychotherapy_notes_under_a_combined_consent_are_denied() {
    let decision = run(
        &request(LEE, "treatment", &["psychotherapy-notes", "diagnosis"]),
        &[ada_to_lee(
            "c1",
            &["psychotherapy-notes", "diagnosis", "progress"],
        )],
    );
    assert_denied(
        &decision,
        "psychotherapy-notes",
        "psychotherapy-notes need a consent that names them and no other category; consent c1 also names diagnosis, progress",
    );
    // The rest of the combined consent still works.
    assert_permitted(&decision, "diagnosis", &permitted_by("c1"));
}

#[test]
fn psychotherapy_notes_with_all_in_the_same_consent_are_denied() {
    let decision = run(
        &request(LEE, "treatment", &["psychotherapy-notes"]),
        &[ada_to_lee("c1", &["psychotherapy-notes", "all"])],
    );
    assert_denied(
        &decision,
        "psychotherapy-notes",
        "psychotherapy-notes need a consent that names them and no other category; consent c1 also names all",
    );
}

#[test]
fn psychotherapy_notes_under_a_sole_consent_are_permitted() {
    let decision = run(
        &request(LEE, "treatment", &["psychotherapy-notes"]),
        &[ada_to_lee("c1", &["psychotherapy-notes"])],
    );
    assert_permitted(&decision, "psychotherapy-notes", &permitted_by("c1"));
    assert!(decision.all_permitted());
}

#[test]
fn sole_and_combined_consents_together_each_permit_their_part() {
    let decision = run(
        &request(LEE, "treatment", &["psychotherapy-notes", "diagnosis"]),
        &[
            ada_to_lee("c1", &["psychotherapy-notes", "diagnosis"]),
            ada_to_lee("c2", &["psychotherapy-notes"]),
        ],
    );
    assert_permitted(&decision, "psychotherapy-notes", &permitted_by("c2"));
    assert_eq!(
        verdict(&decision, "psychotherapy-notes").consent.as_deref(),
        Some("c2")
    );
    assert_permitted(&decision, "diagnosis", &permitted_by("c1"));
    assert_eq!(
        decision.basis,
        Basis::Consent {
            consents: vec!["c2".into(), "c1".into()]
        }
    );
}

// ---------------------------------------------------------------------------------
// Rule 4: substance use needs explicit naming and carries the redisclosure notice.

#[test]
fn substance_use_named_explicitly_is_permitted_with_the_notice() {
    let policy = Policy::default_policy();
    let decision = run(
        &request(LEE, "treatment", &["substance-use", "diagnosis"]),
        &[ada_to_lee("c1", &["substance-use", "diagnosis"])],
    );
    assert_permitted(&decision, "substance-use", &permitted_by("c1"));
    let notice = Obligation::RedisclosureNotice {
        text: policy.redisclosure_notice.clone(),
    };
    assert!(has(&decision, &notice), "{decision:#?}");
    assert!(
        policy
            .redisclosure_notice
            .starts_with("This record, which has been disclosed to you")
    );
    assert!(policy.redisclosure_notice.contains("42 CFR part 2"));
    assert_eq!(
        decision.obligations,
        [
            Obligation::AccountingEntry,
            notice,
            Obligation::RedactThirdParties
        ]
    );
}

#[test]
fn substance_use_not_named_is_denied_without_notice() {
    let decision = run(
        &request(LEE, "treatment", &["substance-use", "diagnosis"]),
        &[ada_to_lee("c1", &["diagnosis"])],
    );
    assert_denied(
        &decision,
        "substance-use",
        "consent c1 does not name substance-use",
    );
    assert!(verdict(&decision, "diagnosis").permitted);
    assert!(
        !has_notice(&decision),
        "the notice goes only with substance-use"
    );
}

#[test]
fn notice_only_when_substance_use_is_actually_permitted() {
    // The consent names it, but the request does not ask for it.
    let decision = run(
        &request(LEE, "treatment", &["diagnosis"]),
        &[ada_to_lee("c1", &["substance-use", "diagnosis"])],
    );
    assert!(decision.all_permitted());
    assert!(!has_notice(&decision));
    // Through "all" only: denied, no notice.
    let decision = run(
        &request(LEE, "treatment", &["substance-use", "diagnosis"]),
        &[ada_to_lee("c1", &["all"])],
    );
    assert!(!verdict(&decision, "substance-use").permitted);
    assert!(!has_notice(&decision));
    // "all" plus the explicit name: permitted, notice.
    let decision = run(
        &request(LEE, "treatment", &["substance-use"]),
        &[ada_to_lee("c1", &["all", "substance-use"])],
    );
    assert!(verdict(&decision, "substance-use").permitted);
    assert!(has_notice(&decision));
}

// ---------------------------------------------------------------------------------
// Choosing among consents.

#[test]
fn a_named_consent_restricts_the_decision_to_it() {
    let consents = [
        ada_to_lee("c1", &["diagnosis"]),
        ada_to_lee("c2", &["progress"]),
    ];
    let mut req = request(LEE, "treatment", &["diagnosis", "progress"]);
    req.consent = Some("c2".into());
    let decision = run(&req, &consents);
    assert_denied(&decision, "diagnosis", "consent c2 does not name diagnosis");
    assert_permitted(&decision, "progress", &permitted_by("c2"));
    assert_eq!(
        decision.basis,
        Basis::Consent {
            consents: vec!["c2".into()]
        }
    );
    // Without naming one, both count.
    req.consent = None;
    assert!(run(&req, &consents).all_permitted());
}

#[test]
fn a_named_consent_of_another_client_or_unknown_is_denied() {
    let consents = [
        ada_to_lee("c1", &["all"]),
        consent("b1", BEN, LEE, &["treatment"], &["all"]),
    ];
    for id in ["b1", "nope"] {
        let mut req = request(LEE, "treatment", &["diagnosis"]);
        req.consent = Some(id.into());
        let decision = run(&req, &consents);
        assert_denied(
            &decision,
            "diagnosis",
            &format!("consent {id} is not a consent of client ada"),
        );
    }
}

#[test]
fn one_permitting_consent_among_several_is_enough() {
    let mut expired = ada_to_lee("c1", &["diagnosis"]);
    expired.expires = d("2026-02-01");
    let elsewhere = consent("c2", ADA, "Dr Smith", &["treatment"], &["diagnosis"]);
    let good = ada_to_lee("c3", &["diagnosis"]);
    let decision = run(
        &request(LEE, "treatment", &["diagnosis"]),
        &[expired.clone(), elsewhere.clone(), good],
    );
    assert_permitted(&decision, "diagnosis", &permitted_by("c3"));
    assert_eq!(
        decision.basis,
        Basis::Consent {
            consents: vec!["c3".into()]
        }
    );

    // When none permits, the reason lists every consent's reason.
    let decision = run(
        &request(LEE, "treatment", &["diagnosis"]),
        &[elsewhere, expired],
    );
    assert_denied(
        &decision,
        "diagnosis",
        "no consent permits diagnosis: consent c1 expired on 2026-02-01; consent c2 is for Dr Smith, not Dr Lee",
    );
}

#[test]
fn the_earliest_permitting_consent_is_cited() {
    let mut later = ada_to_lee("a9", &["diagnosis"]);
    later.effective = d("2026-02-01");
    let earlier = ada_to_lee("z1", &["diagnosis"]);
    let decision = run(
        &request(LEE, "treatment", &["diagnosis"]),
        &[later, earlier],
    );
    assert_eq!(
        verdict(&decision, "diagnosis").consent.as_deref(),
        Some("z1")
    );
}

// ---------------------------------------------------------------------------------
// Rule 5: joint notes.

fn joint(note: &str, participants: &[&str]) -> JointNote {
    JointNote {
        note: note.into(),
        date: d("2026-02-10"),
        participants: participants.iter().map(|p| (*p).into()).collect(),
    }
}

#[test]
fn joint_note_without_every_participants_consent_is_withheld_whole() {
    let policy = Policy::default_policy();
    let req = request(LEE, "treatment", &["progress"]);
    let decision = decide_full(
        &policy,
        &req,
        &[ada_to_lee("c1", &["progress"])],
        &[joint("n1", &[ADA, BEN])],
        TODAY,
    );
    // Ada's own verdict is unchanged; the joint note is withheld.
    assert!(verdict(&decision, "progress").permitted);
    let jv = &decision.joint_notes[0];
    assert_eq!(jv.note, "n1");
    assert_eq!(jv.date, d("2026-02-10"));
    assert!(!jv.permitted);
    assert_eq!(jv.missing, [BEN]);
    assert_eq!(
        jv.reason,
        "joint note n1 of 2026-02-10 withheld whole: no permission from client ben"
    );
    assert!(jv.reason.contains("withheld whole"));
}

#[test]
fn joint_note_names_every_missing_participant() {
    let decision = decide_full(
        &Policy::default_policy(),
        &request(LEE, "treatment", &["progress"]),
        &[
            ada_to_lee("c1", &["progress"]),
            consent("b1", BEN, LEE, &["treatment"], &["progress"]),
        ],
        &[joint("n2", &[ADA, BEN, CY]), joint("n3", &[CY, ADA])],
        TODAY,
    );
    assert_eq!(decision.joint_notes.len(), 2);
    assert_eq!(decision.joint_notes[0].missing, [CY]);
    assert_eq!(decision.joint_notes[1].missing, [CY]);

    let decision = decide_full(
        &Policy::default_policy(),
        &request(LEE, "treatment", &["progress"]),
        &[ada_to_lee("c1", &["progress"])],
        &[joint("n2", &[ADA, BEN, CY])],
        TODAY,
    );
    let jv = &decision.joint_notes[0];
    assert_eq!(jv.missing, [BEN, CY]);
    assert_eq!(
        jv.reason,
        "joint note n2 of 2026-02-10 withheld whole: no permission from client ben, client cy"
    );
}

#[test]
fn joint_note_with_every_participants_consent_is_released() {
    let decision = decide_full(
        &Policy::default_policy(),
        &request(LEE, "treatment", &["progress", "diagnosis"]),
        &[
            ada_to_lee("c1", &["progress", "diagnosis"]),
            consent("b1", BEN, "dr  lee", &["treatment"], &["all"]),
        ],
        &[joint("n1", &[ADA, BEN])],
        TODAY,
    );
    let jv = &decision.joint_notes[0];
    assert!(jv.permitted, "{jv:#?}");
    assert!(jv.missing.is_empty());
    assert_eq!(jv.reason, "every participant permits this disclosure");
}

#[test]
fn joint_note_needs_the_other_participant_to_permit_everything_released() {
    // Ben permits progress only; Ada releases progress and diagnosis.
    let decision = decide_full(
        &Policy::default_policy(),
        &request(LEE, "treatment", &["progress", "diagnosis"]),
        &[
            ada_to_lee("c1", &["progress", "diagnosis"]),
            consent("b1", BEN, LEE, &["treatment"], &["progress"]),
        ],
        &[joint("n1", &[ADA, BEN])],
        TODAY,
    );
    assert_eq!(decision.joint_notes[0].missing, [BEN]);
    // Ben's revoked consent does not count either.
    let decision = decide_full(
        &Policy::default_policy(),
        &request(LEE, "treatment", &["progress"]),
        &[
            ada_to_lee("c1", &["progress"]),
            revoked(
                consent("b1", BEN, LEE, &["treatment"], &["progress"]),
                "2026-02-20",
            ),
        ],
        &[joint("n1", &[ADA, BEN])],
        TODAY,
    );
    assert_eq!(decision.joint_notes[0].missing, [BEN]);
}

#[test]
fn joint_note_is_withheld_when_nothing_is_released() {
    let decision = decide_full(
        &Policy::default_policy(),
        &request(LEE, "treatment", &["progress"]),
        &[consent("b1", BEN, LEE, &["treatment"], &["all"])],
        &[joint("n1", &[ADA, BEN])],
        TODAY,
    );
    assert!(!decision.joint_notes[0].permitted);
    assert_eq!(decision.joint_notes[0].missing, [BEN]);
}

#[test]
fn joint_note_under_an_exception_needs_the_others_consent() {
    let req = exception_request(
        "emergency",
        "overdose in the ED",
        None,
        &[],
        &["medication"],
    );
    let decision = decide_full(
        &Policy::default_policy(),
        &req,
        &[],
        &[joint("n1", &[ADA, BEN])],
        TODAY,
    );
    assert!(verdict(&decision, "medication").permitted);
    assert_eq!(decision.joint_notes[0].missing, [BEN]);
    assert!(decision.joint_notes[0].reason.contains("withheld whole"));

    let ben = consent("b1", BEN, "County Sheriff", &["legal"], &["medication"]);
    let decision = decide_full(
        &Policy::default_policy(),
        &req,
        &[ben],
        &[joint("n1", &[ADA, BEN])],
        TODAY,
    );
    assert!(decision.joint_notes[0].permitted, "{decision:#?}");
}

#[test]
fn joint_note_under_the_clients_own_request_needs_the_others_consent() {
    let decision = decide_full(
        &Policy::default_policy(),
        &request("client", "client-request", &["progress"]),
        &[],
        &[joint("n1", &[ADA, BEN])],
        TODAY,
    );
    assert!(verdict(&decision, "progress").permitted);
    assert!(!decision.joint_notes[0].permitted);
    assert_eq!(decision.joint_notes[0].missing, [BEN]);
}

// ---------------------------------------------------------------------------------
// Rule 6: third parties.

#[test]
fn third_parties_are_redacted_unless_their_category_is_permitted() {
    let decision = run(
        &request(LEE, "treatment", &["diagnosis", "third-party"]),
        &[ada_to_lee("c1", &["diagnosis"])],
    );
    assert!(!verdict(&decision, "third-party").permitted);
    assert!(has(&decision, &Obligation::RedactThirdParties));

    let decision = run(
        &request(LEE, "treatment", &["diagnosis", "third-party"]),
        &[ada_to_lee("c1", &["diagnosis", "third-party"])],
    );
    assert!(verdict(&decision, "third-party").permitted);
    assert!(!has(&decision, &Obligation::RedactThirdParties));
    assert_eq!(decision.obligations, [Obligation::AccountingEntry]);
}

// ---------------------------------------------------------------------------------
// Rule 7: exceptions.

#[test]
fn duty_to_protect_releases_identity_and_risk() {
    let req = exception_request(
        "duty-to-protect",
        "client named a coworker and a date",
        None,
        &[],
        &["identity", "risk", "diagnosis", "psychotherapy-notes"],
    );
    let decision = run(&req, &[]);
    let why = "permitted under duty-to-protect, which may release identity, risk";
    assert_permitted(&decision, "identity", why);
    assert_permitted(&decision, "risk", why);
    assert_denied(
        &decision,
        "diagnosis",
        "duty-to-protect may release only identity, risk",
    );
    assert_denied(
        &decision,
        "psychotherapy-notes",
        "psychotherapy-notes are released without consent only under a court order that names them",
    );
    assert_eq!(
        decision.basis,
        Basis::Exception {
            exception: "duty-to-protect".into(),
            justification: "client named a coworker and a date".into(),
            reference: None,
        }
    );
    assert_eq!(
        decision.obligations,
        [
            Obligation::AccountingEntry,
            Obligation::TellClient,
            Obligation::RedactThirdParties
        ]
    );
}

#[test]
fn abuse_reports_release_identity_and_risk_only() {
    for kind in ["child-abuse-report", "adult-abuse-report"] {
        let req = exception_request(
            kind,
            "disclosed ongoing abuse",
            Some("report 77"),
            &[],
            &["identity", "risk", "diagnosis", "progress"],
        );
        let decision = run(&req, &[]);
        let why = format!("permitted under {kind}, which may release identity, risk");
        assert_permitted(&decision, "identity", &why);
        assert_permitted(&decision, "risk", &why);
        let only = format!("{kind} may release only identity, risk");
        assert_denied(&decision, "diagnosis", &only);
        assert_denied(&decision, "progress", &only);
    }
    let decision = run(
        &exception_request(
            "adult-abuse-report",
            "elder neglect",
            None,
            &[],
            &["diagnosis"],
        ),
        &[],
    );
    assert_denied_containing(&decision, "diagnosis", "may release only identity, risk");
    assert!(decision.obligations.is_empty());
}

#[test]
fn emergency_releases_identity_risk_medication_diagnosis() {
    let req = exception_request(
        "emergency",
        "unresponsive, brought to the ED",
        None,
        &[],
        &[
            "identity",
            "risk",
            "medication",
            "diagnosis",
            "progress",
            "substance-use",
        ],
    );
    let decision = run(&req, &[]);
    let why = "permitted under emergency, which may release identity, risk, medication, diagnosis";
    for category in ["identity", "risk", "medication", "diagnosis"] {
        assert_permitted(&decision, category, why);
    }
    let only = "emergency may release only identity, risk, medication, diagnosis";
    assert_denied(&decision, "progress", only);
    assert_denied(&decision, "substance-use", only);
    assert!(!has_notice(&decision));
}

#[test]
fn public_health_releases_identity_and_diagnosis() {
    let req = exception_request(
        "public-health",
        "reportable condition",
        None,
        &[],
        &["identity", "diagnosis", "risk"],
    );
    let decision = run(&req, &[]);
    let why = "permitted under public-health, which may release identity, diagnosis";
    assert_permitted(&decision, "identity", why);
    assert_permitted(&decision, "diagnosis", why);
    assert_denied(
        &decision,
        "risk",
        "public-health may release only identity, diagnosis",
    );
}

#[test]
fn a_subpoena_alone_releases_nothing() {
    let reason = "a subpoena alone does not authorize release; obtain the client's authorization or a court order";
    let everything = casevault::DEFAULT_CATEGORIES;
    let req = exception_request("subpoena", "served today", Some("SUB-9"), &[], everything);
    // Not even with a consent on file: the exception is the basis.
    let decision = run(
        &req,
        &[consent("c1", ADA, "County Sheriff", &["legal"], &["all"])],
    );
    assert_eq!(decision.verdicts.len(), everything.len());
    for category in everything {
        assert_denied(&decision, category, reason);
    }
    assert!(decision.obligations.is_empty());
    assert!(
        matches!(decision.basis, Basis::Exception { ref exception, .. } if exception == "subpoena")
    );
}

#[test]
fn court_order_releases_exactly_what_it_names() {
    let req = exception_request(
        "court-order",
        "custody evaluation",
        Some("2026-CV-0142"),
        &["diagnosis", "psychotherapy-notes", "attendance"],
        &["diagnosis", "psychotherapy-notes", "progress"],
    );
    let decision = run(&req, &[]);
    assert_permitted(
        &decision,
        "diagnosis",
        "named by the court order 2026-CV-0142",
    );
    assert_permitted(
        &decision,
        "psychotherapy-notes",
        "named by the court order 2026-CV-0142",
    );
    assert_denied(
        &decision,
        "progress",
        "the court order 2026-CV-0142 does not name progress",
    );
    // Only requested categories get verdicts, not everything the order names.
    assert_eq!(decision.verdicts.len(), 3);
    assert_eq!(
        decision.basis,
        Basis::Exception {
            exception: "court-order".into(),
            justification: "custody evaluation".into(),
            reference: Some("2026-CV-0142".into()),
        }
    );
    assert_eq!(
        decision.obligations,
        [
            Obligation::AccountingEntry,
            Obligation::TellClient,
            Obligation::RedactThirdParties
        ]
    );
}

#[test]
fn court_order_not_naming_psychotherapy_notes_does_not_release_them() {
    let req = exception_request(
        "court-order",
        "custody evaluation",
        Some("2026-CV-0142"),
        &["diagnosis"],
        &["diagnosis", "psychotherapy-notes"],
    );
    let decision = run(&req, &[]);
    assert!(verdict(&decision, "diagnosis").permitted);
    assert_denied(
        &decision,
        "psychotherapy-notes",
        "the court order 2026-CV-0142 does not name psychotherapy-notes; they are released only under a consent of their own or an order that names them",
    );
}

#[test]
fn court_order_without_order_categories_takes_the_requested_ones_as_named() {
    // Empty order categories: the request stands for what the order names, except
    // psychotherapy-notes, which must be named explicitly.
    let req = exception_request(
        "court-order",
        "records requested by the court",
        Some("2026-CV-0142"),
        &[],
        &["diagnosis", "substance-use", "psychotherapy-notes"],
    );
    let decision = run(&req, &[]);
    assert_permitted(
        &decision,
        "diagnosis",
        "named by the court order 2026-CV-0142",
    );
    assert_permitted(
        &decision,
        "substance-use",
        "named by the court order 2026-CV-0142",
    );
    assert_denied(
        &decision,
        "psychotherapy-notes",
        "psychotherapy-notes are released under a court order only when it names them: list the order's categories (--order-categories)",
    );
    assert!(
        has_notice(&decision),
        "substance-use leaves with the notice under any basis"
    );
}

/// Text that shows nothing: every pair of spaces and invisible characters (format
/// characters, joiners, marks of direction, variation selectors, fillers, tags).
fn blank_texts() -> Vec<String> {
    const SHOW_NOTHING: [char; 16] = [
        ' ',
        '\t',
        '\n',
        '\u{a0}',
        '\u{3000}',
        '\u{200b}',
        '\u{200c}',
        '\u{200d}',
        '\u{200e}',
        '\u{202e}',
        '\u{2062}',
        '\u{2064}',
        '\u{feff}',
        '\u{fe0f}',
        '\u{3164}',
        '\u{e0041}',
    ];
    let mut texts = vec![String::new()];
    for a in SHOW_NOTHING {
        for b in SHOW_NOTHING {
            texts.push(format!("{a}{b}{a}"));
        }
    }
    texts
}

#[test]
fn court_order_needs_its_reference() {
    for reference in blank_texts().iter().map(|r| Some(r.as_str())).chain([None]) {
        let req = exception_request(
            "court-order",
            "custody",
            reference,
            &["diagnosis"],
            &["diagnosis", "risk"],
        );
        let decision = run(&req, &[]);
        assert_denied(
            &decision,
            "diagnosis",
            "court-order needs the order's reference",
        );
        assert_denied(&decision, "risk", "court-order needs the order's reference");
        assert!(decision.obligations.is_empty());
    }
}

#[test]
fn every_exception_needs_a_justification() {
    let policy = Policy::default_policy();
    for rule in &policy.exceptions {
        for justification in blank_texts() {
            let req = exception_request(
                &rule.kind,
                &justification,
                Some("REF-1"),
                &["identity"],
                &["identity", "risk"],
            );
            let decision = run(&req, &[]);
            let reason = format!(
                "{} needs a justification: say what makes the exception apply",
                rule.kind
            );
            assert_denied(&decision, "identity", &reason);
            assert_denied(&decision, "risk", &reason);
            assert_denied_containing(&decision, "identity", "needs a justification");
            assert!(decision.obligations.is_empty());
        }
    }
}

#[test]
fn unknown_exception_kind_is_denied() {
    let req = exception_request("curiosity", "just wondering", None, &[], &["identity"]);
    let decision = run(&req, &[]);
    assert_denied(
        &decision,
        "identity",
        "curiosity is not an exception of the policy (it has: duty-to-protect, child-abuse-report, adult-abuse-report, court-order, emergency, public-health, subpoena)",
    );
    assert!(decision.obligations.is_empty());
    assert!(
        matches!(decision.basis, Basis::Exception { ref exception, .. } if exception == "curiosity")
    );
}

#[test]
fn exceptions_carry_tell_client_and_accounting_when_anything_is_permitted() {
    let mut kinds = OTHER_KINDS.to_vec();
    kinds.push("court-order");
    for kind in kinds {
        let req = exception_request(kind, "grounds", Some("REF-1"), &["identity"], &["identity"]);
        let decision = run(&req, &[]);
        assert!(decision.all_permitted(), "{kind}: {decision:#?}");
        assert!(has(&decision, &Obligation::AccountingEntry), "{kind}");
        assert!(has(&decision, &Obligation::TellClient), "{kind}");
        assert!(
            !has(&decision, &Obligation::AccountingClientRequest),
            "{kind}"
        );
        assert!(has(&decision, &Obligation::RedactThirdParties), "{kind}");
    }
}

#[test]
fn psychotherapy_notes_never_leave_under_other_exceptions() {
    for kind in OTHER_KINDS {
        let req = exception_request(
            kind,
            "grounds",
            Some("REF-1"),
            &["psychotherapy-notes"],
            &["psychotherapy-notes"],
        );
        // Not even with a sole consent to the same recipient on file.
        let sole = consent(
            "c1",
            ADA,
            "County Sheriff",
            &["legal"],
            &["psychotherapy-notes"],
        );
        let decision = run(&req, &[sole]);
        assert_denied(
            &decision,
            "psychotherapy-notes",
            "psychotherapy-notes are released without consent only under a court order that names them",
        );
        assert!(decision.obligations.is_empty(), "{kind}");
    }
}

#[test]
fn under_an_exception_the_purpose_is_recorded_as_given() {
    let mut req = exception_request("emergency", "ED", None, &[], &["identity"]);
    req.purpose = "treatment".into();
    let decision = run(&req, &[]);
    assert!(decision.all_permitted());
    assert_eq!(decision.request.purpose, "treatment");
}

// ---------------------------------------------------------------------------------
// Rule 8: the client's own request.

#[test]
fn clients_own_request_releases_everything_but_psychotherapy_notes() {
    let everything = casevault::DEFAULT_CATEGORIES;
    for recipient in ["client", "Client", " CLIENT ", ADA_NAME, "ada   example"] {
        let decision = run(&request(recipient, "client-request", everything), &[]);
        for category in everything.iter().filter(|c| **c != "psychotherapy-notes") {
            assert_permitted(
                &decision,
                category,
                "the client's own request releases everything but psychotherapy-notes",
            );
        }
        assert_denied(
            &decision,
            "psychotherapy-notes",
            "psychotherapy-notes are never released to the client's own access request",
        );
        assert_eq!(decision.basis, Basis::ClientRequest);
        assert!(
            has(&decision, &Obligation::AccountingClientRequest),
            "{recipient}"
        );
        assert!(!has(&decision, &Obligation::AccountingEntry), "{recipient}");
        assert!(!has(&decision, &Obligation::TellClient), "{recipient}");
        assert!(
            !has(&decision, &Obligation::RedactThirdParties),
            "{recipient}"
        );
        assert!(has_notice(&decision), "substance-use was released");
    }
}

#[test]
fn clients_own_request_for_psychotherapy_notes_alone_releases_nothing() {
    // Even with a sole consent naming the client as recipient.
    let decision = run(
        &request("client", "client-request", &["psychotherapy-notes"]),
        &[consent(
            "c1",
            ADA,
            "client",
            &["client-request"],
            &["psychotherapy-notes"],
        )],
    );
    assert_denied(
        &decision,
        "psychotherapy-notes",
        "psychotherapy-notes are never released to the client's own access request",
    );
    assert!(decision.obligations.is_empty());
}

#[test]
fn client_request_to_someone_else_is_denied() {
    let decision = run(
        &request(LEE, "client-request", &["diagnosis", "progress"]),
        &[consent("c1", ADA, LEE, &["client-request"], &["all"])],
    );
    let reason = "client-request releases only to the client (--to client); to send records to Dr Lee record the client's consent";
    assert_denied(&decision, "diagnosis", reason);
    assert_denied(&decision, "progress", reason);
    assert_eq!(decision.basis, Basis::ClientRequest);
    assert!(decision.obligations.is_empty());
}

// ---------------------------------------------------------------------------------
// Unknown purposes and categories.

#[test]
fn unknown_purpose_is_denied() {
    let reason = "marketing is not a purpose of the policy (it has: treatment, payment, operations, coordination-of-care, client-request, legal, family-involvement, supervision, research)";
    let decision = run(
        &request(LEE, "marketing", &["diagnosis"]),
        &[consent("c1", ADA, LEE, &["marketing"], &["all"])],
    );
    assert_denied(&decision, "diagnosis", reason);
    assert_eq!(decision.basis, Basis::Consent { consents: vec![] });
    assert!(decision.obligations.is_empty());
    // Under an exception too.
    let mut req = exception_request("emergency", "ED", None, &[], &["diagnosis"]);
    req.purpose = "marketing".into();
    let decision = run(&req, &[]);
    assert_denied(&decision, "diagnosis", reason);
    assert!(matches!(decision.basis, Basis::Exception { .. }));
}

#[test]
fn unknown_category_is_denied_under_every_basis() {
    let consents = [ada_to_lee("c1", &["all", "dreams"])];
    let requests = [
        request(LEE, "treatment", &["dreams", "all", "diagnosis"]),
        request("client", "client-request", &["dreams", "all", "diagnosis"]),
        exception_request(
            "court-order",
            "order",
            Some("CV-1"),
            &[],
            &["dreams", "all", "diagnosis"],
        ),
        exception_request(
            "court-order",
            "order",
            Some("CV-1"),
            &["dreams", "all", "diagnosis"],
            &["dreams", "all", "diagnosis"],
        ),
    ];
    for req in &requests {
        let decision = run(req, &consents);
        assert_denied(
            &decision,
            "dreams",
            "dreams is not a category of the policy",
        );
        assert_denied(&decision, "all", "all is not a category of the policy");
        assert!(verdict(&decision, "diagnosis").permitted, "{decision:#?}");
    }
}

#[test]
fn basis_names_no_consent_when_only_unknown_categories_matched() {
    // A consent naming "all" (or any name that is not a policy category) matches a
    // request for that same name; the verdict is then denied as an unknown category,
    // so the decision rests on no consent: `Basis::Consent::consents` is documented
    // as "the consents that permit something".
    for asked in ["all", "dreams"] {
        let decision = run(
            &request(LEE, "treatment", &[asked]),
            &[ada_to_lee("c1", &["all", "dreams"])],
        );
        assert_denied(
            &decision,
            asked,
            &format!("{asked} is not a category of the policy"),
        );
        assert!(decision.obligations.is_empty());
        assert_eq!(
            decision.basis,
            Basis::Consent { consents: vec![] },
            "the basis cites a consent that permits nothing"
        );
    }
}

// ---------------------------------------------------------------------------------
// A custom policy changes what an exception releases.

#[test]
fn custom_policy_changes_what_an_exception_releases() {
    let text = DEFAULT_POLICY
        .replace("name = \"casevault default\"", "name = \"county variant\"")
        .replace(
            "releases = [\"identity\", \"risk\", \"medication\", \"diagnosis\"]",
            "releases = [\"identity\", \"risk\", \"medication\", \"diagnosis\", \"progress\"]",
        )
        .replace(
            "kind = \"public-health\"\nreleases = [\"identity\", \"diagnosis\"]",
            "kind = \"public-health\"\nreleases = [\"identity\"]",
        )
        .replace(
            "kind = \"duty-to-protect\"\nreleases = [\"identity\", \"risk\"]",
            "kind = \"duty-to-protect\"\nreleases = [\"identity\", \"risk\", \"psychotherapy-notes\"]",
        );
    assert_ne!(text, DEFAULT_POLICY);
    let custom = Policy::parse(&text).expect("custom policy parses");
    let default = Policy::default_policy();
    assert_eq!(
        custom.exception("emergency").unwrap().releases,
        ["identity", "risk", "medication", "diagnosis", "progress"]
    );
    assert_eq!(
        custom.exception("public-health").unwrap().releases,
        ["identity"]
    );

    let emergency = exception_request("emergency", "ED", None, &[], &["progress", "diagnosis"]);
    let under_default = decide_full(&default, &emergency, &[], &[], TODAY);
    assert_denied(
        &under_default,
        "progress",
        "emergency may release only identity, risk, medication, diagnosis",
    );
    let under_custom = decide_full(&custom, &emergency, &[], &[], TODAY);
    assert_eq!(under_custom.policy, "county variant");
    assert_permitted(
        &under_custom,
        "progress",
        "permitted under emergency, which may release identity, risk, medication, diagnosis, progress",
    );

    let public_health = exception_request("public-health", "reportable", None, &[], &["diagnosis"]);
    assert!(decide_full(&default, &public_health, &[], &[], TODAY).all_permitted());
    assert_denied(
        &decide_full(&custom, &public_health, &[], &[], TODAY),
        "diagnosis",
        "public-health may release only identity",
    );

    // A policy that lists psychotherapy notes for a non-court exception still does
    // not release them: rule 3 holds whatever the exception's list says.
    let duty = exception_request(
        "duty-to-protect",
        "threat",
        None,
        &[],
        &["psychotherapy-notes", "risk"],
    );
    let decision = decide_full(&custom, &duty, &[], &[], TODAY);
    assert_denied(
        &decision,
        "psychotherapy-notes",
        "psychotherapy-notes are released without consent only under a court order that names them",
    );
    assert!(verdict(&decision, "risk").permitted);
}

#[test]
fn custom_policy_can_make_a_denying_exception_release() {
    let text = DEFAULT_POLICY.replace(
        "releases = []\ndenial = \"a subpoena alone does not authorize release; obtain the client's authorization or a court order\"",
        "releases = [\"attendance\"]",
    );
    assert_ne!(text, DEFAULT_POLICY);
    let custom = Policy::parse(&text).expect("custom policy parses");
    let req = exception_request(
        "subpoena",
        "served",
        None,
        &[],
        &["attendance", "diagnosis"],
    );
    let decision = decide_full(&custom, &req, &[], &[], TODAY);
    assert_permitted(
        &decision,
        "attendance",
        "permitted under subpoena, which may release attendance",
    );
    assert_denied(
        &decision,
        "diagnosis",
        "subpoena may release only attendance",
    );
}
