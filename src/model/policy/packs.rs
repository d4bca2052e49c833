//! The jurisdiction packs shipped in the binary: each a policy file stating one
//! place's law, every rule and exception with its citation (docs/POLICIES.md says
//! what each decides and what it leaves out).

/// A built-in pack.
#[derive(Clone, Copy, Debug)]
pub struct Pack {
    /// Its name, as `casevault policy use` takes it.
    pub id: &'static str,
    /// Its TOML text.
    pub text: &'static str,
}

/// Every pack, the federal baseline before the states that extend it.
pub const PACKS: &[Pack] = &[
    Pack {
        id: "us-federal",
        text: include_str!("packs/us-federal.toml"),
    },
    Pack {
        id: "us-ca",
        text: include_str!("packs/us-ca.toml"),
    },
    Pack {
        id: "us-ny",
        text: include_str!("packs/us-ny.toml"),
    },
    Pack {
        id: "us-tx",
        text: include_str!("packs/us-tx.toml"),
    },
    Pack {
        id: "us-fl",
        text: include_str!("packs/us-fl.toml"),
    },
    Pack {
        id: "us-il",
        text: include_str!("packs/us-il.toml"),
    },
    Pack {
        id: "us-wa",
        text: include_str!("packs/us-wa.toml"),
    },
    Pack {
        id: "ca-on",
        text: include_str!("packs/ca-on.toml"),
    },
    Pack {
        id: "uk",
        text: include_str!("packs/uk.toml"),
    },
    Pack {
        id: "au",
        text: include_str!("packs/au.toml"),
    },
];

/// The text of the pack called `id`.
pub fn text(id: &str) -> Option<&'static str> {
    PACKS.iter().find(|p| p.id == id).map(|p| p.text)
}

/// The packs' names, in order.
pub fn ids() -> Vec<&'static str> {
    PACKS.iter().map(|p| p.id).collect()
}
