#!/usr/bin/env bash
# The whole paper grid, phase after phase: A and B (grid.toml), C (grid_c.toml), D (grid_d.toml).
# Rerun it to resume: each sweep skips its finished trials and resumes the others from their
# last checkpoint, so a session can start with this one command whatever phase the grid is in.
# Extra arguments go to every sweep, e.g. --td3-script PATH (a frozen checkout) or --address auto.
# A phase whose trials failed does not stop the next one; rerun to retry them.
set -u
cd "$(dirname "$0")/../.."
status=0
for grid in grid.toml grid_c.toml grid_d.toml; do
    echo "=== $(date -u +%FT%TZ) experiments/paper_grid/$grid"
    camel-gym sweep --sweep-dir experiments/paper_grid --grid "experiments/paper_grid/$grid" --no-progress "$@" || status=$?
done
exit "$status"
