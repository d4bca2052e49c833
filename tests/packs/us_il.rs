//! us-il: HIPAA and 42 CFR Part 2, narrowed by Illinois's Mental Health and
//! Developmental Disabilities Confidentiality Act (740 ILCS 110), with the FOID
//! clear-and-present-danger report.

use crate::{case, run};

const P: &str = "us-il";

#[test]
fn table() {
    run(
        P,
        vec![
            case(P, "430 ILCS 65/8.1(d): a clear and present danger is reported to the FOID system, identity only")
                .to("IDHS FOID reporting")
                .kind("firearm-reporting-agency")
                .exception("firearm-danger-report")
                .asks(&["identity", "risk", "diagnosis"])
                .permits(&["identity"])
                .required(true)
                .reason("identity", "required under firearm-danger-report (430 ILCS 65/8.1(d); 405 ILCS 5/6-103.3)")
                .reason("risk", "firearm-danger-report may release only identity"),
            case(P, "430 ILCS 65/8.1(d): the firearm report goes to the state's reporting system, not the police")
                .to("County Sheriff")
                .kind("law-enforcement")
                .exception("firearm-danger-report")
                .asks(&["identity"])
                .denies()
                .reason("identity", "goes only to firearm-reporting-agency, not to law-enforcement"),
            case(P, "405 ILCS 5/6-103.3: a restriction does not stop the required FOID report")
                .to("IDHS FOID reporting")
                .kind("firearm-reporting-agency")
                .restriction(&["identity"], None, &[])
                .exception("firearm-danger-report")
                .asks(&["identity"])
                .permits(&["identity"])
                .required(true),
            case(P, "740 ILCS 110/11(ii): the FOID reporting agency is no recipient of a duty-to-protect warning")
                .to("IDHS FOID reporting")
                .kind("firearm-reporting-agency")
                .exception("duty-to-protect")
                .asks(&["risk"])
                .denies()
                .reason("risk", "not to firearm-reporting-agency (740 ILCS 110/11(ii)"),
            case(P, "740 ILCS 110/11(ii); 405 ILCS 5/6-103: a threat may be told to the victim, in the therapist's discretion")
                .to("Sam Target")
                .kind("victim")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(false)
                .reason("risk", "permitted under duty-to-protect (740 ILCS 110/11(ii); 405 ILCS 5/6-103)"),
            case(P, "740 ILCS 110/11(ii): the Act does not let a warning go to the client's family")
                .to("Pat Example")
                .kind("family")
                .exception("duty-to-protect")
                .asks(&["identity", "risk"])
                .denies()
                .reason("risk", "goes only to victim, law-enforcement, medical, not to family"),
            case(P, "325 ILCS 5/4: a mandated reporter must report suspected child abuse to DCFS")
                .to("DCFS hotline")
                .kind("child-protection")
                .exception("child-abuse-report")
                .asks(&["identity", "risk", "progress"])
                .permits(&["identity", "risk"])
                .required(true)
                .reason("identity", "required under child-abuse-report (325 ILCS 5/4")
                .reason("progress", "child-abuse-report may release only identity, risk"),
            case(P, "325 ILCS 5/4: the child-abuse report goes to DCFS, not directly to the police")
                .to("City Police")
                .kind("law-enforcement")
                .exception("child-abuse-report")
                .asks(&["identity", "risk"])
                .denies()
                .reason("risk", "goes only to child-protection, not to law-enforcement"),
            case(P, "320 ILCS 20/4: suspected abuse of an eligible adult must be reported to adult protective services")
                .to("APS agency")
                .kind("adult-protection")
                .exception("adult-abuse-report")
                .asks(&["identity", "risk"])
                .permits(&["identity", "risk"])
                .required(true)
                .reason("risk", "320 ILCS 20/4"),
            case(P, "740 ILCS 110/10(d): a subpoena without a judge's order releases nothing")
                .purpose("legal")
                .to("Attorney Vance")
                .kind("legal-counsel")
                .exception("subpoena")
                .asks(&["diagnosis", "progress"])
                .denies()
                .reason("diagnosis", "a judge's written order accompanies it (740 ILCS 110/10(d))"),
            case(P, "740 ILCS 110/10(a): a court order compels only what it names")
                .purpose("legal")
                .to("Circuit Court of Cook County")
                .kind("court")
                .exception("court-order")
                .order_names(&["diagnosis"])
                .asks(&["diagnosis", "progress"])
                .permits(&["diagnosis"])
                .required(true)
                .reason("diagnosis", "named by the court order ORDER-1 (740 ILCS 110/10(a))")
                .reason("progress", "does not name progress"),
            case(P, "740 ILCS 110/11(iii): emergency care of a client unable to consent")
                .to("St. Mary ER")
                .kind("medical")
                .exception("emergency")
                .asks(&["medication", "diagnosis", "progress"])
                .permits(&["medication", "diagnosis"])
                .required(false)
                .reason("medication", "740 ILCS 110/11(iii)"),
            case(P, "740 ILCS 110/9(1): psychotherapy notes may go to the therapist's supervisor without consent")
                .purpose("supervision")
                .to("Dr Grant")
                .kind("supervisor")
                .exception("training-use")
                .asks(&["psychotherapy-notes"])
                .permits(&["psychotherapy-notes"])
                .reason("psychotherapy-notes", "without the client's authorization under training-use"),
            case(P, "740 ILCS 110/9(1): a training programme beyond the supervisor needs the client's consent")
                .purpose("supervision")
                .to("Training committee")
                .kind("training-program")
                .exception("training-use")
                .asks(&["psychotherapy-notes"])
                .denies()
                .reason("psychotherapy-notes", "goes only to supervisor, not to training-program"),
            case(P, "740 ILCS 110/11: the Act has no public-health disclosure of mental health records")
                .to("IDPH")
                .kind("public-health-authority")
                .exception("public-health")
                .asks(&["identity", "diagnosis"])
                .denies()
                .reason("diagnosis", "public-health is not an exception of the policy"),
            case(P, "405 ILCS 5/3-501(a): a minor of 12 consents to their own outpatient counseling")
                .born("2013-09-01")
                .minor_consent()
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .permits(&["diagnosis"]),
            case(P, "740 ILCS 110/4(a): a parent's consent does not release the records of care a minor of 12 consented to")
                .born("2013-09-01")
                .minor_consent()
                .consent(&["diagnosis"])
                .by_guardian()
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "405 ILCS 5/3-501(a); 740 ILCS 110/4(a)"),
            case(P, "45 CFR 164.502(g)(3); 740 ILCS 110/4(a): without self-consented care, a 12-year-old's own signature does not authorize")
                .born("2013-09-01")
                .consent(&["diagnosis"])
                .asks(&["diagnosis"])
                .denies()
                .reason("diagnosis", "a parent or guardian signs for them"),
            case(P, "45 CFR 164.508(a)(2): Illinois keeps the federal rule that psychotherapy notes need a consent of their own")
                .consent(&["psychotherapy-notes", "diagnosis"])
                .asks(&["psychotherapy-notes", "diagnosis"])
                .permits(&["diagnosis"])
                .reason("psychotherapy-notes", "names them and no other category"),
            case(P, "45 CFR 164.524(a)(1); 740 ILCS 110/4: the client's own request releases the record but not personal notes")
                .own_request()
                .restriction(&["diagnosis"], None, &[])
                .asks(&["diagnosis", "psychotherapy-notes"])
                .permits(&["diagnosis"])
                .reason("psychotherapy-notes", "never released to the client's own access request"),
        ],
    );
}
