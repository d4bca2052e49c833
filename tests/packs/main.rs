//! Table tests for the jurisdiction packs: at least fifteen cases per pack, each named
//! by the law it checks, run through `decide` under that pack; and a property test
//! that no state pack permits what the federal baseline forbids unless the pack says
//! which rule and why.
//!
//! A case is written with [`Case`]'s builder: a request (under consent, an exception,
//! or the client's own request), the client's facts, consents and restrictions, and
//! what must come of it. Each pack's cases are in the module named after it.

use casevault::{
    Care, Consent, ConsentRecipient, Date, Decision, DecisionInput, DisclosureRequest,
    ExceptionRequest, Obligation, PACKS, Policy, Relationship, Restriction, Revocation, Tpo,
    decide,
};

mod au;
mod baseline;
mod ca_on;
mod uk;
mod us_ca;
mod us_federal;
mod us_fl;
mod us_il;
mod us_ny;
mod us_tx;
mod us_wa;

/// The day every case is decided on, unless it says otherwise.
pub const TODAY: &str = "2026-06-01";
/// The client every case is about.
pub const CLIENT: &str = "ada";

pub fn d(s: &str) -> Date {
    s.parse().expect("test date")
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// A pack as a policy, or the test fails naming the pack.
pub fn pack(id: &str) -> Policy {
    Policy::pack(id)
        .unwrap_or_else(|| panic!("no pack {id}"))
        .unwrap_or_else(|e| panic!("pack {id}: {e}"))
}

/// What a case expects.
enum Expect {
    /// Exactly these categories permitted, the rest denied or withheld.
    Permits(Vec<String>),
}

/// One case: a request under a pack, with its facts, and what must come of it.
pub struct Case {
    pack: &'static str,
    name: &'static str,
    request: DisclosureRequest,
    consents: Vec<Consent>,
    restrictions: Vec<Restriction>,
    care: Care,
    date_of_birth: Option<Date>,
    today: Date,
    expect: Option<Expect>,
    reason_has: Vec<(String, String)>,
    required: Option<bool>,
    notice_has: Vec<String>,
    lockbox_notice: Option<bool>,
    withheld: Vec<String>,
}

/// A case under `pack`, named by the law it checks (the citation belongs in the
/// name): by default a consent-based request to "Dr Lee" for treatment.
pub fn case(pack: &'static str, name: &'static str) -> Case {
    Case {
        pack,
        name,
        request: DisclosureRequest {
            client: CLIENT.into(),
            recipient: "Dr Lee".into(),
            purpose: "treatment".into(),
            categories: Vec::new(),
            consent: None,
            exception: None,
            from: None,
            until: None,
            recipient_kind: None,
        },
        consents: Vec::new(),
        restrictions: Vec::new(),
        care: Care::default(),
        date_of_birth: None,
        today: d(TODAY),
        expect: None,
        reason_has: Vec::new(),
        required: None,
        notice_has: Vec::new(),
        lockbox_notice: None,
        withheld: Vec::new(),
    }
}

impl Case {
    /// To this recipient, by name.
    pub fn to(mut self, name: &str) -> Self {
        self.request.recipient = name.to_owned();
        self
    }

    /// The recipient is of this kind (`--recipient-kind`).
    pub fn kind(mut self, kind: &str) -> Self {
        self.request.recipient_kind = Some(kind.to_owned());
        self
    }

    /// For this purpose.
    pub fn purpose(mut self, purpose: &str) -> Self {
        self.request.purpose = purpose.to_owned();
        self
    }

    /// Asking for these categories.
    pub fn asks(mut self, categories: &[&str]) -> Self {
        self.request.categories = strings(categories);
        self
    }

    /// Under this exception, with a justification and a reference.
    pub fn exception(mut self, kind: &str) -> Self {
        self.request.exception = Some(ExceptionRequest {
            kind: kind.to_owned(),
            justification: "the facts that make it apply".to_owned(),
            reference: Some("ORDER-1".to_owned()),
            order_categories: Vec::new(),
            about: None,
        });
        self
    }

    /// A court order naming these categories.
    pub fn order_names(mut self, categories: &[&str]) -> Self {
        let e = self
            .request
            .exception
            .as_mut()
            .expect("order_names after exception");
        e.order_categories = strings(categories);
        self
    }

    /// The client's own request for their records.
    pub fn own_request(mut self) -> Self {
        self.request.recipient = "client".to_owned();
        self.request.purpose = "client-request".to_owned();
        self
    }

    /// A consent of the client to the request's recipient for its purpose, naming
    /// `categories`, in force all of 2026, signed by the client.
    pub fn consent(mut self, categories: &[&str]) -> Self {
        let id = format!("c{}", self.consents.len() + 1);
        self.consents.push(Consent {
            id: id.into(),
            version: 1,
            client: CLIENT.into(),
            recipient: ConsentRecipient {
                name: self.request.recipient.clone(),
                organization: None,
                public_key: None,
            },
            purposes: vec![self.request.purpose.clone()],
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
        });
        self
    }

    /// The last consent was signed by a guardian.
    pub fn by_guardian(mut self) -> Self {
        let c = self.consents.last_mut().expect("by_guardian after consent");
        c.relationship = Relationship::Guardian;
        c.signed_by = "Pat Example".to_owned();
        self
    }

    /// The last consent took effect on `date`.
    pub fn consent_from(mut self, date: &str) -> Self {
        self.consents.last_mut().expect("after consent").effective = d(date);
        self
    }

    /// The last consent was revoked from `date`.
    pub fn revoked(mut self, date: &str) -> Self {
        let c = self.consents.last_mut().expect("revoked after consent");
        c.version = 2;
        c.revoked = Some(Revocation {
            effective: d(date),
            in_writing: true,
            recorded_at: "2026-02-01T09:00:00Z".parse().unwrap(),
            recorded_by: "dr-rivera".to_owned(),
        });
        self
    }

    /// A Part 2 single consent for treatment, payment and operations to recipients of
    /// `kind`, naming `categories`; until the end of treatment when `until_end`.
    pub fn tpo_consent(mut self, kind: &str, categories: &[&str], until_end: bool) -> Self {
        let policy = pack(self.pack);
        let part2 = policy.part2.as_ref().expect("a pack with Part 2 rules");
        self = self.consent(categories);
        let c = self.consents.last_mut().expect("just added");
        c.recipient.name = format!("{kind} providers");
        c.purposes = part2.tpo_purposes.clone();
        c.expires = Date::LATEST;
        c.tpo = Some(Tpo {
            recipient_kind: kind.to_owned(),
            until_end_of_treatment: until_end,
        });
        self
    }

    /// The client's record is a 42 CFR Part 2 program's.
    pub fn part2(mut self) -> Self {
        self.care.part2_program = true;
        self
    }

    /// The client consented to their own care as a minor.
    pub fn minor_consent(mut self) -> Self {
        self.care.minor_consent = true;
        self
    }

    /// The client's treatment ended on `date`.
    pub fn treatment_ended(mut self, date: &str) -> Self {
        self.care.treatment_ended = Some(d(date));
        self
    }

    /// The client was born on `date`.
    pub fn born(mut self, date: &str) -> Self {
        self.date_of_birth = Some(d(date));
        self
    }

    /// Decided on `date` instead of [`TODAY`].
    pub fn on(mut self, date: &str) -> Self {
        self.today = d(date);
        self
    }

    /// A restriction in force since 2026-01-01 keeping `categories` back, from
    /// recipients of `kind` (any when `None`), for `purposes` (any when empty).
    pub fn restriction(
        mut self,
        categories: &[&str],
        kind: Option<&str>,
        purposes: &[&str],
    ) -> Self {
        self.restrictions.push(restriction(
            &format!("r{}", self.restrictions.len() + 1),
            categories,
            kind,
            purposes,
        ));
        self
    }

    /// A restriction for services paid out of pocket (the must-agree case).
    pub fn self_pay(mut self, categories: &[&str]) -> Self {
        let policy = pack(self.pack);
        let rules = policy
            .restrictions
            .as_ref()
            .expect("a pack with restrictions");
        let purposes: Vec<&str> = rules
            .must_agree_purposes
            .iter()
            .map(String::as_str)
            .collect();
        let mut r = restriction(
            &format!("r{}", self.restrictions.len() + 1),
            categories,
            rules.must_agree_recipient_kind.as_deref(),
            &purposes,
        );
        r.self_pay = true;
        self.restrictions.push(r);
        self
    }

    /// A lockbox over `categories`, since 2026-01-01.
    pub fn lockbox(mut self, categories: &[&str]) -> Self {
        let mut r = restriction(
            &format!("r{}", self.restrictions.len() + 1),
            categories,
            None,
            &[],
        );
        r.lockbox = true;
        self.restrictions.push(r);
        self
    }

    /// Expects exactly `categories` permitted.
    pub fn permits(mut self, categories: &[&str]) -> Self {
        self.expect = Some(Expect::Permits(strings(categories)));
        self
    }

    /// Expects nothing permitted.
    pub fn denies(self) -> Self {
        self.permits(&[])
    }

    /// Expects `category`'s reason to contain `text` (a citation, a word).
    pub fn reason(mut self, category: &str, text: &str) -> Self {
        self.reason_has.push((category.to_owned(), text.to_owned()));
        self
    }

    /// Expects the decision to say the law requires the disclosure (or not).
    pub fn required(mut self, required: bool) -> Self {
        self.required = Some(required);
        self
    }

    /// Expects a redisclosure notice containing `text`.
    pub fn notice(mut self, text: &str) -> Self {
        self.notice_has.push(text.to_owned());
        self
    }

    /// Expects `category` withheld by the lockbox (the disclosure goes ahead without it
    /// and tells the recipient that something was withheld).
    pub fn withheld(mut self, category: &str) -> Self {
        self.withheld.push(category.to_owned());
        self.lockbox_notice = Some(true);
        self
    }

    /// Decides the case under its pack and checks every expectation; the panic
    /// message starts with the case's name.
    pub fn check(self) {
        let policy = pack(self.pack);
        let facts = vec![casevault::ClientFacts {
            client: CLIENT.into(),
            date_of_birth: self.date_of_birth,
            care: self.care.clone(),
        }];
        let decision = decide(DecisionInput {
            request: &self.request,
            client_name: "Ada Example",
            consents: &self.consents,
            joint_notes: &[],
            clients: &facts,
            restrictions: &self.restrictions,
            policy: &policy,
            today: self.today,
        });
        let name = format!("{} / {}", self.pack, self.name);
        let shown = show(&decision);
        if let Some(Expect::Permits(expected)) = &self.expect {
            let permitted: Vec<String> = decision
                .permitted()
                .iter()
                .map(|c| (*c).to_owned())
                .collect();
            assert_eq!(&permitted, expected, "{name}: permitted\n{shown}");
        }
        for (category, text) in &self.reason_has {
            let verdict = decision
                .verdicts
                .iter()
                .find(|v| v.category == *category)
                .unwrap_or_else(|| panic!("{name}: no verdict for {category}"));
            assert!(
                verdict.reason.contains(text.as_str()),
                "{name}: {category}'s reason lacks {text:?}\n{shown}"
            );
        }
        if let Some(required) = self.required {
            assert_eq!(decision.required, required, "{name}: required\n{shown}");
        }
        let notice = decision.obligations.iter().find_map(|o| match o {
            Obligation::RedisclosureNotice { text } => Some(text.clone()),
            _ => None,
        });
        for text in &self.notice_has {
            assert!(
                notice.as_deref().is_some_and(|n| n.contains(text.as_str())),
                "{name}: no notice with {text:?}\n{shown}"
            );
        }
        let lockbox = decision
            .obligations
            .iter()
            .any(|o| matches!(o, Obligation::LockboxNotice { .. }));
        if let Some(expected) = self.lockbox_notice {
            assert_eq!(lockbox, expected, "{name}: lockbox notice\n{shown}");
            assert!(
                decision.all_permitted(),
                "{name}: the disclosure goes ahead\n{shown}"
            );
        }
        for category in &self.withheld {
            assert!(
                decision
                    .verdicts
                    .iter()
                    .any(|v| v.category == *category && v.withheld && !v.permitted),
                "{name}: {category} not withheld\n{shown}"
            );
        }
    }
}

/// The cases every state on the federal baseline inherits unchanged (HIPAA's floor):
/// each state's table runs them, so a state that changed one would fail here.
pub fn federal_floor(pack: &'static str) -> Vec<Case> {
    vec![
        case(
            pack,
            "45 CFR 164.502(g)(3): a guardian's consent no longer speaks for a client of 18",
        )
        .born("2008-01-01")
        .consent(&["diagnosis"])
        .by_guardian()
        .consent_from("2025-06-01")
        .asks(&["diagnosis"])
        .denies()
        .reason("diagnosis", "no longer speaks for them"),
        case(
            pack,
            "45 CFR 164.508(a)(2): psychotherapy notes need a consent naming them alone",
        )
        .consent(&["psychotherapy-notes", "progress"])
        .asks(&["psychotherapy-notes", "progress"])
        .permits(&["progress"])
        .reason("psychotherapy-notes", "no other category"),
        case(
            pack,
            "45 CFR 164.512(e)(1)(ii): a subpoena alone releases nothing",
        )
        .purpose("legal")
        .to("Attorney Vance")
        .kind("legal-counsel")
        .exception("subpoena")
        .asks(&["diagnosis"])
        .denies()
        .reason("diagnosis", "164.512(e)(1)(ii)"),
        case(
            pack,
            "45 CFR 164.522(a)(1)(vi): services paid out of pocket are kept from the health plan",
        )
        .purpose("payment")
        .to("Acme Health Plan")
        .kind("health-plan")
        .consent(&["diagnosis", "attendance"])
        .self_pay(&["diagnosis"])
        .asks(&["diagnosis", "attendance"])
        .permits(&["attendance"])
        .reason("diagnosis", "164.522(a)(1)(vi)"),
        case(
            pack,
            "45 CFR 164.524(a)(1): the client's own request releases all but psychotherapy notes",
        )
        .own_request()
        .restriction(&["diagnosis"], None, &[])
        .asks(&["diagnosis", "psychotherapy-notes"])
        .permits(&["diagnosis"])
        .reason(
            "psychotherapy-notes",
            "never released to the client's own access request",
        ),
    ]
}

fn restriction(
    id: &str,
    categories: &[&str],
    kind: Option<&str>,
    purposes: &[&str],
) -> Restriction {
    Restriction {
        id: id.into(),
        version: 1,
        client: CLIENT.into(),
        categories: strings(categories),
        purposes: strings(purposes),
        recipient: None,
        recipient_kind: kind.map(str::to_owned),
        self_pay: false,
        lockbox: false,
        requested_on: d("2026-01-01"),
        refused: None,
        ended: None,
        recorded_at: "2026-01-01T09:00:00Z".parse().unwrap(),
        recorded_by: "dr-rivera".to_owned(),
    }
}

fn show(decision: &Decision) -> String {
    decision
        .verdicts
        .iter()
        .map(|v| {
            format!(
                "  {} {}: {}",
                if v.permitted {
                    "permitted"
                } else if v.withheld {
                    "withheld"
                } else {
                    "denied"
                },
                v.category,
                v.reason
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs a pack's cases, checking there are at least fifteen, each with a citation
/// (a digit or a section sign) in its name.
pub fn run(pack_id: &str, cases: Vec<Case>) {
    assert!(
        cases.len() >= 15,
        "{pack_id}: {} cases; a pack's table has at least 15",
        cases.len()
    );
    for c in &cases {
        assert_eq!(c.pack, pack_id, "{}", c.name);
        assert!(
            c.name.chars().any(|ch| ch.is_ascii_digit() || ch == '§'),
            "{pack_id} / {}: name the citation in the case's name",
            c.name
        );
    }
    for c in cases {
        c.check();
    }
}

#[test]
fn every_pack_has_a_table() {
    let tables = [
        "us-federal",
        "us-ca",
        "us-ny",
        "us-tx",
        "us-fl",
        "us-il",
        "us-wa",
        "ca-on",
        "uk",
        "au",
    ];
    for p in PACKS {
        assert!(tables.contains(&p.id), "pack {} has no table test", p.id);
    }
}
