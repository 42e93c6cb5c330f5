//! Fixed lists of phrases searched in text with one pass per text instead of one search per
//! phrase: an Aho-Corasick automaton per list, built the first time the list is used.
//!
//! The rules that judge prose look for dozens of cue phrases in every step; searching each
//! phrase on its own costs a searcher set-up and a scan per phrase, which was the largest
//! part of reading prose.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

/// A static list of phrases.
pub(crate) struct Phrases {
    list: &'static [&'static str],
    ignore_case: bool,
    automaton: OnceLock<AhoCorasick>,
}

impl Phrases {
    /// Phrases matched as written (callers lowercase the text first).
    pub const fn new(list: &'static [&'static str]) -> Phrases {
        Phrases {
            list,
            ignore_case: false,
            automaton: OnceLock::new(),
        }
    }

    /// Phrases matched ignoring ASCII case.
    pub const fn ignoring_case(list: &'static [&'static str]) -> Phrases {
        Phrases {
            list,
            ignore_case: true,
            automaton: OnceLock::new(),
        }
    }

    fn automaton(&self) -> &AhoCorasick {
        self.automaton.get_or_init(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(self.ignore_case)
                .build(self.list)
                .expect("static phrases build")
        })
    }

    /// The first phrase of the list (in list order, not text order) that `hay` contains.
    pub fn first_in_list(&self, hay: &str) -> Option<&'static str> {
        self.automaton()
            .find_overlapping_iter(hay)
            .map(|m| m.pattern().as_usize())
            .min()
            .map(|pattern| self.list[pattern])
    }

    /// Whether `hay` contains any of the phrases.
    pub fn any(&self, hay: &str) -> bool {
        self.automaton().is_match(hay)
    }

    /// Every occurrence of every phrase, overlapping ones included, as (phrase, start), in
    /// order of where they end.
    pub fn find_all<'h>(
        &'h self,
        hay: &'h str,
    ) -> impl Iterator<Item = (&'static str, usize)> + 'h {
        self.automaton()
            .find_overlapping_iter(hay)
            .map(|m| (self.list[m.pattern().as_usize()], m.start()))
    }

    /// Every occurrence as [`Phrases::find_all`] finds them, sorted the way a search phrase
    /// by phrase would meet them: by the phrase's place in the list, then by position.
    pub fn find_all_in_list_order(&self, hay: &str) -> Vec<(&'static str, usize)> {
        let mut found: Vec<(usize, usize)> = self
            .automaton()
            .find_overlapping_iter(hay)
            .map(|m| (m.pattern().as_usize(), m.start()))
            .collect();
        found.sort_unstable();
        found
            .into_iter()
            .map(|(pattern, at)| (self.list[pattern], at))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static WORDS: Phrases = Phrases::new(&["run ", "run it", "execute", "cute"]);

    #[test]
    fn finds_every_occurrence_overlapping_ones_included() {
        let mut found: Vec<_> = WORDS.find_all("run it, then execute").collect();
        found.sort_by_key(|&(word, at)| (at, word));
        assert_eq!(
            found,
            [("run ", 0), ("run it", 0), ("execute", 13), ("cute", 16)]
        );
        assert!(WORDS.any("please execute"));
        assert_eq!(WORDS.first_in_list("execute, then run it"), Some("run "));
        assert_eq!(WORDS.first_in_list("RUN IT"), None);
        static PATHS: Phrases = Phrases::ignoring_case(&["/.ssh/", "/.aws/"]);
        assert_eq!(PATHS.first_in_list("~/.AWS/credentials"), Some("/.aws/"));
        assert!(!WORDS.any("nothing to do here"));
        assert_eq!(WORDS.find_all("").count(), 0);
    }

    #[test]
    fn list_order_is_the_order_of_a_search_phrase_by_phrase() {
        assert_eq!(
            WORDS.find_all_in_list_order("execute, run it, run x"),
            [
                ("run ", 9),
                ("run ", 17),
                ("run it", 9),
                ("execute", 0),
                ("cute", 3)
            ]
        );
    }
}
