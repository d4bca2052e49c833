//! Categories: the sensitivity classes that note sections carry.

/// The built-in policy's categories, in the order `src/model/policy/default.toml`
/// lists them.
pub const DEFAULT_CATEGORIES: &[&str] = &[
    "identity",
    "attendance",
    "diagnosis",
    "treatment-plan",
    "progress",
    "medication",
    "risk",
    "psychotherapy-notes",
    "substance-use",
    "sexual-health",
    "third-party",
];

/// The category of text written before any `## <category>` heading.
pub const UNHEADED_CATEGORY: &str = "progress";
