#!/bin/sh
# Regenerates Sources/KiraDeep/ONNX/onnx.pb.swift from the onnx.proto that ships in the PyPI
# `onnx` wheel, with Debian's protoc and swift-protobuf's protoc-gen-swift built once outside
# the work tree (a ~10 minute build, so the generated file is committed instead of built).
#   PLUGIN_DIR (default /tmp/protoc-gen): where swift-protobuf is cloned and built.
#   python3 must import onnx (pip install onnx); protoc comes from protobuf-compiler.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
plugin_dir=${PLUGIN_DIR:-/tmp/protoc-gen}
version=1.39.0
if [ ! -x "$plugin_dir/sp/.build/debug/protoc-gen-swift" ]; then
    mkdir -p "$plugin_dir"
    [ -d "$plugin_dir/sp" ] || git clone -q --branch "$version" https://github.com/apple/swift-protobuf "$plugin_dir/sp"
    (cd "$plugin_dir/sp" && swift build --product protoc-gen-swift)
fi
onnx_dir=$(python3 -c "import onnx, os; print(os.path.dirname(onnx.__file__))")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The proto's package is "onnx"; copying it under that folder keeps protoc's import paths plain.
cp "$onnx_dir/onnx.proto" "$work/onnx.proto"
protoc --plugin=protoc-gen-swift="$plugin_dir/sp/.build/debug/protoc-gen-swift" \
    --swift_opt=Visibility=Internal --swift_out="$work" -I "$work" "$work/onnx.proto"
mkdir -p "$root/Sources/KiraDeep/ONNX"
mv "$work/onnx.pb.swift" "$root/Sources/KiraDeep/ONNX/onnx.pb.swift"
echo "wrote Sources/KiraDeep/ONNX/onnx.pb.swift from $onnx_dir/onnx.proto (onnx $(python3 -c 'import onnx; print(onnx.__version__)'))"
