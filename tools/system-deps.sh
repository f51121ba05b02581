#!/usr/bin/env bash
# System packages some tests use for real parts: an OpenSSH server (the Jetson-over-SSH
# profiler is tested against a real sshd on 127.0.0.1) and the aarch64 cross compiler
# (TVM builds for Raspberry Pi-class boards). Installed with apt when running as root;
# otherwise the missing ones are listed and the tests that need them say so.
set -u
missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || missing+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "warning: missing system packages ${missing[*]}; install them (apt-get install ${missing[*]}) to run every test" >&2
fi
exit 0
