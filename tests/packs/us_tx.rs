//! us-tx: Texas on the federal baseline: no duty to warn and a danger disclosure only
//! to medical or law enforcement personnel (H&S 611.004(a)(2)), abuse reports made
//! duties, and a parent's signature for a minor.

use crate::{case, federal_floor, run};

const P: &str = "us-tx";

#[test]
fn table() {
    run(
        P,
        vec![
            case(P, "Tex. Health & Safety Code 611.004(a)(2): probable imminent injury may be disclosed to medical personnel, not required")
                .to("County ER")
                .kind("medical")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(false)
                .reason("risk", "permitted under duty-to-protect (Tex. Health & Safety Code 611.004(a)(2)"),
            case(P, "Tex. Health & Safety Code 611.004(a)(2): probable imminent injury may be disclosed to law enforcement")
                .to("City Police")
                .kind("law-enforcement")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(false),
            case(P, "Thapar v. Zezulka, 994 S.W.2d 635; Tex. Health & Safety Code 611.004(a)(2): no disclosure to the intended victim")
                .to("Sam Target")
                .kind("victim")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .denies()
                .reason("risk", "goes only to medical, law-enforcement, not to victim (Tex. Health & Safety Code 611.004(a)(2)"),
            case(P, "Tex. Health & Safety Code 611.004(a)(2): no danger disclosure to the client's family")
                .to("Pat Example")
                .kind("family")
                .exception("duty-to-protect")
                .asks(&["risk"])
                .denies()
                .reason("risk", "not to family"),
            case(P, "45 CFR 164.508(a)(2)(ii), Tex. Health & Safety Code 611.004(a)(2): psychotherapy notes may go to medical personnel to prevent imminent injury")
                .to("County ER")
                .kind("medical")
                .exception("serious-threat-notes")
                .asks(&["psychotherapy-notes"])
                .permits(&["psychotherapy-notes"])
                .required(false)
                .reason("psychotherapy-notes", "permitted without the client's authorization"),
            case(P, "45 CFR 164.508(a)(2)(ii), Tex. Health & Safety Code 611.004(a)(2): psychotherapy notes never go to the intended victim")
                .to("Sam Target")
                .kind("victim")
                .exception("serious-threat-notes")
                .asks(&["psychotherapy-notes"])
                .denies()
                .reason("psychotherapy-notes", "not to victim"),
            case(P, "Tex. Family Code 261.101(b): a professional must report child abuse to the Department of Family and Protective Services")
                .to("Texas DFPS")
                .kind("child-protection")
                .exception("child-abuse-report")
                .asks(&["identity", "risk", "progress"])
                .permits(&["identity", "risk"])
                .required(true)
                .reason("risk", "required under child-abuse-report (Tex. Family Code 261.101(b)"),
            case(P, "Tex. Family Code 261.103: the child abuse report may go to local law enforcement")
                .to("County Sheriff")
                .kind("law-enforcement")
                .exception("child-abuse-report")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(true),
            case(P, "45 CFR 164.522(a)(1)(v), Tex. Family Code 261.101(c): a restriction does not stop the mandated report")
                .to("Texas DFPS")
                .kind("child-protection")
                .restriction(&["risk"], None, &[])
                .exception("child-abuse-report")
                .asks(&["risk"])
                .permits(&["risk"]),
            case(P, "Tex. Hum. Res. Code 48.051: abuse of an elderly or disabled person must be reported to adult protective services")
                .to("Texas APS")
                .kind("adult-protection")
                .exception("adult-abuse-report")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(true)
                .reason("identity", "Tex. Hum. Res. Code 48.051"),
            case(P, "Tex. Hum. Res. Code 48.051: the adult abuse report goes to the department, not the police")
                .to("City Police")
                .kind("law-enforcement")
                .exception("adult-abuse-report")
                .asks(&["identity", "risk"])
                .denies()
                .reason("identity", "goes only to adult-protection, not to law-enforcement"),
            case(P, "45 CFR 164.502(g)(3), Tex. Family Code 151.001(a): a 15-year-old's own signature does not authorize")
                .born("2011-03-01")
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "a parent or guardian signs for them")
                .reason("diagnosis", "Tex. Family Code 151.001(a)"),
            case(P, "Tex. Family Code 151.001(a), 153.073: a parent signs for a 15-year-old")
                .born("2011-03-01")
                .consent(&["diagnosis"])
                .by_guardian()
                .asks(&["diagnosis"])
                .permits(&["diagnosis"]),
            case(P, "45 CFR 164.508(a)(2): a consent naming psychotherapy notes alone releases them")
                .consent(&["psychotherapy-notes"])
                .asks(&["psychotherapy-notes", "progress"])
                .permits(&["psychotherapy-notes"])
                .reason("progress", "does not name progress"),
            case(P, "42 CFR 2.33(b), 2.32: a single consent for treatment covers a medical recipient by class, with the notice")
                .part2()
                .to("Dr Osei")
                .kind("medical")
                .tpo_consent("medical", &["diagnosis", "medication"], false)
                .asks(&["diagnosis", "medication"])
                .permits(&["diagnosis", "medication"])
                .notice("42 CFR part 2 prohibits unauthorized use or disclosure"),
            case(P, "42 CFR 2.12(d), 2.64: a consent never takes a Part 2 record to a proceeding")
                .part2()
                .purpose("legal")
                .to("District Court")
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "2.64 or 2.65"),
        ]
        .into_iter()
        .chain(federal_floor(P))
        .collect(),
    );
}
