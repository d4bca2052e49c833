//! us-fl: Florida on the federal baseline: a permissive danger disclosure to the
//! victim, family or police (Fla. Stat. 491.0147(3)), abuse reports to the central
//! hotline made duties, and a parent's written consent for a minor.

use crate::{case, federal_floor, run};

const P: &str = "us-fl";

#[test]
fn table() {
    run(
        P,
        vec![
            case(P, "Fla. Stat. 491.0147(3): a clear and immediate danger may be told to the potential victim, not required")
                .to("Sam Target")
                .kind("victim")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(false)
                .reason("risk", "permitted under duty-to-protect (Fla. Stat. 491.0147(3)"),
            case(P, "Fla. Stat. 491.0147(3): the danger may be told to an appropriate family member")
                .to("Pat Example")
                .kind("family")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(false),
            case(P, "Fla. Stat. 491.0147(3): the danger may be told to law enforcement")
                .to("County Sheriff")
                .kind("law-enforcement")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(false),
            case(P, "Fla. Stat. 491.0147(3): the danger is told only to the victim, family or police, not to medical staff")
                .to("County ER")
                .kind("medical")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .denies()
                .reason("risk", "goes only to victim, family, law-enforcement, not to medical (Fla. Stat. 491.0147(3)"),
            case(P, "Fla. Stat. 491.0147(3): the danger disclosure carries the threat, not the diagnosis")
                .to("Sam Target")
                .kind("victim")
                .exception("duty-to-protect")
                .asks(&["risk", "diagnosis"])
                .permits(&["risk"])
                .reason("diagnosis", "may release only identity, risk"),
            case(P, "45 CFR 164.508(a)(2)(ii), Fla. Stat. 491.0147(3): psychotherapy notes may go to the potential victim")
                .to("Sam Target")
                .kind("victim")
                .exception("serious-threat-notes")
                .asks(&["psychotherapy-notes"])
                .permits(&["psychotherapy-notes"])
                .required(false)
                .reason("psychotherapy-notes", "permitted without the client's authorization"),
            case(P, "45 CFR 164.508(a)(2)(ii), Fla. Stat. 491.0147(3): psychotherapy notes go only where both allow, not to medical staff")
                .to("County ER")
                .kind("medical")
                .exception("serious-threat-notes")
                .asks(&["psychotherapy-notes"])
                .denies()
                .reason("psychotherapy-notes", "not to medical"),
            case(P, "Fla. Stat. 39.201: child abuse must be reported to the central abuse hotline")
                .to("Florida Abuse Hotline")
                .kind("child-protection")
                .exception("child-abuse-report")
                .asks(&["identity", "risk", "progress"])
                .permits(&["identity", "risk"])
                .required(true)
                .reason("risk", "required under child-abuse-report (Fla. Stat. 39.201"),
            case(P, "Fla. Stat. 39.201: the child abuse report goes to the hotline, not the police")
                .to("City Police")
                .kind("law-enforcement")
                .exception("child-abuse-report")
                .asks(&["identity", "risk"])
                .denies()
                .reason("risk", "goes only to child-protection, not to law-enforcement"),
            case(P, "Fla. Stat. 39.204; 45 CFR 164.522(a)(1)(v): neither privilege nor a restriction stops the report")
                .to("Florida Abuse Hotline")
                .kind("child-protection")
                .restriction(&["risk"], None, &[])
                .exception("child-abuse-report")
                .asks(&["risk"])
                .permits(&["risk"]),
            case(P, "Fla. Stat. 415.1034(1): abuse of a vulnerable adult must be reported to the central abuse hotline")
                .to("Florida Abuse Hotline")
                .kind("adult-protection")
                .exception("adult-abuse-report")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(true)
                .reason("identity", "Fla. Stat. 415.1034(1)"),
            case(P, "45 CFR 164.502(g)(3), Fla. Stat. 1014.06: a 15-year-old's own signature does not authorize")
                .born("2011-03-01")
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "a parent or guardian signs for them")
                .reason("diagnosis", "Fla. Stat. 1014.06"),
            case(P, "Fla. Stat. 1014.06, 394.4784: the pack sets no self-consent age, so a parent signs for a 13-year-old")
                .born("2013-03-01")
                .consent(&["diagnosis"])
                .by_guardian()
                .asks(&["diagnosis"])
                .permits(&["diagnosis"]),
            case(P, "42 CFR 2.31(b): SUD counseling notes need a consent of their own")
                .part2()
                .consent(&["all"])
                .asks(&["sud-counseling-notes", "diagnosis"])
                .permits(&["diagnosis"])
                .reason("sud-counseling-notes", "names them and no other category")
                .notice("42 CFR part 2 prohibits unauthorized use or disclosure"),
            case(P, "42 CFR 2.12(d), 2.64: a consent never takes a Part 2 record to a proceeding")
                .part2()
                .purpose("legal")
                .to("Circuit Court")
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
