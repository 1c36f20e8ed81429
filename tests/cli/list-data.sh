# tests/cli/list-data.sh: sourced by tests/cli/run (uses $TMP, expect, ok,
# bad). A user's own PNG folders as an image-list experiment: data/train/
# tshirt, shirt and t-shirt, lists written by find, paths relative to the
# working folder. `check` accepts it without data.width/height/channels and
# prints the counts, and refuses, at LIST:LINE with exit 2, a missing image,
# one of the wrong size or channels, an ambiguous or unmatched path.
LD="$TMP/list-data"
case $MSPRUNE in /*) LM=$MSPRUNE ;; *) LM=$PWD/$MSPRUNE ;; esac
MKPNG=$PWD/tests/cli/mkpng
RULE="(a class is a whole folder name of the path or, failing that, a whole word of the file name)"
mkdir -p "$LD"
(
    cd "$LD" || exit 1
    for c in tshirt shirt t-shirt; do
        mkdir -p "data/train/$c" "data/test/$c"
        "$MKPNG" 8 8 3 "data/train/$c/1.png" "data/train/$c/2.png" "data/test/$c/1.png" || exit 1
    done
    mkdir -p data/train/misc data/train/shirt/tshirt
    "$MKPNG" 9 8 3 data/train/shirt/wide.png && "$MKPNG" 8 8 1 data/train/shirt/grey.png &&
        "$MKPNG" 8 8 3 data/train/misc/1.png data/train/shirt/tshirt/1.png || exit 1
    find data/train -name '[12].png' ! -path '*/misc/*' ! -path '*/shirt/tshirt/*' | sort >data/train.list
    find data/test -name '*.png' | sort >data/test.list
    printf 'tshirt\nshirt\nt-shirt\n' >data/names
    cat >net.cfg <<'CFG'
[net]
batch=4
subdivisions=1
width=8
height=8
channels=3
learning_rate=0.1
max_batches=100

[convolutional]
filters=4
size=3
stride=1
pad=1
activation=leaky

[connected]
output=3
activation=linear

[softmax]
CFG
) || bad "list-data: could not build the dataset"

# ld_conf NAME TRAIN_LIST [DATA SETTINGS...]: $LD/NAME.conf, no width/height/channels.
ld_conf() {
    local name=$1 list=$2
    shift 2
    cat >"$LD/$name.conf" <<CONF
name = "ld";
output = "out";
data: {
  format = "list";
  train_list = "$list";
  test_list = "data/test.list";
  names = "data/names";
  $*
};
base: { cfg = "net.cfg"; weights = "net.weights"; epochs = 1; batch = 4; };
CONF
}
# ld_check STATUS CONF: msprune check CONF from $LD, exit STATUS.
ld_check() {
    (cd "$LD" && "$LM" check "$2" >"$TMP/out" 2>"$TMP/err")
    local got=$?
    [ "$got" = "$1" ] && ok || bad "list-data: check $2 -> exit $got, want $1: $(head -c 600 "$TMP/err")"
}
# ld_refuses LINE MESSAGE: data/bad.list = the train list + LINE as line 7; check refuses it.
ld_refuses() {
    { cat "$LD/data/train.list"; printf '%s\n' "$1"; } >"$LD/data/bad.list"
    ld_conf bad data/bad.list
    ld_check 2 bad.conf
    [ "$(cat "$TMP/err")" = "msprune: data/bad.list:7: $2" ] && ok ||
        bad "list-data: $1: stderr is '$(cat "$TMP/err")', want 'msprune: data/bad.list:7: $2'"
}

# tshirt/, shirt/ and t-shirt/ side by side; the shape from net.cfg.
ld_conf good data/train.list
ld_check 0 good.conf
grep -qxF "  data: 6 training + 3 test images of 8x8 RGB, 3 classes (train/test per class: tshirt 2/1, shirt 2/1, t-shirt 2/1)" "$TMP/out" &&
    ok || bad "list-data: check prints no counts: $(cat "$TMP/out")"
[ ! -s "$TMP/err" ] && ok || bad "list-data: check of a good list printed: $(cat "$TMP/err")"

ld_refuses data/train/shirt/3.png "cannot open image 'data/train/shirt/3.png': No such file or directory"
ld_refuses data/train/shirt/wide.png "image 'data/train/shirt/wide.png' is 9x8 colour (3 channels), but the network takes 8x8 colour (3 channels) (set data.resize = true to resize and convert images)"
ld_refuses data/train/shirt/grey.png "image 'data/train/shirt/grey.png' is 8x8 grey (1 channel), but the network takes 8x8 colour (3 channels) (set data.resize = true to resize and convert images)"
ld_refuses data/train/shirt/tshirt/1.png "image path 'data/train/shirt/tshirt/1.png' is ambiguous: its folders name two classes, 'shirt' and 'tshirt' $RULE"
ld_refuses data/train/misc/1.png "image path 'data/train/misc/1.png' names no class of data/names $RULE"

# data.resize = true takes the odd images in.
{ cat "$LD/data/train.list"; echo data/train/shirt/wide.png; echo data/train/shirt/grey.png; } >"$LD/data/resize.list"
ld_conf resize data/resize.list "resize = true;"
ld_check 0 resize.conf
grep -qF "  data: 8 training + 3 test images of 8x8 RGB, 3 classes (train/test per class: tshirt 2/1, shirt 4/1, t-shirt 2/1)" "$TMP/out" &&
    ok || bad "list-data: resize: $(cat "$TMP/out")"

# A class without training images is an error at its line of the names file;
# without test images, a warning.
grep -v '/t-shirt/' "$LD/data/train.list" >"$LD/data/no-t.list"
ld_conf no-t data/no-t.list
ld_check 2 no-t.conf
[ "$(cat "$TMP/err")" = "msprune: data/names:3: class 't-shirt' has no image in the training list data/no-t.list $RULE" ] &&
    ok || bad "list-data: a class without training images: $(cat "$TMP/err")"
grep -v '/t-shirt/' "$LD/data/test.list" >"$LD/data/test-no-t.list"
sed 's|data/test.list|data/test-no-t.list|' "$LD/good.conf" >"$LD/test-no-t.conf"
ld_check 0 test-no-t.conf
[ "$(cat "$TMP/err")" = "msprune: warning: data/test-no-t.list: 1 class has no test image: 't-shirt'" ] &&
    ok || bad "list-data: a class without test images: $(cat "$TMP/err")"

# Paths written relative to the list's folder: the error says what to do.
sed 's|^data/||' "$LD/data/train.list" >"$LD/data/rel.list"
ld_conf rel data/rel.list
ld_check 2 rel.conf
grep -qF "msprune: data/rel.list:1: cannot open image 'train/shirt/1.png': No such file or directory; 'data/train/shirt/1.png' exists: relative paths in an image list start from the working folder ($LD), not from the list's folder, so write it as 'data/train/shirt/1.png' or as an absolute path" "$TMP/err" &&
    ok || bad "list-data: list-relative paths: $(cat "$TMP/err")"

# width/height/channels, if given, must be the cfg's.
ld_conf width data/train.list "width = 9;"
ld_check 2 width.conf
[ "$(cat "$TMP/err")" = "msprune: width.conf:8: data.width = 9, but the base network net.cfg takes width=8 in its [net] section (leave data.width out to use the cfg's)" ] &&
    ok || bad "list-data: width differs: $(cat "$TMP/err")"
ld_conf same data/train.list "width = 8; height = 8; channels = 3;"
ld_check 0 same.conf

# train: a limit beyond the data is a warning and all of it is used.
ld_conf limit data/train.list "validation = 0.0; train_limit = 100;"
(cd "$LD" && "$LM" train limit.conf -q >"$TMP/out" 2>"$TMP/err")
st=$?
[ "$st" = 0 ] && grep -qxF "msprune: warning: data.train_limit = 100 but the training split has 6 images: using all 6" "$TMP/err" &&
    ok || bad "list-data: train_limit beyond the data -> exit $st: $(head -c 600 "$TMP/err")"

# IDX data whose images are not the network's input: check says so at once.
cat >"$LD/idx.conf" <<'CONF'
name = "ld-idx";
data: {
  train_images = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
  train_labels = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz";
  test_images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
  test_labels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
};
base: { cfg = "net.cfg"; weights = "net.weights"; };
CONF
ld_check 2 idx.conf
[ "$(cat "$TMP/err")" = "msprune: idx.conf:8: the IDX images of /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz are 28x28 grey (1 channel), but the base network net.cfg takes 8x8 with 3 channels" ] &&
    ok || bad "list-data: IDX of another shape: $(cat "$TMP/err")"
