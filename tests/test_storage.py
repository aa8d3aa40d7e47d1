"""The one table locator and the storage options every client gets from ``[s3]``."""

from __future__ import annotations

import pytest

from lakehouse.config import S3Settings, load_settings
from lakehouse.errors import (
    BucketNotFound,
    LakehouseError,
    StorageAccessDenied,
    StorageUnreachable,
)
from lakehouse.storage import (
    deltalake_options,
    explain_delta_error,
    explain_s3_error,
    is_local,
    locate,
    parse_table_name,
    s3_client,
    spark_s3_conf,
    split_s3,
    table_location,
)

MINIO = S3Settings(endpoint_url="http://127.0.0.1:9000", region="eu-west-1")
AWS = S3Settings(endpoint_url="", region="us-east-1")
KEYS = {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET"}


def test_one_locator_for_every_client():
    assert table_location("s3a://lake/lh/", "gold", "aging") == "s3a://lake/lh/gold/aging"
    assert locate("/data/lh", "silver.bank_balances") == "/data/lh/silver/bank_balances"
    assert locate("/data/lh", "recon_items", default_layer="gold") == "/data/lh/gold/recon_items"
    settings = load_settings(env={"LAKEHOUSE_ROOT": "s3a://lake/lh"})
    assert settings.storage.table_path("gold", "aging") == "s3a://lake/lh/gold/aging"
    assert settings.storage.locate("aging", "gold") == "s3a://lake/lh/gold/aging"


def test_table_names_are_checked():
    assert parse_table_name("gold.aging") == ("gold", "aging")
    with pytest.raises(LakehouseError, match=r"<layer>\.<table>"):
        parse_table_name("aging")
    with pytest.raises(LakehouseError, match="layer must be one of bronze, silver, gold"):
        parse_table_name("platinum.aging", default_layer="gold")


def test_local_and_s3_uris():
    assert is_local("/data/lh") and is_local("data/lh") and is_local("file:///data/lh")
    assert not is_local("s3a://lake/lh") and not is_local("hdfs://nn/lh")
    assert split_s3("s3a://lake/some/prefix/") == ("lake", "some/prefix")
    assert split_s3("s3://lake") == ("lake", "")


def test_spark_gets_endpoint_path_style_region_and_keys():
    conf = spark_s3_conf(MINIO, env=KEYS)
    assert conf["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:9000"
    assert conf["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] == "false"
    assert conf["spark.hadoop.fs.s3a.endpoint.region"] == "eu-west-1"
    assert conf["spark.hadoop.fs.s3a.access.key"] == "AKID"
    assert conf["spark.hadoop.fs.s3a.secret.key"] == "SECRET"
    assert "session.token" not in " ".join(conf)
    providers = conf["spark.hadoop.fs.s3a.aws.credentials.provider"].split(",")
    assert providers[-1].endswith("DefaultCredentialsProvider")


def test_spark_on_aws_without_keys_uses_the_default_chain():
    conf = spark_s3_conf(AWS, env={})
    assert "spark.hadoop.fs.s3a.endpoint" not in conf
    assert "spark.hadoop.fs.s3a.access.key" not in conf
    assert conf["spark.hadoop.fs.s3a.endpoint.region"] == "us-east-1"


def test_deltalake_gets_the_same_endpoint_region_and_keys():
    options = deltalake_options(MINIO, "s3a://lake/lh/gold/aging", env=KEYS)
    assert options["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9000"
    assert options["AWS_ALLOW_HTTP"] == "true"
    assert options["AWS_REGION"] == "eu-west-1"
    assert options["AWS_ACCESS_KEY_ID"] == "AKID"
    assert deltalake_options(MINIO, "/local/lh/gold/aging") == {}
    tls = deltalake_options(S3Settings("https://s3.example.com", "x"), "s3://b/p", env={})
    assert "AWS_ALLOW_HTTP" not in tls
    assert "AWS_ACCESS_KEY_ID" not in tls


def test_boto3_client_uses_the_endpoint_and_rejects_a_bad_one():
    client = s3_client(MINIO, "test")
    assert client.meta.endpoint_url == "http://127.0.0.1:9000"
    assert client.meta.region_name == "eu-west-1"
    with pytest.raises(StorageUnreachable, match=r"LAKEHOUSE__S3__ENDPOINT_URL.*'127\.0\.0\.1:9'"):
        s3_client(S3Settings("127.0.0.1:9", "x"), "test")


def _client_error(code: str, operation: str = "GetObject") -> Exception:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": code}}, operation)


def test_boto3_errors_become_one_line_storage_errors():
    args = {"action": "read", "target": "s3://b/k", "endpoint_url": "", "bucket": "b", "where": "W"}
    missing = explain_s3_error(_client_error("NoSuchBucket"), **args)
    assert isinstance(missing, BucketNotFound)
    assert "bucket 'b' does not exist on AWS S3" in str(missing)
    head = explain_s3_error(_client_error("404", "HeadBucket"), **args)
    assert isinstance(head, BucketNotFound)
    denied = explain_s3_error(_client_error("InvalidAccessKeyId"), **args)
    assert isinstance(denied, StorageAccessDenied)
    assert "AWS_SECRET_ACCESS_KEY" in str(denied)
    assert explain_s3_error(_client_error("NoSuchKey"), **args) is None
    assert explain_s3_error(ValueError("not storage"), **args) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Generic S3 error: ... The specified bucket does not exist", BucketNotFound),
        ("java.nio.file.AccessDeniedException: s3a://b/x: InvalidAccessKeyId", StorageAccessDenied),
        (
            "Generic S3 error: error sending request for url (http://127.0.0.1:1/b)",
            StorageUnreachable,
        ),
        ("UnknownStoreException: s3a://b/x: Bucket does not exist", BucketNotFound),
    ],
)
def test_delta_and_spark_errors_become_one_line_storage_errors(text: str, kind: type) -> None:
    found = explain_delta_error(OSError(text), "s3a://b/lh/gold/aging", MINIO.endpoint_url)
    assert isinstance(found, kind)
    assert "\n" not in str(found)
    assert explain_delta_error(OSError(text), "/local/lh", MINIO.endpoint_url) is None
