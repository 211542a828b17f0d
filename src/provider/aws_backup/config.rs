//! The keys of an `aws_backup` target: the region, the job lists polled, the list filters and
//! `auth:` (read by `credentials`).

use serde::Deserialize;

use super::credentials::{Auth, AuthFile};
use crate::config::de::{Entries, Val, fields_of};
use crate::config::keys::TargetCx;
use crate::config::value::{NonEmpty, Span};
use crate::provider::plugin::Keys;

/// An AWS Backup target's own keys as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct File {
    region: Val<NonEmpty>,
    job_types: Val<Vec<Val<NonEmpty>>>,
    filters: Val<FiltersFile>,
    auth: Val<AuthFile>,
    expected_intervals: Val<Entries<Span>>,
}

/// `filters:` as written: the query members of the job lists a target may narrow them by,
/// under their API names.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FiltersFile {
    #[serde(rename = "backupVaultName")]
    backup_vault_name: Val<NonEmpty>,
    #[serde(rename = "resourceType")]
    resource_type: Val<NonEmpty>,
    #[serde(rename = "accountId")]
    account_id: Val<NonEmpty>,
}

/// The three job lists of AWS Backup, each a unit of the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum JobList {
    /// `ListBackupJobs` (`GET /backup-jobs/`), task type `backup`.
    Backup,
    /// `ListCopyJobs` (`GET /copy-jobs/`), task type `copy`.
    Copy,
    /// `ListRestoreJobs` (`GET /restore-jobs/`), task type `restore`.
    Restore,
}

impl JobList {
    /// Every list, in polling order.
    pub const ALL: [JobList; 3] = [JobList::Backup, JobList::Copy, JobList::Restore];

    /// The unit name and task type: `backup`, `copy`, `restore`.
    pub const fn name(self) -> &'static str {
        match self {
            JobList::Backup => "backup",
            JobList::Copy => "copy",
            JobList::Restore => "restore",
        }
    }

    /// The list of a unit name.
    pub fn parse(s: &str) -> Option<JobList> {
        JobList::ALL.into_iter().find(|l| l.name() == s)
    }
}

/// The query members `filters:` may set, and what the exporter sets itself.
pub(crate) const FILTERS: [&str; 3] = ["backupVaultName", "resourceType", "accountId"];

/// Query members the exporter sets itself (paging and the time window).
const OWNED: [&str; 4] = ["nextToken", "maxResults", "createdAfter", "createdBefore"];

/// An AWS Backup target's own keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The region (`eu-west-1`): the endpoint and the signature's scope derive from it.
    pub region: String,
    /// The job lists polled (`job_types`, default all three), each a unit.
    pub job_types: Vec<JobList>,
    /// `backupVaultName` (backup jobs only: the other lists have no such member).
    pub backup_vault_name: Option<String>,
    /// `resourceType`, on every list.
    pub resource_type: Option<String>,
    /// `accountId` (`*`: every account of an organization), on every list.
    pub account_id: Option<String>,
    /// The credentials.
    pub(crate) auth: Auth,
}

/// Whether `r` has the form of an AWS region name: lowercase letters, digits and dashes,
/// starting with a letter (`eu-west-1`, `us-gov-west-1`, `cn-north-1`).
fn region_form(r: &str) -> bool {
    r.len() <= 32
        && r.starts_with(|c: char| c.is_ascii_lowercase())
        && r.contains('-')
        && r.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !r.ends_with('-')
}

impl Keys for File {
    type Config = Config;

    fn check(self, cx: &mut TargetCx<'_, '_, '_>) -> Option<Config> {
        let region = match self.region {
            Val::Given(NonEmpty(r), at) => {
                if region_form(&r) {
                    Some(r)
                } else {
                    cx.bad(&at, format!("'{r}' is not an AWS region name (such as eu-west-1)"));
                    None
                }
            }
            Val::Bad(_) => None,
            Val::Absent => {
                cx.missing("region", "the AWS region whose jobs are listed, such as eu-west-1");
                None
            }
        };
        let job_types = job_types(cx, self.job_types);
        let filters = match self.filters {
            Val::Given(f, _) => Some(f),
            Val::Bad(_) => None,
            Val::Absent => Some(FiltersFile::default()),
        };
        let auth = match self.auth {
            Val::Given(a, at) => a.check(cx, &at),
            Val::Bad(_) => None,
            Val::Absent => {
                let line = cx.line();
                Auth::default_chain(cx, line)
            }
        };
        // The lists are project-wide: any resource may be named.
        cx.expected_intervals(self.expected_intervals, None);
        let filters = filters?;
        let text = |v: Val<NonEmpty>| v.ok().map(|NonEmpty(s)| s);
        let bad = |v: &Val<NonEmpty>| matches!(v, Val::Bad(_));
        if bad(&filters.backup_vault_name)
            || bad(&filters.resource_type)
            || bad(&filters.account_id)
        {
            return None;
        }
        Some(Config {
            region: region?,
            job_types: job_types?,
            backup_vault_name: text(filters.backup_vault_name),
            resource_type: text(filters.resource_type),
            account_id: text(filters.account_id),
            auth: auth?,
        })
    }

    fn credentials() -> &'static [&'static str] {
        fields_of::<AuthFile>()
    }

    fn hint(structure: &str, key: &str) -> Option<String> {
        if structure != "FiltersFile" {
            return None;
        }
        if OWNED.contains(&key) {
            return Some(format!(
                "'{key}' is set by the exporter (paging and the lookback window)"
            ));
        }
        Some(format!(
            "'{key}' is not a filter the exporter passes on (one of {})",
            FILTERS.join(", ")
        ))
    }
}

/// `job_types:`: a non-empty list of distinct list names; absent, all three.
fn job_types(cx: &mut TargetCx<'_, '_, '_>, v: Val<Vec<Val<NonEmpty>>>) -> Option<Vec<JobList>> {
    let (items, at) = match v {
        Val::Absent => return Some(JobList::ALL.to_vec()),
        Val::Bad(_) => return None,
        Val::Given(items, at) => (items, at),
    };
    if items.is_empty() {
        cx.bad(&at, "is empty; list at least one of backup, copy, restore");
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for item in items {
        let Val::Given(NonEmpty(name), at) = item else {
            ok = false;
            continue;
        };
        match JobList::parse(&name) {
            Some(l) if out.contains(&l) => {
                cx.bad(&at, format!("duplicate job type '{name}'"));
                ok = false;
            }
            Some(l) => out.push(l),
            None => {
                cx.bad(
                    &at,
                    format!("'{name}' is not a job type (one of backup, copy, restore)"),
                );
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        for ok in ["eu-west-1", "us-gov-west-1", "cn-north-1", "ap-southeast-5"] {
            assert!(region_form(ok), "{ok}");
        }
        for bad in ["", "EU-WEST-1", "eu_west_1", "eu-west-1.evil.com", "eu-west-1/x", "1-x", "euwest", "eu-"] {
            assert!(!region_form(bad), "{bad}");
        }
    }

    #[test]
    fn lists_by_name() {
        for l in JobList::ALL {
            assert_eq!(JobList::parse(l.name()), Some(l));
        }
        assert_eq!(JobList::parse("Backup"), None);
    }
}
