#!/usr/bin/env bash
# On the lent GPU machine (its python3 has torch, OpenCV, safetensors, tqdm): continue the main run from the
# shipped weights for MINUTES minutes and bring the EMA weights and the log back through $OUT.
#   here:  bash scripts/prepare_gpu_data.sh
#   device tool: run(command="bash scripts/gpu_train.sh 8", carry=[".gpu-data"], timeout_s=600)
#   here:  in2-studio eval --weights <files_at>/ema.safetensors ...; ship it if it is better.
set -uo pipefail
minutes=${1:-8}
export IN2_DATA=$PWD/.gpu-data PYTHONPATH=$PWD PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -m in2_studio.cli train --config configs/gpu.toml --resume --minutes "$minutes" --out /tmp/in2-gpu-run \
  2>&1 | tr '\r' '\n' | grep -v "it/s\]$" | tail -40
cp /tmp/in2-gpu-run/ema.safetensors /tmp/in2-gpu-run/train.log "$OUT"/ 2>/dev/null
ls -la "$OUT"
