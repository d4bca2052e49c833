//! The policy parser's tests: mistakes named at their line, defaults, roles.
use super::*;
use crate::model::role::Permission;

#[test]
fn withheld_markers_are_declared_categories_and_absent_means_none() {
    let p = Policy::default_policy();
    for silent in ["psychotherapy-notes", "substance-use", "sexual-health"] {
        assert!(!p.withheld_markers.iter().any(|c| c == silent), "{silent}");
    }
    assert!(p.withheld_markers.iter().any(|c| c == "progress"));
    // A policy that does not say marks nothing.
    let start = DEFAULT_POLICY.find("withheld-markers").unwrap();
    let end = start + DEFAULT_POLICY[start..].find(']').unwrap() + 1;
    let silent = format!("{}{}", &DEFAULT_POLICY[..start], &DEFAULT_POLICY[end..]);
    assert!(Policy::parse(&silent).unwrap().withheld_markers.is_empty());
    let unknown = DEFAULT_POLICY.replace("\"risk\", \"third-party\",\n]", "\"dreams\",\n]");
    let err = Policy::parse(&unknown).unwrap_err();
    assert!(
        err.message
            .contains("rules.withheld-markers: unknown category \"dreams\""),
        "{err}"
    );
}

#[test]
fn default_policy_matches_the_brief() {
    let p = Policy::default_policy();
    assert_eq!(p.categories, crate::model::category::DEFAULT_CATEGORIES);
    assert_eq!(p.sole_consent, ["psychotherapy-notes"]);
    assert_eq!(p.explicit_consent, ["substance-use"]);
    assert_eq!(
        p.exception("emergency").unwrap().releases,
        ["identity", "risk", "medication", "diagnosis"]
    );
    assert!(
        p.exception("court-order")
            .unwrap()
            .releases_what_order_names
    );
    assert!(p.exception("subpoena").unwrap().denial.is_some());
    assert_eq!(p.exceptions.len(), 7);
    assert!(
        p.redisclosure_notice
            .starts_with("This record, which has been disclosed to you")
    );
}

fn with(edit: impl Fn(&str) -> String) -> Result<Policy, PolicyError> {
    Policy::parse(&edit(DEFAULT_POLICY))
}

fn line_of(needle: &str, text: &str) -> usize {
    text[..text.find(needle).unwrap()].matches('\n').count() + 1
}

#[test]
fn unknown_category_names_its_line() {
    let text = DEFAULT_POLICY.replace(
        r#"releases = ["identity", "risk", "medication""#,
        r#"releases = ["identity", "risks", "medication""#,
    );
    let err = Policy::parse(&text).unwrap_err();
    assert_eq!(err.line, line_of("\"risks\"", &text));
    assert!(err.message.contains("unknown category \"risks\""), "{err}");
}

#[test]
fn unknown_field_names_its_line() {
    let text = DEFAULT_POLICY.replace("requires-reference = true", "requires-refrence = true");
    let err = Policy::parse(&text).unwrap_err();
    assert_eq!(err.line, line_of("requires-refrence", &text));
    assert!(
        err.message.contains("unknown field `requires-refrence`"),
        "{err}"
    );
}

#[test]
fn bad_date_names_its_line() {
    let line = line_of("effective", DEFAULT_POLICY);
    let err = with(|t| t.replace("effective = 2026-01-01", "effective = 2026-13-01")).unwrap_err();
    assert_eq!(err.line, line, "{err}");
    let err = with(|t| t.replace("effective = 2026-01-01", "effective = \"soon\"")).unwrap_err();
    assert_eq!(err.line, line, "{err}");
}

#[test]
fn duplicate_exception_names_its_line() {
    let text =
        format!("{DEFAULT_POLICY}\n[[exception]]\nkind = \"emergency\"\ndescription = \"again\"\n");
    let err = Policy::parse(&text).unwrap_err();
    assert_eq!(err.line, text.lines().count() - 1);
    assert!(
        err.message.contains("\"emergency\" is defined twice"),
        "{err}"
    );
}

#[test]
fn syntax_error_names_its_line() {
    let err = with(|t| t.replace("name = \"casevault default\"", "name = casevault default"))
        .unwrap_err();
    assert_eq!(err.line, line_of("name =", DEFAULT_POLICY), "{err}");
}

/// The default policy's text with its `[roles.*]` tables cut out.
fn without_roles() -> String {
    let start = DEFAULT_POLICY.find("[roles.owner]").unwrap();
    let end = DEFAULT_POLICY.find("[[exception]]").unwrap();
    format!("{}{}", &DEFAULT_POLICY[..start], &DEFAULT_POLICY[end..])
}

#[test]
fn default_roles_are_the_files_and_apply_when_a_file_has_none() {
    let p = Policy::default_policy();
    assert_eq!(p.roles, Role::defaults(&p.categories));
    let names: Vec<&str> = p.roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["owner", "clinician", "supervisor", "biller", "records"]
    );
    assert_eq!(Policy::parse(&without_roles()).unwrap().roles, p.roles);
    let supervisor = p.role("supervisor").unwrap();
    assert!(!supervisor.can_read("psychotherapy-notes"));
    assert!(!supervisor.can_read("substance-use"));
    assert!(supervisor.can_read("consents") && !supervisor.can_read("disclosures"));
    assert!(supervisor.writes.is_empty() && supervisor.may.is_empty());
    assert_eq!(p.role("owner").unwrap().may, Permission::ALL);
    assert_eq!(
        p.role("clinician").unwrap().reads,
        p.role("owner").unwrap().reads
    );
    assert!(p.role("nobody").is_none());
    // A policy of its own categories gets the defaults over them.
    let own = without_roles().replace("\"third-party\",\n]", "\"third-party\", \"couples\",\n]");
    let own = Policy::parse(&own).unwrap();
    assert!(own.role("supervisor").unwrap().can_read("couples"));
    assert!(!own.role("biller").unwrap().can_read("couples"));
    // Roles are part of the serialized policy.
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["roles"][3]["name"], "biller");
    assert_eq!(json["roles"][3]["may"][0], "payment-disclosures");
    assert_eq!(json["roles"][1]["clients"], "caseload");
}

/// Appends a role to the default policy and returns the error, checking its line
/// is that of `needle` (the first occurrence after the appended header).
fn role_error(role: &str, needle: &str) -> PolicyError {
    let text = format!("{DEFAULT_POLICY}\n[roles.extra]\n{role}\n");
    let appended = DEFAULT_POLICY.len();
    let err = Policy::parse(&text).unwrap_err();
    let at = appended + text[appended..].find(needle).unwrap();
    assert_eq!(err.line, text[..at].matches('\n').count() + 1, "{err}");
    err
}

#[test]
fn role_mistakes_name_their_line() {
    let err = role_error(
        "reads = [\"progress\", \"notes\"]\nclients = \"all\"",
        "\"notes\"",
    );
    assert!(
        err.message.starts_with(
            "roles.extra.reads: unknown compartment \"notes\"; the known ones are: identity, "
        ) && err.message.contains("third-party, consents, disclosures"),
        "{err}"
    );
    let err = role_error("clients = \"all\"\nmay = [\"policy\", \"pay\"]", "\"pay\"");
    assert!(
        err.message.contains(
            "unknown permission \"pay\"; the permissions are: write-notes, disclose, payment-disclosures, client-requests, accounting, members, policy, approve-emergency, audit-review"
        ),
        "{err}"
    );
    let err = role_error("reads = [\"all\", \"risk\"]\nclients = \"all\"", "\"all\"");
    assert!(
        err.message.contains("\"all\" must be the only element"),
        "{err}"
    );
    let err = role_error(
        "reads = [\"risk\", \"risk\"]\nclients = \"all\"",
        "\"risk\"]",
    );
    assert!(err.message.contains("\"risk\" is listed twice"), "{err}");
    let err = role_error(
        "reads = [\"risk\"]\nwrites = [\"risk\", \"progress\"]\nclients = \"all\"",
        "\"progress\"",
    );
    assert!(
        err.message.contains("\"progress\" is not in reads"),
        "{err}"
    );
    let err = role_error("clients = \"some\"", "\"some\"");
    assert!(
        err.message
            .contains("roles.extra.clients: \"some\" is neither \"all\" nor \"caseload\""),
        "{err}"
    );
    let err = role_error("clients = \"all\"\nmay = [\"disclose\"]", "\"disclose\"");
    assert!(
        err.message
            .contains("\"disclose\" needs \"disclosures\" in writes"),
        "{err}"
    );
    let err = role_error(
        "reads = [\"all\"]\nwrites = [\"all\"]\nclients = \"caseload\"\nmay = [\"approve-emergency\"]",
        "\"approve-emergency\"",
    );
    assert!(err.message.contains("needs clients = \"all\""), "{err}");
    let err = role_error("clients = \"all\"\nread = []", "read =");
    assert!(err.message.contains("unknown field `read`"), "{err}");
    let err = role_error("reads = []", "[roles.extra]");
    assert!(err.message.contains("missing field `clients`"), "{err}");
}

#[test]
fn role_names_and_a_practice_that_manages_itself() {
    let text = format!("{DEFAULT_POLICY}\n[roles.Front-Desk]\nclients = \"all\"\n");
    let err = Policy::parse(&text).unwrap_err();
    assert_eq!(err.line, text.lines().count() - 1, "{err}");
    assert!(
        err.message
            .contains("\"Front-Desk\" is not a valid role name"),
        "{err}"
    );
    // Without a role that manages members and sees every client: refused.
    let base = without_roles();
    for roles in [
        "[roles.clinician]\nreads = [\"all\"]\nwrites = [\"all\"]\nclients = \"caseload\"\nmay = [\"members\"]\n",
        "[roles.admin]\nclients = \"all\"\nmay = [\"policy\"]\n",
        "[roles]\n",
    ] {
        let text = format!("{base}\n{roles}");
        let err = Policy::parse(&text).unwrap_err();
        assert!(
            err.message
                .contains("the practice could never manage itself"),
            "{roles}: {err}"
        );
        assert_eq!(err.line, base.lines().count() + 2, "{roles}: {err}");
    }
    let text = format!("{base}\n[roles.admin]\nclients = \"all\"\nmay = [\"members\"]\n");
    let p = Policy::parse(&text).unwrap();
    assert_eq!(p.roles.len(), 1);
    assert!(p.roles[0].reads.is_empty());
}

#[test]
fn record_compartment_names_are_not_categories() {
    for reserved in ["consents", "disclosures"] {
        let text = DEFAULT_POLICY.replace(
            "\"third-party\",\n]",
            &format!("\"third-party\", \"{reserved}\",\n]"),
        );
        let err = Policy::parse(&text).unwrap_err();
        assert!(err.message.contains("is reserved"), "{err}");
        assert_eq!(err.line, line_of(&format!("\"{reserved}\",\n]"), &text));
    }
}

#[test]
fn every_pack_parses_and_cites_every_rule_and_exception() {
    for pack in packs::PACKS {
        let p = Policy::pack(pack.id)
            .expect("listed")
            .unwrap_or_else(|e| panic!("{}: {e}", pack.id));
        let cite = |what: &str| {
            assert!(
                p.citations.contains_key(what),
                "{}: rule {what} is set but has no [citations.{what}]",
                pack.id
            )
        };
        if !p.sole_consent.is_empty() {
            cite("sole-consent");
        }
        if !p.explicit_consent.is_empty() {
            cite("explicit-consent");
            cite("redisclosure-notice");
        }
        if p.third_party.is_some() {
            cite("third-party");
        }
        cite("client-request-purpose");
        if !p.withheld_markers.is_empty() {
            cite("withheld-markers");
        }
        assert!(!p.sources.is_empty(), "{}: no sources", pack.id);
        assert!(p.effective.is_some(), "{}: no effective date", pack.id);
        for e in &p.exceptions {
            assert!(
                e.citation.is_some() && e.summary.is_some(),
                "{}: exception {} lacks its citation or summary",
                pack.id,
                e.kind
            );
            let releases = !e.releases.is_empty() || e.releases_what_order_names;
            assert!(
                !releases || e.denial.is_some() || !e.recipients.is_empty(),
                "{}: exception {} releases something to any recipient: list its recipients",
                pack.id,
                e.kind
            );
        }
    }
}

#[test]
fn a_state_extends_the_federal_baseline_instead_of_copying_it() {
    for id in ["us-ca", "us-ny", "us-tx", "us-fl", "us-il", "us-wa"] {
        let text = packs::text(id).unwrap();
        let p = Policy::parse(text).unwrap();
        assert_eq!(p.extends.as_deref(), Some("us-federal"), "{id}");
        assert_eq!(p.bases.len(), 1, "{id}");
        assert_eq!(p.bases[0].pack, "us-federal");
        assert!(
            !text.contains("\ncategories") && !text.contains("\npurposes"),
            "{id} copies the baseline's lists"
        );
        // Stored with its base's text, it reads the same without the built-in packs.
        assert_eq!(Policy::parse_stored(text, &p.bases).unwrap(), p);
    }
}

#[test]
fn a_file_extending_a_pack_merges_and_its_mistakes_name_their_file() {
    let file = "name = \"Our practice\"\nextends = \"us-federal\"\n\n[[exception]]\nkind = \"duty-to-protect\"\nreleases = [\"risk\"]\nrecipients = [\"medical\"]\ndescription = \"Narrower.\"\n";
    let p = Policy::parse(file).unwrap();
    let base = Policy::pack("us-federal").unwrap().unwrap();
    assert_eq!(p.categories, base.categories);
    assert_eq!(p.exceptions.len(), base.exceptions.len());
    let duty = p.exception("duty-to-protect").unwrap();
    assert_eq!(duty.releases, ["risk"]);
    assert_eq!(duty.recipients, ["medical"]);
    assert_eq!(p.exceptions[0].kind, base.exceptions[0].kind, "order kept");
    // A mistake in the file given names its line, and no pack.
    let bad = file.replace("[\"medical\"]", "[\"medics\"]");
    let err = Policy::parse(&bad).unwrap_err();
    assert_eq!((err.line, err.pack.as_deref()), (7, None), "{err}");
    assert!(
        err.message.contains("unknown recipient kind \"medics\""),
        "{err}"
    );
    // One that makes the base's rules wrong is reported in the base, by pack.
    let narrowed =
        "name = \"x\"\nextends = \"us-federal\"\ncategories = [\"progress\", \"identity\"]\n";
    let err = Policy::parse(narrowed).unwrap_err();
    assert_eq!(err.pack.as_deref(), Some("us-federal"), "{err}");
    assert!(
        err.to_string().starts_with("pack us-federal, line "),
        "{err}"
    );
    // Unknown packs, loops and drops of what is not there.
    let err = Policy::parse("name = \"x\"\nextends = \"us-zz\"\n").unwrap_err();
    assert!(
        err.message
            .contains("there is no pack \"us-zz\"; the packs are: us-federal, us-ca"),
        "{err}"
    );
    assert_eq!(err.line, 2);
    let err =
        Policy::parse("name = \"x\"\nextends = \"us-federal\"\nwithout-exceptions = [\"tarot\"]\n")
            .unwrap_err();
    assert!(err.message.contains("has no exception \"tarot\""), "{err}");
    let err = Policy::parse(&format!("{DEFAULT_POLICY}\nwithout-exceptions = [\"x\"]\n"));
    assert!(err.is_err());
    let dropped = Policy::parse(
        "name = \"x\"\nextends = \"us-federal\"\nwithout-exceptions = [\"subpoena\"]\n",
    )
    .unwrap();
    assert!(dropped.exception("subpoena").is_none());
    let looped = Policy::parse_stored(
        "name = \"x\"\nextends = \"a\"\n",
        &[PackText {
            pack: "a".into(),
            text: "name = \"a\"\nextends = \"a\"\n".into(),
        }],
    )
    .unwrap_err();
    assert!(looped.message.contains("makes a loop"), "{looped}");
}

#[test]
fn new_exception_fields_are_checked() {
    let add = |e: &str| {
        Policy::parse(&format!(
            "{DEFAULT_POLICY}\n[[exception]]\nkind = \"extra\"\ndescription = \"d\"\n{e}\n"
        ))
    };
    let err = add("releases = [\"risk\"]\nforce = \"maybe\"").unwrap_err();
    assert!(err.message.contains("force \"maybe\" is neither"), "{err}");
    let err = add("releases = [\"risk\"]\nreleases-sole-consent = true").unwrap_err();
    assert!(
        err.message.contains("releases none of rules.sole-consent"),
        "{err}"
    );
    let err = add("part2-order = true").unwrap_err();
    assert!(err.message.contains("needs requires-reference"), "{err}");
    let err = add("releases = [\"risk\"]\ncitation = \"  \"").unwrap_err();
    assert!(err.message.contains("citation is empty"), "{err}");
    let ok = add("releases = [\"risk\", \"psychotherapy-notes\"]\nreleases-sole-consent = true\nforce = \"required\"\nrecipients = [\"victim\"]").unwrap();
    let e = ok.exception("extra").unwrap();
    assert_eq!(
        (e.force, e.recipients.as_slice()),
        (Force::Required, &["victim".to_owned()][..])
    );
    let err = Policy::parse(&format!(
        "{DEFAULT_POLICY}\n[citations.sole-consnt]\ncitation = \"c\"\nsummary = \"s\"\n"
    ))
    .unwrap_err();
    assert!(
        err.message.contains("\"sole-consnt\" is not a rule"),
        "{err}"
    );
    let err = Policy::parse(&format!("{DEFAULT_POLICY}\n[minors]\ncitation = \"c\"\nsummary = \"s\"\nage-of-majority = 18\nself-consent-age = 18\nself-consent-citation = \"x\"\n")).unwrap_err();
    assert!(
        err.message
            .contains("self-consent-age: write an age from 1 to 17"),
        "{err}"
    );
}

#[test]
fn a_file_names_itself_and_drops_each_exception_once() {
    let err = Policy::parse("name = \"  \"\nextends = \"us-ca\"\n").unwrap_err();
    assert_eq!(
        (err.line, err.message.as_str()),
        (1, "name is empty"),
        "{err}"
    );
    // Without a name of its own, a file would go by the pack's: refused, after any
    // other mistake it holds.
    let err = Policy::parse("extends = \"us-ca\"\nwithout-exceptions = [\"nope\"]\n").unwrap_err();
    assert!(err.message.contains("has no exception \"nope\""), "{err}");
    let err = Policy::parse("extends = \"us-ca\"\n").unwrap_err();
    assert!(err.message.starts_with("name is missing"), "{err}");
    assert_eq!(err.pack, None);
    let err = Policy::parse(
        "name = \"x\"\nextends = \"us-federal\"\nwithout-exceptions = [\"subpoena\", \"subpoena\"]\n",
    )
    .unwrap_err();
    assert_eq!(err.line, 3);
    assert!(
        err.message.contains("\"subpoena\" is listed twice"),
        "{err}"
    );
}
