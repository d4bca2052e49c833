//! us-federal: HIPAA (45 CFR 164) and 42 CFR Part 2 as amended in 2024.

use crate::{case, run};

const P: &str = "us-federal";

#[test]
fn table() {
    run(
        P,
        vec![
            case(P, "45 CFR 164.508(a)(2): psychotherapy notes need a consent naming them alone")
                .consent(&["psychotherapy-notes", "progress"])
                .asks(&["psychotherapy-notes", "progress"])
                .permits(&["progress"])
                .reason("psychotherapy-notes", "no other category"),
            case(P, "42 CFR 2.31(b): SUD counseling notes need a consent of their own")
                .consent(&["all"])
                .asks(&["sud-counseling-notes", "diagnosis"])
                .permits(&["diagnosis"])
                .reason("sud-counseling-notes", "names them and no other category"),
            case(P, "42 CFR 2.31(a): substance-use information only under a consent naming it")
                .consent(&["all"])
                .asks(&["substance-use"])
                .denies()
                .reason("substance-use", "only through \"all\""),
            case(P, "42 CFR 2.32: every disclosure of a Part 2 client's record carries the notice")
                .part2()
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .permits(&["diagnosis"])
                .notice("42 CFR part 2 prohibits unauthorized use or disclosure"),
            case(P, "42 CFR 2.33(b): a single consent for treatment covers a medical recipient by class")
                .part2()
                .to("Dr Osei")
                .kind("medical")
                .tpo_consent("medical", &["diagnosis", "medication"], false)
                .asks(&["diagnosis", "medication"])
                .permits(&["diagnosis", "medication"])
                .notice("42 CFR part 2"),
            case(P, "42 CFR 2.33(b): the single consent does not reach another class of recipient")
                .part2()
                .to("Acme Health Plan")
                .kind("health-plan")
                .purpose("payment")
                .tpo_consent("medical", &["diagnosis"], false)
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "covers medical recipients"),
            case(P, "42 CFR 2.31(a)(4)(i): a consent until the end of treatment ends with it")
                .part2()
                .kind("medical")
                .tpo_consent("medical", &["diagnosis"], true)
                .treatment_ended("2026-04-30")
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "end of treatment, which was 2026-04-30"),
            case(P, "42 CFR 2.12(d), 2.64: a consent never takes a Part 2 record to a proceeding")
                .part2()
                .purpose("legal")
                .to("Superior Court")
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "2.64 or 2.65"),
            case(P, "45 CFR 164.512(e)(1)(i) and 42 CFR 2.64: a general court order does not reach a Part 2 record")
                .part2()
                .purpose("legal")
                .to("Superior Court")
                .kind("court")
                .exception("court-order")
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "part2-court-order"),
            case(P, "42 CFR 2.64: a Part 2 court order releases what it names")
                .part2()
                .purpose("legal")
                .to("Superior Court")
                .kind("court")
                .exception("part2-court-order")
                .order_names(&["diagnosis"])
                .asks(&["diagnosis"])
                .permits(&["diagnosis"])
                .notice("42 CFR part 2"),
            case(P, "45 CFR 164.512(e)(1)(ii): a subpoena alone releases nothing")
                .purpose("legal")
                .to("Attorney Vance")
                .kind("legal-counsel")
                .exception("subpoena")
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "164.512(e)(1)(ii)"),
            case(P, "45 CFR 164.512(j)(1)(i): a serious threat may be told to the person threatened")
                .to("Sam Target")
                .kind("victim")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(false)
                .reason("risk", "permitted under duty-to-protect (45 CFR 164.512(j)(1)(i))"),
            case(P, "45 CFR 164.512(j)(1)(i): not to a recipient unable to prevent the threat")
                .to("Daily News")
                .kind("other")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .denies()
                .reason("risk", "not to other"),
            case(P, "45 CFR 164.512(j): an exception to an unnamed kind of recipient is refused")
                .to("Sam Target")
                .exception("duty-to-protect")
                .asks(&["risk"])
                .denies()
                .reason("risk", "--recipient-kind"),
            case(P, "45 CFR 164.512(b)(1)(ii): a child-abuse report to child protection")
                .to("County CPS")
                .kind("child-protection")
                .exception("child-abuse-report")
                .asks(&["identity", "risk", "progress"])
                .permits(&["identity", "risk"])
                .reason("progress", "may release only identity, risk"),
            case(P, "45 CFR 164.512(e)(1)(i): a court order is required and releases only what it names")
                .purpose("legal")
                .to("Superior Court")
                .kind("court")
                .exception("court-order")
                .order_names(&["diagnosis"])
                .asks(&["diagnosis", "progress"])
                .permits(&["diagnosis"])
                .required(true),
            case(P, "45 CFR 164.508(a)(2)(i)(B): psychotherapy notes in the practice's own supervised training")
                .purpose("supervision")
                .to("Training committee")
                .kind("training-program")
                .exception("training-use")
                .asks(&["psychotherapy-notes"])
                .permits(&["psychotherapy-notes"])
                .reason("psychotherapy-notes", "without the client's authorization"),
            case(P, "45 CFR 164.508(a)(2)(i)(C): psychotherapy notes in the practice's defence")
                .purpose("legal")
                .to("Counsel for the practice")
                .kind("legal-counsel")
                .exception("defense-in-client-action")
                .asks(&["psychotherapy-notes", "progress"])
                .permits(&["psychotherapy-notes"]),
            case(P, "45 CFR 164.508(a)(2): other exceptions never release psychotherapy notes")
                .to("County CPS")
                .kind("child-protection")
                .exception("child-abuse-report")
                .asks(&["psychotherapy-notes"])
                .denies()
                .reason("psychotherapy-notes", "serious-threat-notes"),
            case(P, "45 CFR 164.522(a)(1)(vi): services paid out of pocket are kept from the health plan")
                .purpose("payment")
                .to("Acme Health Plan")
                .kind("health-plan")
                .consent(&["diagnosis", "attendance"])
                .self_pay(&["diagnosis"])
                .asks(&["diagnosis", "attendance"])
                .permits(&["attendance"])
                .reason("diagnosis", "164.522(a)(1)(vi)"),
            case(P, "45 CFR 164.522(a): a restriction from a kind binds a request that names none")
                .purpose("payment")
                .to("Acme Health Plan")
                .consent(&["diagnosis"])
                .self_pay(&["diagnosis"])
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "--recipient-kind"),
            case(P, "45 CFR 164.522(a)(1)(v): a restriction does not stop a 164.512 disclosure")
                .to("County CPS")
                .kind("child-protection")
                .restriction(&["risk"], None, &[])
                .exception("child-abuse-report")
                .asks(&["risk"])
                .permits(&["risk"]),
            case(P, "45 CFR 164.524(a)(1): the client's own request is not restricted")
                .own_request()
                .restriction(&["diagnosis"], None, &[])
                .asks(&["diagnosis"])
                .permits(&["diagnosis"]),
            case(P, "45 CFR 164.502(g)(3): a minor's own signature does not authorize")
                .born("2012-03-01")
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "a parent or guardian signs for them"),
            case(P, "45 CFR 164.502(g)(3): a guardian signs for a minor")
                .born("2012-03-01")
                .consent(&["diagnosis"])
                .by_guardian()
                .asks(&["diagnosis"])
                .permits(&["diagnosis"]),
            case(P, "45 CFR 164.502(g)(3): a guardian's consent no longer speaks for an adult client")
                .born("2008-01-01")
                .consent(&["diagnosis"])
                .by_guardian()
                .consent_from("2025-06-01")
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "no longer speaks for them"),
        ],
    );
}
