#!/bin/sh
# Writes the seed corpus of fuzz_elf: small ELF files of every kind that
# pyflame meets (shared library, PIE and non-PIE executables, stripped or
# not), plus relocatable objects of both classes, all built from
# elf_seed.c.  (objcopy cannot change the byte order; the fuzzer flips
# EI_DATA itself.)  Without libc, so that each is a few KB.
#
#   gen_elf_corpus.sh OUT_DIR
set -eu
out=$1
src=$(dirname "$0")/elf_seed.c
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
cc="gcc -Os -nostdlib -fno-asynchronous-unwind-tables -Wl,--build-id=none -Wl,-z,noseparate-code -Wl,-z,norelro"

$cc -shared -fPIC -o "$tmp/lib.so" "$src"
$cc -fPIE -pie -Wl,-e,seed_start -o "$tmp/pie" "$src"
$cc -fno-pie -no-pie -static -Wl,-e,seed_start -o "$tmp/nopie" "$src"
gcc -Os -fno-asynchronous-unwind-tables -c -o "$tmp/seed.o" "$src"

for f in lib.so pie nopie; do
  # .comment only says which gcc: not worth fuzzing.
  objcopy --remove-section=.comment "$tmp/$f" "$out/seed-$f"
done
strip --strip-all -o "$out/seed-lib.so-stripped" "$tmp/lib.so"
objcopy --remove-section=.comment --remove-section=.note.GNU-stack "$tmp/seed.o" "$out/seed-rel64.o"
objcopy -O elf32-i386 --remove-section=.comment "$tmp/seed.o" "$out/seed-rel32.o"
