#!/usr/bin/env bash
# Builds the built-in and example policy plugins and installs them into plugins.d/ as <name>.so, the
# file name a chain entry loads by default. Usage: scripts/install-plugins.sh [debug|release]
set -euo pipefail
cd "$(dirname "$0")/.."
configuration="${1:-debug}"
products=".build/$configuration"
dest="plugins.d"
mkdir -p "$dest"
chmod 755 "$dest"   # the loader refuses plugins in a world-writable folder

install_so() {  # install_so SOURCE NAME
  install -m 0644 "$1" "$dest/$2.so"
}

# Plugins built by SwiftPM as dynamic library products (swift build has built them).
for pair in "libExampleSwiftPolicy.so:example-swift" "libPromptInjection.so:prompt-injection" \
            "libPiiDetector.so:pii-detector" "libAuditLogger.so:audit-logger"; do
  lib="${pair%%:*}"; name="${pair##*:}"
  if [ -f "$products/$lib" ]; then install_so "$products/$lib" "$name"; fi
done

# The C example plugin, built the way a plugin author would: cc against the ABI header and the plugins'
# shared JSON reader (Plugins/common/pab_json.h, header-only).
cc -std=c11 -O2 -shared -fPIC -fvisibility=hidden -Wall -Wextra -Werror \
   -I Sources/PolicyABI/include -I Plugins/common -o "$dest/keyword-blocklist.so" \
   Plugins/Examples/keyword-blocklist/keyword_blocklist.c
chmod 0644 "$dest/keyword-blocklist.so"

# The data-routing built-in, the same way, with the same shared JSON reader.
cc -std=c11 -O2 -shared -fPIC -fvisibility=hidden -Wall -Wextra -Werror \
   -I Sources/PolicyABI/include -I Plugins/common -o "$dest/data-routing.so" \
   Plugins/data-routing/dr_*.c
chmod 0644 "$dest/data-routing.so"
echo "plugins installed in $dest/: $(cd "$dest" && ls *.so | tr '\n' ' ')"
