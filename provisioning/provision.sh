#!/usr/bin/env bash
# Turns a fresh Raspberry Pi OS Lite (64-bit) into a Cabine booth of a fleet.
# Idempotent: run it again after a failure or to change the booth id / fleet URL; what is
# already in place is kept (keys are never regenerated, the PIN is set only when given).
#
#   sudo provisioning/provision.sh --booth-id PARIS-0042 --fleet-url mqtts://fleet.example:8883 \
#        --operator-prefix 9CAB [--pin-file FILE] [--data-partition /dev/mmcblk0p3]
#
# --root DIR applies everything to a directory tree instead of the running system (no
# package installs, no npm, no service start), which is how the tests check what it writes.
set -euo pipefail

ROOT=/
BOOTH_ID=
FLEET_URL=
OPERATOR_PREFIX=9CAB
PIN_FILE=
DATA_PARTITION=
READONLY_ROOT=auto
SKIP_PACKAGES=0
SKIP_NPM=0
CONSOLE_TTY=ttyAMA0
CCTALK_TTY=ttyAMA3
SRC=$(cd "$(dirname "$0")/.." && pwd)

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
die() { echo "provision: $*" >&2; exit 1; }
step() { echo "== $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$2; SKIP_PACKAGES=1; SKIP_NPM=1; shift 2 ;;
    --booth-id) BOOTH_ID=$2; shift 2 ;;
    --fleet-url) FLEET_URL=$2; shift 2 ;;
    --operator-prefix) OPERATOR_PREFIX=$2; shift 2 ;;
    --pin-file) PIN_FILE=$2; shift 2 ;;
    --data-partition) DATA_PARTITION=$2; shift 2 ;;
    --readonly-root) READONLY_ROOT=yes; shift ;;
    --skip-packages) SKIP_PACKAGES=1; shift ;;
    --skip-npm) SKIP_NPM=1; shift ;;
    --console-tty) CONSOLE_TTY=$2; shift 2 ;;
    --cctalk-tty) CCTALK_TTY=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 2 ;;
  esac
done

[ -n "$BOOTH_ID" ] || die "--booth-id is required"
[[ "$BOOTH_ID" =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$ ]] || die "booth id '$BOOTH_ID': letters, digits, - or _ only"
[[ "$OPERATOR_PREFIX" =~ ^[0-9ABCDEFGHJKMNPQRTUVWXYZ]{4}$ ]] || die "operator prefix '$OPERATOR_PREFIX': 4 characters from 0-9 A-Z without O, I, L, S"
[ -z "$FLEET_URL" ] || [[ "$FLEET_URL" =~ ^mqtts?:// ]] || die "fleet url must be mqtt:// or mqtts://"
[ -d "$ROOT" ] || die "root $ROOT does not exist"
ROOT=$(cd "$ROOT" && pwd)
R=${ROOT%/}   # prefix for every path ("" on the live system)

APP=/opt/cabine
DATA=/var/lib/cabine
ETC=/etc/cabine
BOOT=/boot/firmware
[ -d "$R/boot/firmware" ] || { [ -d "$R/boot" ] && [ -f "$R/boot/config.txt" ] && BOOT=/boot; }

# --- 1. packages ------------------------------------------------------------------------
if [ "$SKIP_PACKAGES" = 0 ]; then
  step "packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends ca-certificates curl openssl socat device-tree-compiler \
    libcamera-dev pkg-config build-essential python3 espeak-ng alsa-utils chromium cage
  if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
    # Raspberry Pi OS (bookworm) ships Node 18; Node 20 comes from NodeSource's apt repository.
    curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
    apt-get install -y -qq nodejs
  fi
fi

# --- 2. users and groups ------------------------------------------------------------------
step "user cabine (groups gpio, i2c, dialout, video) and cabine-kiosk"
for group in gpio i2c dialout video audio render input; do
  grep -q "^$group:" "$R/etc/group" 2>/dev/null || groupadd --prefix "$ROOT" --system "$group"
done
if ! grep -q '^cabine:' "$R/etc/passwd"; then
  useradd --prefix "$ROOT" --system --user-group --home-dir "$DATA" --no-create-home --shell /usr/sbin/nologin \
    --groups gpio,i2c,dialout,video,audio cabine
else
  usermod --prefix "$ROOT" --append --groups gpio,i2c,dialout,video,audio cabine
fi
if ! grep -q '^cabine-kiosk:' "$R/etc/passwd"; then
  useradd --prefix "$ROOT" --system --user-group --home-dir /run/cabine-kiosk --no-create-home --shell /usr/sbin/nologin \
    --groups video,render,input,audio cabine-kiosk
fi
owner() { # chown by name on the live system, by number in a --root tree
  local uid gid
  uid=$(awk -F: '$1=="cabine"{print $3}' "$R/etc/passwd"); gid=$(awk -F: '$1=="cabine"{print $4}' "$R/etc/passwd")
  chown -R "$uid:$gid" "$@" 2>/dev/null || true
}

# --- 3. the application ----------------------------------------------------------------------
step "application in $APP"
mkdir -p "$R$APP"
if [ "$SRC" != "$R$APP" ]; then
  tar -C "$SRC" --exclude=./node_modules --exclude=./data --exclude=./.git --exclude=./.tap -cf - . | tar -C "$R$APP" -xf -
fi
if [ "$SKIP_NPM" = 0 ]; then
  (cd "$APP" && npm ci --omit=dev --no-audit --no-fund)
fi

# --- 4. data directory, on a writable partition when the root is read-only ------------------------
step "data in $DATA"
if [ "$READONLY_ROOT" = auto ]; then
  READONLY_ROOT=no
  if [ -z "$R" ] && findmnt -no OPTIONS / | grep -qE '(^|,)ro(,|$)'; then READONLY_ROOT=yes; fi
  if [ -z "$R" ] && findmnt -no FSTYPE / | grep -q overlay; then READONLY_ROOT=yes; fi
fi
mkdir -p "$R$DATA"
if [ "$READONLY_ROOT" = yes ]; then
  [ -n "$DATA_PARTITION" ] || die "the root file system is read-only: give --data-partition DEV for $DATA"
  line="$DATA_PARTITION $DATA ext4 defaults,noatime,commit=1 0 2"
  touch "$R/etc/fstab"
  grep -v "[[:space:]]$DATA[[:space:]]" "$R/etc/fstab" > "$R/etc/fstab.cabine" || true
  echo "$line" >> "$R/etc/fstab.cabine"
  mv "$R/etc/fstab.cabine" "$R/etc/fstab"
  [ -n "$R" ] || mountpoint -q "$DATA" || mount "$DATA"
fi
mkdir -p "$R$DATA/keys"
chmod 0750 "$R$DATA"
chmod 0700 "$R$DATA/keys"

# --- 5. keys: record signing (Ed25519) and the MQTT client key + CSR --------------------------------
step "keys"
if [ ! -f "$R$DATA/keys/record-signing.pem" ]; then
  openssl genpkey -algorithm ed25519 -out "$R$DATA/keys/record-signing.pem"
fi
openssl pkey -in "$R$DATA/keys/record-signing.pem" -pubout -out "$R$DATA/keys/record-signing.pub.pem"
if [ ! -f "$R$DATA/keys/mqtt-client.key" ]; then
  openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out "$R$DATA/keys/mqtt-client.key"
fi
# The CSR names the booth; the fleet signs it with `cabine fleet enrol` and returns mqtt-client.crt.
openssl req -new -key "$R$DATA/keys/mqtt-client.key" -subj "/CN=$BOOTH_ID/O=Cabine booth" -out "$R$DATA/keys/mqtt-client.csr"
chmod 0600 "$R$DATA/keys/"*.key "$R$DATA/keys/record-signing.pem"

# --- 6. configuration ------------------------------------------------------------------------------
step "configuration $ETC/config.yaml"
mkdir -p "$R$ETC"
{
  echo "# Written by provisioning/provision.sh; every key: \`cabine config keys\`."
  echo "booth:"
  echo "  id: $BOOTH_ID"
  echo "  operatorPrefix: $OPERATOR_PREFIX"
  echo "data:"
  echo "  dir: $DATA"
  echo "coinAcceptor:"
  echo "  port: /dev/cabine-cctalk"
  echo "fleet:"
  [ -z "$FLEET_URL" ] || echo "  url: $FLEET_URL"
  echo "  signingKeyFile: $DATA/keys/record-signing.pem"
  echo "  keyFile: $DATA/keys/mqtt-client.key"
  echo "  certFile: $DATA/keys/mqtt-client.crt"
  echo "  caFile: $ETC/fleet-ca.pem"
} > "$R$ETC/config.yaml.new"
# Keys an operator added by hand below the marker survive a re-run.
if [ -f "$R$ETC/config.yaml" ] && grep -q '^# --- local ---$' "$R$ETC/config.yaml"; then
  sed -n '/^# --- local ---$/,$p' "$R$ETC/config.yaml" >> "$R$ETC/config.yaml.new"
else
  echo "# --- local ---" >> "$R$ETC/config.yaml.new"
fi
mv "$R$ETC/config.yaml.new" "$R$ETC/config.yaml"
[ -f "$R$ETC/cabine.env" ] || echo "# CABINE_* overrides for this booth (see cabine config keys)" > "$R$ETC/cabine.env"

# --- 7. technician PIN -------------------------------------------------------------------------------
if [ -n "$PIN_FILE" ]; then
  step "technician PIN"
  pin=$(head -n1 "$PIN_FILE")
  [[ "$pin" =~ ^[0-9]{6,12}$ ]] || die "the PIN must be 6 to 12 digits"
  if [ -z "$R" ]; then
    printf '%s\n%s\n' "$pin" "$pin" | node "$APP/bin/cabine.js" console --set-pin --config "$ETC/config.yaml"
  else
    printf '%s\n%s\n' "$pin" "$pin" | CABINE_DATA_DIR="$R$DATA" node "$SRC/bin/cabine.js" console --set-pin --config "$R$ETC/config.yaml"
  fi
fi

# --- 8. udev rules, boot config, overlay -------------------------------------------------------------
step "udev rules"
mkdir -p "$R/etc/udev/rules.d"
cat > "$R/etc/udev/rules.d/99-cabine.rules" <<RULES
# Cabine booth: device groups for the unprivileged booth user, and a stable ccTalk name.
SUBSYSTEM=="i2c-dev", GROUP="i2c", MODE="0660"
SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"
SUBSYSTEM=="gpio", ACTION=="add", PROGRAM="/bin/sh -c 'chgrp -R gpio /sys/class/gpio /sys/devices/platform/*/gpiochip* 2>/dev/null; chmod -R g+w /sys/class/gpio 2>/dev/null; true'"
KERNEL=="$CCTALK_TTY", SYMLINK+="cabine-cctalk", GROUP="dialout", MODE="0660"
KERNEL=="$CONSOLE_TTY", GROUP="dialout", MODE="0660"
RULES

step "boot config and overlay in $BOOT"
mkdir -p "$R$BOOT/overlays"
dtc -@ -q -I dts -O dtb -o "$R$BOOT/overlays/cabine-booth.dtbo" "$SRC/firmware/cabine-booth.dts"
touch "$R$BOOT/config.txt"
sed -i '/^# >>> cabine >>>$/,/^# <<< cabine <<<$/d' "$R$BOOT/config.txt"
{ echo '# >>> cabine >>>'; cat "$SRC/firmware/config.txt"; echo '# <<< cabine <<<'; } >> "$R$BOOT/config.txt"
if [ -f "$R$BOOT/cmdline.txt" ]; then
  # The console UART belongs to the technician console, not to the kernel.
  sed -i -E 's/ ?console=(serial0|ttyAMA0|ttyS0),[0-9]+//g' "$R$BOOT/cmdline.txt"
fi

# --- 9. systemd units --------------------------------------------------------------------------------
step "systemd units"
mkdir -p "$R/etc/systemd/system"
install -m 0644 "$SRC/systemd/cabine.service" "$SRC/systemd/cabine-console@.service" "$SRC/systemd/cabine-kiosk.service" "$R/etc/systemd/system/"
if [ -n "$R" ]; then
  systemctl --root="$ROOT" enable cabine.service "cabine-console@$CONSOLE_TTY.service" cabine-kiosk.service >/dev/null 2>&1 \
    || die "systemctl --root enable failed"
else
  systemctl daemon-reload
  systemctl enable --now cabine.service "cabine-console@$CONSOLE_TTY.service" cabine-kiosk.service
fi

owner "$R$DATA"
step "booth $BOOTH_ID provisioned"
echo "next: have the fleet sign $DATA/keys/mqtt-client.csr (cabine fleet enrol) and copy back mqtt-client.crt and fleet-ca.pem"
