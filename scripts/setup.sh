#!/usr/bin/env bash
# Installs what gatewayhost needs on a Debian machine with the Swift toolchain, when it is missing:
# libcurl, libyaml, zlib, hiredis and sqlite3 headers (the gateway links them), a C compiler (plugins and
# their tests), and
# python3-venv (the end-to-end tests run the official openai SDK from PyPI in a virtualenv), clang (the
# C fuzz targets) and Debian's chromium + chromium-driver (the status page test drives a headless Chromium)
# for the tests.
set -euo pipefail

missing=()
dpkg -s libcurl4-openssl-dev >/dev/null 2>&1 || missing+=(libcurl4-openssl-dev)
dpkg -s libyaml-dev >/dev/null 2>&1 || missing+=(libyaml-dev)
dpkg -s zlib1g-dev >/dev/null 2>&1 || missing+=(zlib1g-dev)
dpkg -s libhiredis-dev >/dev/null 2>&1 || missing+=(libhiredis-dev)
dpkg -s libsqlite3-dev >/dev/null 2>&1 || missing+=(libsqlite3-dev)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if [ "${1:-}" = "--with-tests" ]; then
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
  # The sanitizer and fuzzing stages need clang with libFuzzer; the Swift toolchain ships one, Debian's
  # clang package is the fallback when it is not on PATH.
  command -v clang >/dev/null 2>&1 || missing+=(clang)
  # The status page test (Tests/e2e/test_admin_page.py) drives a real headless Chromium through chromedriver.
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
  # The shared-limits tests (Tests/e2e/test_limits_redis.py) start a real redis-server on 127.0.0.1.
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null 2>&1 || { echo "setup: the Swift toolchain (swift) is not on PATH" >&2; exit 1; }
