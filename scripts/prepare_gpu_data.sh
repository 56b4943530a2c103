#!/usr/bin/env bash
# Here, before a GPU run: copy a training subset into .gpu-data/ (git-ignored) for the device tool to carry.
# The device machine cannot see ../shared; the whole working tree it takes is limited to 64 MiB.
# CelebA train (43 MiB) and about 1,000 LFW train photos, with the LFW test-identity list so that training
# there still never sees a test identity.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${IN2_DATA:-../shared/data}
rm -rf .gpu-data && mkdir -p .gpu-data/lfw .gpu-data/celeba-200id
cp "$src/lfw-test-identities.txt" .gpu-data/
cp -r "$src/celeba-200id/train" .gpu-data/celeba-200id/
# Every twelfth LFW train identity (test identities are never copied).
ls "$src/lfw" | grep -vxF -f "$src/lfw-test-identities.txt" | awk 'NR % 12 == 0' | while read -r person; do
  cp -r "$src/lfw/$person" .gpu-data/lfw/
done
du -sh .gpu-data
