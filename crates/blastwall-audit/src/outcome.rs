//! What a failed record does to a decision, the same for every door.
//!
//! A decision is recorded before the door answers. If the record cannot be written, a deny stays
//! a deny and an ask stays an ask; an allow of anything beyond a read becomes an ask, because an
//! unrecorded change is exactly what the log exists to prevent. A read stays allowed and the
//! door reports the failure to the operator.

use blastwall_core::{Decision, Effect};

use crate::record::Receipt;

/// The decision to answer with after trying to record it.
pub fn after_recording<E: std::fmt::Display>(
    decision: Decision,
    effect: Effect,
    recorded: &Result<Receipt, E>,
) -> (Decision, Option<String>) {
    match recorded {
        Ok(_) => (decision, None),
        Err(why) if decision == Decision::Allow && effect > Effect::Read => (
            Decision::Ask,
            Some(format!(
                "blastwall could not record this decision in its audit log, so a human must approve it: {why}"
            )),
        ),
        Err(_) => (decision, None),
    }
}
