#!/usr/bin/env bash
# Resolve the lakehouse's JVM jars from Maven Central into a local folder (default .jars).
# Spark ships everything else. Two pinned sets, each fetched only when missing:
#
#   delta  io.delta:delta-spark + delta-storage (Delta Lake's Spark connector)
#   s3     org.apache.hadoop:hadoop-aws (the Hadoop of pyspark) for s3a:// roots, with the
#          AWS SDK v2 modules it needs: software.amazon.awssdk:s3 and s3-transfer-manager
#          instead of the 686 MB SDK `bundle`, no wildfly-openssl, and nothing Spark already
#          ships (netty, httpclient/httpcore, commons-codec, commons-logging, slf4j):
#          35 jars, about 12 MB. `.jars/s3-jars.txt` lists them once all are copied, so
#          an interrupted copy is fetched again.
#
#   scripts/fetch_jars.sh [DEST]     fetch what DEST lacks (exit 0 when complete)
#   scripts/fetch_jars.sh --check [DEST]
#                                    exit 0 when DEST holds both sets, 1 otherwise (no network)
#
# Maven verifies every download against Central's checksums (--strict-checksums).
# Environment: DELTA_JAR_VERSION (4.4.0), SPARK_MINOR (4.2), HADOOP_AWS_VERSION (3.5.0),
# AWS_SDK_VERSION (2.35.4).
set -euo pipefail
check_only=0
if [ "${1:-}" = "--check" ]; then
  check_only=1
  shift
fi
dest="${1:-$(cd "$(dirname "$0")/.." && pwd)/.jars}"
delta_version="${DELTA_JAR_VERSION:-4.4.0}"
spark_minor="${SPARK_MINOR:-4.2}"
hadoop_aws_version="${HADOOP_AWS_VERSION:-3.5.0}"
aws_sdk_version="${AWS_SDK_VERSION:-2.35.4}"
s3_manifest="$dest/s3-jars.txt"

have_delta() { ls "$dest"/delta-spark_*.jar >/dev/null 2>&1; }

# The S3 set is complete when its manifest names this hadoop-aws and every listed jar exists.
have_s3() {
  [ -f "$s3_manifest" ] || return 1
  grep -qx "hadoop-aws-$hadoop_aws_version.jar" "$s3_manifest" || return 1
  local jar
  while IFS= read -r jar; do
    [ -z "$jar" ] || [ -f "$dest/$jar" ] || return 1
  done <"$s3_manifest"
}

if [ "$check_only" -eq 1 ]; then
  have_delta && have_s3
  exit
fi
if have_delta && have_s3; then exit 0; fi
command -v mvn >/dev/null || { echo "mvn not found: install Maven (apt-get install maven)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"

# resolve SET EXTRA_MVN_ARGS...: copy the runtime dependencies of $work/SET/pom.xml
# into $work/SET/jars, retrying: Maven Central occasionally resets a connection.
resolve() {
  local set="$1" attempt
  shift
  for attempt in 1 2 3 4; do
    if (cd "$work/$set" && mvn -B -q -U --strict-checksums dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$work/$set/jars" "$@"); then
      return 0
    fi
    [ "$attempt" -lt 4 ] || { echo "fetch_jars.sh: mvn failed 4 times for the $set jars (see above)" >&2; exit 1; }
    echo "fetch_jars.sh: mvn failed for the $set jars (attempt $attempt of 4); retrying in $((attempt * 15))s" >&2
    sleep $((attempt * 15))
  done
}

if ! have_delta; then
  echo "==> fetching Delta Lake $delta_version jars from Maven Central into $dest"
  mkdir -p "$work/delta"
  cat > "$work/delta/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.lakehouse</groupId><artifactId>delta-jars</artifactId><version>1</version>
  <dependencies>
    <dependency>
      <groupId>io.delta</groupId><artifactId>delta-spark_${spark_minor}_2.13</artifactId>
      <version>${delta_version}</version>
    </dependency>
  </dependencies>
</project>
POM
  resolve delta -DincludeGroupIds=io.delta
  # delta-kernel-* are for the kernel connector only; Spark needs delta-spark + delta-storage.
  cp "$work"/delta/jars/delta-spark_*.jar "$work"/delta/jars/delta-storage-*.jar "$dest"/
fi

if ! have_s3; then
  echo "==> fetching hadoop-aws $hadoop_aws_version + AWS SDK $aws_sdk_version (s3, s3-transfer-manager) into $dest"
  mkdir -p "$work/s3"
  cat > "$work/s3/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.lakehouse</groupId><artifactId>s3-jars</artifactId><version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.hadoop</groupId><artifactId>hadoop-aws</artifactId>
      <version>${hadoop_aws_version}</version>
      <exclusions>
        <exclusion><groupId>software.amazon.awssdk</groupId><artifactId>bundle</artifactId></exclusion>
        <exclusion><groupId>org.wildfly.openssl</groupId><artifactId>wildfly-openssl</artifactId></exclusion>
      </exclusions>
    </dependency>
    <dependency>
      <groupId>software.amazon.awssdk</groupId><artifactId>s3</artifactId>
      <version>${aws_sdk_version}</version>
    </dependency>
    <dependency>
      <groupId>software.amazon.awssdk</groupId><artifactId>s3-transfer-manager</artifactId>
      <version>${aws_sdk_version}</version>
    </dependency>
  </dependencies>
</project>
POM
  resolve s3 -DexcludeGroupIds=io.netty,org.apache.httpcomponents,commons-codec,commons-logging,org.slf4j
  ls "$work"/s3/jars/analyticsaccelerator-s3-*.jar >/dev/null 2>&1 \
    || { echo "fetch_jars.sh: hadoop-aws resolved without analyticsaccelerator-s3" >&2; exit 1; }
  cp "$work"/s3/jars/*.jar "$dest"/
  # the manifest last: it marks the set complete
  (cd "$work/s3/jars" && ls -1 ./*.jar | sed 's|^\./||') >"$work/s3-jars.txt"
  mv "$work/s3-jars.txt" "$s3_manifest"
  echo "==> $(wc -l <"$s3_manifest") S3 jars ($(cd "$dest" && du -ch $(cat s3-jars.txt) | tail -1 | cut -f1)) in $dest"
fi
