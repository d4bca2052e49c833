//! Which profile entries a text may mention, found in one pass: an Aho-Corasick
//! automaton over every matcher's literals, run on the text's letters and digits
//! (`names::squeeze`). Only the matchers it points to run their patterns, so a
//! profile of a thousand names costs one pass over the text and the few patterns of
//! the names it holds, not a thousand patterns.
//!
//! It never decides what is a name: it only rules out matchers whose every match
//! would hold a literal the text lacks. The patterns decide, as they did alone.

use aho_corasick::AhoCorasick;

use super::names::{Matcher, Unbuildable, squeeze};

/// The automaton, and for each of its literals the matchers holding it.
#[derive(Clone, Default)]
pub(super) struct Index {
    automaton: Option<AhoCorasick>,
    /// By literal, the indices of the matchers that hold it.
    owners: Vec<Vec<usize>>,
    /// Matchers with an empty literal: they run on every text.
    always: Vec<usize>,
    matchers: usize,
}

impl Index {
    /// Indexes `matchers`' literals. `Unbuildable` if the automaton cannot be built
    /// (more states than it can number).
    pub(super) fn new(matchers: &[Matcher]) -> Result<Index, Unbuildable> {
        let mut literals: Vec<(&str, usize)> = Vec::new();
        let mut always = Vec::new();
        for (i, matcher) in matchers.iter().enumerate() {
            for literal in &matcher.literals {
                if literal.is_empty() {
                    always.push(i);
                } else {
                    literals.push((literal, i));
                }
            }
        }
        literals.sort_unstable();
        let mut patterns: Vec<&str> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        for (literal, i) in literals {
            match (patterns.last(), owners.last_mut()) {
                (Some(&last), Some(owner)) if last == literal => owner.push(i),
                _ => {
                    patterns.push(literal);
                    owners.push(vec![i]);
                }
            }
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(AhoCorasick::new(&patterns).map_err(|_| Unbuildable)?)
        };
        Ok(Index {
            automaton,
            owners,
            always,
            matchers: matchers.len(),
        })
    }

    /// The indices of the matchers that may match `folded`, in increasing order.
    pub(super) fn mentioned(&self, folded: &str) -> impl Iterator<Item = usize> + use<> {
        let mut wanted = vec![false; self.matchers];
        for &i in &self.always {
            wanted[i] = true;
        }
        if let Some(automaton) = &self.automaton {
            let squeezed = squeeze(folded);
            for found in automaton.find_overlapping_iter(&squeezed) {
                for &i in &self.owners[found.pattern().as_usize()] {
                    wanted[i] = true;
                }
            }
        }
        wanted
            .into_iter()
            .enumerate()
            .filter_map(|(i, wanted)| wanted.then_some(i))
    }
}
