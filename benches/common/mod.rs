//! Synthetic session notes for the benchmarks: deterministic, realistic-looking text of
//! about 2 KiB, in the style of `bench/gen_notes.py` (which `bench/compare.sh` uses).

#![allow(dead_code)] // each bench uses part of it

const OPENERS: &[&str] = &[
    "Client arrived on time and was appropriately dressed.",
    "Session held by video; connection was stable throughout.",
    "Client presented with flat affect and spoke softly for the first half of the session.",
    "Client was talkative and engaged, with a bright affect.",
];
const SUBJECTS: &[&str] = &["Client", "She", "He", "They", "The client"];
const VERBS: &[&str] = &[
    "reported",
    "described",
    "discussed",
    "reflected on",
    "returned to",
    "acknowledged",
    "explored",
    "expressed frustration about",
    "noted improvement in",
];
const TOPICS: &[&str] = &[
    "sleep over the past week",
    "conflict with a coworker about deadlines",
    "the argument with their partner on Sunday",
    "worry about the upcoming move",
    "feeling overwhelmed at work",
    "a panic episode on the train",
    "irritability in the mornings",
    "difficulty concentrating when reading",
    "the relationship with their teenage son",
    "guilt about taking time off",
    "avoidance of phone calls",
    "rumination before bed",
];
const CLINICIAN: &[&str] = &[
    "Therapist reflected the pattern of avoidance and its short-term relief.",
    "We reviewed the cognitive model and identified two automatic thoughts.",
    "Practiced paced breathing in session; client rated distress from 6 to 3.",
    "Validated the grief and normalized the waves of sadness.",
    "Discussed sleep hygiene: fixed wake time, no screens after ten.",
    "Role-played the conversation with the manager.",
];
const TAIL: &str = "## risk\nDenies suicidal ideation, intent or plan. Protective factors: children, work.\n\n\
## treatment-plan\nContinue weekly CBT. Homework: thought record three times this week.\n";

/// The word that one note in 20 holds (see [`note_body`]).
pub const RARE_WORD: &str = "insomnia";

/// A small deterministic generator (xorshift64*), so runs compare like with like.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Note `index`'s body: at most `size` bytes of prose in paragraphs, then a `risk` and a
/// `treatment-plan` section. Every 20th note mentions [`RARE_WORD`].
pub fn note_body(rng: &mut Rng, index: usize, size: usize) -> String {
    let mut text = String::with_capacity(size);
    text.push_str(rng.pick(OPENERS));
    text.push_str("\n\n");
    if index.is_multiple_of(20) {
        text.push_str("Client reported ");
        text.push_str(RARE_WORD);
        text.push_str(" most nights, waking at four. ");
    }
    let budget = size.saturating_sub(TAIL.len() + 2);
    let mut in_paragraph = 0;
    loop {
        let sentence = if rng.below(10) < 3 {
            rng.pick(CLINICIAN).to_owned()
        } else {
            format!(
                "{} {} {}.",
                rng.pick(SUBJECTS),
                rng.pick(VERBS),
                rng.pick(TOPICS)
            )
        };
        if text.len() + sentence.len() + 2 > budget {
            break;
        }
        text.push_str(&sentence);
        in_paragraph += 1;
        if in_paragraph == 5 {
            text.push_str("\n\n");
            in_paragraph = 0;
        } else {
            text.push(' ');
        }
    }
    text.push_str("\n\n");
    text.push_str(TAIL);
    text
}

/// `count` note files (`note-000000.md`, …) with front matter `date:` in `dir`.
pub fn write_note_files(dir: &std::path::Path, count: usize, seed: u64) {
    let mut rng = Rng::new(seed);
    let start = time::macros::date!(2015 - 01 - 05);
    for i in 0..count {
        let date = start + time::Duration::days((i / 3) as i64);
        let body = note_body(&mut rng, i, 2048);
        let text = format!(
            "---\ndate: {:04}-{:02}-{:02}\n---\n{body}",
            date.year(),
            u8::from(date.month()),
            date.day()
        );
        std::fs::write(dir.join(format!("note-{i:06}.md")), text).expect("write a note file");
    }
}
