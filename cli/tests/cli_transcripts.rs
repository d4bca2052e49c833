//! CLI transcripts: `tests/cmd/*.md` hold commands and their exact output (every
//! command's `--help`, and the main errors a user meets, with their exit codes).
//! After a deliberate change to the CLI's text, regenerate them with
//! `TRYCMD=overwrite cargo test --test cli_transcripts` and review the diff.

#[test]
fn cli_transcripts() {
    trycmd::TestCases::new()
        .register_bin("casevault", trycmd::cargo::cargo_bin!("casevault"))
        .env(
            "CASEVAULT_VAULT",
            "/nonexistent/casevault-transcripts.casevault",
        )
        .env("CASEVAULT_PASSPHRASE", "correct horse battery staple")
        .case("tests/cmd/*.md");
}
