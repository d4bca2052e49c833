//! Categories: the sensitivity classes that note sections carry.

/// The default policy's categories (BRIEF §2), in the order they are listed.
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
