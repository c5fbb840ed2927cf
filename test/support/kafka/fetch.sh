#!/usr/bin/env bash
# Lays out the runtime classpath of a real Kafka 3.9.1 broker (see pom.xml next to this script) in a
# cache directory, so the integration tests can run a KRaft broker without Docker.
#
#   SHADOW_AI_KAFKA_CACHE  cache root (default: $HOME/.cache/shadow-ai/kafka-3.9.1)
#
# On success the only thing written to stdout is the absolute path of the libs directory; all
# diagnostics go to stderr so callers can capture the path verbatim.
set -euo pipefail

script_path="${BASH_SOURCE[0]}"
[[ "$script_path" == */* ]] || script_path="./$script_path"
script_dir="$(cd -- "${script_path%/*}" && pwd)"
pom="$script_dir/pom.xml"
cache="${SHADOW_AI_KAFKA_CACHE:-$HOME/.cache/shadow-ai/kafka-3.9.1}"
libs="$cache/libs"
marker="$cache/.complete"

die() {
  printf 'shadow-ai kafka fetch: %s\n' "$*" >&2
  exit 1
}

# Java is needed on every run (the broker itself), Maven only when the cache has to be (re)filled.
command -v java >/dev/null 2>&1 ||
  die "java not found on PATH; the Kafka integration tests need a JDK/JRE 11+ (e.g. apt-get install openjdk-17-jre-headless) or set KAFKA_BROKERS to an existing broker"
java_version_line="$(java -version 2>&1 | head -n 1)" || die "'java -version' failed: $java_version_line"
java_major="$(sed -E 's/.*version "(1\.)?([0-9]+).*/\2/' <<<"$java_version_line")"
[[ "$java_major" =~ ^[0-9]+$ ]] || die "cannot parse Java version from: $java_version_line"
((java_major >= 11)) || die "Kafka 3.9 needs Java 11+, found: $java_version_line"

# The marker records the pom's hash, so editing the pom (e.g. a version bump) refetches.
pom_hash="$(sha256sum "$pom" | cut -d ' ' -f 1)"
is_complete() {
  [[ -f "$marker" && "$(cat "$marker")" == "$pom_hash" && -d "$libs" ]]
}

if is_complete; then
  printf '%s\n' "$libs"
  exit 0
fi

command -v mvn >/dev/null 2>&1 ||
  die "mvn not found on PATH and the Kafka jars are not cached in $libs; install Maven (e.g. apt-get install maven) or set KAFKA_BROKERS to an existing broker"

mkdir -p "$cache"
# Several test processes may start at once; only one of them should download.
exec 9>"$cache/.lock"
flock 9
if is_complete; then
  printf '%s\n' "$libs"
  exit 0
fi

staging="$(mktemp -d "$cache/libs.staging.XXXXXX")"
trap 'rm -rf -- "$staging"' EXIT
mvn_log="$cache/mvn.log"
echo "shadow-ai kafka fetch: resolving Kafka jars with Maven into $libs (first run only)..." >&2
if ! mvn -B -q -f "$pom" dependency:copy-dependencies -DoutputDirectory="$staging" >"$mvn_log" 2>&1; then
  tail -n 40 "$mvn_log" >&2 || true
  die "Maven failed to fetch the Kafka jars (full log: $mvn_log)"
fi
compgen -G "$staging/kafka_2.13-*.jar" >/dev/null ||
  die "Maven finished but kafka_2.13 is missing from $staging (log: $mvn_log)"

# Swap the new tree in before writing the marker, so a crash never leaves a marked half-filled cache.
rm -f -- "$marker"
rm -rf -- "$libs"
mv -- "$staging" "$libs"
trap - EXIT
printf '%s' "$pom_hash" >"$marker"
echo "shadow-ai kafka fetch: cached $(find "$libs" -name '*.jar' | wc -l) jars in $libs" >&2
printf '%s\n' "$libs"
