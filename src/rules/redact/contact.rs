//! A contact field, split into the pieces that are its owner's and the pieces that are
//! someone else's: "555-123-4567; Emergency: Ben Quill (partner) 555-0199" holds the
//! client's phone and her partner's name and phone. It fails closed: a piece is its
//! owner's only when it is clearly so, that is, when nothing is left of it once its
//! phone numbers, e-mail and street addresses, its owner's name and labels such as
//! "mobile" or "apt" are taken away.

use std::sync::LazyLock;

use regex::Regex;

use super::names;
use super::patterns;
use crate::base::fold::fold;

/// Words that say what follows is another person's: a relationship or a contact
/// person ("Emergency: …", "c/o …", "next of kin …", "(partner)").
const ANOTHER_PERSON: &str = r"\b(?:emergency|ice|contact|contacts|next of kin|nok|kin|c/o|care of|attn|attention|partner|spouse|husband|wife|fiance|fiancee|boyfriend|girlfriend|mother|mom|mum|mama|father|dad|papa|parent|parents|guardian|son|daughter|child|children|brother|sister|sibling|aunt|uncle|cousin|grandmother|grandfather|grandma|grandpa|granny|niece|nephew|friend|neighbor|neighbour|roommate|flatmate|housemate|carer|caregiver|caseworker|social worker|employer|boss|landlord|landlady|relative|family)\b";

/// Words of a contact that name no one: what a piece is, not whose.
const LABELS: &[&str] = &[
    "phone",
    "tel",
    "telephone",
    "mobile",
    "mob",
    "cell",
    "cellphone",
    "home",
    "work",
    "office",
    "landline",
    "email",
    "e",
    "mail",
    "address",
    "addr",
    "apt",
    "apartment",
    "flat",
    "unit",
    "suite",
    "ste",
    "floor",
    "po",
    "box",
    "fax",
    "text",
    "sms",
    "call",
    "or",
    "and",
    "at",
    "via",
    "the",
    "of",
    "no",
    "number",
    "nr",
    "ext",
    "x",
    "main",
    "primary",
    "personal",
    "private",
    "whatsapp",
    "signal",
    "care",
    "next",
    "in",
    "case",
    "if",
    "to",
    "for",
    "on",
    "is",
    "my",
    "street",
    "st",
    "avenue",
    "ave",
    "road",
    "rd",
    "lane",
    "ln",
    "drive",
    "dr",
    "boulevard",
    "blvd",
    "way",
    "court",
    "ct",
    "place",
    "pl",
    "terrace",
    "close",
    "square",
];

static RELATIONSHIP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(ANOTHER_PERSON).expect("a constant pattern, compiled by every test run")
});

/// One piece of a contact field.
pub(super) struct Piece<'a> {
    /// The piece as written.
    pub(super) text: &'a str,
    /// Not clearly its owner's: someone else's, or in doubt.
    pub(super) someone_elses: bool,
    /// What is left of it once identifiers, the owner's name and labels are taken
    /// away, folded: the names of whoever it is (empty for a clear piece).
    pub(super) names: String,
    /// The same with the owner's name left in ("ben quill" where the client is a
    /// Quill too): what a release of the person's name is compared with.
    pub(super) full_name: String,
}

/// The pieces of `contact` (split at commas, semicolons, bars and line breaks) of a
/// person called `owner`, whose profile lists `third_parties`. Every piece from the
/// first that introduces another person onward is someone else's, as is any piece
/// naming one of `third_parties`, and any piece with words left that no label explains.
pub(super) fn pieces<'a>(
    contact: &'a str,
    owner: &str,
    third_parties: &[String],
) -> Vec<Piece<'a>> {
    let owner_parts = names::name_parts(owner);
    let others_parts: Vec<String> = third_parties
        .iter()
        .flat_map(|name| names::name_parts(name))
        .collect();
    let mut introduced = false;
    contact
        .split([',', ';', '\n', '|'])
        .map(|text| {
            let folded = fold(text);
            introduced |= RELATIONSHIP.is_match(&folded) || names_someone_in_parentheses(text);
            let words = names::words(&without_identifiers(text));
            let names_a_third_party = words
                .iter()
                .any(|w| others_parts.contains(w) && !owner_parts.contains(w));
            let named: Vec<String> = words
                .into_iter()
                .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
                .filter(|w| !w.chars().any(|c| c.is_ascii_digit()))
                .filter(|w| !LABELS.contains(&w.as_str()) && !RELATIONSHIP.is_match(w))
                .collect();
            let left: Vec<&str> = named
                .iter()
                .filter(|w| !owner_parts.contains(w))
                .map(String::as_str)
                .collect();
            Piece {
                text,
                someone_elses: introduced || names_a_third_party || !left.is_empty(),
                names: left.join(" "),
                full_name: named.join(" "),
            }
        })
        .collect()
}

/// Runs of digits with their separators, of seven digits or more ("555-0199"): numbers
/// too short for a phone shape that still reach a person.
pub(super) fn numbers(piece: &str) -> Vec<&str> {
    static RUN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\+?\(?\d(?:[\d().\s\p{Pd}]*\d)?")
            .expect("a constant pattern, compiled by every test run")
    });
    RUN.find_iter(piece)
        .map(|m| m.as_str())
        .filter(|run| run.chars().filter(char::is_ascii_digit).count() >= 7)
        .collect()
}

/// A remark in parentheses with a word no label explains ("(Ben)", "(his mum)").
fn names_someone_in_parentheses(text: &str) -> bool {
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        let inside = &rest[open + 1..];
        let close = inside.find(')').unwrap_or(inside.len());
        let someone = names::words(&inside[..close]).iter().any(|w| {
            w.chars().any(char::is_alphabetic)
                && !w.chars().any(|c| c.is_ascii_digit())
                && !LABELS.contains(&w.as_str())
        });
        if someone {
            return true;
        }
        rest = &inside[close..];
    }
    false
}

/// `text` with its phone numbers, e-mail and street addresses blanked out.
fn without_identifiers(text: &str) -> String {
    let mut kept = text.to_owned();
    let mut hits = patterns::identifiers(text);
    hits.sort_by_key(|h| std::cmp::Reverse(h.start));
    for hit in hits {
        let end = hit.end.min(kept.len());
        if hit.start < end && kept.is_char_boundary(hit.start) && kept.is_char_boundary(end) {
            kept.replace_range(hit.start..end, " ");
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(contact: &str, third_parties: &[&str]) -> Vec<(String, bool, String)> {
        let third_parties: Vec<String> = third_parties.iter().map(|&s| s.into()).collect();
        pieces(contact, "Ada Quill", &third_parties)
            .into_iter()
            .map(|p| (p.text.trim().to_owned(), p.someone_elses, p.names))
            .collect()
    }

    #[test]
    fn the_clients_own_pieces_are_hers() {
        for contact in [
            "+1 555-123-4567, ada@example.org; 12 Elm St.",
            "mobile: 555-123-4567 | home (555) 987-6543",
            "Ada Quill, Flat 3, 12 Elm Street",
        ] {
            assert!(
                split(contact, &[]).iter().all(|(_, others, _)| !others),
                "{contact}: {:?}",
                split(contact, &[])
            );
        }
    }

    #[test]
    fn everything_after_another_person_is_theirs() {
        let pieces = split(
            "555-123-4567; Emergency: Ben Quill (partner) 555-0199, ben@example.org",
            &[],
        );
        assert!(!pieces[0].1);
        assert!(pieces[1].1 && pieces[2].1, "{pieces:?}");
        assert_eq!(pieces[1].2, "ben");
        for contact in [
            "c/o Mary Smith, 4 Oak Road",
            "next of kin: 555-0199",
            "555-0199 (Mia)",
            "Mia Lund 555-0199",
        ] {
            assert!(split(contact, &[])[0].1, "{contact}");
        }
    }

    #[test]
    fn a_listed_third_party_makes_a_piece_theirs() {
        let pieces = split("ada@example.org, Ben 555-0199", &["Ben Quill (partner)"]);
        assert!(!pieces[0].1);
        assert!(pieces[1].1);
    }

    #[test]
    fn number_runs() {
        assert_eq!(
            numbers("Ben 555-0199 or +44 (0)20 7946 0958, flat 3"),
            ["555-0199", "+44 (0)20 7946 0958"]
        );
    }
}
