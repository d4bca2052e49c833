//! uk: England and Wales: UK GDPR, the Data Protection Act 2018 and the common law
//! duty of confidence, with the FGM and terrorism reporting duties.

use crate::{case, run};

const P: &str = "uk";

#[test]
fn table() {
    run(
        P,
        vec![
            case(P, "DPA 2018 Sch. 2 Pt 1 para 2: a police request alone releases nothing")
                .to("Metropolitan Police")
                .kind("law-enforcement")
                .exception("police-request")
                .asks(&["identity", "diagnosis"])
                .denies()
                .reason("diagnosis", "a police request alone does not require release")
                .reason("identity", "(DPA 2018 Sch. 2 Pt 1 para 2)"),
            case(P, "W v Egdell [1990] Ch 359: confidence may be breached in the public interest, at the clinician's discretion")
                .to("Sam Target")
                .kind("victim")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(false)
                .reason("risk", "permitted under duty-to-protect (Common law public interest: W v Egdell [1990] Ch 359"),
            case(P, "DPA 2018 Sch. 1 para 18: a public-interest disclosure may go to the family who can keep the client safe")
                .to("Pat Example")
                .kind("family")
                .exception("duty-to-protect")
                .asks(&["risk", "diagnosis"])
                .permits(&["risk"])
                .reason("diagnosis", "duty-to-protect may release only identity, risk"),
            case(P, "Caldicott principle 3; W v Egdell [1990] Ch 359: only to those who can prevent the harm")
                .to("Client's employer")
                .kind("other")
                .exception("duty-to-protect")
                .asks(&["risk"])
                .denies()
                .reason("risk", "goes only to victim, law-enforcement, medical, family, not to other"),
            case(P, "Children Act 1989 s.47: a safeguarding referral to children's social care is permitted, not a statutory duty")
                .to("Camden Children's Services")
                .kind("child-protection")
                .exception("child-abuse-report")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(false)
                .reason("identity", "permitted under child-abuse-report (Children Act 1989 s.47"),
            case(P, "Children Act 2004 s.11: the safeguarding referral may go to the police")
                .to("Metropolitan Police")
                .kind("law-enforcement")
                .exception("child-abuse-report")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(false),
            case(P, "Care Act 2014 s.42: an adult safeguarding concern may be referred to the local authority")
                .to("Camden Adult Social Care")
                .kind("adult-protection")
                .exception("adult-abuse-report")
                .asks(&["identity", "risk", "progress"])
                .permits(&["identity", "risk"])
                .required(false)
                .reason("progress", "adult-abuse-report may release only identity, risk (Care Act 2014 s.42"),
            case(P, "FGM Act 2003 s.5B: a regulated professional must notify the police of FGM on a girl under 18")
                .to("Metropolitan Police")
                .kind("law-enforcement")
                .exception("fgm-report")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(true)
                .reason("risk", "required under fgm-report (Female Genital Mutilation Act 2003 s.5B)"),
            case(P, "FGM Act 2003 s.5B: the notification goes to the police, not to children's social care")
                .to("Camden Children's Services")
                .kind("child-protection")
                .exception("fgm-report")
                .asks(&["identity", "risk"])
                .denies()
                .reason("identity", "fgm-report goes only to law-enforcement, not to child-protection"),
            case(P, "Terrorism Act 2000 s.38B: information that might help prevent terrorism must be told to the police")
                .to("Counter Terrorism Policing")
                .kind("law-enforcement")
                .exception("terrorism-disclosure")
                .asks(&["identity", "risk", "psychotherapy-notes"])
                .permits(&["identity", "risk"])
                .required(true)
                .reason("identity", "(Terrorism Act 2000 ss.19, 38B)")
                .reason("psychotherapy-notes", "terrorism-disclosure may release only identity, risk"),
            case(P, "CPR 31.17: a court order requires release of exactly what it names")
                .purpose("legal")
                .to("County Court at Central London")
                .kind("court")
                .exception("court-order")
                .order_names(&["diagnosis", "psychotherapy-notes"])
                .asks(&["diagnosis", "psychotherapy-notes", "progress"])
                .permits(&["diagnosis", "psychotherapy-notes"])
                .required(true)
                .reason("diagnosis", "(DPA 2018 Sch. 2 Pt 1 para 5(2); CPR 31.17, 34.2)")
                .reason("progress", "does not name progress"),
            case(P, "DPA 2018 Sch. 2 Pt 1 para 5(3): the clinician may answer a complaint to the HCPC with the relevant record")
                .purpose("legal")
                .to("HCPC fitness to practise")
                .kind("health-oversight")
                .exception("defense-in-client-action")
                .asks(&["progress", "psychotherapy-notes", "third-party"])
                .permits(&["progress", "psychotherapy-notes"])
                .required(false)
                .reason("psychotherapy-notes", "permitted under defense-in-client-action"),
            case(P, "UK GDPR Art. 9(2)(c): vital interests reach emergency medical staff only")
                .to("St Thomas' A&E")
                .kind("medical")
                .exception("emergency")
                .asks(&["medication", "risk", "progress"])
                .permits(&["medication", "risk"])
                .reason("progress", "(UK GDPR Arts. 6(1)(d), 9(2)(c))"),
            case(P, "UK GDPR Art. 9(2)(a): process notes and substance use need explicit consent, not \"all\"")
                .consent(&["all"])
                .asks(&["psychotherapy-notes", "substance-use", "diagnosis"])
                .permits(&["diagnosis"])
                .reason("psychotherapy-notes", "needs a consent that names it explicitly"),
            case(P, "UK GDPR Art. 9(2)(a): process notes named in a consent leave with the rest, under the confidence notice")
                .consent(&["psychotherapy-notes", "diagnosis"])
                .asks(&["psychotherapy-notes", "diagnosis"])
                .permits(&["psychotherapy-notes", "diagnosis"])
                .notice("common law duty of confidence"),
            case(P, "UK GDPR Art. 15: the client's own request reaches the whole record, process notes included")
                .own_request()
                .asks(&["diagnosis", "psychotherapy-notes"])
                .permits(&["diagnosis", "psychotherapy-notes"]),
            case(P, "Family Law Reform Act 1969 s.8: a young person of 16 consents for themselves")
                .born("2009-09-01")
                .minor_consent()
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .permits(&["diagnosis"]),
            case(P, "Family Law Reform Act 1969 s.8: a parent's signature does not release a 16-year-old's self-consented care")
                .born("2009-09-01")
                .minor_consent()
                .consent(&["diagnosis"])
                .by_guardian()
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "(Family Law Reform Act 1969 s.8)"),
            case(P, "Gillick [1986] AC 112: below 16, unless the clinician records competence, a parent signs")
                .born("2011-03-01")
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "a parent or guardian signs for them (Gillick v West Norfolk"),
            case(P, "DPA 2018 Sch. 2: a subpoena is no exception in England and Wales (use a court order)")
                .purpose("legal")
                .to("Attorney Vance")
                .kind("legal-counsel")
                .exception("subpoena")
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "subpoena is not an exception of the policy"),
        ],
    );
}
