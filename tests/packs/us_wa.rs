//! us-wa: HIPAA and 42 CFR Part 2, with Washington's duty to warn (RCW 71.05.120),
//! its mandated reports and adolescents' consent from 13 (RCW 71.34.530).

use crate::{case, run};

const P: &str = "us-wa";

#[test]
fn table() {
    run(
        P,
        vec![
            case(P, "RCW 71.05.120(2): an actual threat against an identifiable victim must be communicated to the victim")
                .to("Sam Target")
                .kind("victim")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(true)
                .reason("risk", "required under duty-to-protect (RCW 71.05.120(2); RCW 70.02.230; Volk v. DeMeerleer (2016))"),
            case(P, "RCW 71.05.120(2): the duty is discharged by warning law enforcement too")
                .to("Seattle Police")
                .kind("law-enforcement")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(true),
            case(P, "RCW 71.05.120(2): the warning goes to the victim and the police, not to medical staff")
                .to("Harborview ER")
                .kind("medical")
                .exception("duty-to-protect")
                .asks(&["risk"])
                .denies()
                .reason("risk", "goes only to victim, law-enforcement, not to medical"),
            case(P, "RCW 71.05.120(2): nor to the client's family")
                .to("Pat Example")
                .kind("family")
                .exception("duty-to-protect")
                .asks(&["risk"])
                .denies()
                .reason("risk", "not to family (RCW 71.05.120(2)"),
            case(P, "RCW 70.02.230: the warning carries identity and risk, not the clinical record")
                .to("Sam Target")
                .kind("victim")
                .exception("duty-to-protect")
                .asks(&["identity", "risk", "diagnosis", "progress"])
                .permits(&["identity", "risk"])
                .reason("diagnosis", "duty-to-protect may release only identity, risk"),
            case(P, "45 CFR 164.522(a)(1)(v); RCW 71.05.120(2): an agreed restriction does not stop the duty to warn")
                .to("Sam Target")
                .kind("victim")
                .restriction(&["risk"], None, &[])
                .exception("duty-to-protect")
                .asks(&["risk"])
                .permits(&["risk"])
                .required(true),
            case(P, "RCW 26.44.030(1)(a): suspected child abuse must be reported to DCYF")
                .to("DCYF intake")
                .kind("child-protection")
                .exception("child-abuse-report")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(true)
                .reason("identity", "required under child-abuse-report (RCW 26.44.030(1)(a)"),
            case(P, "RCW 26.44.030(1)(a): the child-abuse report may go to law enforcement")
                .to("King County Sheriff")
                .kind("law-enforcement")
                .exception("child-abuse-report")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(true),
            case(P, "RCW 26.44.030(1)(a): not to the child's school")
                .to("Lincoln Elementary")
                .kind("school")
                .exception("child-abuse-report")
                .asks(&["identity", "risk"])
                .denies()
                .reason("identity", "goes only to child-protection, law-enforcement, not to school"),
            case(P, "RCW 74.34.035: suspected abuse of a vulnerable adult must be reported to DSHS")
                .to("DSHS APS")
                .kind("adult-protection")
                .exception("adult-abuse-report")
                .asks(&["identity", "risk", "medication"])
                .permits(&["identity", "risk"])
                .required(true)
                .reason("medication", "adult-abuse-report may release only identity, risk (RCW 74.34.035)"),
            case(P, "RCW 71.34.530: an adolescent of 13 consents to their own outpatient treatment and its release")
                .born("2012-09-01")
                .minor_consent()
                .consent(&["diagnosis", "medication"])
                .asks(&["diagnosis", "medication"])
                .permits(&["diagnosis", "medication"]),
            case(P, "RCW 71.34.530; RCW 70.02.240: a parent's consent does not release a 13-year-old's self-consented treatment")
                .born("2012-09-01")
                .minor_consent()
                .consent(&["diagnosis"])
                .by_guardian()
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "consented to their own care as a minor (RCW 71.34.530)"),
            case(P, "45 CFR 164.502(g)(3): outside self-consented care a 13-year-old's own signature does not authorize")
                .born("2012-09-01")
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "a parent or guardian signs for them"),
            case(P, "45 CFR 164.502(g)(3): a guardian signs for a 13-year-old's parent-consented care")
                .born("2012-09-01")
                .consent(&["diagnosis"])
                .by_guardian()
                .asks(&["diagnosis"])
                .permits(&["diagnosis"]),
            case(P, "45 CFR 164.502(g)(3): a guardian's consent no longer speaks for a client of 18")
                .born("2008-01-01")
                .consent(&["diagnosis"])
                .by_guardian()
                .consent_from("2025-06-01")
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "no longer speaks for them"),
            case(P, "45 CFR 164.512(e)(1)(ii): Washington keeps the federal rule that a subpoena alone releases nothing")
                .purpose("legal")
                .to("Attorney Vance")
                .kind("legal-counsel")
                .exception("subpoena")
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "a subpoena alone does not authorize release"),
            case(P, "45 CFR 164.512(e)(1)(i): a court order is required and releases only what it names")
                .purpose("legal")
                .to("King County Superior Court")
                .kind("court")
                .exception("court-order")
                .order_names(&["diagnosis"])
                .asks(&["diagnosis", "psychotherapy-notes"])
                .permits(&["diagnosis"])
                .required(true)
                .reason("psychotherapy-notes", "does not name psychotherapy-notes"),
            case(P, "45 CFR 164.522(a)(1)(vi): services paid out of pocket are kept from the health plan")
                .purpose("payment")
                .to("Premera")
                .kind("health-plan")
                .consent(&["diagnosis", "attendance"])
                .self_pay(&["diagnosis"])
                .asks(&["diagnosis", "attendance"])
                .permits(&["attendance"])
                .reason("diagnosis", "164.522(a)(1)(vi)"),
            case(P, "45 CFR 164.524(a)(1)(i): the client's own request releases all but psychotherapy notes")
                .own_request()
                .asks(&["diagnosis", "progress", "psychotherapy-notes"])
                .permits(&["diagnosis", "progress"])
                .reason("psychotherapy-notes", "never released to the client's own access request"),
            case(P, "RCW 71.34.530: a 12-year-old's own consent does not count, whatever the record is marked")
                .born("2013-09-01")
                .minor_consent()
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "a parent or guardian signs for them"),
        ],
    );
}
