mod common;
use common::TestVault;

#[test]
fn init_add_show() {
    let (v, code) = TestVault::init();
    assert_eq!(code.len(), 39);
    let c = v.add_client("Ada Example", &["Ben Example"]);
    let n = v.add_note(&c, "2026-03-01", "Hello\n## risk\nnone\n");
    let shown = v.ok(&["note", "show", &n]);
    assert!(shown.contains("Hello"), "{shown}");
}
