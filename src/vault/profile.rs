//! Client profiles: the checks every way a profile comes in makes (adding a client,
//! editing one), editing a profile and what is marked on the client's care, and
//! finding a client by name.

use super::Session;
use super::input::{check_dates, check_lines};
use crate::audit::Action;
use crate::base::fold::{breaks_line, fold, is_blank};
use crate::base::{ClientId, Date, RecordKind, RecordRef};
use crate::error::{ClientMatch, Error};
use crate::model::client::Client;
use crate::vault::Access;
use crate::vault::restrict::{CareChange, changed_care, check_care, check_care_change};

type Result<T> = std::result::Result<T, Error>;

/// A change to a client's profile; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct ProfileChange {
    /// The client's new name.
    pub name: Option<String>,
    /// How to reach the client (`Some(None)`: none on file any more).
    pub contact: Option<Option<String>>,
    /// The date of birth (`Some(None)`: not known).
    pub date_of_birth: Option<Option<Date>>,
    /// The third parties who appear in notes: the whole list, replacing the one on file.
    pub third_parties: Option<Vec<String>>,
}

impl ProfileChange {
    /// True when it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.contact.is_none()
            && self.date_of_birth.is_none()
            && self.third_parties.is_none()
    }
}

/// Refuses a profile's fields as given: a blank name or third-party name, and any
/// field that is not one line of visible text (it goes on one line of an export's
/// cover). `None` is a field not given.
pub(crate) fn check_profile(
    name: Option<&str>,
    contact: Option<&str>,
    third_parties: &[String],
) -> Result<()> {
    if name.is_some_and(is_blank) {
        return Err(Error::InvalidInput("the client's name is empty".into()));
    }
    if third_parties.iter().any(|n| is_blank(n)) {
        return Err(Error::InvalidInput("a third-party name is empty".into()));
    }
    check_lines(
        name.map(|n| ("client's name", n))
            .into_iter()
            .chain(contact.map(|c| ("contact", c)))
            .chain(
                third_parties
                    .iter()
                    .map(|n| ("third-party name", n.as_str())),
            ),
    )
}

/// A contact as it is kept: a blank one is none.
pub(crate) fn kept_contact(contact: Option<String>) -> Option<String> {
    contact.filter(|c| !is_blank(c))
}

/// Third-party names as they are kept: trimmed.
pub(crate) fn kept_third_parties(names: &[String]) -> Vec<String> {
    names.iter().map(|n| n.trim().to_owned()).collect()
}

impl Access<'_, '_> {
    /// Writes a new version of `client`'s profile.
    pub(crate) fn rewrite_client(&mut self, client: &Client) -> Result<()> {
        let version = self
            .latest_record(RecordKind::Client, &client.id)?
            .map_or(1, |row| row.reference.version + 1);
        self.write_for(
            &client.id,
            RecordRef::new(RecordKind::Client, &client.id, version),
            client,
        )
    }
}

impl Session {
    /// Changes a client's profile (name, contact, date of birth, third parties);
    /// returns it as it now is. [`Session::edit_client`] with no change to their care.
    pub fn edit_profile(&mut self, client: &str, change: ProfileChange) -> Result<Client> {
        self.edit_client(client, change, CareChange::default(), Date::today())
    }

    /// Changes what is marked on a client's care; returns the profile as it now is.
    /// [`Session::edit_client`] with no change to the profile.
    pub fn change_care(&mut self, client: &str, change: CareChange, today: Date) -> Result<Client> {
        self.edit_client(client, ProfileChange::default(), change, today)
    }

    /// Changes a client's profile and what is marked on their care at once, in one
    /// new version of the client's record (the earlier ones are kept); returns it as it
    /// now is. The new profile is checked as an added one is; a change of care, or of
    /// the date of birth a mark depends on, against the policy in force.
    pub fn edit_client(
        &mut self,
        client: &str,
        profile: ProfileChange,
        care: CareChange,
        today: Date,
    ) -> Result<Client> {
        if profile.is_empty() && care.is_empty() {
            return Err(Error::InvalidInput(
                "nothing to change: give a new name, contact, date of birth, third parties or a mark on the client's care".into(),
            ));
        }
        check_dates(&[("date of birth", profile.date_of_birth.flatten())])?;
        check_profile(
            profile.name.as_deref(),
            profile.contact.as_ref().and_then(Option::as_deref),
            profile.third_parties.as_deref().unwrap_or_default(),
        )?;
        check_care_change(&care, today)?;
        self.access(Action::ClientEdit, |a| {
            let before = a.client(client)?;
            let mut after = before.clone();
            if let Some(name) = &profile.name {
                after.name = name.trim().to_owned();
            }
            if let Some(contact) = &profile.contact {
                after.contact = kept_contact(contact.clone());
            }
            if let Some(born) = profile.date_of_birth {
                after.date_of_birth = born;
            }
            if let Some(names) = &profile.third_parties {
                after.third_parties = kept_third_parties(names);
            }
            after.care = changed_care(&before.care, &care, today);
            if after == before {
                return Err(Error::InvalidInput(
                    match (profile.is_empty(), care.is_empty()) {
                        (true, _) => "nothing to change: the client's care is already marked so",
                        (_, true) => "nothing to change: the client's profile already says so",
                        _ => "nothing to change: the client's profile and care already say so",
                    }
                    .into(),
                ));
            }
            // What is marked on the client's care may depend on their age.
            let born_again = after.date_of_birth != before.date_of_birth;
            if after.care != before.care || (born_again && !after.care.is_plain()) {
                let (_, policy) = a.policy()?;
                check_care(&after.care, after.date_of_birth, &policy, today)?;
            }
            a.rewrite_client(&after)?;
            Ok(after)
        })
    }

    /// The client `query` names: the client with that identifier, or else the one
    /// client whose name holds every word of `query` (compared folded: case, accents
    /// and invisible characters do not matter; a query with a control character names
    /// nobody). Audited as a `client.list`: it reads
    /// every profile this member's keys open.
    ///
    /// [`Error::ClientNotFound`] when no client matches; [`Error::ClientAmbiguous`],
    /// with the clients that match, when several do.
    pub fn find_client(&mut self, query: &str) -> Result<ClientId> {
        let words: Vec<String> = fold(query).split_whitespace().map(str::to_owned).collect();
        let not_found = || Error::ClientNotFound(format!("with the id or name {query:?}"));
        self.access(Action::ClientList, |a| {
            if a.record_exists(RecordKind::Client, query)? {
                return Ok(ClientId::from(query));
            }
            // A name holds no control or bidirectional character (`check_profile`), so
            // a query with one names nobody, though folding would read some as spaces.
            if words.is_empty() || query.chars().any(breaks_line) {
                return Err(not_found());
            }
            let clients: Vec<Client> = a.read_all(RecordKind::Client)?;
            let mut matches: Vec<ClientMatch> = clients
                .into_iter()
                .filter(|c| {
                    let name = fold(&c.name);
                    words.iter().all(|w| name.contains(w.as_str()))
                })
                .map(|c| ClientMatch {
                    id: c.id,
                    name: c.name,
                })
                .collect();
            match matches.len() {
                0 => Err(not_found()),
                1 => Ok(matches.remove(0).id),
                _ => {
                    matches.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
                    Err(Error::ClientAmbiguous {
                        query: query.to_owned(),
                        matches,
                    })
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::ProfileChange;
    use crate::base::Date;
    use crate::crypto::keyslot::KdfParams;
    use crate::error::{Error, ErrorClass};
    use crate::model::client::{Care, NewClient};
    use crate::vault::restrict::CareChange;
    use crate::vault::{Session, Vault};

    fn vault() -> (tempfile::TempDir, Session) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (session, _) = Vault::create(
            dir.path().join("practice.casevault"),
            &SecretString::from("a test passphrase"),
            KdfParams::default(),
            "dr-test",
        )
        .expect("a vault");
        (dir, session)
    }

    fn add(s: &mut Session, name: &str) -> String {
        s.add_client(NewClient {
            name: name.into(),
            contact: Some("555-0100".into()),
            third_parties: vec!["Ben Example".into()],
            ..NewClient::default()
        })
        .expect("a client")
        .into()
    }

    fn date(text: &str) -> Date {
        text.parse().expect("a date")
    }

    #[test]
    fn a_profile_is_edited_field_by_field_and_the_earlier_version_kept() {
        let (_dir, mut s) = vault();
        let ada = add(&mut s, "Ada Example");
        let edited = s
            .edit_profile(
                &ada,
                ProfileChange {
                    name: Some("  Ada Exemplar ".into()),
                    date_of_birth: Some(Some(date("1984-05-17"))),
                    ..ProfileChange::default()
                },
            )
            .expect("edited");
        assert_eq!(edited.name, "Ada Exemplar");
        assert_eq!(edited.date_of_birth, Some(date("1984-05-17")));
        assert_eq!(edited.contact.as_deref(), Some("555-0100"), "kept");
        assert_eq!(edited.third_parties, ["Ben Example"], "kept");
        assert_eq!(s.client(&ada).expect("shown"), edited);

        let edited = s
            .edit_profile(
                &ada,
                ProfileChange {
                    contact: Some(None),
                    date_of_birth: Some(None),
                    third_parties: Some(vec![" Cleo ".into(), "Dan".into()]),
                    ..ProfileChange::default()
                },
            )
            .expect("edited");
        assert_eq!(edited.contact, None);
        assert_eq!(edited.date_of_birth, None);
        assert_eq!(edited.third_parties, ["Cleo", "Dan"]);
        assert_eq!(edited.created_at, s.client(&ada).unwrap().created_at);

        let edits: Vec<_> = s
            .audit_log()
            .expect("the log")
            .into_iter()
            .filter(|e| e.action.as_str() == "client.edit")
            .collect();
        assert_eq!(edits.len(), 2, "{edits:?}");
        let versions: Vec<u32> = edits
            .iter()
            .flat_map(|e| e.targets.iter().filter(|t| t.kind == "client"))
            .filter(|t| t.access == crate::audit::TargetAccess::Write)
            .map(|t| t.version)
            .collect();
        assert_eq!(versions, [2, 3]);
    }

    #[test]
    fn an_edit_is_checked_as_an_added_profile_is() {
        let (_dir, mut s) = vault();
        let ada = add(&mut s, "Ada Example");
        let refused = |s: &mut Session, change: ProfileChange| {
            let e = s.edit_profile(&ada, change).expect_err("refused");
            assert_eq!(e.class(), ErrorClass::Failure, "{e}");
            e.to_string()
        };
        let e = refused(&mut s, ProfileChange::default());
        assert!(e.contains("nothing to change"), "{e}");
        assert!(crate::base::is_vault_id(&ada), "{ada}");
        let e = refused(
            &mut s,
            ProfileChange {
                name: Some("Ada Example".into()),
                ..ProfileChange::default()
            },
        );
        assert_eq!(e, "nothing to change: the client's profile already says so");
        let e = refused(
            &mut s,
            ProfileChange {
                name: Some(" \u{200B} ".into()),
                ..ProfileChange::default()
            },
        );
        assert_eq!(e, "the client's name is empty");
        let e = refused(
            &mut s,
            ProfileChange {
                third_parties: Some(vec!["Ben".into(), "  ".into()]),
                ..ProfileChange::default()
            },
        );
        assert_eq!(e, "a third-party name is empty");
        let e = refused(
            &mut s,
            ProfileChange {
                contact: Some(Some("555\n0100".into())),
                ..ProfileChange::default()
            },
        );
        assert!(e.contains("contact holds a line break"), "{e}");
        let e = refused(
            &mut s,
            ProfileChange {
                date_of_birth: Some(Some(Date(
                    time::Date::from_calendar_date(1800, time::Month::January, 1).unwrap(),
                ))),
                ..ProfileChange::default()
            },
        );
        assert!(e.contains("date of birth"), "{e}");
        assert_eq!(s.client(&ada).unwrap().name, "Ada Example", "unchanged");
        let e = s
            .edit_profile(
                "00000000",
                ProfileChange {
                    name: Some("Zed".into()),
                    ..ProfileChange::default()
                },
            )
            .expect_err("no such client");
        assert!(matches!(e, Error::ClientNotFound(_)), "{e:?}");
    }

    #[test]
    fn a_date_of_birth_that_a_minors_consent_rests_on_is_checked_again() {
        let (_dir, mut s) = vault();
        s.use_pack("us-ca").expect("a pack with minors' consent");
        let today = Date::today().0;
        // The 1st of January fourteen years ago: the client is fourteen today.
        let born = Date(
            time::Date::from_calendar_date(today.year() - 14, time::Month::January, 1)
                .expect("a date"),
        );
        let teen = s
            .add_client(NewClient {
                name: "Teen Example".into(),
                date_of_birth: Some(born),
                care: Care {
                    minor_consent: true,
                    ..Care::default()
                },
                ..NewClient::default()
            })
            .expect("a minor consenting to their own care");
        for date_of_birth in [None, Some(Date::today())] {
            let e = s
                .edit_profile(
                    &teen,
                    ProfileChange {
                        date_of_birth: Some(date_of_birth),
                        ..ProfileChange::default()
                    },
                )
                .expect_err("the mark needs an age");
            assert!(e.to_string().contains("nothing changed"), "{e}");
        }
        assert_eq!(s.client(&teen).unwrap().date_of_birth, Some(born));

        // The date of birth and the mark that rests on it, given together: one version.
        let kid = add(&mut s, "Kid Example");
        let mark = CareChange {
            minor_consent: Some(true),
            ..CareChange::default()
        };
        let e = s
            .change_care(&kid, mark.clone(), Date::today())
            .expect_err("no age yet");
        assert!(e.to_string().contains("date of birth first"), "{e}");
        let dob = ProfileChange {
            date_of_birth: Some(Some(born)),
            ..ProfileChange::default()
        };
        let edited = s
            .edit_client(&kid, dob, mark, Date::today())
            .expect("both at once");
        assert!(edited.care.minor_consent);
        assert_eq!(edited.date_of_birth, Some(born));
    }

    #[test]
    fn a_client_is_found_by_id_or_by_every_word_of_their_name() {
        let (_dir, mut s) = vault();
        let ada = add(&mut s, "Ada Example");
        let zoe = add(&mut s, "Zoë O’Brien-Łukasz");
        let adam = add(&mut s, "Adam Sample");
        assert_eq!(s.find_client(&ada).unwrap().as_str(), ada, "an id wins");
        assert_eq!(s.find_client("example ada").unwrap().as_str(), ada);
        assert_eq!(s.find_client("ZOE lukasz").unwrap().as_str(), zoe);
        assert_eq!(s.find_client("Zoe\u{200B} o'brien").unwrap().as_str(), zoe);
        assert_eq!(s.find_client("sam").unwrap().as_str(), adam);

        match s.find_client("ada") {
            Err(e @ Error::ClientAmbiguous { .. }) => {
                assert_eq!(e.class(), ErrorClass::Usage);
                let Error::ClientAmbiguous { matches, .. } = &e else {
                    unreachable!()
                };
                let ids: Vec<&str> = matches.iter().map(|m| m.id.as_str()).collect();
                assert_eq!(ids, [ada.as_str(), adam.as_str()]);
                assert_eq!(matches[0].name, "Ada Example");
                // The message and the Debug form name ids, never names.
                let shown = format!("{e} {e:?}");
                assert!(shown.contains(&ada) && shown.contains(&adam), "{shown}");
                assert!(
                    !shown.contains("Example") && !shown.contains("Sample"),
                    "{shown}"
                );
            }
            other => panic!("{other:?}"),
        }
        for missing in [
            "Cleo",
            "",
            "  ",
            "ada zed",
            "Ada\u{85}Example",
            "ada\texample",
        ] {
            match s.find_client(missing) {
                Err(e @ Error::ClientNotFound(_)) => {
                    assert_eq!(e.class(), ErrorClass::Failure);
                    assert!(e.to_string().contains(&format!("{missing:?}")), "{e}");
                }
                other => panic!("{missing:?}: {other:?}"),
            }
        }
        // Every lookup is audited as a listing, found or not.
        let listed = s
            .audit_log()
            .unwrap()
            .iter()
            .filter(|e| e.action.as_str() == "client.list")
            .count();
        assert_eq!(listed, 12);
    }
}
