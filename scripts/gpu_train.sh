#!/usr/bin/env bash
# On the lent GPU machine (its python3 has torch, OpenCV, safetensors, tqdm): continue the main run from the
# shipped weights for MINUTES minutes and bring the EMA weights and the log back through $OUT.
#   here:  bash scripts/prepare_gpu_data.sh
#   device tool: run(command="bash scripts/gpu_train.sh 8", carry=[".gpu-data"], timeout_s=600)
#   here:  in2-studio eval --weights <files_at>/ema.safetensors ...; ship it if it is better.
# The last quarter of the time runs at a fifth of the learning rate: annealing gained 0.09 dB on CelebA val in
# 1,250 CPU steps (model card). IN2_GPU_CONFIG swaps the config, e.g. to try the script on a CPU.
set -uo pipefail
minutes=${1:-8}
config=${IN2_GPU_CONFIG:-configs/gpu.toml}
export IN2_DATA=$PWD/.gpu-data PYTHONPATH=$PWD PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
read -r main anneal lr < <(python3 - "$minutes" "$config" <<'PY'
import sys
from in2_studio.training.train import TrainSettings
minutes, config = float(sys.argv[1]), sys.argv[2]
lr = TrainSettings.from_toml(config).lr  # with what the config extends
print(f"{minutes * 0.75:.3f} {minutes * 0.25:.3f} {lr / 5:g}")
PY
)
train() {
  python3 -m in2_studio.cli train --config "$config" --resume --out /tmp/in2-gpu-run "$@" \
    2>&1 | tr '\r' '\n' | grep -vE "(it/s|s/it)\]$" | tail -20
}
train --minutes "$main"
train --minutes "$anneal" --lr "$lr"
cp /tmp/in2-gpu-run/ema.safetensors /tmp/in2-gpu-run/train.log "$OUT"/ 2>/dev/null
ls -la "$OUT"
