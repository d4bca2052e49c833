//! Property tests for the disclosure decision engine over random consents and random
//! requests, checked against an independent model of the rules (README.md, "The
//! rules") under the default policy.

use casevault::{
    Basis, ClientId, Consent, ConsentId, ConsentRecipient, Date, Decision, DecisionInput,
    DisclosureRequest, ExceptionRequest, JointNote, Obligation, Policy, Relationship, Revocation,
    decide,
};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

const ADA: &str = "ada";
const ADA_NAME: &str = "Ada Example";
const CLIENTS: &[&str] = &["ada", "ben", "cy"];

const PURPOSES: &[&str] = &[
    "treatment",
    "payment",
    "legal",
    "client-request",
    "marketing",
];
const CONSENT_CATEGORIES: &[&str] = &[
    "all",
    "identity",
    "diagnosis",
    "progress",
    "risk",
    "psychotherapy-notes",
    "substance-use",
    "third-party",
];
const REQUEST_CATEGORIES: &[&str] = &[
    "identity",
    "diagnosis",
    "progress",
    "risk",
    "medication",
    "psychotherapy-notes",
    "substance-use",
    "third-party",
    "dreams",
    "all",
];
const KINDS: &[&str] = &[
    "duty-to-protect",
    "child-abuse-report",
    "adult-abuse-report",
    "court-order",
    "emergency",
    "public-health",
    "subpoena",
    "curiosity",
];

fn day(offset: i64) -> Date {
    let base = time::Date::from_calendar_date(2026, time::Month::January, 1).expect("date");
    Date(base + time::Duration::days(offset))
}

fn owned(items: Vec<&str>) -> Vec<String> {
    items.into_iter().map(str::to_owned).collect()
}

// ---------------------------------------------------------------------------------
// Strategies.

prop_compose! {
    fn consent_body()(
        client in prop_oneof![4 => Just("ada"), 2 => Just("ben"), 1 => Just("cy")],
        recipient in prop_oneof![
            6 => Just("Dr Lee"),
            2 => Just("Dr Smith"),
            1 => Just("client"),
            1 => Just("County Sheriff"),
        ],
        purposes in prop_oneof![
            4 => subsequence(&["treatment", "legal"][..], 1..=2),
            1 => subsequence(PURPOSES, 0..=3),
        ],
        categories in prop_oneof![
            3 => subsequence(CONSENT_CATEGORIES, 1..=3),
            1 => Just(vec!["psychotherapy-notes"]),
        ],
        excluded in prop_oneof![
            3 => Just(vec![]),
            1 => subsequence(CONSENT_CATEGORIES, 1..=2),
        ],
        effective in 0i64..50,
        expires in 40i64..130,
        revoked in proptest::option::weighted(0.3, 0i64..120),
    ) -> (&'static str, &'static str, Vec<&'static str>, Vec<&'static str>, Vec<&'static str>, i64, i64, Option<i64>) {
        (client, recipient, purposes, categories, excluded, effective, expires, revoked)
    }
}

/// One to five consents with distinct ids (the id order is unrelated to the
/// position). About half are "aligned" with `request` (its recipient, its purpose, some
/// of its categories) so that permits, and the rules that deny them, are both common.
fn consents(request: &DisclosureRequest) -> impl Strategy<Value = Vec<Consent>> + use<> {
    let recipient = request.recipient.clone();
    let purpose = request.purpose.clone();
    let aligned_categories = (
        subsequence(
            request.categories.clone(),
            1..=request.categories.len().min(2),
        ),
        proptest::bool::weighted(0.2),
    );
    proptest::collection::vec(
        (
            consent_body(),
            proptest::bool::weighted(0.5),
            aligned_categories,
            0u32..1000,
        ),
        1..6,
    )
    .prop_map(move |bodies| {
        bodies
            .into_iter()
            .enumerate()
            .map(|(i, (body, aligned, (some_asked, plus_all), tag))| {
                let (
                    client,
                    other_recipient,
                    purposes,
                    categories,
                    excluded,
                    effective,
                    expires,
                    revoked,
                ) = body;
                let mut purposes = owned(purposes);
                let (recipient, categories) = if aligned {
                    if !purposes.contains(&purpose) {
                        purposes.push(purpose.clone());
                    }
                    let mut categories = some_asked;
                    if plus_all {
                        categories.push("all".to_owned());
                    }
                    (recipient.to_uppercase(), categories)
                } else {
                    (other_recipient.to_owned(), owned(categories))
                };
                Consent {
                    id: format!("{tag:03}{i}").into(),
                    version: if revoked.is_some() { 2 } else { 1 },
                    client: client.into(),
                    recipient: ConsentRecipient {
                        name: recipient,
                        organization: None,
                        public_key: None,
                    },
                    purposes,
                    categories,
                    excluded: owned(excluded),
                    effective: day(effective),
                    expires: day(expires),
                    signed_by: "signer".to_owned(),
                    relationship: Relationship::Client,
                    recorded_at: "2026-01-01T09:00:00Z".parse().unwrap(),
                    recorded_by: "dr-rivera".to_owned(),
                    revoked: revoked.map(|r| Revocation {
                        effective: day(r),
                        in_writing: false,
                        recorded_at: "2026-01-01T09:00:00Z".parse().unwrap(),
                        recorded_by: "dr-rivera".to_owned(),
                    }),
                    tpo: None,
                }
            })
            .collect()
    })
}

prop_compose! {
    fn exception()(
        kind in prop_oneof![3 => select(KINDS), 1 => Just("court-order")],
        justification in prop_oneof![
            4 => Just("imminent threat to a named person"),
            1 => Just(""),
            1 => Just("   "),
        ],
        reference in prop_oneof![
            4 => Just(Some("2026-CV-0142")),
            1 => Just(None),
            1 => Just(Some("")),
            1 => Just(Some("  ")),
        ],
        order_categories in subsequence(REQUEST_CATEGORIES, 0..=4),
    ) -> ExceptionRequest {
        ExceptionRequest {
            kind: kind.to_owned(),
            justification: justification.to_owned(),
            reference: reference.map(str::to_owned),
            order_categories: owned(order_categories),
            about: None,
        }
    }
}

fn joint_notes() -> impl Strategy<Value = Vec<JointNote>> {
    let participants = prop_oneof![
        2 => Just(vec!["ada", "ben"]),
        1 => Just(vec!["ben", "ada"]),
        2 => subsequence(CLIENTS, 1..=3),
    ];
    proptest::collection::vec(participants, 0..=2).prop_map(|notes| {
        notes
            .into_iter()
            .enumerate()
            .map(|(i, participants)| JointNote {
                note: format!("n{i}").into(),
                date: day(i as i64),
                participants: participants.into_iter().map(ClientId::from).collect(),
            })
            .collect()
    })
}

/// A request from Ada: with `exception` None, under consent or the client's request.
fn request(
    exception: impl Strategy<Value = Option<ExceptionRequest>>,
) -> impl Strategy<Value = DisclosureRequest> {
    (
        prop_oneof![
            6 => Just("Dr Lee"),
            2 => Just("dr  LEE "),
            2 => Just("Dr Smith"),
            2 => Just("client"),
            1 => Just(" ada EXAMPLE"),
            1 => Just("County Sheriff"),
        ],
        prop_oneof![
            6 => Just("treatment"),
            3 => Just("legal"),
            1 => Just("payment"),
            2 => Just("client-request"),
            1 => Just("marketing"),
        ],
        subsequence(REQUEST_CATEGORIES, 1..=5),
        prop_oneof![6 => Just(None), 2 => Just(Some("0000")), 1 => Just(Some("zz"))],
        exception,
    )
        .prop_map(
            |(recipient, purpose, categories, consent, exception)| DisclosureRequest {
                client: ADA.into(),
                recipient: recipient.to_owned(),
                purpose: purpose.to_owned(),
                categories: owned(categories),
                consent: consent.map(ConsentId::from),
                exception,
                from: None,
                until: None,
                recipient_kind: None,
            },
        )
}

#[derive(Clone, Debug)]
struct Scenario {
    request: DisclosureRequest,
    consents: Vec<Consent>,
    joint_notes: Vec<JointNote>,
    today: Date,
}

fn scenario(
    exception: impl Strategy<Value = Option<ExceptionRequest>>,
) -> impl Strategy<Value = Scenario> {
    request(exception)
        .prop_flat_map(|request| {
            let consents = consents(&request);
            (
                Just(request),
                consents,
                joint_notes(),
                10i64..100,
                proptest::bool::weighted(0.5),
            )
        })
        .prop_map(|(request, mut consents, joint_notes, today, mirror)| {
            // Sometimes Ben consents just as Ada does, so joint notes get released.
            if mirror {
                let copies: Vec<Consent> = consents
                    .iter()
                    .filter(|k| k.client == ADA)
                    .map(|k| Consent {
                        id: format!("{}b", k.id).into(),
                        client: "ben".into(),
                        ..k.clone()
                    })
                    .collect();
                consents.extend(copies);
            }
            // Let a request naming a consent sometimes name one that exists.
            if request.consent.as_deref() == Some("0000")
                && let Some(first) = consents.first_mut()
            {
                first.id = "0000".into();
            }
            Scenario {
                request,
                consents,
                joint_notes,
                today: day(today),
            }
        })
}

fn under_consent() -> impl Strategy<Value = Scenario> {
    scenario(Just(None)).prop_filter("consent basis", |s| s.request.purpose != "client-request")
}

fn under_exception() -> impl Strategy<Value = Scenario> {
    scenario(exception().prop_map(Some))
}

/// Mostly any request; one in four is the client's own request (to the client by
/// one of their names, or to someone else).
fn any_scenario() -> impl Strategy<Value = Scenario> {
    let own_request = (
        scenario(Just(None)),
        select(&["client", "CLIENT ", " ada  EXAMPLE", "Dr Lee"][..]),
    )
        .prop_map(|(mut s, recipient)| {
            s.request.purpose = "client-request".to_owned();
            s.request.recipient = recipient.to_owned();
            s
        });
    prop_oneof![
        3 => scenario(proptest::option::of(exception())),
        1 => own_request,
    ]
}

fn run(policy: &Policy, s: &Scenario, consents: &[Consent]) -> Decision {
    decide(DecisionInput {
        request: &s.request,
        client_name: ADA_NAME,
        consents,
        joint_notes: &s.joint_notes,
        policy,
        today: s.today,
        clients: &[],
        restrictions: &[],
    })
}

// ---------------------------------------------------------------------------------
// The model: the rules as README.md states them, written independently of
// src/rules/decision/.

fn norm(s: &str) -> String {
    s.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

fn revoked_by(k: &Consent, today: Date) -> bool {
    k.revoked.as_ref().is_some_and(|r| r.effective <= today)
}

/// Whether consent `k` alone lets `client`'s `category` go to `recipient` for `purpose`.
fn model_permits(
    policy: &Policy,
    k: &Consent,
    client: &str,
    recipient: &str,
    purpose: &str,
    category: &str,
    today: Date,
) -> bool {
    let named = k.categories.iter().any(|c| c == category);
    let through_all = k.categories.iter().any(|c| c == "all");
    let covered = if category == "psychotherapy-notes" {
        !k.categories.is_empty() && k.categories.iter().all(|c| c == category)
    } else if category == "substance-use" {
        named
    } else {
        named || through_all
    };
    k.client == client
        && policy.has_category(category)
        && policy.has_purpose(purpose)
        && norm(&k.recipient.name) == norm(recipient)
        && k.purposes.iter().any(|p| p == purpose)
        && !k.excluded.iter().any(|c| c == category)
        && k.effective <= today
        && today <= k.expires
        && !revoked_by(k, today)
        && covered
}

/// The participants of `note` (other than the requester) who do not permit `released`.
fn model_missing(
    policy: &Policy,
    s: &Scenario,
    consents: &[Consent],
    note: &JointNote,
    released: &[&str],
) -> Vec<ClientId> {
    note.participants
        .iter()
        .filter(|p| **p != s.request.client)
        .filter(|p| {
            released.is_empty()
                || !released.iter().all(|c| {
                    consents.iter().any(|k| {
                        model_permits(
                            policy,
                            k,
                            p,
                            &s.request.recipient,
                            &s.request.purpose,
                            c,
                            s.today,
                        )
                    })
                })
        })
        .cloned()
        .collect()
}

/// 256 cases per property; `PROPTEST_CASES` raises it for a longer soak.
fn cases() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cases())]

    /// (a) Under consent, a category is permitted exactly when some consent of the
    /// client (the named one, if the request names one) names the recipient, covers
    /// the purpose, includes the category (named, or through `all` where allowed),
    /// does not exclude it, and is in force today; the verdict cites such a consent,
    /// the earliest by (effective, id).
    #[test]
    fn consent_permits_only_within_its_terms(s in under_consent()) {
        let policy = Policy::default_policy();
        let decision = run(&policy, &s, &s.consents);
        let r = &s.request;
        prop_assert_eq!(decision.verdicts.len(), r.categories.len());
        for (v, asked) in decision.verdicts.iter().zip(&r.categories) {
            prop_assert_eq!(&v.category, asked);
            let mut permitting: Vec<&Consent> = s
                .consents
                .iter()
                .filter(|k| r.consent.as_ref().is_none_or(|id| &k.id == id))
                .filter(|k| model_permits(&policy, k, &r.client, &r.recipient, &r.purpose, &v.category, s.today))
                .collect();
            permitting.sort_by(|a, b| a.effective.cmp(&b.effective).then(a.id.cmp(&b.id)));
            prop_assert_eq!(
                v.permitted,
                !permitting.is_empty(),
                "{}: verdict {:?}, model permitting {:?}",
                v.category,
                v,
                permitting.iter().map(|k| &k.id).collect::<Vec<_>>()
            );
            if v.permitted {
                prop_assert_eq!(v.consent.as_ref(), Some(&permitting[0].id));
                prop_assert!(v.reason.starts_with("permitted by consent "), "{}", v.reason);
            } else {
                prop_assert_eq!(&v.consent, &None);
                prop_assert!(!v.reason.is_empty());
            }
        }
        match &decision.basis {
            Basis::Consent { consents } => {
                for v in decision.verdicts.iter().filter(|v| v.permitted) {
                    prop_assert!(consents.contains(v.consent.as_ref().unwrap()));
                }
            }
            other => prop_assert!(false, "basis {:?} under consent", other),
        }
        // Joint notes: withheld whole unless every other participant permits
        // everything released.
        let released = decision.permitted();
        for (jv, note) in decision.joint_notes.iter().zip(&s.joint_notes) {
            let missing = model_missing(&policy, &s, &s.consents, note, &released);
            prop_assert_eq!(&jv.missing, &missing);
            prop_assert_eq!(jv.permitted, missing.is_empty());
            if !jv.permitted {
                prop_assert!(jv.reason.contains("withheld whole"), "{}", jv.reason);
            }
        }
    }

    /// (a2) Under consent, the basis lists exactly the consents cited by permitted
    /// verdicts, once each, in verdict order ("the consents that permit something").
    #[test]
    fn basis_lists_exactly_the_permitting_consents(s in under_consent()) {
        let policy = Policy::default_policy();
        let decision = run(&policy, &s, &s.consents);
        let mut cited: Vec<ConsentId> = Vec::new();
        for id in decision.verdicts.iter().filter(|v| v.permitted).filter_map(|v| v.consent.clone()) {
            if !cited.contains(&id) {
                cited.push(id);
            }
        }
        prop_assert_eq!(
            &decision.basis,
            &Basis::Consent { consents: cited },
            "verdicts: {:#?}",
            decision.verdicts
        );
    }

    /// (b) A consent revoked on or before today never permits: no verdict cites one,
    /// and with only revoked consents on file nothing is permitted under consent and
    /// no joint note with another participant is released.
    #[test]
    fn revoked_consent_never_permits(s in any_scenario()) {
        let policy = Policy::default_policy();
        let decision = run(&policy, &s, &s.consents);
        for v in &decision.verdicts {
            if let Some(id) = &v.consent {
                let k = s.consents.iter().find(|k| &k.id == id).expect("cited consent exists");
                prop_assert!(!revoked_by(k, s.today), "cited revoked consent {:?}", k);
                prop_assert!(v.permitted);
            }
        }
        let only_revoked: Vec<Consent> =
            s.consents.iter().filter(|k| revoked_by(k, s.today)).cloned().collect();
        let decision = run(&policy, &s, &only_revoked);
        if s.request.exception.is_none() && s.request.purpose != "client-request" {
            prop_assert!(decision.permitted().is_empty(), "{:#?}", decision.verdicts);
            prop_assert!(decision.obligations.is_empty());
        }
        for (jv, note) in decision.joint_notes.iter().zip(&s.joint_notes) {
            if note.participants.iter().any(|p| *p != s.request.client) {
                prop_assert!(!jv.permitted, "{:?}", jv);
            }
        }
    }

    /// (c) Under an exception, only what the policy lets that exception release is
    /// permitted (for a court order: what the order names, or the requested categories
    /// when it names none); psychotherapy notes only by a court order naming them;
    /// nothing for a subpoena, an unknown kind, an empty justification, a court order
    /// without reference or an unknown purpose. Anything permitted carries the
    /// accounting entry and the duty to tell the client.
    #[test]
    fn exception_releases_only_its_limits(s in under_exception()) {
        let policy = Policy::default_policy();
        let decision = run(&policy, &s, &s.consents);
        let e = s.request.exception.as_ref().unwrap();
        let permitted = decision.permitted();
        match &decision.basis {
            Basis::Exception { exception, justification, reference } => {
                prop_assert_eq!(exception, &e.kind);
                prop_assert_eq!(justification, &e.justification);
                prop_assert_eq!(reference, &e.reference);
            }
            other => prop_assert!(false, "basis {:?} under an exception", other),
        }
        prop_assert!(decision.verdicts.iter().all(|v| v.consent.is_none()), "an exception cites no consent");
        let nothing = e.kind == "subpoena"
            || policy.exception(&e.kind).is_none()
            || e.justification.trim().is_empty()
            || (e.kind == "court-order" && e.reference.as_deref().is_none_or(|r| r.trim().is_empty()))
            || !policy.has_purpose(&s.request.purpose);
        if nothing {
            prop_assert!(permitted.is_empty(), "{:#?}", decision.verdicts);
        }
        if e.kind == "subpoena" && !e.justification.trim().is_empty() && policy.has_purpose(&s.request.purpose) {
            for v in &decision.verdicts {
                prop_assert!(
                    v.reason == "a subpoena alone does not authorize release; obtain the client's authorization or a court order"
                        || v.reason == format!("{} is not a category of the policy", v.category),
                    "{}", v.reason
                );
            }
        }
        // Without order categories the request stands for what the order names,
        // except psychotherapy-notes, which an order must name explicitly.
        let order_named: Vec<&str> = if e.order_categories.is_empty() {
            s.request
                .categories
                .iter()
                .map(String::as_str)
                .filter(|c| *c != "psychotherapy-notes")
                .collect()
        } else {
            e.order_categories.iter().map(String::as_str).collect()
        };
        for category in &permitted {
            prop_assert!(policy.has_category(category));
            if e.kind == "court-order" {
                prop_assert!(order_named.contains(category), "{} not named by the order", category);
            } else {
                prop_assert_ne!(*category, "psychotherapy-notes");
                let rule = policy.exception(&e.kind).expect("a known exception");
                prop_assert!(rule.releases.iter().any(|c| c == category), "{} beyond {}", category, e.kind);
            }
        }
        // Completeness: a valid exception releases every known requested category
        // within its limits.
        if !nothing {
            for v in &decision.verdicts {
                let within = if e.kind == "court-order" {
                    order_named.contains(&v.category.as_str())
                } else {
                    v.category != "psychotherapy-notes"
                        && policy.exception(&e.kind).unwrap().releases.contains(&v.category)
                };
                prop_assert_eq!(v.permitted, within && policy.has_category(&v.category), "{:?}", v);
            }
        }
        let any = !permitted.is_empty();
        prop_assert_eq!(decision.obligations.contains(&Obligation::AccountingEntry), any);
        prop_assert_eq!(decision.obligations.contains(&Obligation::TellClient), any);
        prop_assert!(!decision.obligations.contains(&Obligation::AccountingClientRequest));
        // Joint notes: the other participants' information needs their own consent.
        for (jv, note) in decision.joint_notes.iter().zip(&s.joint_notes) {
            let missing = model_missing(&policy, &s, &s.consents, note, &permitted);
            prop_assert_eq!(&jv.missing, &missing);
            prop_assert_eq!(jv.permitted, missing.is_empty());
        }
    }

    /// (d) `decide` is deterministic and does not depend on the order of the consents.
    #[test]
    fn decide_is_deterministic_and_order_independent(
        (s, shuffled) in any_scenario().prop_flat_map(|s| {
            let consents = s.consents.clone();
            (Just(s), Just(consents).prop_shuffle())
        })
    ) {
        let policy = Policy::default_policy();
        let first = run(&policy, &s, &s.consents);
        let second = run(&policy, &s, &s.consents);
        prop_assert_eq!(&first, &second);
        let reordered = run(&policy, &s, &shuffled);
        prop_assert_eq!(&first, &reordered);
        // The decision also survives serialization unchanged.
        let json = serde_json::to_string(&first).unwrap();
        let back: Decision = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&first, &back);
    }

    /// (e) Obligations follow what is permitted, whatever the basis; psychotherapy
    /// notes leave only under a consent naming them alone or a court order.
    #[test]
    fn obligations_follow_the_verdicts(s in any_scenario()) {
        let policy = Policy::default_policy();
        let decision = run(&policy, &s, &s.consents);
        let permitted = decision.permitted();
        let ob = &decision.obligations;
        if permitted.is_empty() {
            prop_assert!(ob.is_empty(), "{:?}", ob);
        } else {
            let client_request = decision.basis == Basis::ClientRequest;
            prop_assert_eq!(ob.contains(&Obligation::AccountingClientRequest), client_request);
            prop_assert_eq!(ob.contains(&Obligation::AccountingEntry), !client_request);
            prop_assert_eq!(
                ob.contains(&Obligation::TellClient),
                matches!(decision.basis, Basis::Exception { .. })
            );
            prop_assert_eq!(
                ob.contains(&Obligation::RedactThirdParties),
                !permitted.contains(&"third-party")
            );
        }
        let notice = Obligation::RedisclosureNotice { text: policy.redisclosure_notice.clone() };
        prop_assert_eq!(ob.contains(&notice), permitted.contains(&"substance-use"));
        prop_assert_eq!(
            ob.iter().filter(|o| matches!(o, Obligation::RedisclosureNotice { .. })).count(),
            usize::from(permitted.contains(&"substance-use"))
        );
        if permitted.contains(&"psychotherapy-notes") {
            match &decision.basis {
                Basis::Consent { .. } => {
                    let v = decision.verdicts.iter().find(|v| v.category == "psychotherapy-notes").unwrap();
                    let id = v.consent.as_ref().unwrap();
                    let k = s.consents.iter().find(|k| &k.id == id).unwrap();
                    prop_assert!(k.categories.iter().all(|c| c == "psychotherapy-notes"), "{:?}", k);
                }
                Basis::Exception { exception, .. } => prop_assert_eq!(exception, "court-order"),
                Basis::ClientRequest => prop_assert!(false, "psychotherapy notes to the client's own request"),
            }
        }
        // The client's own request: everything known but psychotherapy notes, to the
        // client only.
        if s.request.exception.is_none() && s.request.purpose == "client-request" {
            prop_assert_eq!(&decision.basis, &Basis::ClientRequest);
            let to_client = norm(&s.request.recipient) == "client" || norm(&s.request.recipient) == norm(ADA_NAME);
            for v in &decision.verdicts {
                prop_assert_eq!(
                    v.permitted,
                    to_client && policy.has_category(&v.category) && v.category != "psychotherapy-notes",
                    "{:?}", v
                );
            }
        }
    }
}
