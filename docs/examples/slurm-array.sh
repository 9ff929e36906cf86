#!/bin/bash
# A weightdyn study as a Slurm job array: 16 shards, each an ordinary ensemble over the runs whose index is
# (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) mod 16, into its own directory (docs/distributed.md, "Shard mode").
#
#   sbatch docs/examples/slurm-array.sh
#   # once every task has finished (or: sbatch --dependency=afterok:<array job id> --wrap "...merge...")
#   npx weightdyn merge results/shard-* --out results/merged
#
# --resume makes a requeued or restarted task continue where it stopped (only its missing runs are run).
#SBATCH --job-name=weightdyn-study
#SBATCH --array=0-15
#SBATCH --cpus-per-task=8
#SBATCH --time=04:00:00
#SBATCH --output=logs/%x-%a.out
set -euo pipefail

npx weightdyn ensemble --config study.json --out "results/shard-${SLURM_ARRAY_TASK_ID}" \
  --shards 16 --workers "${SLURM_CPUS_PER_TASK}" --resume --quiet
