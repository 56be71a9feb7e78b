#!/usr/bin/env bash
# 50k-step Hopper-v4 comparison of --masking llm vs --masking none (one seed each), run in sequence.
# From the repository root: bash experiments/hopper_50k/run.sh
set -euo pipefail
# The llm run's prior was the hand-tuned one, the default when this ran (410f1b9); it is named here
# since the default became the LLM-written prior (7be59ee).
for masking in llm none; do
  prior=()
  [ "$masking" = llm ] && prior=(--policy llm_policies/handtuned/hopper_v4.py)
  python cleanrl_scripts/td3_camel.py --env-id Hopper-v4 --masking "$masking" --seed 1 ${prior[@]+"${prior[@]}"} \
    --total-timesteps 50000 --eval-every 5000 --eval-episodes 10 --checkpoint-every 25000 \
    --runs-dir experiments/hopper_50k --no-progress
done
