"""Where tables live and how each client reaches the store: the one place for both.

* :func:`table_location` / :func:`locate` are the one table locator
  (``<root>/<layer>/<table>``) for Spark, the ``deltalake`` readers and the bench.
* ``[s3]`` settings (endpoint, region) plus the usual AWS credential variables become
  the options of every client: :func:`spark_s3_conf` (Hadoop S3A), :func:`deltalake_options`
  (delta-rs / object_store) and :func:`s3_client` (boto3, for the landing zone and the
  writer lease). A root is ``s3a://bucket/prefix`` for Spark; delta-rs and boto3 take the
  same URI.
* :func:`explain_s3_error` and :func:`explain_delta_error` turn what boto3, delta-rs and
  Spark raise on a bad endpoint, bad credentials or a missing bucket into one-line
  :class:`~lakehouse.errors.StorageError` subclasses naming the setting to fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lakehouse.errors import (
    BucketNotFound,
    LakehouseError,
    StorageAccessDenied,
    StorageError,
    StorageUnreachable,
)

if TYPE_CHECKING:
    from lakehouse.config import S3Settings

LAYERS = ("bronze", "silver", "gold")
S3_SCHEMES = ("s3://", "s3a://")
ENDPOINT_SETTING = "[s3] endpoint_url (LAKEHOUSE__S3__ENDPOINT_URL)"
CREDENTIALS_FIX = (
    "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) "
    "or the role the process runs with"
)


# ---- locations ------------------------------------------------------------------------


def is_s3(uri: str) -> bool:
    return uri.startswith(S3_SCHEMES)


def is_local(uri: str) -> bool:
    """A path on this machine's file system (no scheme, or ``file:``)."""
    return "://" not in uri or uri.startswith("file:")


def split_s3(uri: str) -> tuple[str, str]:
    """``s3a://bucket/some/prefix/`` -> ("bucket", "some/prefix")."""
    bucket, _, prefix = uri.removeprefix("s3://").removeprefix("s3a://").partition("/")
    if not bucket:
        raise StorageError(f"{uri!r} names no bucket; use s3a://bucket/prefix")
    return bucket, prefix.strip("/")


def table_location(root: str, layer: str, name: str) -> str:
    """Location of a Delta table: ``<root>/<layer>/<name>``."""
    return f"{root.rstrip('/')}/{layer}/{name}"


def parse_table_name(qualified: str, default_layer: str | None = None) -> tuple[str, str]:
    """``"gold.recon_items"`` -> ("gold", "recon_items"); a bare name takes
    ``default_layer`` (an error when there is none)."""
    layer, _, name = qualified.rpartition(".")
    layer = layer or (default_layer or "")
    if layer not in LAYERS or not name:
        example = "'gold.recon_exceptions'"
        if default_layer:
            raise LakehouseError(
                f"table {qualified!r}: the layer must be one of {', '.join(LAYERS)}, "
                f"e.g. {example} or a bare gold table name"
            )
        raise LakehouseError(f"table name {qualified!r} must be <layer>.<table>, e.g. {example}")
    return layer, name


def locate(root: str, qualified: str, default_layer: str | None = None) -> str:
    """Location of ``layer.table`` (or a bare name in ``default_layer``) under ``root``."""
    return table_location(root, *parse_table_name(qualified, default_layer))


# ---- client options -------------------------------------------------------------------


def _credentials(env: Mapping[str, str]) -> dict[str, str]:
    """Static credentials from the environment (empty: the client's default chain)."""
    key, secret = env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", "")
    if not (key and secret):
        return {}
    found = {"key": key, "secret": secret}
    if env.get("AWS_SESSION_TOKEN"):
        found["token"] = env["AWS_SESSION_TOKEN"]
    return found


# S3A tries these in order: keys from the environment carried in the Hadoop configuration
# (temporary first, then long-lived), then the SDK's default chain (environment, profile,
# web identity, container and instance roles), so executors on other machines need no keys
# of their own when the driver has them, and none are needed on a role-based cluster.
S3A_PROVIDERS = ",".join(
    (
        "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider",
        "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider",
    )
)


def spark_s3_conf(s3: S3Settings, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The ``spark.hadoop.fs.s3a.*`` settings for ``s3a://`` paths (driver and executors).

    Keys go into the Hadoop configuration Spark ships to executors; Spark's UI and event
    log redact them (``spark.redaction.regex`` matches ``secret`` and ``access.key``).
    """
    env = os.environ if env is None else env
    prefix = "spark.hadoop.fs.s3a."
    conf = {
        "aws.credentials.provider": S3A_PROVIDERS,
        "endpoint.region": s3.region,
        # fail in seconds, not after minutes of retries, when the store is unreachable
        "attempts.maximum": "3",
        "retry.limit": "3",
        "connection.establish.timeout": "5s",
    }
    if s3.endpoint_url:
        conf["endpoint"] = s3.endpoint_url
        conf["path.style.access"] = "true"  # S3-compatible servers on a host name or IP
        conf["connection.ssl.enabled"] = str(s3.endpoint_url.startswith("https://")).lower()
    creds = _credentials(env)
    if creds:
        conf["access.key"] = creds["key"]
        conf["secret.key"] = creds["secret"]
        if "token" in creds:
            conf["session.token"] = creds["token"]
    return {prefix + k: v for k, v in conf.items()}


def deltalake_options(
    s3: S3Settings, uri: str, env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``storage_options`` for ``deltalake.DeltaTable`` at ``uri`` (empty for local paths)."""
    if not is_s3(uri):
        return {}
    env = os.environ if env is None else env
    options = {"AWS_REGION": s3.region, "max_retries": "2", "timeout": "60s"}
    if s3.endpoint_url:
        options["AWS_ENDPOINT_URL"] = s3.endpoint_url
        if s3.endpoint_url.startswith("http://"):
            options["AWS_ALLOW_HTTP"] = "true"
    creds = _credentials(env)
    if creds:
        options["AWS_ACCESS_KEY_ID"] = creds["key"]
        options["AWS_SECRET_ACCESS_KEY"] = creds["secret"]
        if "token" in creds:
            options["AWS_SESSION_TOKEN"] = creds["token"]
    return options


def s3_client(s3: S3Settings, what: str) -> Any:
    """A boto3 S3 client for ``[s3]`` (``what`` names the caller in error messages).

    Its own session: credentials are read from the environment now, not cached
    process-wide by boto3's default session (which is not thread-safe either).
    """
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        # S3-compatible servers on a host name or IP need path-style addressing.
        s3={"addressing_style": "path"} if s3.endpoint_url else {},
    )
    try:
        return boto3.session.Session().client(
            "s3",
            endpoint_url=s3.endpoint_url or None,
            region_name=s3.region or None,
            config=config,
        )
    except ValueError as exc:  # e.g. an endpoint without http:// or https://
        raise StorageUnreachable(
            f"cannot create an S3 client for {what}: {exc}; {ENDPOINT_SETTING} is "
            f"{s3.endpoint_url!r}, expected e.g. http://127.0.0.1:9000, or empty for AWS"
        ) from exc


# ---- errors ---------------------------------------------------------------------------


def describe_server(endpoint_url: str) -> tuple[str, str]:
    if endpoint_url:
        return endpoint_url, f"{ENDPOINT_SETTING} is {endpoint_url!r}"
    return "AWS S3", "[s3] endpoint_url is empty, so this is AWS S3"


_DENIED_CODES = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "403",
    "InvalidToken",
    "ExpiredToken",
    "InvalidClientTokenId",
}


def explain_s3_error(
    exc: Exception, *, action: str, target: str, endpoint_url: str, bucket: str, where: str
) -> StorageError | None:
    """A one-line StorageError for a boto3 failure to ``action`` ``target``, or None when
    ``exc`` is not a storage failure. ``where`` names the setting that chose the bucket."""
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    server, endpoint = describe_server(endpoint_url)
    head = f"cannot {action} {target}"
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return StorageAccessDenied(
            f"{head}: no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
        return StorageUnreachable(f"{head}: cannot connect to {server}; is it up? {endpoint}")
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        # HEAD requests carry no error body: a 404 on HeadBucket is a missing bucket
        head_404 = code == "404" and exc.operation_name == "HeadBucket"
        if code == "NoSuchBucket" or head_404:
            return BucketNotFound(
                f"{head}: bucket {bucket!r} does not exist on {server}; create it or fix "
                f"the URI ({where})"
            )
        if code in _DENIED_CODES:
            return StorageAccessDenied(
                f"{head}: access denied ({code}) by {server}; check AWS_ACCESS_KEY_ID / "
                f"AWS_SECRET_ACCESS_KEY and the bucket policy of {bucket!r}"
            )
    return None


# What delta-rs (object_store) and Hadoop S3A say, mapped to the error to raise.
_BUCKET_MISSING = re.compile(
    r"NoSuchBucket|bucket does not exist|UnknownStoreException|does not exist.*bucket", re.I
)
_DENIED = re.compile(
    r"InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied|403 Forbidden|status: 403"
    r"|No AWS Credentials|NoAuthWithAWSException|Unable to load credentials",
    re.I,
)
_UNREACHABLE = re.compile(
    r"error sending request|Connection refused|ConnectException|UnknownHostException"
    r"|dns error|failed to lookup address|SdkClientException: Unable to execute HTTP"
    r"|timed out|Connect to [^ ]+ failed",
    re.I,
)


def explain_delta_error(exc: BaseException, uri: str, endpoint_url: str) -> StorageError | None:
    """A one-line StorageError for a delta-rs or Spark failure on an S3 ``uri``, or None
    when the text does not show a storage failure (or ``uri`` is not on S3)."""
    if not is_s3(uri):
        return None
    text = f"{type(exc).__name__}: {exc}"
    bucket = split_s3(uri)[0]
    server, endpoint = describe_server(endpoint_url)
    if _BUCKET_MISSING.search(text):
        return BucketNotFound(
            f"cannot open {uri}: bucket {bucket!r} does not exist on {server}; create it or "
            "fix LAKEHOUSE_ROOT ([storage] root)"
        )
    if _DENIED.search(text):
        return StorageAccessDenied(
            f"cannot open {uri}: access denied by {server}; {CREDENTIALS_FIX}"
        )
    if _UNREACHABLE.search(text):
        return StorageUnreachable(f"cannot open {uri}: cannot connect to {server}; {endpoint}")
    return None
