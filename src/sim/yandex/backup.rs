//! `GET /backup/v1/resources/{computeInstanceId}/tasks` (ListTasks) and
//! `GET /backup/v1/resources?folderId=` (ListResources), `GET /backup/v1/resources/{id}`
//! (GetResource), and the routes of `policies.rs` (ListPolicies, ListApplications), with IAM token checks and opaque
//! page tokens (`docs/providers.md` "Yandex Cloud Backup").

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::policies::{self, YC_APPLICATIONS, YC_POLICIES, YC_RESOURCES};
use super::{YandexState, error};
use crate::sim::faults::ListEdits;
use crate::sim::variants::yandex_enum_number;
use crate::sim::{Sim, SimRequest, SimResponse, lock};

/// Default `pageSize` (`docs/providers.md` "Paging").
const DEFAULT_PAGE_SIZE: usize = 100;
/// Largest `pageSize`.
const MAX_PAGE_SIZE: usize = 1000;
/// Longest `pageToken`.
const MAX_PAGE_TOKEN: usize = 100;
/// Longest `computeInstanceId` / `folderId`.
const MAX_ID: usize = 50;

pub(super) fn route(sim: &Sim, req: &SimRequest) -> SimResponse {
    let records = sim.record_rules("yandex_backup");
    let state = lock(&sim.yandex);
    if let Err(resp) = check_token(&state, req) {
        return resp;
    }
    if req.method != "GET" {
        return error(12, &format!("method {} not allowed", req.method));
    }
    let segs = req.segments();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["backup", "v1", "resources", instance, "tasks"] => list_tasks(
            &state,
            req,
            instance,
            &ListEdits::for_unit(&records, instance),
        ),
        ["backup", "v1", "resources"] => state.denied(YC_RESOURCES).unwrap_or_else(|| {
            let folder = req.query_map().get("folderId").cloned().unwrap_or_default();
            let edits = ListEdits::for_unit(&sim.record_rules(YC_RESOURCES), &folder);
            list_resources(&state, req, &edits)
        }),
        ["backup", "v1", "resources", instance] => state
            .denied(YC_RESOURCES)
            .unwrap_or_else(|| policies::get_resource(&state, instance)),
        ["backup", "v1", "policies"] => state.denied(YC_POLICIES).unwrap_or_else(|| {
            let rules = sim.record_rules(YC_POLICIES);
            policies::list_policies(&state, req, &|unit| ListEdits::for_unit(&rules, unit))
        }),
        ["backup", "v1", "policies", policy, "applications"] => {
            state.denied(YC_APPLICATIONS).unwrap_or_else(|| {
                let edits = ListEdits::for_unit(&sim.record_rules(YC_APPLICATIONS), policy);
                policies::list_applications(&state, policy, &edits)
            })
        }
        _ => error(5, &format!("no such method: GET {}", req.path)),
    }
}

fn check_token(state: &YandexState, req: &SimRequest) -> Result<(), SimResponse> {
    let Some(auth) = req.header("authorization") else {
        return Err(error(16, "The request is missing an authorization header"));
    };
    let token = auth
        .strip_prefix("Bearer ")
        .ok_or_else(|| error(16, "Authorization header must be Bearer"))?;
    if state.token_valid(token.trim()) {
        Ok(())
    } else {
        Err(error(16, "The token is invalid or has expired"))
    }
}

/// `pageSize` and `pageToken` (the offset the token encodes for this listing).
fn paging(req: &SimRequest, scope: &str) -> Result<(usize, usize), SimResponse> {
    let q = req.query_map();
    let size = match q.get("pageSize").map(String::as_str) {
        None | Some("") => DEFAULT_PAGE_SIZE,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (0..=MAX_PAGE_SIZE as i64).contains(&n) => {
                if n == 0 {
                    DEFAULT_PAGE_SIZE
                } else {
                    n as usize
                }
            }
            Ok(_) => {
                return Err(error(
                    3,
                    &format!("Request validation error: page_size: value must be <=1000, got {s}"),
                ));
            }
            Err(_) => {
                return Err(error(
                    3,
                    &format!("Request validation error: page_size: invalid int64 {s:?}"),
                ));
            }
        },
    };
    let offset = match q.get("pageToken").map(String::as_str) {
        None | Some("") => 0,
        Some(t) if t.len() > MAX_PAGE_TOKEN => {
            return Err(error(
                3,
                "Request validation error: page_token: length must be <=100",
            ));
        }
        Some(t) => decode_token(t, scope).ok_or_else(|| error(3, "Invalid page token"))?,
    };
    Ok((size, offset))
}

/// An opaque token for "continue `scope` at `offset`".
fn encode_token(scope: &str, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{offset}|{scope}"))
}

fn decode_token(t: &str, scope: &str) -> Option<usize> {
    let raw = URL_SAFE_NO_PAD.decode(t).ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (offset, s) = raw.split_once('|')?;
    if s != scope {
        return None;
    }
    offset.parse().ok()
}

/// One page of `items` and the next token (absent on the last page).
fn page<T: Clone>(
    items: &[T],
    size: usize,
    offset: usize,
    scope: &str,
) -> (Vec<T>, Option<String>) {
    let start = offset.min(items.len());
    let end = start.saturating_add(size).min(items.len());
    let next = (end < items.len()).then(|| encode_token(scope, end));
    (items[start..end].to_vec(), next)
}

fn list_tasks(
    state: &YandexState,
    req: &SimRequest,
    instance: &str,
    edits: &ListEdits,
) -> SimResponse {
    if instance.is_empty() || instance.len() > MAX_ID {
        return error(
            3,
            "Request validation error: compute_instance_id: length must be <=50",
        );
    }
    let Some(tasks) = state.tasks.get(instance) else {
        return error(5, &format!("Instance {instance} not found"));
    };
    let scope = format!("tasks/{instance}");
    let (size, offset) = match paging(req, &scope) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut all: Vec<serde_json::Value> = tasks
        .iter()
        .filter_map(|t| serde_json::to_value(t).ok())
        .collect();
    edits.apply(&mut all, "id", &yandex_enum_number);
    let (items, next) = page(&all, size, offset, &scope);
    let items = if edits.null_list() {
        serde_json::Value::Null
    } else {
        serde_json::Value::Array(items)
    };
    let mut body = serde_json::json!({ "tasks": items });
    if let Some(n) = next {
        body["nextPageToken"] = serde_json::Value::String(n);
    }
    SimResponse::json(200, &body)
}

fn list_resources(state: &YandexState, req: &SimRequest, edits: &ListEdits) -> SimResponse {
    let q = req.query_map();
    let folder = match q.get("folderId") {
        Some(f) if !f.is_empty() && f.len() <= MAX_ID => f.clone(),
        _ => {
            return error(
                3,
                "Request validation error: folder_id: required, length must be <=50",
            );
        }
    };
    let scope = format!("resources/{folder}");
    let (size, offset) = match paging(req, &scope) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut all: Vec<serde_json::Value> = state
        .resources
        .get(&folder)
        .into_iter()
        .flatten()
        .map(policies::resource_json)
        .collect();
    edits.apply(&mut all, "computeInstanceId", &yandex_enum_number);
    let (items, next) = page(&all, size, offset, &scope);
    let items = if edits.null_list() {
        serde_json::Value::Null
    } else {
        serde_json::Value::Array(items)
    };
    let mut body = serde_json::json!({ "resources": items });
    if let Some(n) = next {
        body["nextPageToken"] = serde_json::Value::String(n);
    }
    SimResponse::json(200, &body)
}
