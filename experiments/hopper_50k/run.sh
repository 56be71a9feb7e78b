#!/usr/bin/env bash
# 50k-step Hopper-v4 comparison of --masking llm vs --masking none (one seed each), run in sequence.
# From the repository root: bash experiments/hopper_50k/run.sh
set -euo pipefail
for masking in llm none; do
  python cleanrl_scripts/td3_camel.py --env-id Hopper-v4 --masking "$masking" --seed 1 \
    --total-timesteps 50000 --eval-every 5000 --eval-episodes 10 --checkpoint-every 25000 \
    --runs-dir experiments/hopper_50k --no-progress
done
