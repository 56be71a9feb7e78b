#!/usr/bin/env bash
# Until `camel-gym sweep` exists: the grid's plain-TD3 (`--masking none`) trials, two at a time with
# one torch thread each (measured the best use of 2 cores). Rerun it to resume: a trial with
# summary.json is skipped, one with a checkpoint continues from it (--resume), any other starts anew.
# Each trial's run directory lives under trials/<env>__none__seed<k>/ (its --runs-dir).
set -u
cd "$(dirname "$0")/../.."
grid=experiments/paper_grid/trials
jobs=()
for env in Hopper-v4 Ant-v4 Walker2d-v4; do for seed in 1 2 3 4 5; do jobs+=("$env $seed"); done; done
run_trial() {
    local env=$1 seed=$2 runs="$grid/${1}__none__seed$2"
    local run; run=$(ls -d "$runs"/*/ 2>/dev/null | head -1)
    if [ -n "$run" ] && [ -f "$run/summary.json" ]; then return; fi
    if [ -n "$run" ] && [ -f "$run/checkpoint.pt" ]; then
        python cleanrl_scripts/td3_camel.py --resume "$run" --no-progress
    else
        rm -rf "$runs"
        python cleanrl_scripts/td3_camel.py --env-id "$env" --seed "$seed" --masking none \
            --total-timesteps 300000 --eval-every 10000 --eval-episodes 10 --checkpoint-every 25000 \
            --threads 1 --save-model --runs-dir "$runs" --no-progress
    fi
}
export -f run_trial; export grid OMP_NUM_THREADS=1 MUJOCO_GL=egl
printf '%s\n' "${jobs[@]}" | xargs -P 2 -L 1 bash -c 'run_trial $0 $1 > /dev/null 2>> "$grid/${0}__none__seed$1.log"'
