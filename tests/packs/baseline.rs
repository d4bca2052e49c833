//! No state pack permits what the federal baseline forbids unless the pack says which
//! rule and why: over random requests, consents, client facts and restrictions, every
//! category a state pack permits and us-federal denies rests on an exception of the
//! state pack that carries its `beyond-baseline` reason, or on a minor's own consent
//! that the state's `[minors]` allows with its citation.

use casevault::{
    Basis, Care, ClientFacts, Consent, ConsentRecipient, DecisionInput, DisclosureRequest,
    ExceptionRequest, Policy, Relationship, Restriction, decide,
};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

use crate::{CLIENT, d, pack};

const STATES: &[&str] = &["us-ca", "us-ny", "us-tx", "us-fl", "us-il", "us-wa"];

/// Every exception kind of the federal pack and the states, and one no pack has.
fn exception_kinds() -> Vec<String> {
    let mut kinds: Vec<String> = Vec::new();
    for id in std::iter::once("us-federal").chain(STATES.iter().copied()) {
        for e in pack(id).exceptions {
            if !kinds.contains(&e.kind) {
                kinds.push(e.kind);
            }
        }
    }
    kinds.push("tarot-reading".to_owned());
    kinds
}

/// The baseline's recipient kinds: a kind only a state declares (Illinois's
/// firearm-reporting-agency) is a word the baseline does not know, not a rule it
/// forbids, and the state's exception to it says why it goes beyond.
fn recipient_kinds() -> Vec<String> {
    pack("us-federal").recipient_kinds
}

#[derive(Clone, Debug)]
struct World {
    request: DisclosureRequest,
    consents: Vec<Consent>,
    care: Care,
    born: Option<&'static str>,
    restrictions: Vec<Restriction>,
}

fn world() -> impl Strategy<Value = World> {
    let federal = pack("us-federal");
    let categories = federal.categories.clone();
    let purposes = federal.purposes.clone();
    let consent_categories: Vec<String> = categories
        .iter()
        .cloned()
        .chain(std::iter::once("all".to_owned()))
        .collect();
    let kinds = recipient_kinds();
    (
        subsequence(categories.clone(), 1..4),
        select(purposes.clone()),
        prop::option::of(select(kinds.clone())),
        prop::option::of((
            select(exception_kinds()),
            subsequence(categories.clone(), 0..3),
        )),
        prop::collection::vec(
            (
                subsequence(consent_categories, 1..4),
                subsequence(purposes, 1..3),
                any::<bool>(),
                prop::option::of(select(kinds.clone())),
            ),
            0..3,
        ),
        (
            any::<bool>(),
            any::<bool>(),
            select(vec![None, Some("2013-01-01"), Some("1990-01-01")]),
        ),
        prop::collection::vec(
            (
                subsequence(categories, 1..3),
                prop::option::of(select(kinds)),
                any::<bool>(),
            ),
            0..2,
        ),
        any::<bool>(),
    )
        .prop_map(
            |(
                asks,
                purpose,
                kind,
                exception,
                consents,
                (part2, minor, born),
                restrictions,
                own,
            )| {
                let recipient = if own { "client" } else { "Dr Lee" };
                let purpose = if own {
                    "client-request".to_owned()
                } else {
                    purpose
                };
                let request = DisclosureRequest {
                    client: CLIENT.into(),
                    recipient: recipient.into(),
                    purpose: purpose.clone(),
                    categories: asks,
                    consent: None,
                    exception: exception
                        .filter(|_| !own)
                        .map(|(kind, names)| ExceptionRequest {
                            kind,
                            justification: "the facts".into(),
                            reference: Some("REF-1".into()),
                            order_categories: names,
                            about: None,
                        }),
                    from: None,
                    until: None,
                    recipient_kind: kind,
                };
                let consents = consents
                    .into_iter()
                    .enumerate()
                    .map(|(i, (categories, purposes, guardian, class))| Consent {
                        id: format!("c{i}").into(),
                        version: 1,
                        client: CLIENT.into(),
                        recipient: ConsentRecipient {
                            name: "Dr Lee".into(),
                            organization: None,
                            public_key: None,
                        },
                        purposes,
                        categories,
                        excluded: Vec::new(),
                        effective: d("2026-01-01"),
                        expires: d("2026-12-31"),
                        signed_by: "signer".into(),
                        relationship: if guardian {
                            Relationship::Guardian
                        } else {
                            Relationship::Client
                        },
                        recorded_at: "2026-01-01T09:00:00Z".parse().unwrap(),
                        recorded_by: "dr-rivera".into(),
                        revoked: None,
                        tpo: class.map(|recipient_kind| casevault::Tpo {
                            recipient_kind,
                            until_end_of_treatment: false,
                        }),
                    })
                    .collect();
                let restrictions = restrictions
                    .into_iter()
                    .enumerate()
                    .map(|(i, (categories, kind, lockbox))| Restriction {
                        id: format!("r{i}").into(),
                        version: 1,
                        client: CLIENT.into(),
                        categories,
                        purposes: Vec::new(),
                        recipient: None,
                        recipient_kind: kind,
                        self_pay: false,
                        lockbox,
                        requested_on: d("2026-01-01"),
                        refused: None,
                        ended: None,
                        recorded_at: "2026-01-01T09:00:00Z".parse().unwrap(),
                        recorded_by: "dr-rivera".into(),
                    })
                    .collect();
                World {
                    request,
                    consents,
                    care: Care {
                        part2_program: part2,
                        minor_consent: minor,
                        ..Care::default()
                    },
                    born,
                    restrictions,
                }
            },
        )
}

fn decide_under(policy: &Policy, w: &World) -> casevault::Decision {
    let facts = vec![ClientFacts {
        client: CLIENT.into(),
        date_of_birth: w.born.map(d),
        care: w.care.clone(),
    }];
    decide(DecisionInput {
        request: &w.request,
        client_name: "Ada Example",
        consents: &w.consents,
        joint_notes: &[],
        clients: &facts,
        restrictions: &w.restrictions,
        policy,
        today: d("2026-06-01"),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn a_state_permits_beyond_the_baseline_only_by_a_rule_that_says_why(w in world()) {
        let federal = pack("us-federal");
        let under_federal = decide_under(&federal, &w);
        for id in STATES {
            let state = pack(id);
            let under_state = decide_under(&state, &w);
            for (s, f) in under_state.verdicts.iter().zip(&under_federal.verdicts) {
                prop_assert_eq!(&s.category, &f.category);
                if s.permitted && !f.permitted {
                    let why = match &under_state.basis {
                        Basis::Exception { exception, .. } => state
                            .exception(exception)
                            .and_then(|e| e.beyond_baseline.clone()),
                        // A state that lets a minor consent to their own care says so,
                        // with its law, in [minors]: the baseline asks for a parent.
                        Basis::Consent { .. } if f.reason.contains("a parent or guardian signs for them") => state
                            .minors
                            .as_ref()
                            .and_then(|m| m.self_consent_citation.clone()),
                        _ => None,
                    };
                    prop_assert!(
                        why.is_some(),
                        "{} permits {} where us-federal denies it ({}), with no rule saying why: {}",
                        id, s.category, f.reason, s.reason
                    );
                }
            }
        }
    }
}

#[test]
fn a_rule_that_goes_beyond_the_baseline_is_caught_without_its_reason() {
    // A state file that widens duty-to-protect to the press, without saying why: the
    // property above must see it.
    let federal = pack("us-federal");
    let wide = Policy::parse(
        "name = \"wide\"\nextends = \"us-federal\"\n\n[[exception]]\nkind = \"duty-to-protect\"\nreleases = [\"identity\", \"risk\", \"progress\"]\nrecipients = [\"victim\", \"other\"]\ndescription = \"d\"\n",
    )
    .unwrap();
    let w = World {
        request: DisclosureRequest {
            client: CLIENT.into(),
            recipient: "Daily News".into(),
            purpose: "treatment".into(),
            categories: vec!["progress".into()],
            consent: None,
            exception: Some(ExceptionRequest {
                kind: "duty-to-protect".into(),
                justification: "j".into(),
                reference: None,
                order_categories: Vec::new(),
                about: None,
            }),
            from: None,
            until: None,
            recipient_kind: Some("other".into()),
        },
        consents: Vec::new(),
        care: Care::default(),
        born: None,
        restrictions: Vec::new(),
    };
    assert!(decide_under(&wide, &w).all_permitted());
    assert!(!decide_under(&federal, &w).all_permitted());
    assert!(
        wide.exception("duty-to-protect")
            .unwrap()
            .beyond_baseline
            .is_none()
    );
}
