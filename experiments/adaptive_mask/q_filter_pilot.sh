#!/bin/bash
# The Q-filter pilot of issue #14: what a critic-gated mask would decide, under the paper's linear schedule.
# Hopper-v4, seed 1, the 300k-step protocol with the mask over 200k, one prior after another; each run is
# stopped after its 90k evaluation (its TensorBoard events are flushed by then), as a pilot needs no more.
# Then: python experiments/adaptive_mask/q_filter_pilot.py experiments/adaptive_mask/pilot/q_filter
cd "$(dirname "$0")/../.."
export MUJOCO_GL=egl
OUT=experiments/adaptive_mask/pilot/q_filter
mkdir -p $OUT
run() {  # name, flags...
  name=$1; shift
  if ls $OUT/$name/*/eval.csv >/dev/null 2>&1 && grep -q "^90000," $OUT/$name/*/eval.csv; then return; fi
  mkdir -p $OUT/$name
  python cleanrl_scripts/td3_camel.py --env-id Hopper-v4 --seed 1 --total-timesteps 300000 \
     --mask-timesteps 200000 --threads 1 --checkpoint-every 0 --no-progress --runs-dir $OUT/$name "$@" &
  pid=$!
  until grep -q "^90000," $OUT/$name/*/eval.csv 2>/dev/null; do sleep 20; done
  kill $pid; wait $pid
}
run harmful-linear --policy llm_policies/test_priors/hopper_v4_backward.py
run llm-linear --policy llm_policies/hopper_v4.py
run random-linear --masking random
