#!/bin/sh
# Creates origin/alpha.git and origin/beta.git (bare repos with a passing test.sh) so
# repos.cw runs without the network.
set -eu
cd "$(dirname "$0")"
for name in alpha beta; do
  rm -rf "origin/$name.git" "/tmp/pincer-origin-$name"
  git init --quiet --initial-branch=main "/tmp/pincer-origin-$name"
  printf 'echo "%s: tests pass"\n' "$name" > "/tmp/pincer-origin-$name/test.sh"
  git -C "/tmp/pincer-origin-$name" add test.sh
  git -C "/tmp/pincer-origin-$name" -c user.name=pincer -c user.email=pincer@example.invalid commit --quiet -m init
  git clone --quiet --bare "/tmp/pincer-origin-$name" "origin/$name.git"
  rm -rf "/tmp/pincer-origin-$name"
done
