//! au: the Privacy Act 1988 (Cth), APP 6 and 12 and the permitted general situations
//! of s.16A, with state child-protection reporting duties.

use crate::{case, run};

const P: &str = "au";

#[test]
fn table() {
    run(
        P,
        vec![
            case(P, "Privacy Act 1988 s.16A(1) item 1: a serious threat may be disclosed to those who can lessen it")
                .to("Sam Target")
                .kind("victim")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(false)
                .reason("risk", "permitted under duty-to-protect (Privacy Act 1988 s.16A(1), table item 1; APP 6.2(c))"),
            case(P, "APP 6.2(c): a serious-threat disclosure may go to the client's family")
                .to("Pat Example")
                .kind("family")
                .exception("duty-to-protect")
                .asks(&["identity", "risk", "progress"])
                .permits(&["identity", "risk"])
                .reason("progress", "duty-to-protect may release only identity, risk"),
            case(P, "APP 6.2(c): not to a recipient unable to lessen the threat")
                .to("The Age")
                .kind("other")
                .exception("duty-to-protect")
                .asks(&["risk"])
                .denies()
                .reason("risk", "not to other (Privacy Act 1988 s.16A(1)"),
            case(P, "APP 6.2(b); NSW Care and Protection Act 1998 s.27: a mandated child-protection report is required")
                .to("NSW DCJ Helpline")
                .kind("child-protection")
                .exception("child-abuse-report")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(true)
                .reason("identity", "required under child-abuse-report (APP 6.2(b)"),
            case(P, "Crimes Act 1958 (Vic) s.327: child sexual abuse may be reported to the police")
                .to("Victoria Police")
                .kind("law-enforcement")
                .exception("child-abuse-report")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(true),
            case(P, "APP 6.2(b): the child-protection report goes to the authority, not the school")
                .to("Sydney Grammar")
                .kind("school")
                .exception("child-abuse-report")
                .asks(&["identity", "risk"])
                .denies()
                .reason("risk", "goes only to child-protection, law-enforcement, not to school"),
            case(P, "APP 6.2(b): the Commonwealth pack has no adult-abuse report (state schemes decide)")
                .to("Elder abuse helpline")
                .kind("adult-protection")
                .exception("adult-abuse-report")
                .asks(&["identity", "risk"])
                .denies()
                .reason("risk", "adult-abuse-report is not an exception of the policy"),
            case(P, "APP 6.2(b): a subpoena to produce compels what it names, to the court")
                .purpose("legal")
                .to("District Court of NSW")
                .kind("court")
                .exception("subpoena")
                .order_names(&["progress", "psychotherapy-notes"])
                .asks(&["progress", "psychotherapy-notes", "diagnosis"])
                .permits(&["progress", "psychotherapy-notes"])
                .required(true)
                .reason("progress", "named by the court order ORDER-1 (APP 6.2(b); court rules on subpoenas to produce)")
                .reason("diagnosis", "does not name diagnosis"),
            case(P, "APP 6.2(b): documents under subpoena go to the court, not to the parties")
                .purpose("legal")
                .to("Counsel for the defendant")
                .kind("legal-counsel")
                .exception("subpoena")
                .asks(&["progress"])
                .denies()
                .reason("progress", "subpoena goes only to court, not to legal-counsel"),
            case(P, "APP 6.2(b): a court order requires release of what it names")
                .purpose("legal")
                .to("Federal Circuit and Family Court")
                .kind("court")
                .exception("court-order")
                .order_names(&["diagnosis"])
                .asks(&["diagnosis", "medication"])
                .permits(&["diagnosis"])
                .required(true),
            case(P, "Privacy Act 1988 s.16A(1) item 4: the clinician may answer a complaint to AHPRA with the relevant record")
                .purpose("legal")
                .to("AHPRA")
                .kind("health-oversight")
                .exception("defense-in-client-action")
                .asks(&["progress", "psychotherapy-notes", "substance-use"])
                .permits(&["progress", "psychotherapy-notes"])
                .required(false)
                .reason("substance-use", "defense-in-client-action may release only"),
            case(P, "Privacy Act 1988 s.16A(1) item 1: emergency disclosure to treating medical staff only")
                .to("Client's sister")
                .kind("family")
                .exception("emergency")
                .asks(&["medication"])
                .denies()
                .reason("medication", "emergency goes only to medical, not to family"),
            case(P, "APP 6.2(b): a notification the state's public health law requires")
                .to("NSW Health")
                .kind("public-health-authority")
                .exception("public-health")
                .asks(&["identity", "diagnosis"])
                .permits(&["identity", "diagnosis"])
                .required(false),
            case(P, "Privacy Act 1988 s.6; APP 6.1(a): process notes and substance use need a consent that names them")
                .consent(&["all"])
                .asks(&["psychotherapy-notes", "substance-use", "diagnosis"])
                .permits(&["diagnosis"])
                .reason("substance-use", "covers it only through \"all\""),
            case(P, "APP 6.1: substance use named in a consent leaves with the rest, under the purpose notice")
                .consent(&["substance-use", "progress"])
                .asks(&["substance-use", "progress"])
                .permits(&["substance-use", "progress"])
                .notice("Privacy Act 1988 (Cth)"),
            case(P, "APP 12.1: the client's own request reaches the whole record, process notes included")
                .own_request()
                .asks(&["progress", "psychotherapy-notes"])
                .permits(&["progress", "psychotherapy-notes"]),
            case(P, "OAIC APP Guidelines ch. B: a young person of 15 is presumed able to consent for themselves")
                .born("2010-09-01")
                .minor_consent()
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .permits(&["diagnosis"]),
            case(P, "OAIC APP Guidelines ch. B: a parent's signature does not release a 15-year-old's self-consented care")
                .born("2010-09-01")
                .minor_consent()
                .consent(&["diagnosis"])
                .by_guardian()
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "(OAIC APP Guidelines ch. B (presumption of capacity at 15))"),
            case(P, "Marion's Case (1992) 175 CLR 218: a guardian's consent stops speaking at 18")
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
