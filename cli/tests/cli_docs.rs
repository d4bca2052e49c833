//! Shell completions and manual pages, generated from the argument definitions.

mod common;

use common::TestVault;

#[test]
fn completion_scripts_name_the_commands_for_each_shell() {
    let v = TestVault::empty();
    for (shell, marker) in [
        ("bash", "_casevault()"),
        ("zsh", "#compdef casevault"),
        ("fish", "complete -c casevault"),
    ] {
        let script = v.ok(&["completions", shell]);
        assert!(script.contains(marker), "{shell}: {script:.200}");
        for command in ["disclose", "accounting", "import", "--dry-run"] {
            assert!(script.contains(command), "{shell} script lacks {command}");
        }
    }
    // No vault is needed, and none is created.
    assert!(!v.path.exists());
    let out = v.cmd().args(["completions", "tcsh"]).assert().code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("possible values"));
}

#[test]
fn the_manual_page_is_roff_and_one_page_per_command_can_be_written() {
    let v = TestVault::empty();
    let page = v.ok(&["man"]);
    assert!(page.contains(".TH casevault 1"), "{page:.300}");
    assert!(page.contains("disclose"), "the page lists the commands");

    let dir = v.dir.path().join("man1");
    let said = v.ok(&["man", "--dir", dir.to_str().unwrap()]);
    assert!(said.contains("manual pages written"), "{said}");
    for page in [
        "casevault.1",
        "casevault-note-add.1",
        "casevault-disclose.1",
        "casevault-audit-verify.1",
    ] {
        let text =
            std::fs::read_to_string(dir.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page}");
    }
    let note_add = std::fs::read_to_string(dir.join("casevault-note-add.1")).unwrap();
    assert!(
        note_add.contains("Examples"),
        "the examples are in the page"
    );
}

#[test]
fn every_command_shows_an_example_in_its_help() {
    let v = TestVault::empty();
    for command in [
        &["note", "add"][..],
        &["disclose"],
        &["consent", "add"],
        &["audit", "verify"],
        &["backup"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let help = v.ok(&args);
        let examples = help
            .split("Examples:")
            .nth(1)
            .unwrap_or_else(|| panic!("{command:?}: {help}"));
        assert!(
            examples.contains(&format!("casevault {}", command.join(" "))),
            "{command:?}: {examples}"
        );
    }
}
