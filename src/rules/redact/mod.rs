//! Redaction of identifying details in note text that leaves in a disclosure.
//!
//! A [`Redactor`] is built once per client and export, from the client's profile and
//! the decision's verdicts on `identity` and `third-party`, and then applied to every
//! permitted section. It replaces:
//!
//! - the client's own identifiers, with `[redacted: identity]` unless `identity` is
//!   permitted: the client's name (whole, and each part of two or more letters),
//!   the phone numbers, e-mail and street addresses in the profile's contact (matched
//!   however they are written: a phone by its digits, an address by its house number
//!   and street name), each piece of the contact text itself, and the date of birth
//!   in any date format, with or without the word "born" before it;
//! - everything identifying someone else, with `[redacted: third-party]` unless
//!   `third-party` is permitted: the names of the profile's third parties (whole, and
//!   each part alone); whatever the client's contact holds of someone else
//!   ("Emergency: Ben Quill 555-0199", see `contact`); everything on the profiles of
//!   the other participants of joint notes ([`Redactor::with_others`]); and every
//!   phone number, e-mail address, SSN-like number, street address, and date of
//!   birth ("born 1990-05-17", "DOB: 05/17/1990", "born on the 4th of March, 1982")
//!   that is not the client's own. [`Redactor::releasing_third_parties`] keeps the
//!   names of given third parties (an abuse report's subject).
//!
//! The marker never says what kind of identifier was removed; the [`Redaction`]s
//! returned beside the text say it, for the cover sheet, and never carry the text.
//!
//! Names are matched as whole words on text folded by Unicode data (`crate::base::fold`):
//! case, diacritics, compatibility forms and invisible characters do not matter
//! ("BEN QUILL", "Zoe" for "Zoë", "Ｂｅｎ", "Be\u{200B}n"), and the whole original
//! span is replaced. Identifier shapes are matched on text whose dashes, spaces and
//! digits are folded (`Folded::for_shapes`). The parts of a whole name may be
//! separated by any run of spaces, line breaks, dashes or dots ("Ben  Quill",
//! "ben-quill", "Ben\nQuill"), or by nothing ("BenQuill"), a part may be broken
//! across a line, and punctuation around a name stays ("[redacted: third-party]'s").
//! A name part that is also an everyday word ("Will", "Rose") is redacted alone only
//! where the text capitalizes it. A part inside a longer whole name belongs to that
//! name: with `identity` permitted, the client "Ada Quill" keeps her surname even
//! though her partner "Ben Quill" shares it; "Quill" alone is still redacted.
//!
//! When identifiers overlap, the stretch they cover together is replaced once.
//! Where something is both the client's and someone else's, a refusal of either
//! redacts it.
//!
//! Here: the [`Redactor`]. What it leaves behind is `marker`; how identifiers found
//! become the text that leaves is `stretch`; names, identifier shapes, the contact's
//! pieces and the index over names are `names`, `patterns`, `contact` and `index`.

use std::fmt;

use crate::model::client::Client;

mod contact;
mod index;
mod marker;
mod names;
mod patterns;
mod stretch;

use crate::base::fold::Folded;
use index::Index;
pub use marker::{IdentifierClass, Redaction, RedactionKind};
use names::{Matcher, Unbuildable};
use patterns::Value;
use stretch::{Candidate, drop_parts_inside_whole_names, merge, render};

/// Redacts one client's identifiers, and everyone else's, from note text.
///
/// Built once (patterns are compiled here) and reused over every note of an export.
/// It fails closed: a profile entry too long to be a name or contact (over a thousand
/// characters) cannot be turned into a pattern, and then every non-empty text is
/// replaced whole by one marker.
///
/// ```
/// use casevault::{Client, Redactor};
///
/// let client = Client {
///     id: "0badcafe".into(),
///     name: "Ada Example".into(),
///     date_of_birth: Some("1990-05-17".parse().unwrap()),
///     contact: Some("555-123-4567".into()),
///     third_parties: vec!["Ben Quill (partner)".into()],
///     created_at: "2026-03-01T00:00:00Z".parse().unwrap(),
///     care: Default::default(),
/// };
/// let redactor = Redactor::new(&client, true, false);
/// let (text, redactions) = redactor.redact("Ada (born 1990-05-17) argued with BEN QUILL.");
/// assert_eq!(text, "Ada (born 1990-05-17) argued with [redacted: third-party].");
/// assert_eq!(redactions.len(), 1);
/// ```
#[derive(Clone)]
pub struct Redactor {
    permit_identity: bool,
    permit_third_party: bool,
    /// The client's name, the third parties' names, the pieces of the contact; the
    /// same of every other profile given.
    matchers: Vec<Matcher>,
    /// One automaton over every matcher's literals: which matchers a text may hold.
    index: Index,
    /// The client's identifiers found in the profile, to tell them from others'.
    own: Vec<Value>,
    /// Identifiers of someone else found in a profile: another participant's, or a
    /// piece of the client's contact that is someone else's.
    others: Vec<Value>,
    /// Third parties whose names are released (see
    /// [`Redactor::releasing_third_parties`]), as `names::name_key` folds them.
    released: Vec<String>,
    /// Some profile entry could not become a pattern: withhold every text whole.
    fail_closed: bool,
}

/// Names the counts only: the patterns spell out the client's names.
impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("permit_identity", &self.permit_identity)
            .field("permit_third_party", &self.permit_third_party)
            .field("matchers", &self.matchers.len())
            .field("own_identifiers", &self.own.len())
            .field("others_identifiers", &self.others.len())
            .field("released_names", &self.released.len())
            .field("fail_closed", &self.fail_closed)
            .finish()
    }
}

impl Redactor {
    /// A redactor for `client`'s notes, keeping the client's own identifiers when
    /// `permit_identity` and everyone else's when `permit_third_party`.
    ///
    /// The client's contact is read piece by piece (see `contact`): a piece that is
    /// someone else's ("Emergency: Ben Quill 555-0199"), or not clearly the client's,
    /// is the client's and someone else's at once, so it is kept only when both
    /// `identity` and `third-party` are permitted.
    pub fn new(client: &Client, permit_identity: bool, permit_third_party: bool) -> Redactor {
        let mut redactor = Redactor {
            permit_identity,
            permit_third_party,
            matchers: Vec::new(),
            index: Index::default(),
            own: Vec::new(),
            others: Vec::new(),
            released: Vec::new(),
            fail_closed: false,
        };
        redactor.add_profile(client, RedactionKind::Identity);
        redactor.build_index();
        redactor
    }

    /// Also redacts, as someone else's, everything identifying in `others`' profiles:
    /// the other participants of the client's joint notes. Each one's name, contact
    /// (every piece of it, and the numbers, e-mail and addresses in it), date of
    /// birth in any format, and the names of their own third parties.
    ///
    /// ```
    /// use casevault::{Client, Redactor};
    ///
    /// let person = |name: &str, contact: &str, third_party: &str| Client {
    ///     id: "0badcafe".into(),
    ///     name: name.into(),
    ///     date_of_birth: None,
    ///     contact: Some(contact.into()),
    ///     third_parties: vec![third_party.into()],
    ///     created_at: "2026-03-01T00:00:00Z".parse().unwrap(),
    ///     care: Default::default(),
    /// };
    /// let ada = person("Ada Example", "555-123-4567", "Ben Quill");
    /// let cy = person("Cy Other", "cy@example.org, 555-0199", "Dee Other (sister)");
    /// let redactor = Redactor::new(&ada, true, false).with_others(&[cy]);
    /// let (text, _) = redactor.redact("Cy (555 0199) spoke of Dee.");
    /// assert_eq!(
    ///     text,
    ///     "[redacted: third-party] ([redacted: third-party]) spoke of [redacted: third-party]."
    /// );
    /// ```
    pub fn with_others(mut self, others: &[Client]) -> Redactor {
        for other in others {
            self.add_profile(other, RedactionKind::ThirdParty);
        }
        self.build_index();
        self
    }

    /// Indexes the matchers' literals; fails closed if the automaton cannot be built.
    fn build_index(&mut self) {
        match Index::new(&self.matchers) {
            Ok(index) => self.index = index,
            Err(Unbuildable) => self.fail_closed = true,
        }
    }

    /// Keeps the names (and only the names, not their contact or anything else) of
    /// the given third parties, even when `third-party` is refused: an abuse report
    /// releases the identity of the person it is about. A name is compared with the
    /// profile's folded and without remarks ("Ben QUILL" releases "Ben Quill
    /// (partner)"); a part the released name shares with another third party who is
    /// not released ("Quill" alone) stays redacted. A name too long to be one
    /// releases nothing.
    ///
    /// ```
    /// use casevault::{Client, Redactor};
    ///
    /// let client = Client {
    ///     id: "0badcafe".into(),
    ///     name: "Ada Example".into(),
    ///     date_of_birth: None,
    ///     contact: None,
    ///     third_parties: vec!["Ben Quill (partner)".into(), "Mia Lund".into()],
    ///     created_at: "2026-03-01T00:00:00Z".parse().unwrap(),
    ///     care: Default::default(),
    /// };
    /// let redactor = Redactor::new(&client, true, false)
    ///     .releasing_third_parties(&["Ben Quill".to_owned()]);
    /// let (text, _) = redactor.redact("Ben Quill hit Mia.");
    /// assert_eq!(text, "Ben Quill hit [redacted: third-party].");
    /// ```
    pub fn releasing_third_parties(mut self, names: &[String]) -> Redactor {
        self.released.extend(
            names
                .iter()
                .filter_map(|name| names::name_key(name).ok())
                .filter(|key| !key.is_empty()),
        );
        self
    }

    /// Adds one profile's identifiers: as the client's own (`Identity`) or someone
    /// else's (`ThirdParty`).
    fn add_profile(&mut self, profile: &Client, whose: RedactionKind) {
        self.add(Matcher::name(&profile.name, whose));
        for name in &profile.third_parties {
            self.add(Matcher::name(name, RedactionKind::ThirdParty));
        }
        if let Some(contact) = &profile.contact {
            let values = patterns::identifiers(contact).into_iter().map(|h| h.value);
            match whose {
                RedactionKind::Identity => self.own.extend(values),
                RedactionKind::ThirdParty => self.others.extend(values),
            }
            for piece in contact::pieces(contact, &profile.name, &profile.third_parties) {
                self.add(Matcher::contact_piece(piece.text, whose));
                if piece.someone_elses {
                    self.add_someone_elses_piece(&piece, whose);
                }
            }
        }
        if let Some(dob) = profile.date_of_birth {
            let date = Value::Date(vec![dob.0]);
            match whose {
                RedactionKind::Identity => self.own.push(date),
                RedactionKind::ThirdParty => self.others.push(date),
            }
        }
    }

    /// A piece of a contact that is someone else's: whole, its numbers, and the names
    /// left in it, as third-party identifiers. Its numbers are also the contact's
    /// owner's (`whose`): they reach her as well.
    fn add_someone_elses_piece(&mut self, piece: &contact::Piece, whose: RedactionKind) {
        let third_party = RedactionKind::ThirdParty;
        self.add(Matcher::contact_piece(piece.text, third_party));
        for number in contact::numbers(piece.text) {
            self.add(Matcher::contact_piece(number, third_party));
            if whose != third_party {
                self.add(Matcher::contact_piece(number, whose));
            }
        }
        self.others.extend(
            patterns::identifiers(piece.text)
                .into_iter()
                .map(|h| h.value),
        );
        // Released under the name the contact gives, owner's surname and all.
        self.add(Matcher::name(&piece.names, third_party).map(|found| {
            found.map(|mut matcher| {
                matcher.key = Some(piece.full_name.clone());
                matcher
            })
        }));
    }

    fn add(&mut self, built: Result<Option<Matcher>, Unbuildable>) {
        match built {
            Ok(Some(matcher)) => self.matchers.push(matcher),
            Ok(None) => {}
            Err(Unbuildable) => self.fail_closed = true,
        }
    }

    /// `text` with every identifier that is not permitted replaced by its marker,
    /// and the list of markers applied, in order.
    ///
    /// ```
    /// use casevault::{Client, Redactor};
    ///
    /// let client = Client {
    ///     id: "67e344e9".into(),
    ///     name: "Ada Example".into(),
    ///     date_of_birth: None,
    ///     contact: None,
    ///     third_parties: vec!["Ben Example".into()],
    ///     created_at: "2026-01-01T09:00:00Z".parse().unwrap(),
    ///     care: Default::default(),
    /// };
    /// // The recipient may know who the client is, but not who else she spoke of.
    /// let redactor = Redactor::new(&client, true, false);
    /// let (text, applied) = redactor.redact("Ada argued with BEN EXAMPLE; call 555-010-4477.");
    /// assert_eq!(
    ///     text,
    ///     "Ada argued with [redacted: third-party]; call [redacted: third-party]."
    /// );
    /// assert_eq!(applied.len(), 2);
    /// ```
    pub fn redact(&self, text: &str) -> (String, Vec<Redaction>) {
        let refused = [RedactionKind::ThirdParty, RedactionKind::Identity]
            .into_iter()
            .find(|&kind| !self.permits(kind));
        let Some(refused) = refused else {
            return (text.to_owned(), Vec::new());
        };
        if self.fail_closed {
            if text.is_empty() {
                return (String::new(), Vec::new());
            }
            let withheld = Redaction {
                kind: refused,
                class: IdentifierClass::Name,
            };
            return (refused.marker().to_owned(), vec![withheld]);
        }
        let mut candidates = self.candidates(text);
        drop_parts_inside_whole_names(&mut candidates);
        candidates.retain(|c| !c.released && !self.permits(c.redaction.kind));
        render(text, merge(text, candidates))
    }

    fn permits(&self, kind: RedactionKind) -> bool {
        match kind {
            RedactionKind::Identity => self.permit_identity,
            RedactionKind::ThirdParty => self.permit_third_party,
        }
    }

    /// Every identifier in `text`, overlapping as they come.
    fn candidates(&self, text: &str) -> Vec<Candidate> {
        let mut candidates = Vec::new();
        let folded = Folded::new(text);
        let mut found = Vec::new();
        // Only the matchers whose entry the text may hold, in the matchers' order.
        for matcher in (self.index.mentioned(&folded.text)).filter_map(|i| self.matchers.get(i)) {
            found.clear();
            matcher.find(text, &folded, &mut found);
            let released = matcher.kind == RedactionKind::ThirdParty
                && matcher
                    .key
                    .as_ref()
                    .is_some_and(|key| self.released.contains(key));
            candidates.extend(found.iter().map(|f| Candidate {
                start: f.start,
                end: f.end,
                redaction: Redaction {
                    kind: matcher.kind,
                    class: matcher.class,
                },
                whole_name: f.whole_name,
                released,
            }));
        }
        // Every date, where it is the client's or another profile's date of birth.
        let profile_dates = patterns::dates(text)
            .into_iter()
            .filter(|hit| self.is_own(&hit.value) || self.is_others(&hit.value));
        for hit in patterns::identifiers(text).into_iter().chain(profile_dates) {
            let own = self.is_own(&hit.value);
            // Not the client's is someone else's; both is both.
            let kinds = [
                (own, RedactionKind::Identity),
                (
                    !own || self.is_others(&hit.value),
                    RedactionKind::ThirdParty,
                ),
            ];
            for (_, kind) in kinds.into_iter().filter(|(whose, _)| *whose) {
                candidates.push(Candidate {
                    start: hit.start,
                    end: hit.end,
                    redaction: Redaction {
                        kind,
                        class: hit.class,
                    },
                    whole_name: false,
                    released: false,
                });
            }
        }
        candidates
    }

    fn is_own(&self, value: &Value) -> bool {
        self.own.iter().any(|own| own.same_as(value))
    }

    fn is_others(&self, value: &Value) -> bool {
        self.others.iter().any(|other| other.same_as(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client {
            id: "0badcafe".into(),
            name: "Ada Quill".into(),
            date_of_birth: Some("1990-05-17".parse().expect("date")),
            contact: Some("+1 555-123-4567, ada@example.org; 12 Elm St., Springfield".into()),
            third_parties: vec!["Ben Quill (partner)".into(), "Zoë".into()],
            created_at: "2026-03-01T00:00:00Z".parse().unwrap(),
            care: Default::default(),
        }
    }

    fn redact(identity: bool, third_party: bool, text: &str) -> String {
        Redactor::new(&client(), identity, third_party)
            .redact(text)
            .0
    }

    const ID: &str = "[redacted: identity]";
    const TP: &str = "[redacted: third-party]";

    #[test]
    fn everything_permitted_keeps_the_text() {
        let text = "Ada Quill, Ben, 555-987-6543, born 1985-01-02";
        assert_eq!(redact(true, true, text), text);
    }

    #[test]
    fn markers_by_whose_identifier_it_is() {
        let text = "Ada met Ben and Zoë; call (555) 123-4567 or 555-987-6543.";
        assert_eq!(
            redact(false, false, text),
            format!("{ID} met {TP} and {TP}; call {ID} or {TP}.")
        );
        assert_eq!(
            redact(true, false, text),
            format!("Ada met {TP} and {TP}; call (555) 123-4567 or {TP}.")
        );
        assert_eq!(
            redact(false, true, text),
            format!("{ID} met Ben and Zoë; call {ID} or 555-987-6543.")
        );
    }

    #[test]
    fn the_list_names_classes_never_text() {
        let (_, redactions) = Redactor::new(&client(), false, false)
            .redact("Ben, ada@example.org, ben@quill.example, DOB 1985-01-02, 123-45-6789");
        let listed: Vec<(&str, &str)> = redactions
            .iter()
            .map(|r| (r.kind.as_str(), r.class.as_str()))
            .collect();
        assert_eq!(
            listed,
            [
                ("third-party", "name"),
                ("identity", "email"),
                ("third-party", "email"),
                ("third-party", "date-of-birth"),
                ("third-party", "ssn"),
            ]
        );
        let json = serde_json::to_string(&redactions[3]).expect("serializes");
        assert_eq!(json, r#"{"kind":"third-party","class":"date-of-birth"}"#);
    }

    #[test]
    fn the_clients_date_of_birth_anywhere_others_only_in_a_birth_context() {
        let text = "Seen 2026-03-01. Born 17 May 1990; her son born 2015-02-03. 05/17/1990.";
        assert_eq!(
            redact(false, false, text),
            format!("Seen 2026-03-01. Born {ID}; her son born {TP}. {ID}.")
        );
    }

    #[test]
    fn the_clients_surname_in_her_full_name_is_hers() {
        let text = "Ada Quill said Quill family; Ben Quill too.";
        assert_eq!(
            redact(true, false, text),
            format!("Ada Quill said {TP} family; {TP} too.")
        );
        assert_eq!(
            redact(false, true, text),
            format!("{ID} said {ID} family; Ben Quill too.")
        );
    }

    #[test]
    fn a_name_inside_a_longer_whole_name_yields_to_it() {
        let mut c = client();
        c.name = "Mary Ann Smith".into();
        c.third_parties = vec!["Ann Smith".into()];
        let text = "Mary Ann Smith came; Ann Smith too; Smith.";
        assert_eq!(
            Redactor::new(&c, true, false).redact(text).0,
            format!("Mary Ann Smith came; {TP} too; {TP}.")
        );
        assert_eq!(
            Redactor::new(&c, false, true).redact(text).0,
            format!("{ID} came; Ann Smith too; {ID}.")
        );
    }

    #[test]
    fn overlapping_identifiers_are_replaced_once() {
        let (text, redactions) =
            Redactor::new(&client(), false, false).redact("write to ben.quill@example.org");
        assert_eq!(text, format!("write to {TP}"));
        assert_eq!(redactions.len(), 1);
        assert_eq!(redactions[0].class, IdentifierClass::Email);
    }

    #[test]
    fn adjacent_name_parts_become_one_marker() {
        let mut c = client();
        c.name = "Ada B. Quill".into();
        let (text, redactions) = Redactor::new(&c, false, true).redact("ADA QUILL came");
        assert_eq!(text, format!("{ID} came"));
        assert_eq!(redactions.len(), 1);
    }

    #[test]
    fn contact_pieces_no_pattern_knows() {
        let mut c = client();
        c.contact = Some("Flat 3, Rose Court; 555-1234".into());
        let text = "lives at flat 3, rose court, phone 555 1234; Rose said";
        assert_eq!(
            Redactor::new(&c, false, true).redact(text).0,
            format!("lives at {ID}, {ID}, phone {ID}; Rose said")
        );
    }

    #[test]
    fn a_profile_too_long_to_match_withholds_everything() {
        let mut c = client();
        c.third_parties.push("x".repeat(5000));
        let redactor = Redactor::new(&c, true, false);
        assert_eq!(redactor.redact("anything at all").0, TP);
        assert_eq!(redactor.redact("").0, "");
        assert_eq!(Redactor::new(&c, true, true).redact("kept").0, "kept");
    }

    #[test]
    fn a_released_third_party_keeps_only_the_name() {
        let mut c = client();
        c.third_parties = vec!["Ben Quill (partner)".into(), "Mia Quill".into()];
        c.contact = Some("555-123-4567; Emergency: Ben Quill 555-0199".into());
        let text = "Ben Quill hit Mia; BEN called from 555-0199; Quill alone; Mia Quill.";
        let released =
            Redactor::new(&c, true, false).releasing_third_parties(&["ben QUILL".to_owned()]);
        assert_eq!(
            released.redact(text).0,
            format!("Ben Quill hit {TP}; BEN called from {TP}; {TP} alone; {TP}.")
        );
        // Releasing someone not listed, or nothing, releases nothing.
        for names in [vec![], vec!["Ben".to_owned()], vec!["x".repeat(5000)]] {
            let (out, _) = Redactor::new(&c, true, false)
                .releasing_third_parties(&names)
                .redact("Ben Quill came");
            assert_eq!(out, format!("{TP} came"), "{names:?}");
        }
        // The client's own name is not a third party's to release.
        let (out, _) = Redactor::new(&c, false, false)
            .releasing_third_parties(&["Ada Quill".to_owned()])
            .redact("Ada Quill came");
        assert_eq!(out, format!("{ID} came"));
    }

    #[test]
    fn other_participants_are_third_parties_whole() {
        let other = Client {
            id: "feedbeef".into(),
            name: "Cy Dorn".into(),
            date_of_birth: Some("1985-01-02".parse().expect("date")),
            contact: Some("cy@dorn.example; 555-0188".into()),
            third_parties: vec!["Dee Dorn (daughter)".into()],
            created_at: "2026-03-01T00:00:00Z".parse().unwrap(),
            care: Default::default(),
        };
        let text = "Cy (2 Jan 1985) and Dee; 555 0188; CY@DORN.EXAMPLE; Ada.";
        let redactor = Redactor::new(&client(), true, false).with_others(&[other]);
        assert_eq!(
            redactor.redact(text).0,
            format!("{TP} ({TP}) and {TP}; {TP}; {TP}; Ada.")
        );
        let shown = format!("{redactor:?}");
        assert!(!shown.to_lowercase().contains("dorn"), "{shown}");
    }

    #[test]
    fn a_contact_piece_of_someone_else_is_both() {
        let mut c = client();
        c.contact = Some("555-123-4567; Emergency: Mo Vale (partner) 555-0199".into());
        let text = "Mo at 555-0199; her own 555-123-4567";
        assert_eq!(
            Redactor::new(&c, true, false).redact(text).0,
            format!("{TP} at {TP}; her own 555-123-4567")
        );
        // Without identity, a number in the client's contact still points to her;
        // the other person's name is a third party's, permitted here.
        assert_eq!(
            Redactor::new(&c, false, true).redact(text).0,
            format!("Mo at {ID}; her own {ID}")
        );
        assert_eq!(Redactor::new(&c, true, true).redact(text).0, text);
    }

    #[test]
    fn the_index_never_hides_a_name_however_it_is_written() {
        let mut c = client();
        c.third_parties = vec!["Siobhan O'Brien".into(), "Ben Quill".into()];
        c.third_parties
            .extend((0..300).map(|i| format!("Other{i} Person{i}")));
        let text = "OBrien, Qu-\nill, B**e**n, Sio\u{200B}bhan, ben\u{2060}quill, Other7.";
        let (out, redactions) = Redactor::new(&c, true, false).redact(text);
        assert_eq!(out, format!("{TP}, {TP}, {TP}, {TP}, {TP}, {TP}."));
        assert_eq!(redactions.len(), 6);
    }

    #[test]
    fn debug_does_not_show_names() {
        let shown = format!("{:?}", Redactor::new(&client(), false, false));
        assert!(!shown.to_lowercase().contains("quill"), "{shown}");
    }

    #[test]
    fn empty_profile_redacts_only_patterns() {
        let c = Client {
            id: "0badcafe".into(),
            name: String::new(),
            date_of_birth: None,
            contact: None,
            third_parties: Vec::new(),
            created_at: "2026-03-01T00:00:00Z".parse().unwrap(),
            care: Default::default(),
        };
        let (text, _) = Redactor::new(&c, false, false).redact("Ada at 555-123-4567");
        assert_eq!(text, format!("Ada at {TP}"));
    }
}
