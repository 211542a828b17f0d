#!/usr/bin/env python3
"""The simulator's AWS answers, requested and read by botocore (pinned in .ci/run).

Starts nothing: it talks to a running simulator at BASE_URL, seeded by its caller
(tests/it/aws_sim.rs) with what CONFIG (a JSON object) names:

    {"access_key_id", "secret_access_key", "region",       # static keys the simulator accepts
     "page_size",                                          # maxResults for the paginators
     "plan_id",                                            # a plan with scheduled rules
     "role_arn", "external_id", "web_identity_token",      # STS
     "instance_role",                                      # IMDS
     "pod_identity_token"}                                 # EKS Pod Identity Agent

It checks that
(a) botocore's own SigV4 signer is accepted: ListBackupJobs, ListCopyJobs and ListRestoreJobs
    paged through with botocore's paginators (`botocore/data/backup/2018-11-15/paginators-1.json`),
    GetBackupPlan with MaxScheduledRunsPreview=10, STS AssumeRole (signed) and
    AssumeRoleWithWebIdentity (unsigned), and the credentials STS, IMDSv2
    (`botocore.utils.InstanceMetadataFetcher`) and the EKS Pod Identity Agent
    (`botocore.utils.ContainerMetadataFetcher`, the service account token as `Authorization`)
    hand out used again on AWS Backup with their token;
(b) every response parses with botocore's parser, and is also walked strictly against the
    output shape of the service model (`botocore/data/backup/2018-11-15/service-2.json`):
    every member must be declared by the model and have the JSON type of its shape
    (timestamps: JSON numbers, the REST-JSON default);
(c) a request signed with a wrong secret gets AWS's error: HTTP 403 InvalidSignatureException.

Prints a JSON summary (jobs seen per list, pages, preview size) on stdout; exits 1 with the
problems on stderr otherwise.

Usage: python3 .ci/aws_sim_check.py BASE_URL CONFIG_JSON
"""

import datetime
import json
import sys

import botocore
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.utils import ContainerMetadataFetcher, InstanceMetadataFetcher

BASE, CONFIG = sys.argv[1], json.loads(sys.argv[2])
errors = []
raw_bodies = []


def fail(msg):
    errors.append(msg)


def capture(response_dict=None, **_):
    """before-parse hook: keeps the raw body of every answer for the strict walk."""
    raw_bodies.append(response_dict.get("body", b""))


def client(service, **creds):
    session = botocore.session.get_session()
    c = session.create_client(
        service,
        region_name=CONFIG["region"],
        endpoint_url=BASE,
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=10),
        **creds,
    )
    c.meta.events.register("before-parse", capture)
    return c


def static():
    return {
        "aws_access_key_id": CONFIG["access_key_id"],
        "aws_secret_access_key": CONFIG["secret_access_key"],
    }


def walk(shape, value, path):
    """Fails on a member the model does not declare or a JSON type its shape does not allow."""
    t = shape.type_name
    if value is None:
        return
    if t == "structure":
        if not isinstance(value, dict):
            return fail(f"{path}: {t} expected, got {type(value).__name__}")
        for k, v in value.items():
            if k not in shape.members:
                fail(f"{path}.{k}: not a member of {shape.name}")
            else:
                walk(shape.members[k], v, f"{path}.{k}")
    elif t == "list":
        if not isinstance(value, list):
            return fail(f"{path}: list expected")
        for i, v in enumerate(value):
            walk(shape.member, v, f"{path}[{i}]")
    elif t == "map":
        if not isinstance(value, dict):
            return fail(f"{path}: map expected")
        for k, v in value.items():
            walk(shape.value, v, f"{path}.{k}")
    elif t == "string":
        if not isinstance(value, str):
            fail(f"{path}: string expected, got {value!r}")
        elif shape.enum and value not in shape.enum:
            fail(f"{path}: {value!r} not in the enum {shape.name}")
    elif t in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            fail(f"{path}: integer expected, got {value!r}")
    elif t in ("double", "float"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            fail(f"{path}: number expected, got {value!r}")
    elif t == "boolean":
        if not isinstance(value, bool):
            fail(f"{path}: boolean expected, got {value!r}")
    elif t == "timestamp":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            fail(f"{path}: timestamp as epoch seconds expected, got {value!r}")


def strict(c, operation):
    """Walks the last raw body against the operation's output shape."""
    shape = c.meta.service_model.operation_model(operation).output_shape
    body = json.loads(raw_bodies[-1] or b"{}")
    walk(shape, body, operation)


def page_through(c, operation, key, id_field, summary):
    paginator = c.get_paginator(botocore.xform_name(operation))
    ids, pages = [], 0
    config = {"PageSize": CONFIG["page_size"]}
    for page in paginator.paginate(PaginationConfig=config):
        pages += 1
        strict(c, operation)
        for job in page.get(key, []):
            ids.append(job[id_field])
            created = job.get("CreationDate")
            if not isinstance(created, datetime.datetime):
                fail(f"{operation} {job[id_field]}: CreationDate parsed as {created!r}")
    if len(ids) != len(set(ids)):
        fail(f"{operation}: a job repeats across pages")
    summary[key] = {"jobs": len(ids), "pages": pages}
    return ids


def used_again(summary, name, key_id, secret, token, call):
    """Temporary credentials from `name` signing one page of an AWS Backup list (`call`)."""
    temp = client(
        "backup", aws_access_key_id=key_id, aws_secret_access_key=secret, aws_session_token=token
    )
    getattr(temp, call)(MaxResults=1)
    summary.setdefault("temporary", []).append(name)


def main():
    summary = {"botocore": botocore.__version__}
    backup = client("backup", **static())
    page_through(backup, "ListBackupJobs", "BackupJobs", "BackupJobId", summary)
    page_through(backup, "ListCopyJobs", "CopyJobs", "CopyJobId", summary)
    page_through(backup, "ListRestoreJobs", "RestoreJobs", "RestoreJobId", summary)
    failed = backup.list_backup_jobs(ByState="FAILED")
    strict(backup, "ListBackupJobs")
    summary["failed"] = len(failed["BackupJobs"])
    since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    recent = backup.list_backup_jobs(ByCreatedAfter=since, ByAccountId="*")
    summary["created_last_hour"] = len(recent["BackupJobs"])

    plan = backup.get_backup_plan(BackupPlanId=CONFIG["plan_id"], MaxScheduledRunsPreview=10)
    strict(backup, "GetBackupPlan")
    runs = plan.get("ScheduledRunsPreview", [])
    summary["preview"] = len(runs)
    for run in runs:
        if not isinstance(run.get("ExecutionTime"), datetime.datetime):
            fail(f"GetBackupPlan: ExecutionTime parsed as {run.get('ExecutionTime')!r}")
    summary["rules"] = [r["RuleName"] for r in plan["BackupPlan"]["Rules"]]

    # (c) a wrong secret.
    wrong = client(
        "backup",
        aws_access_key_id=CONFIG["access_key_id"],
        aws_secret_access_key=CONFIG["secret_access_key"] + "x",
    )
    try:
        wrong.list_backup_jobs()
        fail("a wrong secret was accepted")
    except ClientError as e:
        err = e.response["Error"]
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        summary["wrong_secret"] = [status, err.get("Code"), err.get("Message")]
        if (status, err.get("Code")) != (403, "InvalidSignatureException"):
            fail(f"wrong secret: {status} {err}")

    # STS: signed AssumeRole, unsigned AssumeRoleWithWebIdentity; their keys on AWS Backup.
    sts = client("sts", **static())
    assumed = sts.assume_role(
        RoleArn=CONFIG["role_arn"], RoleSessionName="aws-sim-check", ExternalId=CONFIG["external_id"]
    )
    web = client("sts", aws_access_key_id="", aws_secret_access_key="")
    federated = web.assume_role_with_web_identity(
        RoleArn=CONFIG["role_arn"],
        RoleSessionName="aws-sim-check-web",
        WebIdentityToken=CONFIG["web_identity_token"],
    )
    for name, answer in (("AssumeRole", assumed), ("AssumeRoleWithWebIdentity", federated)):
        creds = answer["Credentials"]
        if not isinstance(creds["Expiration"], datetime.datetime):
            fail(f"{name}: Expiration parsed as {creds['Expiration']!r}")
        used_again(
            summary,
            name,
            creds["AccessKeyId"],
            creds["SecretAccessKey"],
            creds["SessionToken"],
            "list_copy_jobs",
        )

    # IMDSv2 through botocore's own fetcher.
    fetched = InstanceMetadataFetcher(base_url=BASE, timeout=5, num_attempts=1).retrieve_iam_role_credentials()
    if fetched.get("role_name") != CONFIG["instance_role"]:
        fail(f"IMDS: {fetched.get('role_name')!r}")
    else:
        used_again(
            summary,
            "InstanceMetadata",
            fetched["access_key"],
            fetched["secret_key"],
            fetched["token"],
            "list_restore_jobs",
        )

    # The EKS Pod Identity Agent through botocore's container fetcher (as its ContainerProvider
    # calls it for AWS_CONTAINER_CREDENTIALS_FULL_URI with the token file's content).
    pod = ContainerMetadataFetcher().retrieve_full_uri(
        BASE + "/v1/credentials", headers={"Authorization": CONFIG["pod_identity_token"]}
    )
    missing = {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"} - set(pod)
    if missing:
        fail(f"Pod Identity Agent: no {sorted(missing)} in {sorted(pod)}")
    else:
        used_again(
            summary,
            "PodIdentity",
            pod["AccessKeyId"],
            pod["SecretAccessKey"],
            pod["Token"],
            "list_backup_jobs",
        )

    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)
    print(json.dumps(summary))


if __name__ == "__main__":
    try:
        main()
    except ClientError as e:
        print(f"unexpected AWS error: {e.response}", file=sys.stderr)
        sys.exit(1)
