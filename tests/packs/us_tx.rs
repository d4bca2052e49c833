//! us-tx: the pack's table (to be written).

use crate::{case, run};

const P: &str = "us-tx";

#[test]
fn table() {
    run(P, vec![case(P, "placeholder 1")]);
}
