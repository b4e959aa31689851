"""Train the feature network on Fashion-MNIST and write its weights.

    python -m course_models.train_feature_net [--epochs 5] [--out PATH]

Seeded and deterministic (fixed seed, deterministic algorithms, two CPU threads): the same
command gives the same weights on the same PyTorch build. About three minutes on two cores.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch.nn import functional as F

from course_models.data import load_fashion_mnist
from course_models.features import WEIGHTS_PATH, FeatureNet, to_unit_images

SEED = 20231002


@torch.no_grad()
def accuracy(net: FeatureNet, images: torch.Tensor, labels: torch.Tensor) -> float:
    net.eval()
    correct = 0
    for start in range(0, len(images), 1000):
        logits = net(images[start : start + 1000])
        correct += int((logits.argmax(1) == labels[start : start + 1000]).sum())
    return correct / len(images)


def train(epochs: int = 5, batch_size: int = 128, lr: float = 2e-3) -> tuple[FeatureNet, float]:
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(2)
    train_x, train_y = load_fashion_mnist("train")
    test_x, test_y = load_fashion_mnist("test")
    x = to_unit_images(train_x.copy())
    y = torch.from_numpy(train_y.astype("int64"))
    net = FeatureNet()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    steps = epochs * (len(x) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    g = torch.Generator().manual_seed(SEED)
    t0 = time.time()
    for epoch in range(epochs):
        net.train()
        perm = torch.randperm(len(x), generator=g)
        for i in range(len(x) // batch_size):
            idx = perm[i * batch_size : (i + 1) * batch_size]
            batch = x[idx]
            # Random horizontal flips: Fashion-MNIST classes are mirror-symmetric.
            flip = torch.rand(len(idx), generator=g) < 0.5
            batch = torch.where(flip[:, None, None, None], batch.flip(3), batch)
            loss = F.cross_entropy(net(batch), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}, {time.time() - t0:.0f} s", flush=True)
    test_acc = accuracy(
        net, to_unit_images(test_x.copy()), torch.from_numpy(test_y.astype("int64"))
    )
    return net, test_acc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    args = parser.parse_args()
    net, test_acc = train(args.epochs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in net.state_dict().items()}
    save_file(
        state, str(args.out), metadata={"test_accuracy": f"{test_acc:.4f}", "seed": str(SEED)}
    )
    print(f"test accuracy {test_acc:.4f}; wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
