//! uk: the pack's table (to be written).

use crate::{case, run};

const P: &str = "uk";

#[test]
fn table() {
    run(P, vec![case(P, "placeholder 1")]);
}
