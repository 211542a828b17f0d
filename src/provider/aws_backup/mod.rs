//! AWS Backup: the backup, copy and restore jobs of an account (or organization) in one
//! region (`docs/providers.md` "AWS Backup"). The unit is the target itself.

#[allow(dead_code, reason = "the client that uses it follows")]
pub(crate) mod credentials;
