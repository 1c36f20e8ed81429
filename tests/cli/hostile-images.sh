# tests/cli/hostile-images.sh: sourced by tests/cli/run after deploy.sh (uses
# its bundle $B, 1x28x28, and expect/ok/bad). Hostile image files, by
# `msprune run BUNDLE FILE` and through an image-list experiment with `train`:
# each is refused as bad input (exit 2) with the file and the fault named,
# also under a path of 500+ bytes, and nothing writes ./bad.list.
HI="$TMP/hostile"
case $MSPRUNE in /*) HM=$MSPRUNE ;; *) HM=$PWD/$MSPRUNE ;; esac # runs from $HI too
HL="$HI/$(printf '%0100d/%0100d/%0100d/%0100d/%0100d' 1 2 3 4 5)"
mkdir -p "$HL"
python3 - "$HI" "$HL" <<'PY' || bad "could not write hostile images"
import struct, sys, zlib
hi, hl = sys.argv[1], sys.argv[2]

def put(path, data):
    open(path, 'wb').write(data)

def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))

def png(w, h, ctype, raw, plte=None, z=None):
    s = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, ctype, 0, 0, 0))
    if plte:
        s += chunk(b'PLTE', plte)
    return s + chunk(b'IDAT', z or zlib.compress(raw)) + chunk(b'IEND', b'')

grey = b''.join(b'\0' + bytes((x * 9 + y) % 256 for x in range(28)) for y in range(28))
put(f'{hi}/cat-ok.png', png(28, 28, 0, grey))
z = bytearray(zlib.compress(grey))
z[-1] ^= 1  # the zlib stream's Adler-32; every chunk CRC stays right
put(f'{hi}/cat-adler.png', png(28, 28, 0, grey, z=bytes(z)))
put(f'{hl}/cat-adler.png', png(28, 28, 0, grey, z=bytes(z)))
put(f'{hi}/cat-surplus.png', png(28, 28, 0, grey + bytes(29)))
pal = bytearray(grey)
pal[29 * 5 + 3] = 4  # index 4 of a 4-entry palette
put(f'{hi}/cat-palette.png', png(28, 28, 3, bytes(pal), plte=bytes(range(12))))

# A 28x28 baseline grey JPEG by hand: one 1-bit Huffman code each for DC
# difference 0 and end-of-block, so each 8x8 block is 2 bits (mid grey).
def jpeg(w, h):
    seg = lambda m, d: b'\xff' + bytes([m]) + struct.pack('>H', len(d) + 2) + d
    one_code = bytes([1] + [0] * 15) + b'\0'
    blocks = ((w + 7) // 8) * ((h + 7) // 8)
    data = bytes((2 * blocks + 7) // 8)
    return (b'\xff\xd8' + seg(0xdb, b'\0' + bytes([1] * 64)) +
            seg(0xc0, b'\x08' + struct.pack('>HH', h, w) + b'\x01\x01\x11\x00') +
            seg(0xc4, b'\x00' + one_code) + seg(0xc4, b'\x10' + one_code) +
            seg(0xda, b'\x01\x01\x00\x00\x3f\x00') + data + b'\xff\xd9')
ok = jpeg(28, 28)
put(f'{hi}/cat-ok.jpg', ok)
big = bytearray(ok)
sof = big.index(b'\xff\xc0')
big[sof + 5:sof + 9] = struct.pack('>HH', 4096, 8192)  # claims 8192x4096
put(f'{hi}/cat-big.jpg', bytes(big))
put(f'{hi}/cat-cut.jpg', ok[:-2])
PY
[ "$(printf '%s' "$HL/cat-adler.png" | wc -c)" -gt 500 ] && ok || bad "hostile: the long path is short"

# run: good files pass, each hostile one is bad input naming file and fault.
expect 0 "" -- "$MSPRUNE" run "$B" "$HI/cat-ok.png" "$HI/cat-ok.jpg" -q
hostile() { # FILE FAULT
    (cd "$HI" && "$HM" run "$B" "$1" >"$TMP/out" 2>"$TMP/err")
    local got=$?
    if [ "$got" != 2 ]; then
        bad "run $1 -> exit $got, want 2: $(head -c 300 "$TMP/err")"
    elif ! grep -qF -- "msprune: $1: image cannot be decoded ($2" "$TMP/err"; then
        bad "run $1: stderr lacks '$2': $(head -c 600 "$TMP/err")"
    elif [ -e "$HI/bad.list" ]; then
        bad "run $1 wrote bad.list"
    else
        ok
    fi
}
hostile "$HI/cat-adler.png" "PNG image data fails its Adler-32 check"
hostile "$HL/cat-adler.png" "PNG image data fails its Adler-32 check"
hostile "$HI/cat-surplus.png" "PNG image data is longer than its size needs"
hostile "$HI/cat-palette.png" "PNG palette index is beyond the palette's entries"
hostile "$HI/cat-big.jpg" "JPEG scan has less data than its size needs"
hostile "$HI/cat-cut.jpg" "JPEG ends before its end-of-image marker"

# An image list naming the long path: train refuses it at LIST:LINE.
printf 'cat\ndog\n' >"$HI/names"
printf '%s\n%s\n' "$HI/cat-ok.png" "$HL/cat-adler.png" >"$HI/train.list"
printf '%s\n' "$HI/cat-ok.png" >"$HI/test.list"
cat >"$HI/list.conf" <<CONF
name = "hostile";
output = "$HI/results";
data: {
  format = "list";
  train_list = "$HI/train.list";
  test_list = "$HI/test.list";
  names = "$HI/names";
  width = 28; height = 28; channels = 1;
  validation = 0.0;
};
base: { cfg = "$PWD/tests/data/tiny-fashion.cfg"; weights = "$HI/none.weights"; epochs = 1; };
CONF
(cd "$HI" && "$HM" train "$HI/list.conf" >"$TMP/out" 2>"$TMP/err")
st=$?
[ "$st" = 2 ] && grep -qF "msprune: $HI/train.list:2: image '$HL/cat-adler.png' cannot be decoded (PNG image data fails its Adler-32 check" "$TMP/err" &&
    ok || bad "train on a hostile image list -> exit $st: $(head -c 900 "$TMP/err")"
[ ! -e "$HI/bad.list" ] && [ ! -e bad.list ] && ok || bad "an image list run wrote bad.list"
