#!/usr/bin/env bash
# Turns a fresh Raspberry Pi OS Lite (64-bit) into a Cabine booth of a fleet.
# Idempotent: run it again after a failure or to change the booth id / fleet URL; what is
# already in place is kept (keys are never regenerated, the PIN is set only when given).
#
#   sudo provisioning/provision.sh --booth-id PARIS-0042 --fleet-url mqtts://fleet.example:8883 \
#        --operator-prefix 9CAB [--pin-file FILE] [--data-partition /dev/mmcblk0p3] \
#        [--models DIR] [--printer-uri ipp://... | --printer-device ipp://...] [--model pi4|pi5]
#
# --models DIR      the release's ONNX face models (built by `npm run models -- --out DIR`);
#                   without it they are built here before the dev packages are pruned
# --printer-device  the printer's own IPP URI: a CUPS driverless queue "cabine" is made for it
# --printer-uri     an IPP URI the booth prints to as is; checked to answer
# --model           board model (default: read from the device tree)
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
CCTALK_TTY=
MODEL=
MODELS_DIR=
PRINTER_URI=
PRINTER_DEVICE=
PRINTER_GIVEN=0
SRC=$(cd "$(dirname "$0")/.." && pwd)

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
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
    --model) MODEL=$2; shift 2 ;;
    --models) MODELS_DIR=$2; shift 2 ;;
    --printer-uri) PRINTER_URI=$2; PRINTER_GIVEN=1; shift 2 ;;
    --printer-device) PRINTER_DEVICE=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 2 ;;
  esac
done

[ -n "$BOOTH_ID" ] || die "--booth-id is required"
[[ "$BOOTH_ID" =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$ ]] || die "booth id '$BOOTH_ID': letters, digits, - or _ only"
[[ "$OPERATOR_PREFIX" =~ ^[0-9ABCDEFGHJKMNPQRTUVWXYZ]{4}$ ]] || die "operator prefix '$OPERATOR_PREFIX': 4 characters from 0-9 A-Z without O, I, L, S"
[ -z "$FLEET_URL" ] || [[ "$FLEET_URL" =~ ^mqtts?:// ]] || die "fleet url must be mqtt:// or mqtts://"
[ -z "$PRINTER_URI" ] || [[ "$PRINTER_URI" =~ ^ipps?://[^[:space:]]+$ ]] || die "printer uri must be ipp:// or ipps://"
[ -z "$PRINTER_DEVICE" ] || [[ "$PRINTER_DEVICE" =~ ^(ipps?|dnssd)://[^[:space:]]+$ ]] || die "printer device must be an ipp://, ipps:// or dnssd:// URI"
[ -z "$PRINTER_URI" ] || [ -z "$PRINTER_DEVICE" ] || die "give --printer-uri or --printer-device, not both"
[ -d "$ROOT" ] || die "root $ROOT does not exist"
[ -z "$PRINTER_DEVICE" ] || PRINTER_URI=ipp://localhost:631/printers/cabine
ROOT=$(cd "$ROOT" && pwd)
R=${ROOT%/}   # prefix for every path ("" on the live system)

# The board model picks the UARTs: the console is ttyAMA0 on GPIO 14/15 on both (uart0-pi5 on
# a Pi 5); ccTalk on GPIO 4/5 is UART3 = ttyAMA3 on a Pi 4, UART2 = ttyAMA2 on a Pi 5.
if [ -z "$MODEL" ]; then
  model_file="$R/proc/device-tree/model"
  [ -f "$model_file" ] || die "cannot read the board model ($model_file): give --model pi4 or --model pi5"
  case "$(tr -d '\0' < "$model_file")" in
    *"Raspberry Pi 5"*|*"Raspberry Pi 500"*|*"Compute Module 5"*) MODEL=pi5 ;;
    *"Raspberry Pi 4"*|*"Raspberry Pi 400"*|*"Compute Module 4"*) MODEL=pi4 ;;
    *) die "unsupported board '$(tr -d '\0' < "$model_file")': a Raspberry Pi 4 or 5 is needed (or give --model)" ;;
  esac
fi
case "$MODEL" in
  pi4) CCTALK_TTY=${CCTALK_TTY:-ttyAMA3} ;;
  pi5) CCTALK_TTY=${CCTALK_TTY:-ttyAMA2} ;;
  *) die "--model must be pi4 or pi5" ;;
esac

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
    libcamera-dev pkg-config build-essential python3 espeak-ng alsa-utils chromium cage \
    cups cups-ipp-utils
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
# Installed as the first release of the updater's layout (docs/deploy.md, "Updating"):
# /opt/cabine -> cabine-releases/current -> releases/<version>. An /opt/cabine folder left by an
# earlier provisioning becomes that release.
step "application in $APP"
RELEASES=/opt/cabine-releases
VERSION=$(sed -n 's/^  "version": "\([^"]*\)",$/\1/p' "$SRC/package.json" | head -n 1)
[ -n "$VERSION" ] || die "cannot read the version of $SRC/package.json"
if [ ! -L "$R$APP" ]; then
  mkdir -p "$R$RELEASES/releases"
  if [ -d "$R$APP" ] && [ ! -e "$R$RELEASES/releases/$VERSION" ]; then mv "$R$APP" "$R$RELEASES/releases/$VERSION"; fi
  mkdir -p "$R$RELEASES/releases/$VERSION"
  ln -sfn "releases/$VERSION" "$R$RELEASES/current"
  rm -rf "$R$APP"
  ln -sfn "cabine-releases/current" "$R$APP"
fi
mkdir -p "$R$APP/"
if [ "$SRC" != "$R$APP" ]; then
  tar -C "$SRC" --exclude=./node_modules --exclude=./data --exclude=./.git --exclude=./.tap --exclude=./models -cf - . | tar -C "$R$APP" -xf -
fi
# The face models: the release's (--models DIR, or the models/ beside this script), each
# checked against the manifest; otherwise built here with the dev packages, pruned afterwards.
# The booth cannot sell without them, so provisioning stops when they are not all present.
has_models() { compgen -G "$1/*.onnx" >/dev/null; }
if [ "$SKIP_NPM" = 0 ]; then
  if [ -n "$MODELS_DIR" ] || has_models "$SRC/models"; then
    (cd "$APP" && npm ci --omit=dev --no-audit --no-fund)
  else
    (cd "$APP" && npm ci --no-audit --no-fund && npm run models && npm prune --omit=dev --no-audit --no-fund)
  fi
  CABINE="node $APP/bin/cabine.js"
else
  CABINE="node $SRC/bin/cabine.js"   # --root: the app's dependencies are not installed
fi
step "face models"
if [ -n "$MODELS_DIR" ]; then
  $CABINE models install "$MODELS_DIR" --dir "$R$APP/models" || die "face models missing or not this release's in $MODELS_DIR"
elif [ "$SRC" != "$R$APP" ] && has_models "$SRC/models"; then
  $CABINE models install "$SRC/models" --dir "$R$APP/models" || die "face models missing or not this release's in $SRC/models"
fi
$CABINE models check --dir "$R$APP/models" \
  || die "face models missing: give --models DIR (built with \`npm run models -- --out DIR\`); the booth would refuse every customer"

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
# The CSR names the booth, in exactly one CN (the only subject `cabine fleet enrol` signs); the
# fleet returns mqtt-client.crt.
openssl req -new -key "$R$DATA/keys/mqtt-client.key" -subj "/CN=$BOOTH_ID" -out "$R$DATA/keys/mqtt-client.csr"
chmod 0600 "$R$DATA/keys/"*.key "$R$DATA/keys/record-signing.pem"

# --- 6. configuration ------------------------------------------------------------------------------
step "configuration $ETC/config.yaml"
mkdir -p "$R$ETC"
# A printer given on an earlier run is kept when this run names none.
if [ -z "$PRINTER_URI" ] && [ -f "$R$ETC/config.yaml" ]; then
  PRINTER_URI=$(sed -n '/^printer:$/,/^[^ ]/s/^  uri: //p' "$R$ETC/config.yaml" | head -n1)
fi
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
  if [ -n "$PRINTER_URI" ]; then echo "printer:"; echo "  uri: $PRINTER_URI"; fi
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
# Both models' overlays are installed; the [pi4]/[pi5] sections of the fragment pick one.
for board in pi4 pi5; do
  dtc -@ -q -I dts -O dtb -o "$R$BOOT/overlays/cabine-booth-$board.dtbo" "$SRC/firmware/cabine-booth-$board.dts"
done
rm -f "$R$BOOT/overlays/cabine-booth.dtbo"   # the single overlay of earlier versions
touch "$R$BOOT/config.txt"
sed -i '/^# >>> cabine >>>$/,/^# <<< cabine <<<$/d' "$R$BOOT/config.txt"
{ echo '# >>> cabine >>>'; cat "$SRC/firmware/config.txt"; echo '# <<< cabine <<<'; } >> "$R$BOOT/config.txt"
if [ -f "$R$BOOT/cmdline.txt" ]; then
  # The console UART belongs to the technician console, not to the kernel.
  sed -i -E 's/ ?console=(serial0|ttyAMA0|ttyS0),[0-9]+//g' "$R$BOOT/cmdline.txt"
fi

# --- 9. printer ---------------------------------------------------------------------------------------
# A CUPS driverless queue (IPP Everywhere: `lpadmin -m everywhere`) for the printer's own URI,
# or an IPP URI given as is. Either way the booth must get an answer from it before we finish.
if [ -n "$PRINTER_DEVICE" ]; then
  step "printer queue cabine -> $PRINTER_DEVICE"
  if [ -z "$R" ]; then
    lpadmin -p cabine -E -v "$PRINTER_DEVICE" -m everywhere -o printer-error-policy=abort-job \
      || die "lpadmin could not make a driverless queue for $PRINTER_DEVICE (is it an IPP Everywhere printer, and on?)"
    cupsenable cabine && cupsaccept cabine
    # A board holds a customer's photo, signature and code: CUPS keeps a job's document only
    # while the job is queued (its default keeps it a day), see docs/privacy.md.
    cupsctl PreserveJobFiles=No || echo "provision: warning: could not set PreserveJobFiles No in cupsd.conf" >&2
  fi
fi
if [ -n "$PRINTER_URI" ]; then
  if [ -z "$R" ] || [ "$PRINTER_GIVEN" = 1 ]; then   # (in --root mode no CUPS queue is made)
    step "printer $PRINTER_URI answers"
    # It must answer; not being ready (out of paper, cover open) is for the technician to fix.
    answer=$($CABINE print status --printer "$PRINTER_URI" --json 2>&1 || true)
    case "$answer" in
      *'"state":{"state":"unreachable"'*|'') die "the printer $PRINTER_URI does not answer: $answer" ;;
      *'"state":{"state":'*) echo "$answer" ;;
      *) die "the printer $PRINTER_URI does not answer: $answer" ;;
    esac
  fi
else
  echo "provision: no --printer-device or --printer-uri: set printer.uri in $ETC/config.yaml before the booth can sell" >&2
fi

# --- 10. systemd units ---------------------------------------------------------------------------------
step "systemd units"
mkdir -p "$R/etc/systemd/system"
install -m 0644 "$SRC/systemd/cabine.service" "$SRC/systemd/cabine-console@.service" "$SRC/systemd/cabine-kiosk.service" \
  "$SRC/systemd/cabine-update.service" "$SRC/systemd/cabine-update.path" "$R/etc/systemd/system/"
SYSTEMCTL=(systemctl)
[ -z "$R" ] || SYSTEMCTL=(systemctl "--root=$ROOT")
# The console UART is the technician's: no login prompt on it (serial0 is its alias), and on a
# Pi 4 no Bluetooth attach (disable-bt took the UART from it).
"${SYSTEMCTL[@]}" mask "serial-getty@$CONSOLE_TTY.service" serial-getty@serial0.service >/dev/null 2>&1 || die "cannot mask the serial getty"
if [ "$MODEL" = pi4 ]; then "${SYSTEMCTL[@]}" mask hciuart.service >/dev/null 2>&1 || die "cannot mask hciuart"; fi
# The customer screen belongs to the kiosk (wanted by multi-user.target, where Pi OS Lite
# boots): on a Desktop image the desktop session would take the screen, so the board boots to
# multi-user.target too.
if [ -z "$R" ]; then
  systemctl set-default multi-user.target >/dev/null || die "cannot set the default target"
  systemctl disable display-manager.service >/dev/null 2>&1 || true
else   # what set-default and disable do, in a tree without the distribution's units
  ln -sfn /lib/systemd/system/multi-user.target "$R/etc/systemd/system/default.target"
  rm -f "$R/etc/systemd/system/display-manager.service"
fi
rm -f "$R/etc/systemd/system/graphical.target.wants/cabine-kiosk.service"   # earlier versions
if [ -n "$R" ]; then
  "${SYSTEMCTL[@]}" enable cabine.service "cabine-console@$CONSOLE_TTY.service" cabine-kiosk.service cabine-update.path >/dev/null 2>&1 \
    || die "systemctl --root enable failed"
else
  systemctl daemon-reload
  systemctl enable --now cabine.service "cabine-console@$CONSOLE_TTY.service" cabine-kiosk.service cabine-update.path
fi

# --- 11. owners and modes -------------------------------------------------------------------------------
# The app is root's and read-only to the booth; config readable by the booth only (it names key
# files); data and keys the booth's own.
chown -R 0:0 "$R$APP/" 2>/dev/null || true
chmod -R u+rwX,go+rX,go-w "$R$APP/"
cabine_gid=$(awk -F: '$1=="cabine"{print $4}' "$R/etc/passwd")
chown 0:"$cabine_gid" "$R$ETC" "$R$ETC/config.yaml" "$R$ETC/cabine.env" 2>/dev/null || true
chmod 0750 "$R$ETC"
chmod 0640 "$R$ETC/config.yaml" "$R$ETC/cabine.env"
chmod 0644 "$R/etc/udev/rules.d/99-cabine.rules" "$R$BOOT/overlays/"cabine-booth-pi*.dtbo

mkdir -p "$R$DATA/update"   # the booth stages fleet updates there (cabine-update.path)
owner "$R$DATA"
step "booth $BOOTH_ID provisioned"
echo "next: have the fleet sign $DATA/keys/mqtt-client.csr (cabine fleet enrol) and copy back mqtt-client.crt and fleet-ca.pem"
