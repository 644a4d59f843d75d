# What build-shim.sh (Lane B) and build-shim-bitnet.sh (Lane A) share (sourced, not run): the shim
# sources every stamp covers, the up-to-date check, and one compile of a shim into a shared library.
# shellcheck shell=bash

# shim_sources SHIM_CPP: the files a shim is compiled from (its own .cpp, the shared half, the ABI).
shim_sources() {
  local root; root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  printf '%s\n' "$root/shim/$1" "$root/shim/shim_common.h" "$root/shim/trit_ref.h" "${BASH_SOURCE[0]}"
}

# shim_up_to_date LABEL OUT STAMP: true (and says so) when OUT exists and was built from STAMP.
shim_up_to_date() {
  local label="$1" out="$2" stamp="$3" stamp_file
  stamp_file="$(dirname "$out")/STAMP"
  if [[ -f "$out" && -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" ]]; then
    echo "$label: up to date at $out" >&2
    return 0
  fi
  return 1
}

# compile_shim OUT STAMP SHIM_CPP VERSION COMMIT [compiler/linker args...]: compiles shim/SHIM_CPP
# with $CXX (default g++) into OUT (via OUT.tmp, so a failed build leaves no half library), then
# records STAMP next to it. The extra args name the llama.h include dirs, the libraries and rpaths.
# -Wl,--no-undefined: a symbol missing from this libllama fails the build, not a later dlopen.
compile_shim() {
  local out="$1" stamp="$2" src="$3" version="$4" commit="$5" root
  shift 5
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  mkdir -p "$(dirname "$out")"
  "${CXX:-g++}" -std=c++17 -O2 -fPIC -shared -Wall -Wextra -Wno-unused-parameter \
    -DTRIT_REF_VERSION="\"$version\"" \
    -DTRIT_REF_COMMIT="\"$commit\"" \
    -I "$root/shim" "$root/shim/$src" -o "$out.tmp" "$@" -Wl,--no-undefined
  mv "$out.tmp" "$out"
  echo "$stamp" > "$(dirname "$out")/STAMP"
}
