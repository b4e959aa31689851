"""Train the small DDPM ε-predictor (``diffusion.MLPDenoiser``) on Fashion-MNIST.

    python -m course_models.train_denoiser [--steps 6000] [--out PATH]

Images are scaled to [-1, 1] and flattened. Seeded and deterministic on a CPU (two threads).
The weights are stored in float16 (they are cast back to float32 when loaded).
HW2 ships them as ``assignments/hw2/denoiser.safetensors``: the students' DDIM sampler runs
with this network, and the samples are scored with FID/KID on the feature network.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from safetensors.torch import save_file

from course_models.data import load_fashion_mnist
from course_models.diffusion import MLPDenoiser, ddpm_loss, make_tables

SEED = 20231016
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "assignments" / "hw2" / "denoiser.safetensors"


def train(steps: int = 6000, batch_size: int = 256, lr: float = 2e-3) -> MLPDenoiser:
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(2)
    images, _ = load_fashion_mnist("train")
    x = torch.from_numpy(images.copy()).float().div(127.5).sub(1).reshape(len(images), -1)
    tables = make_tables()
    net = MLPDenoiser()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    g = torch.Generator().manual_seed(SEED)
    t0 = time.time()
    for step in range(steps):
        idx = torch.randint(0, len(x), (batch_size,), generator=g)
        t = torch.randint(0, tables.T, (batch_size,), generator=g)
        noise = torch.randn(batch_size, x.shape[1], generator=g)
        loss = ddpm_loss(tables, net, x[idx], t, noise)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if (step + 1) % 1000 == 0:
            print(f"step {step + 1}: loss {loss.item():.4f}, {time.time() - t0:.0f} s", flush=True)
    return net.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    net = train(args.steps)
    state = {k: v.detach().half().contiguous() for k, v in net.state_dict().items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(args.out), metadata={"seed": str(SEED), "steps": str(args.steps)})
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
