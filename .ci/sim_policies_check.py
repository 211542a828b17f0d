#!/usr/bin/env python3
"""The simulator's backup-policy responses, parsed with the official SDK models.

Reads the samples `src/sim/policy_tests.rs` records in tests/fixtures/sim-policies/ and checks
each one against the model its API's official SDK declares:

- Huawei CBR (huaweicloudsdkcbr): deserialized with the SDK core's own deserializer
  (`huaweicloudsdkcore.client.Client._deserialize`, which silently drops unknown keys), and walked
  strictly: every key must be in the model's `attribute_map` and every value must have the JSON
  type of its `openapi_types` entry.
- Yandex Cloud Backup (yandexcloud): `google.protobuf.json_format.Parse` into the response
  message, which rejects unknown fields, wrong types and unknown enum names.
- Huawei VBS has no SDK: checked against the field list of the API reference, *Querying
  Backup Policies* (opentelekomcloud-docs/volume-backup-service,
  api-ref/source/api_description/backup_policies/querying_backup_policies.rst).

Usage: python3 .ci/sim_policies_check.py [fixtures dir]
"""

import json
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "tests", "fixtures", "sim-policies")

# file -> (kind, model)
SAMPLES = {
    "vbs_backuppolicy.json": ("vbs", None),
    "cbr_policies.json": ("cbr", "ListPoliciesResponse"),
    "cbr_vaults.json": ("cbr", "ListVaultResponse"),
    "yandex_policies.json": ("yandex", "policy_service_pb2.ListPoliciesResponse"),
    "yandex_policies_other.json": ("yandex", "policy_service_pb2.ListPoliciesResponse"),
    "yandex_applications.json": ("yandex", "policy_service_pb2.ListApplicationsResponse"),
    "yandex_applications_weekly.json": ("yandex", "policy_service_pb2.ListApplicationsResponse"),
    "yandex_resources.json": ("yandex", "resource_service_pb2.ListResourcesResponse"),
    "yandex_resource.json": ("yandex", "resource_service_pb2.GetResourceResponse"),
}

errors = []


def fail(name, msg):
    errors.append(f"{name}: {msg}")


# --- Huawei CBR -----------------------------------------------------------------------------

def cbr_models():
    import huaweicloudsdkcbr.v1.model as models
    return models


def json_type_ok(value, openapi_type):
    if value is None:
        return True
    if openapi_type == "str":
        return isinstance(value, str)
    if openapi_type == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if openapi_type == "bool":
        return isinstance(value, bool)
    if openapi_type == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if openapi_type == "object":
        return True
    return None  # a model or a container: walked by the caller


def walk_cbr(name, models, value, openapi_type, path):
    if openapi_type.startswith("list["):
        if not isinstance(value, list):
            fail(name, f"{path}: {openapi_type} but {type(value).__name__}")
            return
        inner = openapi_type[5:-1]
        for i, v in enumerate(value):
            walk_cbr(name, models, v, inner, f"{path}[{i}]")
        return
    ok = json_type_ok(value, openapi_type)
    if ok is not None:
        if not ok:
            fail(name, f"{path}: {openapi_type} but {value!r}")
        return
    klass = getattr(models, openapi_type)
    if not isinstance(value, dict):
        fail(name, f"{path}: {openapi_type} but {value!r}")
        return
    by_json = {j: a for a, j in klass.attribute_map.items()}
    for key, v in value.items():
        if key not in by_json:
            fail(name, f"{path}.{key}: not in {openapi_type}.attribute_map")
            continue
        walk_cbr(name, models, v, klass.openapi_types[by_json[key]], f"{path}.{key}")


def check_cbr(name, data, model):
    from huaweicloudsdkcore.client import Client
    models = cbr_models()
    walk_cbr(name, models, data, model, "$")
    client = Client()
    client.model_package = models
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            obj = client._deserialize(data, model)
        except Exception as e:  # noqa: BLE001 - report whatever the SDK raises
            fail(name, f"SDK deserialization: {e!r}")
            return
    back = obj.to_dict()
    if model == "ListPoliciesResponse":
        if back.get("count") != len(data["policies"]):
            fail(name, "count is not the number of policies")
        for p in back["policies"]:
            if not p["trigger"]["properties"]["pattern"]:
                fail(name, f"policy {p['id']}: no pattern")
    elif model == "ListVaultResponse":
        for v in back["vaults"]:
            for r in v["resources"]:
                if not (r["id"] and r["type"] and r["protect_status"]):
                    fail(name, f"vault {v['id']}: resource without id, type or protect_status")


# --- Yandex ---------------------------------------------------------------------------------

def check_yandex(name, text, model):
    from google.protobuf import json_format
    from yandex.cloud.backup.v1 import policy_service_pb2, resource_service_pb2
    module, message = model.split(".")
    cls = getattr({"policy_service_pb2": policy_service_pb2,
                   "resource_service_pb2": resource_service_pb2}[module], message)
    try:
        json_format.Parse(text, cls())
    except json_format.ParseError as e:
        fail(name, f"json_format.Parse({message}): {e}")


# --- Huawei VBS (no SDK: the API reference's field list) -------------------------------------

VBS_POLICY = {
    "backup_policy_id": str,
    "backup_policy_name": str,
    "scheduled_policy": dict,
    "policy_resource_count": int,
}
VBS_SCHEDULED = {
    "start_time": str,
    "frequency": int,
    "week_frequency": list,
    "rentention_num": int,
    "rentention_day": int,
    "remain_first_backup_of_curMonth": str,
    "status": str,
    "time_zone": str,
}
WEEKDAYS = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}


def check_fields(name, path, obj, fields):
    if not isinstance(obj, dict):
        fail(name, f"{path}: not an object")
        return
    for k, v in obj.items():
        if k not in fields:
            fail(name, f"{path}.{k}: not in the reference")
        elif not isinstance(v, fields[k]) or isinstance(v, bool):
            fail(name, f"{path}.{k}: {fields[k].__name__} but {v!r}")


def check_vbs(name, data):
    check_fields(name, "$", data, {"backup_policies": list})
    for i, p in enumerate(data.get("backup_policies") or []):
        path = f"$.backup_policies[{i}]"
        check_fields(name, path, p, VBS_POLICY)
        s = p.get("scheduled_policy", {})
        check_fields(name, path + ".scheduled_policy", s, VBS_SCHEDULED)
        if s.get("status") not in ("ON", "OFF"):
            fail(name, f"{path}: status {s.get('status')!r}")
        if s.get("remain_first_backup_of_curMonth") not in ("Y", "N"):
            fail(name, f"{path}: remain_first_backup_of_curMonth")
        if not set(s.get("week_frequency", [])) <= WEEKDAYS:
            fail(name, f"{path}: week_frequency {s.get('week_frequency')}")
        if "frequency" in s and not 1 <= s["frequency"] <= 14:
            fail(name, f"{path}: frequency out of 1-14")
        for t in s.get("start_time", "").split(","):
            hh, _, mm = t.partition(":")
            if not (len(hh) == 2 and len(mm) == 2 and hh.isdigit() and mm.isdigit()):
                fail(name, f"{path}: start_time {t!r} is not HH:mm")


def main():
    seen = sorted(f for f in os.listdir(DIR) if f.endswith(".json"))
    if sorted(SAMPLES) != seen:
        fail(DIR, f"samples {seen} differ from the checked list {sorted(SAMPLES)}")
    for name, (kind, model) in SAMPLES.items():
        path = os.path.join(DIR, name)
        if not os.path.exists(path):
            continue
        text = open(path, encoding="utf-8").read()
        data = json.loads(text)
        if kind == "cbr":
            check_cbr(name, data, model)
        elif kind == "yandex":
            check_yandex(name, text, model)
        else:
            check_vbs(name, data)
        print(f"{name}: checked ({model or 'VBS reference'})")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)
    print(f"{len(SAMPLES)} simulator policy samples parse with the SDK models")


if __name__ == "__main__":
    main()
