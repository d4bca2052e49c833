//! ca-on: Ontario's Personal Health Information Protection Act, 2004 (the lockbox,
//! the significant-risk disclosure, proceedings), with the CYFSA duty to report.

use crate::{case, run};

const P: &str = "ca-on";

#[test]
fn table() {
    run(
        P,
        vec![
            case(P, "PHIPA ss.20(2), 37(1)(a), 38(1)(a): a consent-based disclosure withholds what the client locked")
                .consent(&["diagnosis", "medication"])
                .lockbox(&["medication"])
                .asks(&["diagnosis", "medication"])
                .permits(&["diagnosis"])
                .withheld("medication")
                .reason("medication", "withheld: the client locked medication (lockbox r1, from 2026-01-01) (PHIPA ss.20(2), 37(1)(a), 38(1)(a), 50(1)(e))")
                .reason("diagnosis", "permitted by consent c1"),
            case(P, "PHIPA s.20(3): the recipient is told something was withheld, not what")
                .consent(&["all"])
                .lockbox(&["diagnosis", "risk"])
                .asks(&["attendance", "diagnosis", "treatment-plan", "risk"])
                .permits(&["attendance", "treatment-plan"])
                .withheld("diagnosis")
                .withheld("risk")
                .reason("risk", "the recipient is told that something was withheld, not what"),
            case(P, "PHIPA s.20(2): a lockbox over everything asked leaves nothing to disclose")
                .consent(&["medication"])
                .lockbox(&["medication"])
                .asks(&["medication"])
                .denies()
                .reason("medication", "withheld: the client locked medication"),
            case(P, "PHIPA s.40(1): a significant risk of serious bodily harm overrides the lockbox")
                .to("Sam Target")
                .kind("victim")
                .lockbox(&["identity", "risk"])
                .exception("significant-risk")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(false)
                .reason("risk", "permitted under significant-risk (PHIPA s.40(1))"),
            case(P, "PHIPA s.40(1): the significant-risk disclosure may go to the client's family")
                .to("Pat Example")
                .kind("family")
                .exception("significant-risk")
                .asks(&["identity", "risk", "diagnosis"])
                .permits(&["identity", "risk"])
                .reason("diagnosis", "significant-risk may release only identity, risk (PHIPA s.40(1))"),
            case(P, "PHIPA s.40(1): not to someone unable to reduce the risk")
                .to("Toronto Star")
                .kind("other")
                .exception("significant-risk")
                .asks(&["risk"])
                .denies()
                .reason("risk", "goes only to victim, law-enforcement, medical, family, not to other (PHIPA s.40(1))"),
            case(P, "PHIPA s.38(1)(a): an emergency disclosure yields to the client's express instruction")
                .to("Toronto General ER")
                .kind("medical")
                .lockbox(&["medication"])
                .exception("emergency")
                .asks(&["identity", "medication", "diagnosis"])
                .permits(&["identity", "diagnosis"])
                .withheld("medication"),
            case(P, "CYFSA 2017 s.125(1); PHIPA s.43(1)(h): the duty to report a child in need of protection is not locked")
                .to("Children's Aid Society of Toronto")
                .kind("child-protection")
                .lockbox(&["risk"])
                .exception("child-abuse-report")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(true)
                .reason("risk", "required under child-abuse-report (CYFSA 2017 s.125(1); PHIPA s.43(1)(h))"),
            case(P, "CYFSA 2017 s.125(1): the report is made directly to a children's aid society, not the police")
                .to("Toronto Police")
                .kind("law-enforcement")
                .exception("child-abuse-report")
                .asks(&["identity", "risk"])
                .denies()
                .reason("identity", "goes only to child-protection, not to law-enforcement"),
            case(P, "PHIPA s.41(1)(d): a court order compels what it names, locked or not")
                .purpose("legal")
                .to("Ontario Superior Court of Justice")
                .kind("court")
                .lockbox(&["diagnosis"])
                .exception("court-order")
                .order_names(&["diagnosis"])
                .asks(&["diagnosis", "progress"])
                .permits(&["diagnosis"])
                .required(true)
                .reason("diagnosis", "named by the court order ORDER-1 (PHIPA s.41(1)(d))")
                .reason("progress", "does not name progress"),
            case(P, "PHIPA s.41(1)(d): a summons produces the records it names to the court")
                .purpose("legal")
                .to("Ontario Court of Justice")
                .kind("court")
                .exception("summons")
                .order_names(&["progress", "psychotherapy-notes"])
                .asks(&["progress", "psychotherapy-notes"])
                .permits(&["progress", "psychotherapy-notes"])
                .required(true),
            case(P, "PHIPA s.41(1)(d): records under a summons go to the court, not to the parties' lawyers")
                .purpose("legal")
                .to("Counsel for the plaintiff")
                .kind("legal-counsel")
                .exception("summons")
                .asks(&["progress"])
                .denies()
                .reason("progress", "summons goes only to court, not to legal-counsel"),
            case(P, "PHIPA s.41(1)(a): the clinician may answer a College complaint with the relevant record, lockbox notwithstanding")
                .purpose("legal")
                .to("College of Registered Psychotherapists of Ontario")
                .kind("health-oversight")
                .lockbox(&["progress"])
                .exception("defense-in-client-action")
                .asks(&["progress", "psychotherapy-notes", "third-party"])
                .permits(&["progress", "psychotherapy-notes"])
                .required(false)
                .reason("third-party", "defense-in-client-action may release only"),
            case(P, "PHIPA s.39(2)(a): a report to the medical officer of health is not locked")
                .to("Toronto Public Health")
                .kind("public-health-authority")
                .lockbox(&["diagnosis"])
                .exception("public-health")
                .asks(&["identity", "diagnosis"])
                .permits(&["identity", "diagnosis"]),
            case(P, "PHIPA ss.52, 54: the client's own request is not locked and includes process notes")
                .own_request()
                .lockbox(&["diagnosis"])
                .asks(&["diagnosis", "psychotherapy-notes"])
                .permits(&["diagnosis", "psychotherapy-notes"])
                .reason("psychotherapy-notes", "the client's own request releases everything"),
            case(P, "PHIPA ss.18(1), 29: process notes leave only under a consent that names them")
                .consent(&["all"])
                .asks(&["psychotherapy-notes", "substance-use", "progress"])
                .permits(&["progress"])
                .reason("psychotherapy-notes", "covers it only through \"all\"")
                .reason("substance-use", "covers it only through \"all\""),
            case(P, "PHIPA s.49(1): process notes named in a consent leave with the others, with the notice")
                .consent(&["psychotherapy-notes", "progress"])
                .asks(&["psychotherapy-notes", "progress"])
                .permits(&["psychotherapy-notes", "progress"])
                .notice("(PHIPA s.49(1))"),
            case(P, "PHIPA s.23(1)2: a parent signs for a child under 16")
                .born("2011-03-01")
                .consent(&["diagnosis"])
                .by_guardian()
                .asks(&["diagnosis"])
                .permits(&["diagnosis"]),
            case(P, "PHIPA s.23(1)2: a parent's consent stops speaking for the client at 16")
                .born("2010-01-01")
                .consent(&["diagnosis"])
                .by_guardian()
                .consent_from("2025-06-01")
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "is 16 or older")
                .reason("diagnosis", "PHIPA s.23(1)2, 23(3)"),
            case(P, "PHIPA s.29: consent must be in force; a revoked consent releases nothing")
                .consent(&["diagnosis"])
                .revoked("2026-03-01")
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "was revoked on 2026-03-01"),
        ],
    );
}
