#!/usr/bin/env bash
# Resolve Delta Lake's JVM jars from Maven Central into a local folder (default .jars).
# Spark ships everything else; only the io.delta artifacts are copied.
set -euo pipefail
dest="${1:-$(cd "$(dirname "$0")/.." && pwd)/.jars}"
delta_version="${DELTA_JAR_VERSION:-4.4.0}"
spark_minor="${SPARK_MINOR:-4.2}"
if ls "$dest"/delta-spark_*.jar >/dev/null 2>&1; then exit 0; fi
command -v mvn >/dev/null || { echo "mvn not found: install Maven (apt-get install maven)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/pom.xml" <<POM
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
mkdir -p "$dest"
# Maven Central occasionally resets a connection: try a few times before giving up.
for attempt in 1 2 3 4; do
  if (cd "$work" && mvn -B -q -U dependency:copy-dependencies -DincludeScope=runtime \
      -DincludeGroupIds=io.delta -DoutputDirectory="$work/jars"); then
    break
  fi
  [ "$attempt" -lt 4 ] || { echo "fetch_jars.sh: mvn failed 4 times (see above)" >&2; exit 1; }
  echo "fetch_jars.sh: mvn failed (attempt $attempt of 4); retrying in $((attempt * 15))s" >&2
  sleep $((attempt * 15))
done
# delta-kernel-* are for the kernel connector only; Spark needs delta-spark + delta-storage.
cp "$work"/jars/delta-spark_*.jar "$work"/jars/delta-storage-*.jar "$dest"/
echo "Delta jars in $dest: $(ls "$dest" | tr '\n' ' ')"
