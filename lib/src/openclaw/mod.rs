//! OpenClaw integration: skillsig as OpenClaw's install gate, a load-time gate for what the
//! install hook never sees, and declared permissions compiled into OpenClaw's own controls.
//!
//! - [`protocol`]: the `security.installPolicy` exec protocol (request in, answer out) and
//!   fitting an answer into OpenClaw's limits.
//! - [`answer`]: the decision table, from the one decision entry point's verdict on the staged
//!   folder to `allow` / `warn` / `block`.
//! - [`roots`]: where OpenClaw loads Skills from, their names and config keys, and shadowing.
//! - [`gate`]: turning Skills off and back on through `skills.entries.<key>.enabled`, with a
//!   record that undoes it exactly.
//! - [`permissions`]: declared permissions into exec approvals, sandbox settings and env names.
//!
//! Nothing here runs OpenClaw or writes its files; the command does that through `openclaw`
//! itself, so OpenClaw validates every change.

pub mod answer;
pub mod gate;
pub mod permissions;
pub mod protocol;
pub mod roots;
