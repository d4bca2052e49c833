//! us-ny: New York on the federal baseline: the SAFE Act report (MHL 9.46), child
//! abuse reports to the Statewide Central Register, no duty to warn, and no minor's
//! own consent outside OMH programs.

use crate::{case, federal_floor, run};

const P: &str = "us-ny";

#[test]
fn table() {
    run(
        P,
        vec![
            case(P, "N.Y. Mental Hyg. Law 9.46: the SAFE Act report to the county director is required")
                .to("County Director of Community Services")
                .kind("county-mental-health-director")
                .exception("safe-act-report")
                .asks(&["identity"])
                .permits(&["identity"])
                .required(true)
                .reason("identity", "required under safe-act-report (N.Y. Mental Hyg. Law 9.46"),
            case(P, "N.Y. Mental Hyg. Law 9.46, 14 NYCRR 543: the SAFE Act report carries identity, not clinical information")
                .to("County Director of Community Services")
                .kind("county-mental-health-director")
                .exception("safe-act-report")
                .asks(&["identity", "risk", "diagnosis"])
                .permits(&["identity"])
                .reason("risk", "may release only identity (N.Y. Mental Hyg. Law 9.46")
                .reason("diagnosis", "may release only identity"),
            case(P, "N.Y. Mental Hyg. Law 9.46: the SAFE Act report goes to the county director, not the police")
                .to("State Police")
                .kind("law-enforcement")
                .exception("safe-act-report")
                .asks(&["identity"])
                .denies()
                .reason("identity", "goes only to county-mental-health-director, not to law-enforcement"),
            case(P, "45 CFR 164.508(a)(2), N.Y. Mental Hyg. Law 9.46: the SAFE Act report never releases psychotherapy notes")
                .to("County Director of Community Services")
                .kind("county-mental-health-director")
                .exception("safe-act-report")
                .asks(&["psychotherapy-notes"])
                .denies()
                .reason("psychotherapy-notes", "only under a court order that names them"),
            case(P, "N.Y. Soc. Serv. Law 413(1)(a), 415: child abuse must be reported to the Statewide Central Register")
                .to("Statewide Central Register")
                .kind("child-protection")
                .exception("child-abuse-report")
                .asks(&["identity", "risk", "progress"])
                .permits(&["identity", "risk"])
                .required(true)
                .reason("risk", "required under child-abuse-report (N.Y. Soc. Serv. Law 413(1)(a)"),
            case(P, "N.Y. Soc. Serv. Law 415: the child abuse report goes to the Register, not to the police")
                .to("City Police")
                .kind("law-enforcement")
                .exception("child-abuse-report")
                .asks(&["identity", "risk"])
                .denies()
                .reason("risk", "goes only to child-protection, not to law-enforcement (N.Y. Soc. Serv. Law 413(1)(a)"),
            case(P, "45 CFR 164.512(j)(1)(i): New York has no duty to warn; warning the person threatened is permitted, not required")
                .to("Sam Target")
                .kind("victim")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(false)
                .reason("risk", "permitted under duty-to-protect (45 CFR 164.512(j)(1)(i))"),
            case(P, "45 CFR 164.512(j)(1)(i): the inherited threat disclosure may reach family able to prevent it")
                .to("Pat Example")
                .kind("family")
                .exception("duty-to-protect")
                .asks(&["risk"])
                .permits(&["risk"])
                .required(false),
            case(P, "45 CFR 164.512(c): New York has no therapist's duty to report adult abuse; the federal report is permitted only")
                .to("Adult Protective Services")
                .kind("adult-protection")
                .exception("adult-abuse-report")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(false)
                .reason("identity", "45 CFR 164.512(c)"),
            case(P, "45 CFR 164.502(g)(3), N.Y. Public Health Law 18(2): a 16-year-old's own signature does not authorize")
                .born("2010-03-01")
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "a parent or guardian signs for them")
                .reason("diagnosis", "N.Y. Public Health Law 18(2)"),
            case(P, "45 CFR 164.502(g)(3), N.Y. Public Health Law 18(2): a parent signs for a 16-year-old")
                .born("2010-03-01")
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
            case(P, "42 CFR 2.64: a Part 2 court order releases what it names, with the notice")
                .part2()
                .purpose("legal")
                .to("Supreme Court, Kings County")
                .kind("court")
                .exception("part2-court-order")
                .order_names(&["diagnosis"])
                .asks(&["diagnosis", "progress"])
                .permits(&["diagnosis"])
                .required(false)
                .notice("42 CFR part 2"),
            case(P, "45 CFR 164.512(e)(1)(i) and 42 CFR 2.64: a general court order does not reach a Part 2 record")
                .part2()
                .purpose("legal")
                .to("Supreme Court, Kings County")
                .kind("court")
                .exception("court-order")
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "part2-court-order"),
        ]
        .into_iter()
        .chain(federal_floor(P))
        .collect(),
    );
}
