//! A vault copied to a new place (`migrate --to`): a new file or an empty database,
//! made, filled and checked ([`super::transfer`]), or removed again if that fails.

use super::transfer::{Copied, copy_into};
use super::{Backend, Location, StoreError};

type Result<T> = std::result::Result<T, StoreError>;

/// Copies the vault `from` into a new vault at `to` (a file that does not exist, or
/// an empty database), then reads the new one back and checks that it holds exactly
/// what the source held.
pub(crate) fn copy_vault(from: &mut dyn Backend, to: &Location) -> Result<Copied> {
    let mut dest = super::open::create(to)?;
    let result = copy_into(from, &mut *dest);
    if result.is_err() {
        // Nothing half-copied stays behind to block a retry.
        let _ = dest.discard();
    }
    result
}
