//! Terminal escape injection: text from a user, a file or the environment (a note, a
//! name, `$USER` in the audit trail, an id or a file name quoted in an error) must never
//! reach the terminal as a control sequence. Hostile sequences are generated (each alone,
//! inside words, and in seeded random combinations), written into every field that takes
//! them, then every printing command is run and the raw bytes of standard output and
//! standard error are checked; `--json` must still give back the exact value.

mod common;

use std::process::Output;

use common::TestVault;

/// The sequences reviewers used, and their relatives.
const SEQUENCES: &[&str] = &[
    "\x1b[2K",                                               // CSI: erase the line
    "\x1b[1A",                                               // CSI: cursor up
    "\x1b]0;title\x07",                                      // OSC: retitle the window
    "\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\", // OSC 8 hyperlink
    "\u{9b}2K",                                              // C1 CSI
    "\u{9d}0;title\u{9c}",                                   // C1 OSC … ST
    "\u{85}",                                                // C1 NEL
    "\rforged over",                                         // carriage return rewriting a line
    "\x08\x08\x08\x08",                                      // backspaces
    "\x7f",                                                  // DEL
    "\u{202e}",                                              // RLO
    "\u{2066}x\u{2069}",                                     // LRI … PDI
    "\u{202a}\u{202b}\u{202c}\u{202d}",                      // LRE RLE PDF LRO
    "\u{200e}\u{200f}\u{61c}",                               // LRM RLM ALM
    "\u{2067}\u{2068}",                                      // RLI FSI
    "\x1b[8m",                                               // SGR: hidden text
    "\x07\x0b\x0c\x1c",                                      // BEL, VT, FF, FS
];

/// A line break that, in a one-line field, would forge a row of the audit log.
const FORGED_ROW: &str = "\n     9  2026-01-01 00:00:00 +00:00  dr-test  note.show";

/// Whether `c` may not appear in what casevault prints (line breaks and tabs aside).
fn forbidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t'))
        || matches!(
            c,
            '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// A small deterministic generator (xorshift), so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The payloads: each sequence inside a word, at the start and at the end, and seeded
/// random combinations of three sequences at random places.
fn payloads() -> Vec<String> {
    let mut all = Vec::new();
    for (i, s) in SEQUENCES.iter().enumerate() {
        all.push(match i % 3 {
            0 => format!("Ada{s}Quill"),
            1 => format!("{s}Ada Quill"),
            _ => format!("Ada Quill{s}"),
        });
    }
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    for _ in 0..3 {
        let mut p = String::from("Ben Ng");
        for _ in 0..3 {
            let s = SEQUENCES[rng.below(SEQUENCES.len())];
            let at = p
                .char_indices()
                .map(|(i, _)| i)
                .nth(rng.below(p.chars().count()))
                .unwrap_or(0);
            p.insert_str(at, s);
        }
        all.push(p);
    }
    all.push(format!("Cleo{FORGED_ROW}"));
    all
}

/// Checks a command's output; returns standard output as text.
fn check(what: &str, payload: &str, out: &Output) -> String {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        if let Some(c) = text.chars().find(|&c| forbidden(c)) {
            panic!(
                "`{what}` printed {c:?} on {stream} for payload {payload:?}:\n{}",
                text.escape_debug()
            );
        }
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `casevault ARGS` as `actor` with `stdin`; checks both streams.
fn run(v: &TestVault, actor: &str, payload: &str, args: &[&str], stdin: &str) -> Output {
    let out = v
        .cmd()
        .env("USER", actor)
        .args(args)
        .write_stdin(stdin.to_owned())
        .output()
        .expect("casevault runs");
    check(&args.join(" "), payload, &out);
    out
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// Counts of what the test did, for SECURITY.md and for a reader of the test's output.
#[derive(Default)]
struct Tally {
    commands: usize,
    stored: std::collections::BTreeMap<&'static str, usize>,
}

/// One payload, everywhere: returns how many commands ran.
fn scenario(payload: &str, tally: &mut Tally) {
    let (v, _) = TestVault::init();
    let actor = payload;
    let mut commands = 0;
    let mut go = |args: &[&str], stdin: &str| {
        commands += 1;
        run(&v, actor, payload, args, stdin)
    };
    let mut stored = |field: &'static str, ok: bool| {
        if ok {
            *tally.stored.entry(field).or_default() += 1;
        }
    };

    // A one-line field the library may refuse at input: then the refusal must be clean
    // and the plain value is used instead.
    let client_add = go(
        &[
            "client",
            "add",
            "--name",
            payload,
            "--contact",
            payload,
            "--third-party",
            payload,
        ],
        "",
    );
    stored(
        "client name, contact, third party",
        client_add.status.success(),
    );
    let client = if client_add.status.success() {
        String::from_utf8_lossy(&client_add.stdout)
            .trim()
            .to_owned()
    } else {
        let o = go(&["client", "add", "--name", "Ada Quill"], "");
        String::from_utf8_lossy(&o.stdout).trim().to_owned()
    };

    // Note text takes them: two lines, a CRLF, and the payload on each.
    let body =
        format!("First {payload} line.\r\nSecond line {payload}\n\n## risk\nNone {payload}.\n");
    let note = go(
        &["note", "add", "--client", &client, "--date", "2026-03-01"],
        &body,
    );
    assert!(
        note.status.success(),
        "note text with {payload:?} is refused: {}",
        String::from_utf8_lossy(&note.stderr)
    );
    stored("note text", true);
    let note = String::from_utf8_lossy(&note.stdout).trim().to_owned();
    go(&["note", "sign", &note], "");
    let addendum = format!("Addendum {payload}\n");
    let amended = go(&["note", "amend", &note], &addendum);
    stored("addendum text", amended.status.success());

    let consent = go(
        &[
            "consent",
            "add",
            "--client",
            &client,
            "--recipient",
            payload,
            "--organization",
            payload,
            "--signed-by",
            payload,
            "--purpose",
            "treatment",
            "--allow",
            "progress,risk",
            "--expires",
            "2099-12-31",
        ],
        "",
    );
    stored(
        "recipient, organization, signed-by",
        consent.status.success(),
    );
    let (recipient, consent) = if consent.status.success() {
        (
            payload,
            String::from_utf8_lossy(&consent.stdout).trim().to_owned(),
        )
    } else {
        let o = go(
            &[
                "consent",
                "add",
                "--client",
                &client,
                "--recipient",
                "Dr Osei",
                "--purpose",
                "treatment",
                "--allow",
                "progress,risk",
                "--expires",
                "2099-12-31",
            ],
            "",
        );
        (
            "Dr Osei",
            String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        )
    };

    let out_dir = v.dir.path().join("exports");
    std::fs::create_dir_all(&out_dir).expect("exports directory");
    let export = out_dir.join("consent.md");
    let export = export.to_str().expect("UTF-8 path");
    go(
        &[
            "disclose",
            "--client",
            &client,
            "--to",
            recipient,
            "--purpose",
            "treatment",
            "--categories",
            "progress",
            "--out",
            export,
            "--write-plaintext",
        ],
        "",
    );
    // An exception whose justification and reference carry the payload.
    let export2 = out_dir.join("emergency.md");
    let export2 = export2.to_str().expect("UTF-8 path");
    let exception = go(
        &[
            "disclose",
            "--client",
            &client,
            "--to",
            payload,
            "--purpose",
            "treatment",
            "--categories",
            "risk",
            "--exception",
            "emergency",
            "--justification",
            payload,
            "--reference",
            payload,
            "--out",
            export2,
            "--write-plaintext",
        ],
        "",
    );
    stored(
        "justification, reference (disclose)",
        exception.status.success(),
    );
    // Dry runs and denials print the decision with the recipient and the basis.
    go(
        &[
            "disclose",
            "--client",
            &client,
            "--to",
            payload,
            "--purpose",
            "treatment",
            "--categories",
            "progress,psychotherapy-notes",
            "--dry-run",
        ],
        "",
    );
    go(
        &[
            "disclose",
            "--client",
            &client,
            "--to",
            payload,
            "--purpose",
            "treatment",
            "--categories",
            "risk",
            "--exception",
            "emergency",
            "--justification",
            payload,
            "--reference",
            payload,
            "--dry-run",
        ],
        "",
    );
    go(
        &[
            "intake",
            "--client",
            &client,
            "--acknowledged-on",
            "2026-01-01",
        ],
        "",
    );

    // Every printing command, for people and as JSON.
    let word = if payload.contains("Ben") {
        "Ben"
    } else {
        "line"
    };
    let reads: Vec<Vec<&str>> = vec![
        vec!["client", "list"],
        vec!["client", "show", &client],
        vec!["note", "show", &note],
        vec!["note", "show", &note, "--version", "1"],
        vec!["note", "list", "--client", &client],
        vec!["consent", "list", "--client", &client],
        vec!["consent", "show", &consent],
        vec!["consent", "show", &consent, "--fhir"],
        vec!["accounting", "--client", &client],
        vec!["accounting", "--client", &client, "--fhir"],
        vec!["audit", "log"],
        vec!["audit", "log", "--fhir"],
        vec!["audit", "verify"],
        vec!["search", "--client", &client, word],
        vec!["policy", "show"],
    ];
    for args in &reads {
        let o = go(args, "");
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        if !args.contains(&"--fhir") {
            let mut with_json = args.clone();
            with_json.push("--json");
            go(&with_json, "");
        }
    }
    go(&["consent", "revoke", &consent, "--on", "2026-06-01"], "");

    // JSON gives back the exact values.
    let shown = json(&run(
        &v,
        actor,
        payload,
        &["note", "show", &note, "--json"],
        "",
    ));
    assert_eq!(
        shown["body"].as_str(),
        Some(body.as_str()),
        "note body as JSON"
    );
    let events = json(&run(&v, actor, payload, &["audit", "log", "--json"], ""));
    let events = events.as_array().expect("events");
    assert!(
        events
            .iter()
            .skip(1)
            .all(|e| e["actor"].as_str() == Some(actor)),
        "the actor as JSON"
    );
    stored("actor ($USER)", true);
    if client_add.status.success() {
        let c = json(&run(
            &v,
            actor,
            payload,
            &["client", "show", &client, "--json"],
            "",
        ));
        // Names are stored trimmed (a leading carriage return is white space).
        assert_eq!(
            c["name"].as_str(),
            Some(payload.trim()),
            "client name as JSON"
        );
        assert_eq!(c["contact"].as_str(), Some(payload), "contact as JSON");
    }

    // One line per event, whatever the actor holds: no row forged. (The second
    // command also lists the first one's own event.)
    let log = run(&v, actor, payload, &["audit", "log"], "");
    let rows = String::from_utf8_lossy(&log.stdout).lines().count();
    let events = json(&run(&v, actor, payload, &["audit", "log", "--json"], ""));
    assert_eq!(
        rows + 1,
        events.as_array().map_or(0, Vec::len),
        "audit log rows for actor {actor:?}"
    );
    // The note's lines stay lines; the carriage return before a line break is dropped.
    let shown = run(&v, actor, payload, &["note", "show", &note], "");
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.lines().any(|l| l.starts_with("Second line ")),
        "{shown}"
    );

    tally.commands += commands + 6;
}

#[test]
fn hostile_text_in_the_vault_is_printed_escaped_and_exact_as_json() {
    let payloads = payloads();
    // Two workers: each payload has a vault of its own.
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|w| {
                let payloads = &payloads;
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    for p in payloads.iter().skip(w).step_by(2) {
                        scenario(p, &mut tally);
                    }
                    tally
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a worker panicked"))
            .collect()
    });
    let mut tally = Tally::default();
    for t in tallies {
        tally.commands += t.commands;
        for (field, n) in t.stored {
            *tally.stored.entry(field).or_default() += n;
        }
    }
    eprintln!(
        "{} payloads, {} commands; stored hostile: {:?}",
        payloads.len(),
        tally.commands,
        tally.stored
    );
    assert_eq!(tally.stored["note text"], payloads.len());
    assert_eq!(tally.stored["actor ($USER)"], payloads.len());
}

#[test]
fn hostile_ids_and_file_names_in_errors_are_printed_escaped() {
    let (v, _) = TestVault::init();
    // Named unlike the payloads: a client may be named by words of their name, and
    // "Ada\u{200e}Quill" is "Ada Quill" to a reader (invisible characters do not count).
    let client = v.add_client("Zed Other", &[]);
    let payloads = payloads();
    let mut commands = 0;
    for p in &payloads {
        let missing = v.dir.path().join(format!("no-such-{p}.md"));
        let missing = missing.to_str().expect("UTF-8 path");
        let missing_dir = v.dir.path().join(format!("no-dir-{p}")).join("out.md");
        let missing_dir = missing_dir.to_str().expect("UTF-8 path");
        let vault = v.dir.path().join(format!("missing-{p}.casevault"));
        let vault = vault.to_str().expect("UTF-8 path");
        let cases: Vec<Vec<&str>> = vec![
            vec!["client", "show", p],
            vec!["note", "show", p],
            vec!["consent", "show", p],
            vec!["note", "list", "--client", p],
            vec![
                "note",
                "add",
                "--client",
                &client,
                "--date",
                "2026-03-01",
                "--file",
                missing,
            ],
            vec!["note", "edit", p, "--file", missing],
            vec!["policy", "set", missing],
            vec![
                "disclose",
                "--client",
                &client,
                "--to",
                "Dr Osei",
                "--purpose",
                "treatment",
                "--categories",
                "progress",
                "--out",
                missing_dir,
                "--write-plaintext",
            ],
            vec![
                "disclose",
                "--client",
                &client,
                "--to",
                "Dr Osei",
                "--purpose",
                "treatment",
                "--categories",
                "progress",
                "--exception",
                "emergency",
                "--justification-file",
                missing,
                "--dry-run",
            ],
            vec!["--vault", vault, "client", "list"],
        ];
        for args in &cases {
            for json in [false, true] {
                let mut args = args.clone();
                if json {
                    args.push("--json");
                }
                let out = run(&v, "dr-test", p, &args, "");
                assert!(!out.status.success(), "{args:?} succeeded");
                assert!(!out.stderr.is_empty(), "{args:?} said nothing");
                commands += 1;
            }
        }
    }
    eprintln!("{} payloads, {commands} failing commands", payloads.len());
}
