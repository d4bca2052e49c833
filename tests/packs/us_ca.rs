//! us-ca: California on the federal baseline: the Tarasoff duty (Civ. Code 43.92),
//! CANRA and elder abuse reports made duties, and minors' own consent from 12.

use crate::{case, federal_floor, run};

const P: &str = "us-ca";

#[test]
fn table() {
    run(
        P,
        vec![
            case(P, "Cal. Civ. Code 43.92: the duty is discharged by warning the victim, and is required")
                .to("Sam Target")
                .kind("victim")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(true)
                .reason("risk", "required under duty-to-protect (Cal. Civ. Code 43.92"),
            case(P, "Cal. Civ. Code 43.92: the duty is discharged by warning law enforcement too, and is required")
                .to("City Police")
                .kind("law-enforcement")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(true),
            case(P, "Cal. Civ. Code 43.92: the duty is to warn the victim and the police, not a family member")
                .to("Pat Example")
                .kind("family")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .denies()
                .reason("risk", "goes only to victim, law-enforcement, not to family (Cal. Civ. Code 43.92"),
            case(P, "Cal. Civ. Code 43.92, Evid. Code 1024: the warning carries the threat, not the diagnosis")
                .to("Sam Target")
                .kind("victim")
                .exception("duty-to-protect")
                .asks(&["identity", "risk", "diagnosis"])
                .permits(&["identity", "risk"])
                .reason("diagnosis", "may release only identity, risk (Cal. Civ. Code 43.92"),
            case(P, "45 CFR 164.508(a)(2)(ii): psychotherapy notes to the person threatened are permitted, not required")
                .to("Sam Target")
                .kind("victim")
                .exception("serious-threat-notes")
                .asks(&["psychotherapy-notes"])
                .permits(&["psychotherapy-notes"])
                .required(false)
                .reason("psychotherapy-notes", "permitted without the client's authorization"),
            case(P, "Cal. Penal Code 11166(a): a mandated reporter must report child abuse to child welfare")
                .to("County Child Welfare")
                .kind("child-protection")
                .exception("child-abuse-report")
                .asks(&["identity", "risk", "progress"])
                .permits(&["identity", "risk"])
                .required(true)
                .reason("risk", "required under child-abuse-report (Cal. Penal Code 11165.7(a)"),
            case(P, "Cal. Penal Code 11165.9: a child-abuse report may go to the police or sheriff")
                .to("County Sheriff")
                .kind("law-enforcement")
                .exception("child-abuse-report")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(true),
            case(P, "Cal. Penal Code 11165.9: a child-abuse report does not go to a school")
                .to("Lincoln Middle School")
                .kind("school")
                .exception("child-abuse-report")
                .asks(&["identity", "risk"])
                .denies()
                .reason("risk", "not to school (Cal. Penal Code 11165.7(a)"),
            case(P, "Cal. Welf. & Inst. Code 15630(b): elder or dependent adult abuse must be reported to adult protective services")
                .to("County APS")
                .kind("adult-protection")
                .exception("adult-abuse-report")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(true)
                .reason("identity", "Cal. Welf. & Inst. Code 15630(b)"),
            case(P, "45 CFR 164.522(a)(1)(v), Cal. Penal Code 11166(a): a restriction does not stop a mandated report")
                .to("County Child Welfare")
                .kind("child-protection")
                .restriction(&["risk"], None, &[])
                .exception("child-abuse-report")
                .asks(&["risk"])
                .permits(&["risk"]),
            case(P, "Cal. Fam. Code 6924, Health & Safety Code 124260: a 13-year-old who consented to their own care signs for themselves")
                .born("2013-03-01")
                .minor_consent()
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .permits(&["diagnosis"]),
            case(P, "Cal. Health & Safety Code 123115(a)(1): a parent's consent does not release care a 13-year-old consented to alone")
                .born("2013-03-01")
                .minor_consent()
                .consent(&["diagnosis"])
                .by_guardian()
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "Cal. Fam. Code 6924")
                .reason("diagnosis", "only the client's own consent does"),
            case(P, "45 CFR 164.502(g)(3), Cal. Health & Safety Code 123110(a): a 13-year-old who did not consent alone needs a guardian's signature")
                .born("2013-03-01")
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "a parent or guardian signs for them")
                .reason("diagnosis", "Cal. Health & Safety Code 123110(a)"),
            case(P, "45 CFR 164.502(g)(3): a guardian signs for a 13-year-old who did not consent alone")
                .born("2013-03-01")
                .consent(&["diagnosis"])
                .by_guardian()
                .asks(&["diagnosis"])
                .permits(&["diagnosis"]),
            case(P, "42 CFR 2.32: a Part 2 client's record leaves with the notice")
                .part2()
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .permits(&["diagnosis"])
                .notice("42 CFR part 2 prohibits unauthorized use or disclosure"),
            case(P, "42 CFR 2.12(d), 2.64: a consent never takes a Part 2 record to a proceeding")
                .part2()
                .purpose("legal")
                .to("Superior Court")
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "2.64 or 2.65"),
            case(P, "45 CFR 164.512(e)(1)(ii): a subpoena alone releases nothing")
                .purpose("legal")
                .to("Attorney Vance")
                .kind("legal-counsel")
                .exception("subpoena")
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "a subpoena alone does not authorize release")
                .reason("diagnosis", "164.512(e)(1)(ii)"),
        ]
        .into_iter()
        .chain(federal_floor(P))
        .collect(),
    );
}
