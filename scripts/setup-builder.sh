#!/bin/sh
# Set up a container image builder and a local Python base image, for depslim's
# image benchmark (bench/images/) and the opt-in `image` tests (tests/images/).
#
# One command, idempotent: run it again and it only checks what is already there.
#
#     sudo scripts/setup-builder.sh            # buildah + localhost/depslim-python:3.11-bookworm
#     sudo scripts/setup-builder.sh --check    # say what is missing, change nothing
#
# What it needs, and why:
# * root: buildah runs rootful here (chroot isolation, overlay storage under
#   /var/lib/containers); debootstrap writes a root file system.
# * a Debian or Ubuntu host with apt reaching a Debian mirror: it installs the
#   packages `buildah` and `debootstrap` when they are missing, and debootstrap fetches
#   bookworm (minbase) plus python3, python3-venv, python3-pip and ca-certificates.
#   No container registry is needed: the base image is made locally.
# * the CA bundle: when the host trusts extra certificate authorities (a TLS-inspecting
#   proxy: files in /usr/local/share/ca-certificates), they are copied into the base
#   image and added to its bundle, and the image's environment points pip (and
#   requests/ssl) at /etc/ssl/certs/ca-certificates.crt. Without this, pip inside the
#   build cannot reach the index.
#
# Environment (optional): DEPSLIM_BASE_IMAGE (image name to create, default
# localhost/depslim-python:3.11-bookworm), DEBIAN_MIRROR (default
# http://deb.debian.org/debian), DEPSLIM_EXTRA_CA_DIR (default
# /usr/local/share/ca-certificates).
#
# Docker with BuildKit works too where a daemon runs; this script does not set one up.
set -eu

IMAGE=${DEPSLIM_BASE_IMAGE:-localhost/depslim-python:3.11-bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CA_DIR=${DEPSLIM_EXTRA_CA_DIR:-/usr/local/share/ca-certificates}
SUITE=bookworm
CHECK=0
[ "${1:-}" = "--check" ] && CHECK=1

say() { printf 'setup-builder: %s\n' "$*"; }
die() { printf 'setup-builder: error: %s\n' "$*" >&2; exit 1; }

missing=""
command -v buildah >/dev/null 2>&1 || missing="$missing buildah"
command -v debootstrap >/dev/null 2>&1 || missing="$missing debootstrap"

if [ "$CHECK" = 1 ]; then
    [ -n "$missing" ] && say "missing Debian packages:$missing" || say "buildah and debootstrap: present"
    if command -v buildah >/dev/null 2>&1 && buildah inspect --type image "$IMAGE" >/dev/null 2>&1; then
        say "base image $IMAGE: present"
    else
        say "base image $IMAGE: missing (run this script as root without --check)"
    fi
    exit 0
fi

[ "$(id -u)" = 0 ] || die "run as root (buildah rootful storage, debootstrap): sudo $0"

if [ -n "$missing" ]; then
    command -v apt-get >/dev/null 2>&1 || die "no apt-get: install$missing with your package manager"
    say "installing$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

if buildah inspect --type image "$IMAGE" >/dev/null 2>&1; then
    say "base image $IMAGE already present; nothing to do"
    exit 0
fi

work=$(mktemp -d)
ctr=""
cleanup() {
    [ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

root="$work/rootfs"
say "debootstrap $SUITE (minbase) with python3, python3-venv, python3-pip, ca-certificates"
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }

extra=0
if [ -d "$CA_DIR" ]; then
    for crt in "$CA_DIR"/*.crt; do
        [ -e "$crt" ] || continue
        cp "$crt" "$root/usr/local/share/ca-certificates/"
        extra=$((extra + 1))
    done
fi
if [ "$extra" -gt 0 ]; then
    say "adding $extra extra CA certificate(s) from $CA_DIR to the image's bundle"
    chroot "$root" update-ca-certificates >/dev/null
fi

# Leave nothing that changes from run to run and nothing a build does not need.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/log/* "$root"/tmp/* "$root"/root/.cache

say "importing the root file system as $IMAGE"
ctr=$(buildah from scratch)
mnt=$(buildah mount "$ctr")
cp -a "$root/." "$mnt/"
buildah umount "$ctr" >/dev/null
bundle=/etc/ssl/certs/ca-certificates.crt
buildah config \
    --env LANG=C.UTF-8 \
    --env PIP_CERT=$bundle --env SSL_CERT_FILE=$bundle --env REQUESTS_CA_BUNDLE=$bundle \
    --env PIP_DISABLE_PIP_VERSION_CHECK=1 \
    --cmd python3 "$ctr"
buildah commit --quiet --timestamp 0 "$ctr" "$IMAGE" >/dev/null
say "done: $(buildah run --isolation chroot "$ctr" -- python3 --version) in $IMAGE"
